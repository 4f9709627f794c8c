"""Privacy in the conversation, the same on every channel: the notice, the erasure, a copy of one's data.

`/privacy` (the full text) and the deletion question are plain responses (data/rules.yml); the notice after a
conversation's first reply is predicted by `afa.policies.PrivacyRulePolicy`. Channels that can carry more get a
custom message beside the text (like `afa_handover`): Telegram sends a data copy also as a document, and
redacts the cards in the team groups right after an erasure.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from afa.db import ConsentRecord
from afa.privacy import ERASURE_SLOT, NOTICE_SLOT, data_copy
from afa.responses import DATA_COPY, PRIVACY_NOTICE
from afa.settings import get_settings
from actions.common import latest, session_scope

logger = logging.getLogger(__name__)


def _channel(tracker: Tracker) -> str | None:
    return (latest(tracker).get("metadata") or {}).get("channel")


class ActionPrivacyNotice(Action):
    """After the first reply of a conversation: the short notice, once per person (the consent record says when)."""

    def name(self) -> Text:
        return "action_privacy_notice"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        # Asked about privacy first: the full text was just shown, which counts as the notice.
        shown_now = (latest(tracker).get("intent") or {}).get("name") == "ask_privacy"
        try:
            with session_scope() as session:
                new = session.get(ConsentRecord, tracker.sender_id) is None
                if new:
                    session.add(ConsentRecord(conversation_id=tracker.sender_id))
        except SQLAlchemyError:  # the database briefly away: better told twice than not at all
            logger.warning("could not read or write the consent record", exc_info=True)
            new = True
        if new and not shown_now:
            dispatcher.utter_message(response=PRIVACY_NOTICE)
        return [SlotSet(NOTICE_SLOT, True)]


class ActionEraseConversation(Action):
    """The confirmed deletion: says it is done and marks the conversation; the tracker store erases everything
    once Rasa has saved this turn (afa.tracker_store), before the reply leaves the server."""

    def name(self) -> Text:
        return "action_erase_conversation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(response="utter_deletion_done")
        if _channel(tracker) == "telegram":  # cards and copies in the team groups: the front end redacts them
            dispatcher.utter_message(json_message={"afa_erased": True})
        return [SlotSet(ERASURE_SLOT, True)]


class ActionDataCopy(Action):
    """`/mydata` or "send me what you keep about me": everything kept about this person, in their language."""

    def name(self) -> Text:
        return "action_data_copy"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        try:
            with session_scope() as session:
                copy = data_copy(session, tracker.sender_id, get_settings(), tracker.events, tracker.current_slot_values())
        except SQLAlchemyError:
            logger.exception("could not gather a data copy")
            dispatcher.utter_message(response="utter_temporarily_unavailable")
            return []
        dispatcher.utter_message(response=DATA_COPY, copy=copy)
        if _channel(tracker) == "telegram":  # the same text as a file the person can keep
            dispatcher.utter_message(json_message={"afa_document": f"afa-data-{copy['as_of'][:10]}.txt"})
        return []
