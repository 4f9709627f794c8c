"""A person to talk to: the coach team of the user's district (or both teams)."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher


class ActionCoach(Action):
    """Shows the contacts of the district's coach team (both teams while the district is unknown)."""

    def name(self) -> Text:
        return "action_coach"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(response="utter_coach", district=tracker.get_slot("district"))
        return []
