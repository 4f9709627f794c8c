"""Private chats: every update goes to Rasa with metadata, unless a handover has the conversation."""
from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any, Optional

from sqlalchemy.exc import SQLAlchemyError
from telegram import Update
from telegram.ext import ContextTypes

from afa.content import render_contacts
from afa.db import Handover
from afa.geo import district_at
from afa.handover import open_for
from afa.i18n import gettext
from afa.privacy import pseudonym
from afa.reach.payloads import parse
from afa.responses import BTN_COACH, EMOJI_ONLY, RESPONSES, Button
from bot import privacy, texts
from bot.handover import cancel_by_user, on_accept, post_card, relay_from_user
from bot.rasa import RasaUnavailable
from bot.ratelimit import until_delivered
from bot.replies import MAX_TEXT, button_title, split_text
from bot.state import FrontEnd, front_end

logger = logging.getLogger(__name__)
CANCEL_PAYLOAD = "/cancel_handover"


def parse_deep_link(payload: str) -> dict[str, str]:
    """`hochfeld_ro` → {"district": "hochfeld", "language": "ro"} (also `marxloh_tr_c12`, whose campaign entry point
    the conversation core looks up from the payload itself); anything else → {} (a plain /start)."""
    link = parse(payload)
    if link is None:
        return {}
    return {k: v for k, v in (("district", link.district), ("language", link.language)) if v}


def metadata(update: Update, **extra: Any) -> dict[str, Any]:
    user = update.effective_user
    return {
        "channel": "telegram",
        "language_code": user.language_code if user else None,
        "chat_type": update.effective_chat.type,
        **extra,
    }


def _lookup(fe: FrontEnd, chat_id: int) -> Optional[Handover]:
    with fe.session() as session:
        return open_for(session, str(chat_id))


async def _open_handover(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Optional[Handover]:
    """The chat's open handover, if any. While the database is away nobody can tell where a message belongs
    (coach or bot): the user hears "one moment" once and the message waits, in order, until it is back."""
    fe = front_end(context)
    chat_id = update.effective_chat.id
    try:
        return _lookup(fe, chat_id)
    except SQLAlchemyError:
        logger.warning("database unavailable: holding the message")
    await _tell(update, context, texts.ONE_MOMENT)
    deadline, delay = time.monotonic() + fe.settings.patience_seconds, 1.0
    while True:
        await asyncio.sleep(delay)
        delay = min(delay * 2, 30.0)
        try:
            return _lookup(fe, chat_id)
        except SQLAlchemyError:
            if time.monotonic() > deadline:
                raise


async def _tell(update: Update, context: ContextTypes.DEFAULT_TYPE, message: str, **params: object) -> None:
    """A text of the front end's own, in the conversation's language."""
    fe = front_end(context)
    chat_id = update.effective_chat.id
    text = gettext(fe.language(update), message, **params)
    await until_delivered(lambda: context.bot.send_message(chat_id, text), fe.settings.patience_seconds)


async def _patiently(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str, meta: dict[str, Any]) -> Optional[list]:
    """Rasa is away: say "one moment" once, then retry with back-off; this chat's later updates wait behind."""
    fe = front_end(context)
    await _tell(update, context, texts.ONE_MOMENT)
    deadline, delay = time.monotonic() + fe.settings.patience_seconds, 1.0
    while time.monotonic() < deadline:
        await asyncio.sleep(delay)
        delay = min(delay * 2, 30.0)
        try:
            return await fe.rasa.send(str(update.effective_chat.id), text, meta)
        except RasaUnavailable:
            continue
    return None


async def ask_rasa(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str, **extra: Any) -> None:
    """Sends the text (or a button payload) to Rasa and delivers its replies (the privacy notice among them)."""
    fe = front_end(context)
    chat_id = update.effective_chat.id
    meta = metadata(update, **extra)
    try:
        messages = await fe.rasa.send(str(chat_id), text, meta)
    except RasaUnavailable as exc:
        logger.warning("Rasa unavailable (%s): holding a message of %s", exc, pseudonym(chat_id, fe.settings))
        messages = await _patiently(update, context, text, meta)
        if messages is None:
            await _tell(update, context, texts.GAVE_UP)
            return
    last_text = ""
    for message in messages:
        custom = message.get("custom") or {}
        if "afa_handover" in custom:  # the action server opened a handover: the team group gets its card
            context.application.create_task(post_card(fe, context.bot, int(custom["afa_handover"])))
        if privacy.DOCUMENT in custom and last_text:  # a copy of one's data: also as a file to keep
            filename = str(custom[privacy.DOCUMENT])
            await until_delivered(lambda: privacy.send_document(context.bot, chat_id, filename, last_text),
                                  fe.settings.patience_seconds)
        if privacy.ERASED in custom:  # erased (the reply comes after the erasure): the team groups now
            context.application.create_task(privacy.redact(fe, context.bot))
        if not message.get("text"):
            continue
        last_text = message["text"]
        pieces = split_text(message["text"])
        markup = fe.buttons.keyboard(message.get("buttons") or [])
        for index, piece in enumerate(pieces):
            keyboard = markup if index == len(pieces) - 1 else None
            await until_delivered(
                lambda: context.bot.send_message(chat_id, piece, reply_markup=keyboard), fe.settings.patience_seconds
            )


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start, with a deep-link payload naming district and/or language (posters, QR codes)."""
    payload = context.args[0] if context.args else ""
    link = parse(payload)
    handover = await _open_handover(update, context)
    if handover is not None:  # the coach reads it like any other message
        await relay_from_user(update, context, handover.id)
    elif link is not None and link.payload:  # ours: the core sets district, language and the campaign entry point
        named = parse_deep_link(payload)
        await ask_rasa(update, context, "/greet" + (json.dumps(named) if named else ""), deep_link=link.payload)
    else:
        await ask_rasa(update, context, "/greet")


def command_to_rasa(payload: str):  # type: ignore[no-untyped-def]
    """A command that means the same as a button: /help, /language, /coach."""

    async def handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        handover = await _open_handover(update, context)
        if handover is not None:
            await relay_from_user(update, context, handover.id)
        else:
            await ask_rasa(update, context, payload)

    handler.__doc__ = f"Sends {payload} to Rasa (relayed like text during a handover)."
    return handler


async def privacy_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/privacy, /delete, /mydata: to Rasa, which answers them on every channel; also while a coach has the chat."""
    command = (update.effective_message.text or "").split()[0].split("@")[0].lower()
    await ask_rasa(update, context, command)


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A text message: to the coach during a handover, otherwise to Rasa."""
    message = update.effective_message
    handover = await _open_handover(update, context)
    if handover is not None:
        await relay_from_user(update, context, handover.id)
    elif len(message.text or "") > MAX_TEXT:
        await _tell(update, context, texts.TOO_LONG)
    else:
        await ask_rasa(update, context, message.text or "")


async def on_media(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, photos, voice notes, documents, locations: to the coach during a handover; otherwise a location
    sets the district, a voice note is offered a coach, a sticker gets a friendly word, anything else a note."""
    handover = await _open_handover(update, context)
    message = update.effective_message
    if handover is not None:
        await relay_from_user(update, context, handover.id)
    elif message.location is not None:
        await _on_location(update, context, message.location.latitude, message.location.longitude)
    elif message.voice or message.video_note or message.audio:
        await _send(update, context, texts.VOICE, [BTN_COACH])
    elif message.sticker:  # like an emoji-only text, which the conversation core answers the same way
        await _send(update, context, RESPONSES[EMOJI_ONLY].text, list(RESPONSES[EMOJI_ONLY].buttons))
    else:
        await _tell(update, context, texts.MEDIA)


async def _send(update: Update, context: ContextTypes.DEFAULT_TYPE, message: str, buttons: list[Button]) -> None:
    """A text of the front end's own with buttons (Rasa payloads), in the conversation's language."""
    fe = front_end(context)
    language = fe.language(update)
    markup = fe.buttons.keyboard([{"title": gettext(language, b.title), "payload": b.payload} for b in buttons])
    text = gettext(language, message)
    chat_id = update.effective_chat.id
    await until_delivered(lambda: context.bot.send_message(chat_id, text, reply_markup=markup), fe.settings.patience_seconds)


async def _on_location(update: Update, context: ContextTypes.DEFAULT_TYPE, latitude: float, longitude: float) -> None:
    """A shared location inside a team's area sets the conversation's district, as if the user had chosen it.

    Only the district goes on (to Rasa, whose tracker keeps the payload): the coordinates are neither sent nor
    stored nor logged. Outside every area the user is told so, with both teams' contacts."""
    fe = front_end(context)
    language = fe.language(update)
    with fe.session() as session:
        district = district_at(session, latitude, longitude)
        contacts = render_contacts(session, language) if district is None else ""
    if district is None:
        await _tell(update, context, texts.LOCATION_OUTSIDE, contacts=contacts)
        return
    await _tell(update, context, texts.LOCATION_DISTRICT, district=district.capitalize())
    await ask_rasa(update, context, "/inform" + json.dumps({"district": district}), district_from="location")


async def on_edited(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An edited message: the coach sees the new wording; the bot asks for a new message."""
    if update.edited_message.location is not None:
        return  # a live location moving on: its first message counted, its updates are nobody's business
    handover = await _open_handover(update, context)
    if handover is not None and update.edited_message.text:
        await relay_from_user(update, context, handover.id)
    elif handover is None:
        await _tell(update, context, texts.EDITED)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A pressed button in a private chat: the keyboard is replaced by the choice, the payload goes to Rasa."""
    if update.effective_chat is None or update.effective_chat.type != update.effective_chat.PRIVATE:
        await on_accept(update, context)  # in a group only Accept is a button of ours: it refuses anything else
        return
    fe = front_end(context)
    query = update.callback_query
    payload = fe.buttons.decode(query.data)
    await query.answer()
    title = button_title(query.message.reply_markup if query.message else None, query.data or "")
    if query.message is not None and title and query.message.text:
        await query.edit_message_text(f"{query.message.text}\n\n» {title}", reply_markup=None)
    if payload in privacy.PAYLOADS:  # the privacy dialogue is Rasa's, also while a coach has the conversation
        await ask_rasa(update, context, payload)
    elif payload == CANCEL_PAYLOAD:
        await cancel_by_user(update, context)
    elif payload is None:
        await _tell(update, context, texts.BUTTON_EXPIRED)
    elif await _open_handover(update, context) is not None:
        await _tell(update, context, texts.MENU_PAUSED)
    else:
        await ask_rasa(update, context, payload)


async def in_other_group(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A group that is no team group: the bot talks with people privately only."""
    username = front_end(context).username
    await _tell(update, context, texts.GROUP_ONLY_PRIVATE, link=f"https://t.me/{username}")
