"""Rasa's tracker stores, plus the one thing Rasa cannot do itself: erase a conversation when the person asks.

A confirmed deletion (`action_erase_conversation`) only sets the slot `erasure_requested`. Rasa writes the
turn's events when the turn ends, so an erasure from inside an action would be written back; these stores erase
right after that write, while the Rasa server still holds the conversation's lock (Rasa's lock store: in memory,
or Redis when several Rasa servers share the conversations). `afa.privacy.erase_conversation` removes everything
held about the person in one transaction; the reply that says so reaches them only after it, as the REST
channel answers once the turn is saved.

- `ErasingSQLTrackerStore` (AFA_TRACKER_STORE=sql, the default): Rasa's SQL tracker store on DATABASE_URL
  (SQLite or PostgreSQL), which survives restarts and serves several Rasa servers. Should the erasure fail
  (the database briefly away), the saved slot stays behind: the next save of that conversation, or the daily
  purge (`afa.privacy.purge`), carries it out.
- `ProcessTrackerStore` (AFA_TRACKER_STORE=memory): Rasa's in-memory store, shared by every agent the process
  creates (Rasa builds a new agent, and with it a new tracker store, for every model loaded through `PUT /model`,
  which `afa train` uses); an erasure also drops the conversation from memory.

Both also count the anonymous reach statistics of each turn (messages, conversations started and returning) as
they save it (afa.reach.conversations): they know which events are the turn's, and they see every channel.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, Optional, Text

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import InMemoryTrackerStore, SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from afa.db import shared_engine
from afa.privacy import ERASURE_SLOT, erase_conversation, pseudonym
from afa.reach.conversations import loaded, observe_turn
from afa.settings import get_settings

logger = logging.getLogger(__name__)
_CONVERSATIONS: Dict[Text, Text] = {}


def erase_if_requested(tracker: DialogueStateTracker) -> bool:
    """Erases the conversation when its deletion was confirmed; True when it is gone."""
    if not tracker.get_slot(ERASURE_SLOT):
        return False
    settings = get_settings()
    who = pseudonym(tracker.sender_id, settings)
    try:
        with Session(shared_engine(settings.database_url), future=True) as session, session.begin():
            erased = erase_conversation(session, tracker.sender_id, settings)
    except SQLAlchemyError:
        # Not raised: Rasa would keep a copy in a fallback store. The slot is saved, so this is tried again.
        logger.exception("conversation %s: erasure failed, it is retried with the next save or the purge", who)
        return False
    logger.info("conversation %s erased on request: %s", who, erased.counts)
    return True


class ErasingSQLTrackerStore(SQLTrackerStore):
    """Rasa's SQLTrackerStore (configured exactly like it) that erases a conversation after saving its last turn."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Rasa makes its own engine: a logged SQL error must not carry the events' texts either (afa.db.make_engine).
        self.engine.hide_parameters = True

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        return loaded(await super().retrieve(sender_id))

    async def retrieve_full_tracker(self, conversation_id: Text) -> Optional[DialogueStateTracker]:
        return loaded(await super().retrieve_full_tracker(conversation_id))

    async def save(self, tracker: DialogueStateTracker) -> None:
        observe_turn(tracker)  # first: counted even when the database is away and Rasa saves elsewhere
        await super().save(tracker)
        erase_if_requested(tracker)


class ProcessTrackerStore(InMemoryTrackerStore):
    """InMemoryTrackerStore whose conversations outlive the agent that created it (but not the process)."""

    def __init__(self, domain: Domain, event_broker: Optional[EventBroker] = None, **kwargs: Any) -> None:
        kwargs.pop("host", None)
        super().__init__(domain, event_broker, **kwargs)
        self.store = _CONVERSATIONS

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        return loaded(await super().retrieve(sender_id))

    async def retrieve_full_tracker(self, conversation_id: Text) -> Optional[DialogueStateTracker]:
        return loaded(await super().retrieve_full_tracker(conversation_id))

    async def save(self, tracker: DialogueStateTracker) -> None:
        observe_turn(tracker)
        await super().save(tracker)
        if erase_if_requested(tracker):
            self.store.pop(tracker.sender_id, None)  # nothing left in Rasa either
