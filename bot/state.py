"""What the handlers share: settings, the database, the Rasa client, the button codec (in `bot_data`)."""
from __future__ import annotations

import asyncio
import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Hashable, Iterator, Optional

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from telegram import Update
from telegram.ext import ContextTypes

from afa import DEFAULT_LANGUAGE
from afa.handover import remembered_language
from afa.i18n import normalise_language
from afa.settings import Settings
from bot.rasa import RasaClient
from bot.replies import ButtonCodec

logger = logging.getLogger(__name__)
KEY = "afa"
BACKOFF_FIRST, BACKOFF_CAP = 30.0, 3600.0  # seconds: a failing background item is tried again after 30 s, 1 min, … 1 h


@dataclass
class Backoff:
    """When each failing item of the background pass may be tried again (exponential, capped), in this process's
    memory: a restart tries everything once more, which is what a restart is for."""

    first: float = BACKOFF_FIRST
    cap: float = BACKOFF_CAP
    clock: Callable[[], float] = time.monotonic
    failures: dict[Hashable, tuple[int, float]] = field(default_factory=dict)  # key → (failures in a row, retry at)

    def due(self, key: Hashable) -> bool:
        """Whether the item may be tried in this pass."""
        found = self.failures.get(key)
        return found is None or self.clock() >= found[1]

    def failed(self, key: Hashable) -> int:
        """Records a failure; returns how many in a row (1: the first, the one to log)."""
        count = self.failures.get(key, (0, 0.0))[0] + 1
        self.failures[key] = (count, self.clock() + min(self.cap, self.first * 2 ** (count - 1)))
        return count

    def succeeded(self, key: Hashable) -> bool:
        """Forgets the item's failures; True when it had failed before (worth a log line)."""
        return self.failures.pop(key, None) is not None


@dataclass
class FrontEnd:
    settings: Settings
    engine: Engine
    rasa: RasaClient
    buttons: ButtonCodec = field(default_factory=ButtonCodec)
    relay_locks: dict[int, asyncio.Lock] = field(default_factory=dict)  # one delivery at a time per handover
    forum_groups: dict[int, bool] = field(default_factory=dict)
    username: str = ""
    noticed: set[int] = field(default_factory=set)  # chats that have seen the privacy notice (cache of the DB)
    last_purge: Optional[float] = None  # time.monotonic() of the last retention purge
    backoff: Backoff = field(default_factory=Backoff)  # the background pass's failing items
    told: set[tuple[str, int]] = field(default_factory=set)  # (notice, handover id): told once per handover

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction, committed on success (the caller owns it, as in SQLAlchemy's docs).

        Objects keep their loaded state after the commit: handlers read them while awaiting Telegram.
        """
        with Session(self.engine, future=True, expire_on_commit=False) as session, session.begin():
            yield session

    def language(self, update: Update) -> str:
        """The conversation's language: as Rasa last decided it, else Telegram's hint, else German."""
        user = update.effective_user
        try:
            with self.session() as session:
                remembered = remembered_language(session, str(update.effective_chat.id))
        except SQLAlchemyError:
            logger.warning("database unavailable: language from Telegram's hint")
            remembered = None
        return remembered or normalise_language(user.language_code if user else None) or DEFAULT_LANGUAGE


def front_end(context: ContextTypes.DEFAULT_TYPE) -> FrontEnd:
    return context.application.bot_data[KEY]
