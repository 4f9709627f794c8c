"""The offer finder: target group and district in any order, then three offers at a time."""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from afa.offers import search
from actions.common import conversation_language, latest, session_scope

logger = logging.getLogger(__name__)


class ActionFindOffers(Action):
    """Asks for what is missing (with buttons), then shows matching offers; `more_offers` pages on.

    Runs for `ask_offers`, `inform` and `more_offers`. The slots come from the entities of every message, so a
    correction ("actually I live in Hochfeld") simply runs the search again with the new value.
    """

    def name(self) -> Text:
        return "action_find_offers"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        target_group, district = tracker.get_slot("target_group"), tracker.get_slot("district")
        if not target_group:
            dispatcher.utter_message(response="utter_ask_target_group")
            return []
        if not district:
            dispatcher.utter_message(response="utter_ask_district")
            return []
        more = (latest(tracker).get("intent") or {}).get("name") == "more_offers"
        page_number = int(tracker.get_slot("offer_page") or 0) + 1 if more else 0
        try:
            with session_scope() as session:
                page = search(session, target_group, district, conversation_language(tracker), page_number)
        except SQLAlchemyError:  # the database is briefly away: tell the user, keep the slots for a retry
            logger.exception("offer search failed")
            dispatcher.utter_message(response="utter_temporarily_unavailable")
            return []
        if page.total == 0:
            dispatcher.utter_message(response="utter_no_offers", district=district, target_group=target_group)
            return [SlotSet("offer_page", 0)]
        if not page.keys:  # "more" after the last page
            dispatcher.utter_message(response="utter_offers_end")
            return []
        if page_number == 0:
            dispatcher.utter_message(response="utter_offers_found", district=district, target_group=target_group)
        for key in page.keys:
            dispatcher.utter_message(response="utter_offer", offer_key=key)
        dispatcher.utter_message(response="utter_offers_more" if page.has_more else "utter_offers_end")
        return [SlotSet("offer_page", page_number)]
