"""Helpers shared by the actions: database sessions and the conversation's state."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

from rasa_sdk import Tracker
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
