"""Legal and administrative questions (how much Bürgergeld, a residence permit, a childcare place, health
insurance, what the job centre will decide): the bot never answers them itself.

Where the message names a topic with offers (counselling on the recognition of a diploma, say), those offers are
shown, from the offer finder's own search; otherwise the honest "I cannot answer this reliably; the coaches can",
with the coach button, and the question is kept for staff review like any question the bot did not answer. Never an
FAQ answer.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from afa import DISTRICTS, TOPICS
from afa.offers import PAGE_SIZE, search
from actions.common import conversation_language, latest, session_scope
from actions.fallback import keep_for_review

logger = logging.getLogger(__name__)

INTENT = "legal_advice"


def named_topics(message: Dict[Text, Any]) -> List[str]:
    """The topics this message names (not earlier ones: a question on Bürgergeld after a German course search is no
    question about German courses). A legal question asks for no offer, so its own topic comes beside the entities
    ("topic_aside": "Wird mein Diplom anerkannt?" names recognition); a part asking for offers has it as an entity."""
    found = [e.get("value") for e in message.get("entities") or [] if e.get("entity") == "topic"]
    found.append((message.get("topic_aside") or {}).get("value"))
    return [t for t in dict.fromkeys(found) if t in TOPICS]


def offers_for(session: Session, topics: List[str], district: str | None, language: str) -> List[str]:
    """Up to a page of offers of the topics: in the person's district if known, else in both (the finder's ranking)."""
    keys: List[str] = []
    for topic in topics:
        for where in ([district] if district in DISTRICTS else list(DISTRICTS)):
            keys += search(session, None, where, language, topic=topic).keys
    return list(dict.fromkeys(keys))[:PAGE_SIZE]


class ActionLegalAdvice(Action):
    """An offer of the topic asked about, or the honest answer with the coach button (kept for review)."""

    def name(self) -> Text:
        return "action_legal_advice"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        message = latest(tracker)
        language = conversation_language(tracker)
        topics = named_topics(message)
        keys: List[str] = []
        if topics:
            try:
                with session_scope() as session:
                    keys = offers_for(session, topics, tracker.get_slot("district"), language)
            except SQLAlchemyError:  # no offers then: the honest answer still holds
                logger.exception("offer search for a legal question failed")
        if keys:
            dispatcher.utter_message(response="utter_legal_offers")
            for key in keys:
                dispatcher.utter_message(response="utter_offer", offer_key=key)
            dispatcher.utter_message(response="utter_legal_offers_end")
            return []
        text = (message.get("text") or "").strip()
        confidence = (message.get("intent") or {}).get("confidence")
        second = message.get("second") or {}
        if second.get("intent") == INTENT:  # asked beside another request: keep the legal question's own words
            text, confidence = second.get("text") or text, second.get("confidence")
        keep_for_review(tracker, text, language, INTENT, confidence)
        dispatcher.utter_message(response="utter_legal_advice")
        return []
