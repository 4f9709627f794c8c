"""What the bot does when it did not understand: say so honestly, keep the question for staff review."""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from afa import TOPICS
from afa.privacy import pseudonym
from afa.questions import record_unanswered
from afa.reach import record
from afa.responses import EMOJI_ONLY
from afa.settings import get_settings
from afa.text import is_emoji_only
from actions.common import conversation_language, latest, session_scope

logger = logging.getLogger(__name__)


def unanswered_topic(message: dict[str, Any], guess: str | None) -> str:
    """What an unanswered question was about, as a code: the offer topic it names, else the best guess (the FAQ key
    for an FAQ guess), else ""."""
    named = [e.get("value") for e in message.get("entities") or [] if e.get("entity") == "topic"]
    topic = next((t for t in named if t in TOPICS), None)
    if topic:
        return topic
    if guess == "faq":
        selected = ((message.get("response_selector") or {}).get("faq") or {}).get("response") or {}
        return record.topic_code(selected.get("intent_response_key")) or "faq"
    return record.topic_code(guess or "")


def keep_for_review(tracker: Tracker, text: str, language: str, guess: str | None, confidence: float | None) -> None:
    """Store a question the bot did not answer itself for staff review, under the conversation's keyed pseudonym;
    the reach statistics count it as unanswered (its topic code, never its words)."""
    record.count("unanswered", record.dimensions(tracker), topic=unanswered_topic(latest(tracker), guess))
    try:
        with session_scope() as session:
            record_unanswered(
                session, text, language, guess, confidence,
                conversation_key=pseudonym(tracker.sender_id, get_settings()),
            )
    except Exception:  # the user still gets an answer when the database is briefly away
        logger.exception("could not store an unanswered question")


class ActionNotUnderstood(Action):
    """Fallback for out_of_scope, low NLU confidence and languages we do not serve."""

    def name(self) -> Text:
        return "action_not_understood"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        message = latest(tracker)
        text = (message.get("text") or "").strip()
        if not text:
            dispatcher.utter_message(response="utter_empty_message")
            return []
        if is_emoji_only(text):  # a smile or a sticker's emoji: no question to keep for review
            dispatcher.utter_message(response=EMOJI_ONLY)
            return []
        detected = (message.get("language") or {}).get("code")
        unsupported = detected == "other" and (message.get("intent") or {}).get("confidence", 0) >= 1.0
        ranking = message.get("intent_ranking") or []
        # nlu_fallback hides the classifier's real guess: keep the best named intent for the reviewers.
        guess = next((r for r in ranking if r.get("name") not in ("nlu_fallback", None)), message.get("intent") or {})
        language = "other" if unsupported else conversation_language(tracker)
        keep_for_review(tracker, text, language, guess.get("name"), guess.get("confidence"))
        dispatcher.utter_message(response="utter_unsupported_language" if unsupported else "utter_not_understood")
        return []
