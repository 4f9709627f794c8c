"""Privacy in Telegram: only what is Telegram's own.

The notice on first contact, `/privacy`, `/delete` with its confirmation and `/mydata` are the conversation
core's, the same on every channel (Rasa: actions/privacy.py, afa/policies.py). Here: those commands and buttons
reach Rasa even while a coach has the conversation; a copy of one's data also comes as a document; after an
erasure the handover cards in the team groups become a note and the copies of the person's messages there are
removed (the `redactions` the erasure left); and the daily retention purge.
"""
from __future__ import annotations

import logging
from typing import Optional

from sqlalchemy import delete, select
from telegram import Bot, InputFile
from telegram.error import BadRequest, TelegramError

from afa.db import Redaction, utcnow
from afa.i18n import gettext
from afa.privacy import purge
from afa.responses import BTN_DATA_COPY, BTN_DELETE, BTN_DELETE_NO, BTN_DELETE_YES, BTN_PRIVACY
from bot import texts
from bot.state import FrontEnd

logger = logging.getLogger(__name__)
COMMANDS = ("privacy", "delete", "mydata")  # Telegram's menu; Rasa understands them typed on any channel
# Commands and buttons of the privacy dialogue: to Rasa even during a handover (the rest goes to the coach then).
PAYLOADS = frozenset({f"/{name}" for name in COMMANDS} | {b.payload for b in (BTN_PRIVACY, BTN_DELETE, BTN_DATA_COPY,
                                                                                BTN_DELETE_YES, BTN_DELETE_NO)})
DOCUMENT = "afa_document"  # a custom message after a data copy: send that text as a file too
ERASED = "afa_erased"  # a custom message after an erasure: redact the team groups now
PURGE_EVERY = 24 * 3600.0


async def send_document(bot: Bot, chat_id: int, filename: str, text: str) -> None:
    """A text the person may want to keep (their data copy), as a UTF-8 file."""
    await bot.send_document(chat_id, InputFile(text.encode("utf-8"), filename=filename))


async def redact(fe: FrontEnd, bot: Bot) -> None:
    """Cards of erased conversations become a note; copies of the person's messages leave the team group.
    One that fails for another reason than being gone already (the bot removed from the group) stays for the
    background pass, and the others go on."""
    for item in pending_redactions(fe):
        try:
            await redact_one(fe, bot, item)
        except TelegramError as exc:
            logger.info("redaction %s kept for later (%s)", item.id, type(exc).__name__)


def pending_redactions(fe: FrontEnd) -> list[Redaction]:
    with fe.session() as session:
        return list(session.execute(select(Redaction).order_by(Redaction.id)).scalars())


async def redact_one(fe: FrontEnd, bot: Bot, item: Redaction) -> None:
    """One redaction, then its row is gone; Telegram errors other than "already gone" propagate (row kept)."""
    try:
        if item.action == "card":
            note = gettext("de", texts.CARD_DELETED)
            await bot.edit_message_text(note, chat_id=item.chat_id, message_id=item.message_id, reply_markup=None)
        else:
            await bot.delete_message(item.chat_id, item.message_id)
    except BadRequest as exc:  # already gone, or too old for Telegram to delete: nothing more to do
        logger.info("redaction %s skipped (%s)", item.id, exc)
    with fe.session() as session:
        session.execute(delete(Redaction).where(Redaction.id == item.id))


def purge_when_due(fe: FrontEnd, now: float) -> Optional[dict[str, int]]:
    """The daily retention purge inside the running bot (at start-up, then every 24 hours)."""
    if fe.last_purge is not None and now - fe.last_purge < PURGE_EVERY:
        return None
    with fe.session() as session:
        counts = purge(session, utcnow(), fe.settings)
    fe.last_purge = now
    logger.info("retention purge: %s", counts)
    return counts
