"""Language actions: decide the conversation's language each turn, and switch it on request."""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from afa import LANGUAGES
from afa.i18n import normalise_language
from afa.language import Detection, decide_language
from afa.handover import remember_language
from afa.reach import payloads, record
from actions.common import latest, session_scope, two_requests_slot

logger = logging.getLogger(__name__)
ENTRY_POINT_SLOT = "entry_point"


def deep_link(message: Dict[Text, Any]) -> str | None:
    """The deep-link payload this message started with: Telegram's `/start PAYLOAD` (the front end's metadata), or
    `/start PAYLOAD` typed on another channel (the parse result's `deep_link`, afa.nlu.components.SpecialInputs)."""
    payload = (message.get("metadata") or {}).get("deep_link") or message.get("deep_link")
    return str(payload) if payload else None


def entry_point_slot(tracker: Tracker) -> List[Dict[Text, Any]]:
    """The slot `entry_point`: what the conversation's reach statistics count under (afa.reach), set when a message
    comes through a deep link: an active campaign entry point, else the plain district/language payload."""
    payload = deep_link(latest(tracker))
    link = payloads.parse(payload) if payload else None
    if link is None or not link.payload:
        return []
    try:
        with session_scope() as session:
            value = record.entry_point_for(session, link)
    except SQLAlchemyError:  # the campaign cannot be checked now: counted as the plain payload it names
        logger.warning("could not look up a deep link's entry point")
        value = "_".join(part for part in (link.district, link.language) if part)
    if not value or value == tracker.get_slot(ENTRY_POINT_SLOT):
        return []
    return [SlotSet(ENTRY_POINT_SLOT, value)]


def _requested_language(tracker: Tracker) -> str | None:
    """A language the user chose: the language buttons, "write in Turkish", or a deep link such as `hochfeld_ro`."""
    message = latest(tracker)
    asked = {(message.get("intent") or {}).get("name"), (message.get("second") or {}).get("intent")}
    chosen = "change_language" in asked  # alone, or as one of two requests ("auf Rumänisch bitte, und ...")
    if not chosen and not deep_link(message):
        return None
    for entity in message.get("entities") or []:
        if entity.get("entity") == "language" and entity.get("value") in LANGUAGES:
            return entity["value"]
    return None


def _remember(conversation_id: str, language: str) -> None:
    """Keep the language beside Rasa, for what the Telegram front end says while Rasa is away or out of the loop."""
    try:
        with session_scope() as session:
            remember_language(session, conversation_id, language)
    except SQLAlchemyError:  # the reply matters more than the preference; the next change writes it again
        logger.warning("could not store the conversation language", exc_info=True)


class ActionDetectLanguage(Action):
    """Custom slot mapping run after every user message: fills `language` (and `language_locked`), and, being the
    turn's one call to the action server, also `two_requests` (actions/requests.py) and `entry_point`."""

    def name(self) -> Text:
        return "action_detect_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        return self._language(tracker) + two_requests_slot(tracker) + entry_point_slot(tracker)

    @staticmethod
    def _language(tracker: Tracker) -> List[Dict[Text, Any]]:
        requested = _requested_language(tracker)
        if requested:
            _remember(tracker.sender_id, requested)
            return [SlotSet("language", requested), SlotSet("language_locked", True)]
        message = latest(tracker)
        found = message.get("language") or {}
        detection = Detection(found.get("code"), float(found.get("confidence") or 0.0), int(found.get("words") or 0))
        hint = normalise_language((message.get("metadata") or {}).get("language_code"))
        current = tracker.get_slot("language")
        language = decide_language(detection, current, hint, bool(tracker.get_slot("language_locked")))
        if language == current:
            return []
        _remember(tracker.sender_id, language)
        return [SlotSet("language", language)]


class ActionChangeLanguage(Action):
    """Confirms a language switch in the new language, or asks which language (with buttons)."""

    def name(self) -> Text:
        return "action_change_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        if _requested_language(tracker):
            dispatcher.utter_message(response="utter_language_changed")
        else:
            dispatcher.utter_message(response="utter_ask_language")
        return []
