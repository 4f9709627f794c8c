"""Two requests in one message: the second one is answered after the first.

`afa.nlu.multi.MultipleRequests` names the second request in the parse result (`second`: intent, FAQ key,
confidence, text); the turn's custom slot mapping sets the slot `two_requests` from it (`actions.common.two_requests_slot`), and
the rules in data/rules.yml run `action_answer_second` after the first request's usual answer. The second is answered
by the same response or action that would answer it alone.

A deletion beside another request ("delete my data, and who funds this?", "what do you keep? delete it") is asked
last, whichever came first: the other request is answered, then the deletion question follows (as a follow-up
action, so its buttons are the last thing shown and a "yes" in words answers it, as after a deletion asked alone).
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction
from rasa_sdk.executor import CollectingDispatcher

from actions.coach import ActionCoach
from actions.common import latest
from actions.language import ActionChangeLanguage
from actions.legal import ActionLegalAdvice
from actions.offers import ActionFindOffers
from actions.privacy import ActionDataCopy

# Intents whose answer is a response, and those whose answer is an action (run here, in order, after the first).
RESPONSES = {"bot_challenge": "utter_bot_challenge", "ask_privacy": "utter_privacy", "help": "utter_help"}
DELETION, ASK_DELETION = "request_deletion", "utter_ask_deletion"
ACTIONS = {
    "ask_offers": ActionFindOffers,
    "more_offers": ActionFindOffers,
    "inform": ActionFindOffers,
    "request_coach": ActionCoach,
    "legal_advice": ActionLegalAdvice,
    "request_data_copy": ActionDataCopy,
    # The language slot was set at the start of the turn (actions/language.py), so both answers are in the new one.
    "change_language": ActionChangeLanguage,
}


class ActionAnswerSecond(Action):
    """Answers the second request of the message, as it would be answered on its own."""

    def name(self) -> Text:
        return "action_answer_second"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        message = latest(tracker)
        second = message.get("second") or {}
        intent, key = second.get("intent"), second.get("response_key")
        if (message.get("intent") or {}).get("name") == DELETION:  # the deletion came first: answered after the other
            return await self._answer(intent, key, dispatcher, tracker, domain) + [FollowupAction(ASK_DELETION)]
        if intent == DELETION:
            return [FollowupAction(ASK_DELETION)]
        return await self._answer(intent, key, dispatcher, tracker, domain)

    @staticmethod
    async def _answer(intent: Any, key: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                      domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        """The answer `intent` (with its FAQ `key`) gets when asked alone."""
        if intent == "faq" and key:
            dispatcher.utter_message(response=f"utter_{key}")  # utter_faq/<key>: the answer from the database
        elif intent in RESPONSES:
            dispatcher.utter_message(response=RESPONSES[intent])
        elif intent in ACTIONS:
            return await ACTIONS[intent]().run(dispatcher, tracker, domain)
        return []
