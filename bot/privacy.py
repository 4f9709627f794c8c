"""Privacy in Telegram: the notice on first contact, /privacy, /delete with confirmation, redactions, purge."""
from __future__ import annotations

import logging
from typing import Optional

from sqlalchemy import delete, select
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from afa.db import ConsentRecord, Redaction, utcnow
from afa.i18n import gettext
from afa.privacy import erase_conversation, pseudonym, purge
from bot import texts
from bot.state import FrontEnd, front_end

logger = logging.getLogger(__name__)
PRIVACY, DELETE, DELETE_YES, DELETE_NO = "/privacy", "/delete", "/delete_yes", "/delete_no"
PAYLOADS = (PRIVACY, DELETE, DELETE_YES, DELETE_NO)  # handled here, never sent to Rasa
PURGE_EVERY = 24 * 3600.0


def _keyboard(fe: FrontEnd, language: str, *buttons: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(gettext(language, title), callback_data=fe.buttons.encode(payload))] for title, payload in buttons]
    )


def _periods(fe: FrontEnd) -> dict[str, object]:
    return {"days": int(fe.settings.retention_days), "handover_days": int(fe.settings.handover_retention_days)}


async def notice_once(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """On first contact (after the first reply, when the language is known): what is kept, and how to erase it."""
    fe = front_end(context)
    chat_id = update.effective_chat.id
    if chat_id in fe.noticed:
        return
    with fe.session() as session:
        shown = session.get(ConsentRecord, str(chat_id)) is not None
        if not shown:
            session.add(ConsentRecord(conversation_id=str(chat_id)))
    fe.noticed.add(chat_id)
    if shown:
        return
    language = fe.language(update)
    markup = _keyboard(fe, language, (texts.BTN_PRIVACY, PRIVACY), (texts.BTN_DELETE, DELETE))
    await context.bot.send_message(chat_id, gettext(language, texts.PRIVACY_NOTICE, **_periods(fe)), reply_markup=markup)


async def show_privacy(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/privacy: the full privacy text with a button to erase everything."""
    fe = front_end(context)
    language = fe.language(update)
    await context.bot.send_message(
        update.effective_chat.id,
        gettext(language, texts.PRIVACY_TEXT, **_periods(fe)),
        reply_markup=_keyboard(fe, language, (texts.BTN_DELETE, DELETE)),
    )


async def ask_delete(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/delete: confirm first, with buttons."""
    fe = front_end(context)
    language = fe.language(update)
    markup = _keyboard(fe, language, (texts.BTN_DELETE_YES, DELETE_YES), (texts.BTN_DELETE_NO, DELETE_NO))
    await context.bot.send_message(update.effective_chat.id, gettext(language, texts.DELETE_CONFIRM), reply_markup=markup)


async def erase(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Erases everything about this person, then says so in their language (decided before the erasure)."""
    fe = front_end(context)
    chat_id = update.effective_chat.id
    language = fe.language(update)
    with fe.session() as session:
        erased = erase_conversation(session, str(chat_id), fe.settings)
    fe.noticed.discard(chat_id)
    logger.info("conversation %s erased on request: %s", pseudonym(chat_id, fe.settings), erased.counts)
    await context.bot.send_message(chat_id, gettext(language, texts.DELETED))
    await redact(fe, context.bot)


async def on_payload(update: Update, context: ContextTypes.DEFAULT_TYPE, payload: str) -> None:
    """A privacy button."""
    if payload == PRIVACY:
        await show_privacy(update, context)
    elif payload == DELETE:
        await ask_delete(update, context)
    elif payload == DELETE_YES:
        await erase(update, context)
    else:
        await context.bot.send_message(update.effective_chat.id, gettext(front_end(context).language(update), texts.DELETE_KEPT))


async def redact(fe: FrontEnd, bot: Bot) -> None:
    """Cards of erased conversations become a note; copies of the person's messages leave the team group."""
    with fe.session() as session:
        pending = list(session.execute(select(Redaction).order_by(Redaction.id)).scalars())
    note = gettext("de", texts.CARD_DELETED)
    for item in pending:
        try:
            if item.action == "card":
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
