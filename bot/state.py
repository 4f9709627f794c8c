"""What the handlers share: settings, the database, the Rasa client, the button codec (in `bot_data`)."""
from __future__ import annotations

import asyncio
import logging
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator, Optional

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
