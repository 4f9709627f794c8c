"""Conversations started, returning conversations and messages, seen by the Rasa server when it saves a turn.

The tracker store (afa.tracker_store) marks each tracker it hands out with the number of events it held, so that
at the end of the turn `observe_turn` knows the turn's new events without asking the database: every message of
the turn counts, and if the turn holds the first message of a session, that session is a new conversation
(`conversation_started`) or, when the conversation had earlier turns, a returning one (`conversation_returning`).
The in-memory and the SQL store alike; whatever goes wrong here is logged and the turn is saved as usual.
"""
from __future__ import annotations

import logging
from itertools import islice
from typing import Any, Optional

from rasa.shared.core.events import SessionStarted, UserUttered

from afa.reach import record

logger = logging.getLogger(__name__)
MARK = "_afa_reach_seen"  # events the tracker held when it was loaded (or last saved)


def loaded(tracker: Optional[Any]) -> Optional[Any]:
    """Marks a tracker as the store hands it out: what it holds now is not this turn's."""
    if tracker is not None:
        setattr(tracker, MARK, len(tracker.events))
    return tracker


def session_kind(events: Any, start: int) -> Optional[str]:
    """`conversation_started` or `conversation_returning` when the current session's first message is among the
    events from index `start` on; None when the session had a message before (or has none)."""
    total = len(events)
    session_at = -1
    for back, event in enumerate(reversed(events)):
        index = total - 1 - back
        if isinstance(event, SessionStarted):
            session_at = index
            break
        if index < start and isinstance(event, UserUttered):
            return None  # this session's conversation went on before this turn
    if not any(isinstance(e, UserUttered) for e in islice(events, max(session_at, start), total)):
        return None
    earlier = any(isinstance(e, UserUttered) for e in islice(events, 0, max(session_at, 0)))
    return "conversation_returning" if earlier else "conversation_started"


def observe_turn(tracker: Any) -> None:
    """Counts the turn's messages and a session's start; call before the tracker is saved. Never raises."""
    try:
        events = tracker.events
        start = min(getattr(tracker, MARK, 0), len(events))
        setattr(tracker, MARK, len(events))
        messages = sum(1 for e in islice(events, start, len(events)) if isinstance(e, UserUttered))
        if not messages:
            return
        dims = record.dimensions(tracker)
        record.count("message", dims, n=messages)
        kind = session_kind(events, start)
        if kind:
            record.count(kind, dims)
    except Exception:  # noqa: BLE001 - statistics never stop a turn from being saved
        logger.warning("reach statistics: a turn could not be observed", exc_info=True)
