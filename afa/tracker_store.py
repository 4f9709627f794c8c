"""Tracker store for one Rasa process: Rasa's in-memory store, shared by every agent the process creates.

Rasa builds a new agent, and with it a new tracker store, for every model loaded through `PUT /model`
(what `afa train` uses); sharing the store keeps the conversations across such a swap. It is the default for
a single local server. `AFA_TRACKER_STORE=sql` switches to Rasa's SQL tracker store on DATABASE_URL, which
also survives restarts and serves several Rasa servers (with the Redis lock store).
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Text

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain

_CONVERSATIONS: Dict[Text, Text] = {}


class ProcessTrackerStore(InMemoryTrackerStore):
    """InMemoryTrackerStore whose conversations outlive the agent that created it (but not the process)."""

    def __init__(self, domain: Domain, event_broker: Optional[EventBroker] = None, **kwargs: Any) -> None:
        kwargs.pop("host", None)
        super().__init__(domain, event_broker, **kwargs)
        self.store = _CONVERSATIONS
