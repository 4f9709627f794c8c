"""The offer finder: topic, target group and district in any order, then three offers at a time."""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from afa import DISTRICTS, TARGET_GROUPS
from afa.offers import Page, search
from afa.reach import record
from actions.common import conversation_language, latest, session_scope
from actions.feedback import ask_helpful

logger = logging.getLogger(__name__)


def _heading(topic: Optional[str], group: Optional[str]) -> str:
    """The response that names what was searched for (the district is in each)."""
    if topic:
        return "utter_offers_found_topic_group" if group else "utter_offers_found_topic"
    return "utter_offers_found" if group else "utter_offers_found_all"


def _names_topic(message: Dict[Text, Any]) -> bool:
    return any(entity.get("entity") == "topic" for entity in message.get("entities") or [])


class ActionFindOffers(Action):
    """Asks for what is missing (with buttons), then shows matching offers; `more_offers` pages on.

    Runs for `ask_offers`, `inform` and `more_offers`. The slots come from the entities of every message (and from
    buttons), so a correction ("actually I live in Hochfeld") simply runs the search again with the new value.
    - A topic ("Almanca kursu") shows that topic's offers at once; a group, if the person named one, ranks them.
    - Neither a topic nor a group: the six group buttons and "none of these" (then the search uses no group).
    - A new question for offers that names no topic ("any other courses?") drops the topic of an earlier one.
    - A topic with nothing in the district: said so, with the topic's offers in the other district and a coach.

    The reach statistics count a new search (not "more"), the offers shown and a search with nothing in the district;
    after a new search's offers, one "did this help?" (actions/feedback.py).
    """

    def name(self) -> Text:
        return "action_find_offers"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        message = latest(tracker)
        intent = (message.get("intent") or {}).get("name")
        events: List[EventType] = []
        topic, group = tracker.get_slot("topic"), tracker.get_slot("target_group")
        if topic and intent == "ask_offers" and not _names_topic(message):
            topic = None
            events.append(SlotSet("topic", None))
        if not topic and not group:
            dispatcher.utter_message(response="utter_ask_target_group")
            return events
        district = tracker.get_slot("district")
        if not district:
            dispatcher.utter_message(response="utter_ask_district")
            return events
        group = group if group in TARGET_GROUPS else None  # "none of these": search without a group
        language = conversation_language(tracker)
        page_number = int(tracker.get_slot("offer_page") or 0) + 1 if intent == "more_offers" else 0
        other = next(d for d in DISTRICTS if d != district)
        elsewhere: Optional[Page] = None
        try:
            with session_scope() as session:
                page = search(session, group, district, language, page_number, topic=topic)
                if page.total == 0 and topic:
                    elsewhere = search(session, group, other, language, topic=topic)
        except SQLAlchemyError:  # the database is briefly away: tell the user, keep the slots for a retry
            logger.exception("offer search failed")
            dispatcher.utter_message(response="utter_temporarily_unavailable")
            return events
        searched = {"district": district, "topic": topic, "target_group": group}
        dims, topic_code = record.dimensions(tracker), record.topic_code(topic or "")
        new_search = page_number == 0
        if new_search:
            record.count("offer_search", dims, topic=topic_code)
        if page.total == 0:
            if new_search:
                record.count("offer_no_match", dims, topic=topic_code)
            if elsewhere is not None and elsewhere.keys:
                dispatcher.utter_message(response="utter_no_topic_offers_here", other_district=other, **searched)
                for key in elsewhere.keys:
                    dispatcher.utter_message(response="utter_offer", offer_key=key)
                dispatcher.utter_message(response="utter_offers_elsewhere_end")
                record.count("offers_shown", dims, topic=topic_code, n=len(elsewhere.keys))
                if new_search:
                    ask_helpful(dispatcher, tracker)
            elif topic:
                dispatcher.utter_message(response="utter_no_topic_offers", other_district=other, **searched)
            else:
                dispatcher.utter_message(response="utter_no_offers" if group else "utter_no_offers_all", **searched)
            return events + [SlotSet("offer_page", 0)]
        if not page.keys:  # "more" after the last page
            dispatcher.utter_message(response="utter_offers_end")
            return events
        if page_number == 0:
            dispatcher.utter_message(response=_heading(topic, group), **searched)
        for key in page.keys:
            dispatcher.utter_message(response="utter_offer", offer_key=key)
        dispatcher.utter_message(response="utter_offers_more" if page.has_more else "utter_offers_end")
        record.count("offers_shown", dims, topic=topic_code, n=len(page.keys))
        if new_search:
            ask_helpful(dispatcher, tracker)
        return events + [SlotSet("offer_page", page_number)]
