"""The one-tap question "did this help?": after offers were shown (asked here) and after a coach ended a handover
(asked by the Telegram front end); answered with a short thanks and counted as helpful_yes / helpful_no."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from afa.reach import record
from afa.responses import ASK_HELPFUL, FEEDBACK_ABOUT, FEEDBACK_PREFIX
from actions.common import latest


def _asked(event: Dict[Text, Any]) -> bool:
    """A bot message of this conversation that asked "did this help?"."""
    data = event.get("data") or {}
    metadata = event.get("metadata") or {}
    buttons = data.get("buttons") or []
    return metadata.get("utter_action") == ASK_HELPFUL or any(
        str(b.get("payload") or "").startswith(FEEDBACK_PREFIX) for b in buttons
    )


def ask_helpful(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """Asks "did this help?" about offers, unless this turn already asked it (two searches in one message)."""
    if any(m.get("response") == ASK_HELPFUL for m in dispatcher.messages):
        return
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            break
        if event.get("event") == "bot" and _asked(event):
            return
    dispatcher.utter_message(response=ASK_HELPFUL)


class ActionFeedback(Action):
    """The answer to "did this help?" (`/feedback{"helpful": "yes", "about": "offers"}`): thanks, and counted."""

    def name(self) -> Text:
        return "action_feedback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        found = {e.get("entity"): e.get("value") for e in latest(tracker).get("entities") or []}
        helpful, about = found.get("helpful"), found.get("about")
        if helpful in ("yes", "no") and about in FEEDBACK_ABOUT:
            record.count(f"helpful_{helpful}", record.dimensions(tracker), topic=str(about))
        dispatcher.utter_message(response="utter_feedback_no" if helpful == "no" else "utter_feedback_thanks")
        return []
