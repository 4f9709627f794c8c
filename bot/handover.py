"""Live handover in Telegram: the card in the team group, Accept, relay both ways, /end, /say, cancel, reminders.

State lives in the database (`afa.handover`), so a restart of this process loses nothing: every message is
stored first and then delivered in order (`flush`); what could not be delivered is retried by `run_jobs`.
"""
from __future__ import annotations

import asyncio
import json
import inspect
import logging
import re
import time
from datetime import datetime, timedelta
from typing import Any, Callable, Hashable, Optional
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from sqlalchemy.exc import SQLAlchemyError
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, MessageEntity, ReplyParameters, Update, User
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import ContextTypes

from afa.content import render_contacts
from afa.coaching import available, earlier, set_outcome
from afa.db import Coach, Handover, RelayedMessage, Team, as_utc, utcnow
from afa.handover import (
    accept,
    active_of_coach,
    by_group_message,
    by_topic,
    claim_card,
    claim_reminder,
    close,
    coach_of,
    has_messages,
    due_reminders,
    give_back_reminder,
    open_for,
    record,
    release_card,
    team_of_group,
    undelivered,
    with_undelivered,
    without_card,
)
from afa.i18n import day_and_time, gettext, language_name, list_of
from afa.reach import record as reach
from afa.responses import HELPFUL_QUESTION, TARGET_GROUP_LABELS, helpful_buttons
from bot import texts
from bot.privacy import pending_redactions, purge_when_due, redact_one
from bot.replies import MAX_TEXT, split_text
from bot.state import FrontEnd, front_end

logger = logging.getLogger(__name__)
COACH_LANGUAGE = "de"  # cards and notes in the team groups
ACCEPT_DATA = re.compile(r"^acc:(\d{1,12})$")
HISTORY_SHOWN = 3  # earlier handovers listed on a card (all are counted)
KINDS = ("text", "photo", "voice", "sticker", "document", "video", "audio", "animation", "video_note", "location", "contact")
DONE, FAILED, BACKING_OFF = "done", "failed", "backing off"  # an item's outcome in a background pass
CAPTIONED = {"photo", "voice", "document", "video", "audio", "animation"}


def kind_of(message: Message) -> str:
    return next((kind for kind in KINDS if getattr(message, kind, None)), "other")


def _de(message: str, **params: object) -> str:
    return gettext(COACH_LANGUAGE, message, **params)


def _since(handover: Handover) -> str:
    """When the handover was opened, in the team's time zone, as a German reader writes it."""
    local = as_utc(handover.opened_at).astimezone(ZoneInfo(handover.team.timezone or "Europe/Berlin"))
    return format_datetime(local, "short", locale=COACH_LANGUAGE)


def speakers(handover: Handover) -> list[Coach]:
    """The team's coaches who speak the user's language (their `languages`, comma separated codes), in team order;
    a coach marked away (/away) is skipped."""
    return [c for c in available(handover.team.coaches) if handover.language in _codes(c.languages)]


def _codes(languages: str) -> set[str]:
    return {code.strip().lower() for code in re.split(r"[,;\s]+", languages or "") if code.strip()}


def _speakers_line(handover: Handover) -> str:
    """One line of the card: who speaks the user's language, that nobody does, or that nobody recorded it."""
    language = language_name(handover.language, COACH_LANGUAGE)
    found = speakers(handover)
    if found:
        return _de(texts.CARD_SPEAKERS, language=language, names=list_of([c.name for c in found], COACH_LANGUAGE))
    if not any(_codes(c.languages) for c in handover.team.coaches):
        return _de(texts.CARD_LANGUAGES_UNKNOWN, language=language)
    line = _de(texts.CARD_NO_SPEAKER, language=language)
    if handover.language != COACH_LANGUAGE:
        line += "\n" + _de(texts.CARD_NO_SPEAKER_HINT, language=language)
    return line


def history_text(session, handover: Handover) -> str:  # type: ignore[no-untyped-def]
    """The person's earlier handovers still kept (read when the card is drawn, so that the purge and `/delete`
    take them off too): how many, when, which team, how each ended, and the last one's outcome note."""
    found = earlier(session, handover)
    if not found:
        return ""
    statuses = {"closed": texts.STATUS_CLOSED, "cancelled": texts.STATUS_CANCELLED}
    zone = ZoneInfo(handover.team.timezone or "Europe/Berlin")
    lines = [_de(texts.CARD_HISTORY, count=len(found))]
    for item in found[-HISTORY_SHOWN:]:
        opened = format_datetime(as_utc(item.opened_at).astimezone(zone), "short", locale=COACH_LANGUAGE)
        status = _de(statuses.get(item.status, texts.STATUS_OPEN))
        lines.append(_de(texts.CARD_HISTORY_ITEM, id=item.id, date=opened, district=item.team.district.capitalize(),
                         status=status))
    if found[-1].outcome_note:
        lines.append(_de(texts.CARD_HISTORY_NOTE, note=found[-1].outcome_note))
    return "\n".join(lines) + "\n\n"


def card_text(handover: Handover, history: str = "") -> str:
    """The card in German: who, which situation, what they asked so far (original words), the last messages."""
    summary = json.loads(handover.summary or "{}")
    asked = "\n".join(f"• {text}" for text in summary.get("asked", [])) or _de(texts.CARD_NOTHING)
    last = "\n".join(
        ("👤 " if item["who"] == "user" else "🤖 ") + item["text"].replace("\n", " ")[:200] for item in summary.get("last", [])
    ) or _de(texts.CARD_NOTHING)
    group = handover.target_group
    text = _de(
        texts.CARD,
        id=handover.id,
        district=handover.team.district.capitalize(),
        language=language_name(handover.language, COACH_LANGUAGE),
        speakers=_speakers_line(handover),
        group=_de(TARGET_GROUP_LABELS[group]) if group in TARGET_GROUP_LABELS else _de(texts.CARD_UNKNOWN),
        since=_since(handover),
        asked=asked,
        last=last,
    )
    # The title ("Neue Anfrage #N ...") stays the card's first line; the person's history follows it.
    title, _, body = text.partition("\n")
    return split_text(title + "\n" + history + body if history else text, MAX_TEXT - 200)[0]  # room for the status line


def _card_status(handover: Handover, transferred_to: str = "") -> str:
    if transferred_to:
        return "➡️ " + _de(texts.CARD_TRANSFERRED, target=transferred_to)
    if handover.status == "active":
        return "✅ " + _de(texts.CARD_ACCEPTED, name=handover.coach_name)
    if handover.status == "cancelled":
        return "✖️ " + _de(texts.CARD_CANCELLED)
    if handover.status == "closed":
        if handover.outcome_note:
            return "☑️ " + _de(texts.CARD_CLOSED_NOTE, note=handover.outcome_note)
        return "☑️ " + _de(texts.CARD_CLOSED)
    if handover.previous_team_id and handover.transferred_at:
        return "➡️ " + _de(texts.CARD_FROM_TEAM, district=_district_of(handover.previous_team_id, handover))
    return ""


def _district_of(team_id: int, handover: Handover) -> str:
    """A team's district by id, read in the handover's own session (None-safe)."""
    from sqlalchemy.orm import object_session

    session = object_session(handover)
    team = session.get(Team, team_id) if session is not None else None
    return team.district.capitalize() if team is not None else "?"


def _accept_keyboard(handover_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(_de(texts.BTN_ACCEPT), callback_data=f"acc:{handover_id}")]])


def _in_thread(handover: Handover) -> dict[str, object]:
    """Where a message about this handover goes in the group: its forum topic, or as a reply to its card."""
    if handover.topic_id:
        return {"message_thread_id": handover.topic_id}
    if handover.card_message_id:
        return {"reply_parameters": ReplyParameters(handover.card_message_id, allow_sending_without_reply=True)}
    return {}


async def _is_forum(fe: FrontEnd, bot: Bot, chat_id: int) -> bool:
    if chat_id not in fe.forum_groups:
        chat = await bot.get_chat(chat_id)
        fe.forum_groups[chat_id] = bool(chat.is_forum)
    return fe.forum_groups[chat_id]


def relayed_so_far(session, handover: Handover) -> str:  # type: ignore[no-untyped-def]
    """For a handover another team passed on: the messages relayed so far (both ways), for the new team's group.
    Those not delivered yet follow when a coach accepts, like any backlog."""
    if not handover.previous_team_id:
        return ""
    lines = []
    for message in handover.messages:
        if message.delivered_at is None:
            continue
        who = "👤" if message.direction == "user" else "💬 " + (message.sender_name or "")
        body = message.text if message.kind in ("text", "edited") else f"[{message.kind}] {message.text}".strip()
        lines.append(f"{who}: {body}")
    if not lines:
        return ""
    header = _de(texts.HISTORY_SO_FAR, district=_district_of(handover.previous_team_id, handover), id=handover.id)
    return header + "\n" + "\n".join(lines)


async def post_card(fe: FrontEnd, bot: Bot, handover_id: int) -> None:
    """Posts the card (in a new forum topic where the group has topics), once per handover (claimed in the DB)."""
    with fe.session() as session:
        claimed_at = claim_card(session, handover_id, _lease(fe))
        if claimed_at is None:
            return
        handover = session.get(Handover, handover_id)
        if not handover.group_chat_id:
            release_card(session, handover_id, claimed_at)
            return
        group, topic_id, text = handover.group_chat_id, handover.topic_id, card_text(handover, history_text(session, handover))
        if handover.previous_team_id:
            text += "\n\n➡️ " + _de(texts.CARD_FROM_TEAM, district=_district_of(handover.previous_team_id, handover))
        so_far = relayed_so_far(session, handover)
        topic_name = _de(texts.TOPIC_NAME, id=handover.id, language=language_name(handover.language, COACH_LANGUAGE))
    try:
        if topic_id is None and await _is_forum(fe, bot, group):
            topic_id = (await bot.create_forum_topic(group, topic_name)).message_thread_id
            with fe.session() as session:
                session.get(Handover, handover_id).topic_id = topic_id
        card = await bot.send_message(group, text, message_thread_id=topic_id, reply_markup=_accept_keyboard(handover_id))
        where = {"message_thread_id": topic_id} if topic_id else {
            "reply_parameters": ReplyParameters(card.message_id, allow_sending_without_reply=True)}
        for piece in split_text(so_far) if so_far else []:  # passed on by another team: everything so far
            await bot.send_message(group, piece, **where)
    except BaseException as exc:
        with fe.session() as session:  # the next background pass tries again
            release_card(session, handover_id, claimed_at)
        if isinstance(exc, TelegramError) and unreachable(exc):
            await _team_unreachable(fe, bot, handover_id)
        raise
    with fe.session() as session:
        session.get(Handover, handover_id).card_message_id = card.message_id
    logger.info("handover %s: card posted", handover_id)


async def _update_card(fe: FrontEnd, bot: Bot, handover: Handover, status: Optional[str] = None,
                       chat_id: Optional[int] = None, message_id: Optional[int] = None) -> None:
    """The card with its status line (`status`, when given, instead of the handover's own); Accept again while the
    handover waits. `chat_id`/`message_id`: a card in another group (the team that passed it on)."""
    chat_id, message_id = chat_id or handover.group_chat_id, message_id or handover.card_message_id
    if not (chat_id and message_id):
        return
    waiting = status is None and handover.status == "waiting"
    with fe.session() as session:
        handover = session.get(Handover, handover.id) or handover
        status = _card_status(handover) if status is None else status
        text = card_text(handover, history_text(session, handover))
    try:
        await bot.edit_message_text(
            text + ("\n\n" + status if status else ""),
            chat_id=chat_id,
            message_id=message_id,
            reply_markup=_accept_keyboard(handover.id) if waiting else None,
        )
    except BadRequest as exc:  # e.g. the card was deleted in the group: nothing to mark
        logger.info("handover %s: card not updated (%s)", handover.id, exc)


async def _deliver(bot: Bot, handover: Handover, message: RelayedMessage) -> int:
    """Sends one stored message to the other side; returns the id of the (last) copy."""
    reader = COACH_LANGUAGE if message.direction == "user" else handover.language
    text = gettext(reader, texts.EDITED_PREFIX, text=message.text) if message.kind == "edited" else message.text
    if message.direction == "user":
        target, extra = handover.group_chat_id, _in_thread(handover)
        text = _de(texts.RELAY_PREFIX, id=handover.id, text=text)
    else:
        target, extra = int(handover.conversation_id), {}
    if message.kind in ("text", "edited"):
        sent = None
        for piece in split_text(text):
            sent = await bot.send_message(target, piece, **extra)
        return sent.message_id if sent else 0
    caption = text if (message.kind in CAPTIONED and message.direction == "user") else None
    copy = await bot.copy_message(target, message.source_chat_id, message.source_message_id, caption=caption, **extra)
    return copy.message_id


async def flush(fe: FrontEnd, bot: Bot, handover_id: int, header: Optional[str] = None) -> None:
    """Delivers what is stored and not yet delivered, oldest first; stops at the first failure (order matters),
    keeping the rest for the background pass.

    `header` goes to the group first when there is a backlog (what the user wrote while waiting)."""
    failure = await deliver_pending(fe, bot, handover_id, header)
    if failure is not None:
        logger.warning("handover %s: delivery failed (%s); kept for the next try", handover_id, _reason(failure))


async def deliver_pending(fe: FrontEnd, bot: Bot, handover_id: int, header: Optional[str] = None) -> Optional[TelegramError]:
    """`flush` without the log line: the failure that stopped the delivery (the rest is kept), or None.

    A person who blocked the bot gets nothing more: the coaches' messages to them are settled undelivered and the
    group is told once. A team group that removed the bot keeps the person's messages for later, and the person is
    told once, with the team's other contacts."""
    lock = fe.relay_locks.setdefault(handover_id, asyncio.Lock())
    async with lock:
        with fe.session() as session:
            handover = session.get(Handover, handover_id)
            if handover is None or handover.status != "active":
                return None
            pending = undelivered(session, handover_id)
        try:
            if header and any(m.direction == "user" for m in pending):
                await bot.send_message(handover.group_chat_id, header, **_in_thread(handover))
        except TelegramError as exc:
            return await _undeliverable(fe, bot, handover, "user", exc)
        for message in pending:
            try:
                copy_id: Optional[int] = await _deliver(bot, handover, message)
            except TelegramError as exc:
                if await _undeliverable(fe, bot, handover, message.direction, exc) is not None:
                    return exc
                copy_id = None  # settled without a copy: the person cannot receive it
            else:
                fe.told.discard(("unreachable", handover_id) if message.direction == "user" else ("blocked", handover_id))
            with fe.session() as session:
                stored = session.get(RelayedMessage, message.id)
                if stored is not None:
                    stored.delivered_at, stored.copy_message_id = utcnow(), copy_id
    fe.backoff.succeeded(("deliver", handover_id))  # nothing left: a later message is tried at once by the pass too
    return None


def unreachable(exc: TelegramError) -> bool:
    """Telegram will not deliver to this chat until someone there changes it: the person blocked the bot (or
    deleted their account), the group removed it, or the chat is gone."""
    return isinstance(exc, Forbidden) or (isinstance(exc, BadRequest) and "chat not found" in str(exc).lower())


def _reason(exc: BaseException) -> str:
    """What a log line may say about a failure: Telegram's own description; of anything else only its type (a
    database error carries the query's values, message texts and chat ids among them)."""
    return str(exc) if isinstance(exc, TelegramError) else type(exc).__name__


async def _undeliverable(fe: FrontEnd, bot: Bot, handover: Handover, direction: str, exc: TelegramError) -> Optional[TelegramError]:
    """A message that Telegram refused: None when it is to be given up (the person cannot receive it any more),
    else the failure (kept for a later try). The other side is told where it is useful."""
    if not unreachable(exc):
        return exc
    if direction == "coach":
        await _person_blocked(fe, bot, handover)
        return None
    await _team_unreachable(fe, bot, handover.id)
    return exc


async def _person_blocked(fe: FrontEnd, bot: Bot, handover: Handover) -> None:
    """The team group hears, once per handover, that the person cannot be reached on Telegram any more."""
    if ("blocked", handover.id) in fe.told:
        return
    try:
        await bot.send_message(handover.group_chat_id, _de(texts.PERSON_UNREACHABLE, id=handover.id), **_in_thread(handover))
    except TelegramError as exc:
        logger.warning("handover %s: the group not told of the blocked person (%s)", handover.id, _reason(exc))
        return
    fe.told.add(("blocked", handover.id))
    logger.info("handover %s: the person cannot be reached; the group is told", handover.id)


async def _team_unreachable(fe: FrontEnd, bot: Bot, handover_id: int) -> None:
    """The person hears, once per handover and in their language, that the team cannot be reached right now, with
    the team's phone numbers and e-mail addresses from the content."""
    if ("unreachable", handover_id) in fe.told:
        return
    try:
        with fe.session() as session:
            handover = session.get(Handover, handover_id)
            if handover is None:
                return
            language, district = handover.language, handover.team.district
            contacts = render_contacts(session, language, district)
            chat_id = int(handover.conversation_id)
        await bot.send_message(chat_id, gettext(language, texts.TEAM_UNREACHABLE, district=district.capitalize(),
                                                contacts=contacts))
    except (TelegramError, SQLAlchemyError) as exc:
        logger.warning("handover %s: the person not told that the team is unreachable (%s)", handover_id, _reason(exc))
        return
    fe.told.add(("unreachable", handover_id))
    logger.info("handover %s: the team group cannot be reached; the person is told", handover_id)


def _store(session, handover: Handover, direction: str, update: Update, sender_name: str) -> None:  # type: ignore[no-untyped-def]
    """The Telegram message of this update, stored with its handover (edits as their own kind)."""
    message = update.effective_message
    record(
        session, handover, direction, sender_id=update.effective_user.id, sender_name=sender_name,
        kind="edited" if update.edited_message else kind_of(message), text=message.text or message.caption or "",
        source_chat_id=message.chat_id, source_message_id=message.message_id,
    )


async def relay_from_user(update: Update, context: ContextTypes.DEFAULT_TYPE, handover_id: int) -> None:
    """Stores the user's message with the handover; delivers it at once if a coach is there."""
    fe = front_end(context)
    with fe.session() as session:
        handover = session.get(Handover, handover_id)
        first = not has_messages(session, handover_id)
        _store(session, handover, "user", update, update.effective_user.first_name)
        status, language, dims = handover.status, handover.language, reach.handover_dimensions(handover)
    reach.count("message", dims)  # a message of the person, to the coach rather than to Rasa
    if status == "active":
        await flush(fe, context.bot, handover_id)
    elif first:  # once, so the user knows the words are not lost while the team is away
        await context.bot.send_message(update.effective_chat.id, gettext(language, texts.HANDOVER_KEPT))


async def cancel_by_user(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The user withdraws the request (or leaves the coach); the bot answers again."""
    fe = front_end(context)
    chat_id = update.effective_chat.id
    with fe.session() as session:
        handover = open_for(session, str(chat_id))
        if handover is None:
            language = None
        else:
            was_active, language = handover.status == "active", handover.language
            close(session, handover.id, "cancelled")
            session.refresh(handover)
    if language is None:
        language = fe.language(update)
        await context.bot.send_message(chat_id, gettext(language, texts.NOTHING_TO_CANCEL))
        return
    await context.bot.send_message(chat_id, gettext(language, texts.HANDOVER_CANCELLED))
    await _update_card(fe, context.bot, handover)
    if was_active:
        await context.bot.send_message(
            handover.group_chat_id, _de(texts.CANCELLED_IN_GROUP, id=handover.id), **_in_thread(handover)
        )


async def on_accept(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Accept on a card: only a coach of that team, and only the first one, gets the handover."""
    fe = front_end(context)
    query = update.callback_query
    match = ACCEPT_DATA.match(query.data or "")
    with fe.session() as session:
        handover = session.get(Handover, int(match.group(1))) if match else None
        if handover is None or handover.group_chat_id != query.message.chat.id:
            await query.answer(_de(texts.INVALID_BUTTON), show_alert=True)
            return
        coach = coach_of(session, handover.team_id, query.from_user.id)
        if coach is None:
            await query.answer(_de(texts.ACCEPT_NOT_COACH), show_alert=True)
            return
        result = accept(session, handover.id, coach)
    handover = result.handover
    if not result.won:
        if handover.status == "active":
            await query.answer(_de(texts.ACCEPT_TAKEN, name=handover.coach_name), show_alert=True)
        else:
            await query.answer(_de(texts.ACCEPT_GONE), show_alert=True)
        return
    logger.info("handover %s: accepted", handover.id)
    reach.handover_accepted(handover)
    # First, before anything else can run: the backlog under its header (the background job waits for the lock).
    await flush(fe, context.bot, handover.id, header=_de(texts.WAITING_HEADER, id=handover.id))
    await query.answer(_de(texts.ACCEPT_OK, id=handover.id))
    await _update_card(fe, context.bot, handover)
    await context.bot.send_message(
        int(handover.conversation_id),
        gettext(handover.language, texts.HANDOVER_ACCEPTED, name=handover.coach_name, district=handover.team.district.capitalize()),
    )


def _handover_of(session, message: Message, coach_user_id: int) -> tuple[Optional[Handover], bool]:
    """Which handover a coach's message in the group is about: its topic, the message replied to, or their only one.

    Returns (handover, ambiguous)."""
    chat_id = message.chat_id
    if message.is_topic_message and message.message_thread_id:
        found = by_topic(session, chat_id, message.message_thread_id)
        if found is not None:
            return found, False
    if message.reply_to_message is not None:
        found = by_group_message(session, chat_id, message.reply_to_message.message_id)
        if found is not None:
            return found, False
    mine = active_of_coach(session, chat_id, coach_user_id)
    return (mine[0], False) if len(mine) == 1 else (None, len(mine) > 1)


async def _coach_context(update: Update, context: ContextTypes.DEFAULT_TYPE, notify: bool) -> Optional[Handover]:
    """The active handover this coach's message belongs to, or None (with a note to the coach when useful)."""
    fe = front_end(context)
    message = update.effective_message
    with fe.session() as session:
        team = team_of_group(session, message.chat_id)
        if team is None or coach_of(session, team.id, update.effective_user.id) is None:
            return None  # colleagues talking among themselves, or not a team group
        handover, ambiguous = _handover_of(session, message, update.effective_user.id)
    if handover is None or handover.status != "active":
        if ambiguous or notify:
            await message.reply_text(_de(texts.WHICH_HANDOVER))
        return None
    if handover.coach_user_id != update.effective_user.id:
        await message.reply_text(_de(texts.NOT_YOURS, id=handover.id, name=handover.coach_name))
        return None
    return handover


async def on_coach_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A coach writes in the team group: relay it to the user of that handover."""
    handover = await _coach_context(update, context, notify=False)
    if handover is None:
        return
    fe = front_end(context)
    with fe.session() as session:
        _store(session, session.get(Handover, handover.id), "coach", update, handover.coach_name)
    await flush(fe, context.bot, handover.id)


async def on_end(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/end in the group: the coach closes the handover; the user is told and the bot answers again."""
    handover = await _coach_context(update, context, notify=True)
    if handover is None:
        return
    fe = front_end(context)
    await flush(fe, context.bot, handover.id)  # what the coach wrote before /end reaches the user first
    with fe.session() as session:
        if not close(session, handover.id, "closed"):
            return
        set_outcome(session, handover.id, " ".join(context.args or []))
        handover = session.get(Handover, handover.id)
        session.refresh(handover)
    logger.info("handover %s: closed by the coach", handover.id)
    reach.count("handover_ended", reach.handover_dimensions(handover))
    await context.bot.send_message(int(handover.conversation_id), gettext(handover.language, texts.HANDOVER_ENDED))
    await _ask_helpful(fe, context.bot, handover)
    await _update_card(fe, context.bot, handover)
    closed = _de(texts.CLOSED_IN_GROUP, id=handover.id)
    if handover.outcome_note:
        closed += "\n" + _de(texts.CARD_CLOSED_NOTE, note=handover.outcome_note)
    await update.effective_message.reply_text(closed)
    if handover.topic_id:
        try:
            await context.bot.close_forum_topic(handover.group_chat_id, handover.topic_id)
        except BadRequest as exc:
            logger.info("handover %s: topic not closed (%s)", handover.id, exc)


async def _ask_helpful(fe: FrontEnd, bot: Bot, handover: Handover) -> None:
    """The question "did this help?" once the coach has ended it, in the user's language; its buttons go to Rasa
    like any button (intent `feedback`, actions/feedback.py)."""
    language = handover.language
    buttons = [{"title": gettext(language, b.title), "payload": b.payload} for b in helpful_buttons("handover")]
    try:
        await bot.send_message(int(handover.conversation_id), gettext(language, HELPFUL_QUESTION),
                               reply_markup=fe.buttons.keyboard(buttons))
    except TelegramError as exc:  # a question only: the handover has ended all the same
        logger.info("handover %s: feedback question not sent (%s)", handover.id, type(exc).__name__)


def canned_text(name: str, args: list[str], language: str, handover: Handover, session) -> Optional[str]:
    """A ready-made reply in the user's language; None when the arguments do not fit."""
    params: dict[str, object] = {}
    if name == "appointment":
        try:
            moment = datetime.strptime(" ".join(args[:2]), "%Y-%m-%d %H:%M")
        except ValueError:
            return None
        params = day_and_time(moment, language)
    elif name == "confirmed":
        try:
            moment = datetime.strptime(" ".join(args[:2]), "%Y-%m-%d %H:%M")
        except ValueError:
            return None
        params = day_and_time(moment, language)
    elif name == "address":
        params = {"district": handover.team.district.capitalize(), "contacts": render_contacts(session, language, handover.team.district)}
    elif args:
        return None
    return gettext(language, texts.CANNED[name], **params)


async def on_say(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/say NAME [args]: a ready-made reply, sent to the user in their language."""
    handover = await _coach_context(update, context, notify=True)
    if handover is None:
        return
    fe = front_end(context)
    message = update.effective_message
    name, args = (context.args[0].lower(), context.args[1:]) if context.args else ("", [])
    if name not in texts.CANNED:
        await message.reply_text(_de(texts.SAY_USAGE, names=", ".join(sorted(texts.CANNED))))
        return
    with fe.session() as session:
        stored = session.get(Handover, handover.id)
        text = canned_text(name, args, handover.language, stored, session)
        german = canned_text(name, args, COACH_LANGUAGE, stored, session)
        if text is not None:
            record(
                session, stored, "coach", sender_id=update.effective_user.id, sender_name=handover.coach_name, kind="text",
                text=text, source_chat_id=message.chat_id, source_message_id=message.message_id,
            )
    if text is None:
        await message.reply_text(_de(texts.SAY_BAD_ARGS, usage=texts.CANNED_USAGE[name]))
        return
    await flush(fe, context.bot, handover.id)
    await message.reply_text(_de(texts.SAY_SENT, text=german))


def reminder(handover: Handover) -> tuple[str, list[MessageEntity]]:
    """The reminder in German; the coaches who speak the user's language come first, mentioned (Telegram notifies
    them) where their account is linked."""
    params = {"id": handover.id, "language": language_name(handover.language, COACH_LANGUAGE), "since": _since(handover)}
    found = speakers(handover)
    if not found:
        return _de(texts.REMINDER, **params), []
    text = _de(texts.REMINDER_SPEAKERS, names=list_of([c.name for c in found], COACH_LANGUAGE), **params)
    entities, start = [], 0
    for coach in found:
        at = text.find(coach.name, start)
        if at < 0:
            continue
        start = at + len(coach.name)
        if coach.telegram_user_id:
            user = User(coach.telegram_user_id, coach.telegram_name or coach.name, is_bot=False)
            entities.append(MessageEntity(MessageEntity.TEXT_MENTION, _utf16(text[:at]), _utf16(coach.name), user=user))
    return text, entities


def _utf16(text: str) -> int:
    """Telegram counts entity offsets and lengths in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _reminders_due(fe: FrontEnd, now: datetime) -> list[tuple[int, Optional[datetime], int, dict[str, object], str, list[MessageEntity]]]:
    """Each due reminder with the `reminded_at` seen now, which its claim is guarded by."""
    with fe.session() as session:
        due = due_reminders(session, now, timedelta(minutes=fe.settings.handover_remind_minutes))
        return [(h.id, h.reminded_at, h.group_chat_id, _in_thread(h), *reminder(h)) for h in due]


async def _remind(fe: FrontEnd, bot: Bot, handover_id: int, seen: Optional[datetime], group: int, where: dict[str, object],
                  text: str, entities: list[MessageEntity], now: datetime) -> None:
    """Claimed in the database before it is sent (another front end may send it instead); given back if it fails."""
    with fe.session() as session:
        if not claim_reminder(session, handover_id, seen, now):
            return
    try:
        await bot.send_message(group, text, entities=entities or None, **where)
    except BaseException:
        with fe.session() as session:
            give_back_reminder(session, handover_id, seen, now)
        raise


async def _retry_delivery(fe: FrontEnd, bot: Bot, handover_id: int) -> None:
    failure = await deliver_pending(fe, bot, handover_id)
    if failure is not None:
        raise failure


async def _isolated(fe: FrontEnd, key: Hashable, work: Callable[..., Any], *args: Any) -> tuple[str, Any]:
    """One item of the background pass (`work` a function or a coroutine function): (DONE, its result), (FAILED,
    None), or (BACKING_OFF, None) when it failed lately and its time has not come. A failure is logged once (the first in a row, and again when it works),
    backed off and never raised, so the pass goes on."""
    if not fe.backoff.due(key):
        return BACKING_OFF, None
    try:
        result = work(*args)
        if inspect.isawaitable(result):
            result = await result
    except Exception as exc:  # noqa: BLE001 - any fault of one item (Telegram, the database, a bug) stays that item's
        if fe.backoff.failed(key) == 1:
            logger.warning("background item %s failed (%s); trying again later, with back-off", key, _reason(exc))
        return FAILED, None
    if fe.backoff.succeeded(key):
        logger.info("background item %s works again", key)
    return DONE, result


def _listed(fe: FrontEnd) -> tuple[list[int], list[int]]:
    with fe.session() as session:
        return [h.id for h in without_card(session, _lease(fe))], [h.id for h in with_undelivered(session)]


def _lease(fe: FrontEnd) -> timedelta:
    """How long a front end's claim on posting a card holds (AFA_CLAIM_LEASE_SECONDS)."""
    return timedelta(seconds=fe.settings.claim_lease_seconds)


async def run_jobs(fe: FrontEnd, bot: Bot) -> int:
    """One pass of the background work: missing cards, undelivered messages, reminders, redactions, the retention
    purge. Each item on its own: one that fails (a group that removed the bot, a deleted topic, a database error)
    backs off while the others go on. Returns how many items failed in this pass."""
    listing = await _isolated(fe, ("list",), _listed, fe)
    outcomes = [listing]
    cards, pending = listing[1] or ([], [])
    for handover_id in cards:
        outcomes.append(await _isolated(fe, ("card", handover_id), post_card, fe, bot, handover_id))
    for handover_id in pending:
        outcomes.append(await _isolated(fe, ("deliver", handover_id), _retry_delivery, fe, bot, handover_id))
    now = utcnow()
    reminders = await _isolated(fe, ("reminders",), _reminders_due, fe, now)
    outcomes.append(reminders)
    for note in reminders[1] or []:
        outcomes.append(await _isolated(fe, ("remind", note[0]), _remind, fe, bot, *note, now))
    redactions = await _isolated(fe, ("redactions",), pending_redactions, fe)
    outcomes.append(redactions)
    for item in redactions[1] or []:
        outcomes.append(await _isolated(fe, ("redact", item.id), redact_one, fe, bot, item))
    outcomes.append(await _isolated(fe, ("purge",), purge_when_due, fe, time.monotonic()))
    return sum(1 for outcome, _ in outcomes if outcome == FAILED)


async def jobs_forever(fe: FrontEnd, bot: Bot) -> None:
    """Runs `run_jobs` every `AFA_JOBS_INTERVAL_SECONDS` until cancelled; nothing that fails in a pass is fatal."""
    while True:
        try:
            await run_jobs(fe, bot)
        except Exception:  # noqa: BLE001 - run_jobs isolates its items; this guards the loop itself
            logger.warning("background pass failed; trying again in %.0f s", fe.settings.jobs_interval_seconds, exc_info=True)
        await asyncio.sleep(fe.settings.jobs_interval_seconds)
