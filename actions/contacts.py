"""Offers, the user's situation and the way to a coach: point to the right coach team with its contacts."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher


class ActionOffers(Action):
    """Courses and jobs: the coaches of the user's district (or both teams) know the offers."""

    def name(self) -> Text:
        return "action_offers"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(response="utter_offers", district=tracker.get_slot("district"))
        return []


class ActionInform(Action):
    """Acknowledges what the user told about their situation or district, then shows who can help."""

    def name(self) -> Text:
        return "action_inform"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        district, target_group = tracker.get_slot("district"), tracker.get_slot("target_group")
        if district or target_group:
            dispatcher.utter_message(response="utter_noted", district=district, target_group=target_group)
        dispatcher.utter_message(response="utter_offers", district=district)
        return []


class ActionCoach(Action):
    """A person to talk to: the coach team of the user's district (or both)."""

    def name(self) -> Text:
        return "action_coach"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(response="utter_coach", district=tracker.get_slot("district"))
        return []
