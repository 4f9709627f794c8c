"""Helpers shared by the actions: database sessions and the conversation's state."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Dict, Iterator, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from sqlalchemy.orm import Session

from afa import DEFAULT_LANGUAGE
from afa.db import shared_engine
from afa.i18n import normalise_language
from afa.settings import get_settings


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session in one transaction, committed on success."""
    with Session(shared_engine(get_settings().database_url), future=True) as session, session.begin():
        yield session


def conversation_language(tracker: Tracker) -> str:
    return normalise_language(tracker.get_slot("language")) or DEFAULT_LANGUAGE


def latest(tracker: Tracker) -> dict[str, Any]:
    return tracker.latest_message or {}


TWO_REQUESTS_SLOT = "two_requests"


def two_requests_slot(tracker: Tracker) -> List[Dict[Text, Any]]:
    """The slot `two_requests`: whether the latest message holds a second request (set only when it changes). Filled
    by the turn's custom slot mapping (`action_detect_language`), so a message costs one call to the action server."""
    second = bool(latest(tracker).get("second"))
    if bool(tracker.get_slot(TWO_REQUESTS_SLOT)) == second:
        return []
    return [SlotSet(TWO_REQUESTS_SLOT, second)]
