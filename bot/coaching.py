"""The coaches' side in the team groups: /open (what is waiting and who holds what), /transfer, /away and /back.

All in German, like the cards. Data functions live in `afa.coaching`; the card, relay and Accept in
`bot.handover`, which these handlers reuse.
"""
from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Optional

from babel.dates import format_datetime
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from afa.coaching import (
    UNTIL_BACK, AwayError, age_parts, Transfer, is_available, may_transfer, open_of_team, other_teams, parse_away, set_away,
    transfer,
)
from afa.db import Coach, Handover, Team, as_utc, utcnow
from afa.handover import coach_of, office_hours, team_of_group
from afa.i18n import gettext, language_name
from afa.reach import record as reach
from afa.responses import TARGET_GROUP_LABELS
from bot import texts
from bot.handover import COACH_LANGUAGE, _de, _handover_of, _in_thread, _update_card, flush, post_card
from bot.replies import MAX_TEXT
from bot.state import front_end

logger = logging.getLogger(__name__)
PAGE_SIZE = 15  # handovers per /open message: well under Telegram's 4,096 characters and its keyboard limits
OPEN_DATA = re.compile(r"^open:(\d{1,6})$")
TRANSFER_DATA = re.compile(r"^trf:(\d{1,12}):(q|c\d{1,12}|t\d{1,12})$")


def age(seconds: float) -> str:
    """A waiting time as a coach reads it: 7 min, 2 h 5 min, 3 d 4 h."""
    days, hours, minutes = age_parts(seconds)
    if days:
        return _de(texts.AGE_DAYS, days=days, hours=hours)
    if hours:
        return _de(texts.AGE_HOURS, hours=hours, minutes=minutes)
    return _de(texts.AGE_MINUTES, minutes=minutes)


def open_line(handover: Handover, now: datetime) -> str:
    group = handover.target_group
    params = {
        "id": handover.id,
        "language": language_name(handover.language, COACH_LANGUAGE),
        "district": handover.team.district.capitalize(),
        "group": _de(TARGET_GROUP_LABELS[group]) if group in TARGET_GROUP_LABELS else _de(texts.CARD_UNKNOWN),
    }
    waited = (now - as_utc(handover.opened_at)).total_seconds()
    if handover.status == "waiting":
        return _de(texts.OPEN_WAITING, age=age(waited), **params)
    held = (now - as_utc(handover.accepted_at or handover.opened_at)).total_seconds()
    return _de(texts.OPEN_ACTIVE, name=handover.coach_name or "?", age=age(held), total=age(waited), **params)


def open_page(team: Team, handovers: list[Handover], page: int, now: datetime) -> tuple[str, Optional[InlineKeyboardMarkup]]:
    """One page of /open: a header with the counts, a line per handover, Accept buttons for the waiting ones."""
    district = team.district.capitalize()
    if not handovers:
        return _de(texts.OPEN_NONE, district=district), None
    pages = (len(handovers) + PAGE_SIZE - 1) // PAGE_SIZE
    page = min(max(page, 0), pages - 1)
    shown = handovers[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]
    waiting = sum(1 for h in handovers if h.status == "waiting")
    lines = [_de(texts.OPEN_HEADER, district=district, waiting=waiting, active=len(handovers) - waiting), ""]
    lines += [open_line(h, now) for h in shown]
    if pages > 1:
        lines += ["", _de(texts.OPEN_PAGE, page=page + 1, pages=pages)]
    rows = [[InlineKeyboardButton(_de(texts.BTN_OPEN_ACCEPT, id=h.id), callback_data=f"acc:{h.id}")]
            for h in shown if h.status == "waiting"]
    nav = []
    if page > 0:
        nav.append(InlineKeyboardButton(_de(texts.BTN_PREVIOUS), callback_data=f"open:{page - 1}"))
    if page < pages - 1:
        nav.append(InlineKeyboardButton(_de(texts.BTN_NEXT), callback_data=f"open:{page + 1}"))
    if nav:
        rows.append(nav)
    return "\n".join(lines)[:MAX_TEXT], InlineKeyboardMarkup(rows) if rows else None


def _open_of_group(context: ContextTypes.DEFAULT_TYPE, chat_id: int, user_id: int, page: int):  # type: ignore[no-untyped-def]
    """(text, keyboard) of /open for a coach of this group's team; None when the user is no coach of it."""
    with front_end(context).session() as session:
        team = team_of_group(session, chat_id)
        if team is None or coach_of(session, team.id, user_id) is None:
            return None
        return open_page(team, open_of_team(session, team.id), page, utcnow())


async def on_open(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/open: the team's waiting and active handovers, oldest first, with an Accept button per waiting one."""
    message = update.effective_message
    shown = _open_of_group(context, message.chat_id, update.effective_user.id, 0)
    if shown is None:
        await message.reply_text(_de(texts.NOT_A_COACH))
        return
    text, keyboard = shown
    await message.reply_text(text, reply_markup=keyboard, do_quote=False, **_thread_of(update))


async def on_open_page(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The page buttons under /open: the same list, drawn again at that page."""
    query = update.callback_query
    match = OPEN_DATA.match(query.data or "")
    shown = _open_of_group(context, query.message.chat.id, query.from_user.id, int(match.group(1))) if match else None
    if shown is None:
        await query.answer(_de(texts.NOT_A_COACH), show_alert=True)
        return
    text, keyboard = shown
    await query.answer()
    try:
        await query.edit_message_text(text, reply_markup=keyboard)
    except BadRequest as exc:  # unchanged since it was drawn
        logger.info("/open page not redrawn (%s)", exc)


def _thread_of(update: Update) -> dict[str, object]:
    message = update.effective_message
    return {"message_thread_id": message.message_thread_id} if message.is_topic_message else {}


# --- /transfer ------------------------------------------------------------------------------------------------------
def _targets(session, handover: Handover, by: Coach) -> list[list[InlineKeyboardButton]]:  # type: ignore[no-untyped-def]
    """Buttons: each colleague with a linked account (the absent marked), the team's queue, the other teams."""
    rows = []
    for coach in handover.team.coaches:
        if coach.telegram_user_id is None or coach.telegram_user_id == handover.coach_user_id:
            continue
        title = coach.name if is_available(coach) else _de(texts.COACH_AWAY_MARK, name=coach.name)
        rows.append([InlineKeyboardButton(title, callback_data=f"trf:{handover.id}:c{coach.id}")])
    if handover.status == "active":
        rows.append([InlineKeyboardButton(_de(texts.BTN_TRANSFER_QUEUE), callback_data=f"trf:{handover.id}:q")])
    for team in other_teams(session, handover.team):
        title = _de(texts.BTN_TRANSFER_TEAM, district=team.district.capitalize())
        rows.append([InlineKeyboardButton(title, callback_data=f"trf:{handover.id}:t{team.id}")])
    return rows


def _refusal(handover: Handover, coach: Optional[Coach]) -> Optional[str]:
    """Why this coach may not pass the handover on, or None."""
    if coach is None:
        return _de(texts.NOT_A_COACH)
    if handover.status not in ("waiting", "active"):
        return _de(texts.TRANSFER_GONE, id=handover.id)
    if may_transfer(handover, coach):
        return None
    if handover.status == "waiting":
        return _de(texts.TRANSFER_QUEUE_NOT_ALLOWED, id=handover.id)
    return _de(texts.TRANSFER_NOT_ALLOWED, id=handover.id, name=handover.coach_name)


async def on_transfer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/transfer (replying to a card or a relayed message, or in the handover's topic): where to pass it on."""
    message = update.effective_message
    with front_end(context).session() as session:
        team = team_of_group(session, message.chat_id)
        coach = coach_of(session, team.id, update.effective_user.id) if team else None
        handover, _ambiguous = _handover_of(session, message, update.effective_user.id) if coach else (None, False)
        if coach is not None and handover is None:
            reply = _de(texts.WHICH_HANDOVER)
        else:
            reply = _refusal(handover, coach) if handover is not None else _de(texts.NOT_A_COACH)
        rows = _targets(session, handover, coach) if reply is None else []
    if reply is None and not rows:
        reply = _de(texts.TRANSFER_NOTHING, id=handover.id)
    if reply is not None:
        await message.reply_text(reply)
        return
    await message.reply_text(_de(texts.TRANSFER_CHOOSE, id=handover.id), reply_markup=InlineKeyboardMarkup(rows))


async def on_transfer_choice(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A target pressed under /transfer: the handover moves (once), both sides are told, the cards show it."""
    fe = front_end(context)
    query = update.callback_query
    match = TRANSFER_DATA.match(query.data or "")
    with fe.session() as session:
        handover = session.get(Handover, int(match.group(1))) if match else None
        if handover is None or handover.group_chat_id != query.message.chat.id:
            await query.answer(_de(texts.INVALID_BUTTON), show_alert=True)
            return
        by = coach_of(session, handover.team_id, query.from_user.id)
        refusal = _refusal(handover, by)
        target, to = match.group(2), None
        if refusal is None:
            if target == "q":
                to = Transfer("queue")
            elif target.startswith("c"):
                colleague = session.get(Coach, int(target[1:]))
                if colleague is not None and colleague.team_id == handover.team_id and colleague.telegram_user_id:
                    to = Transfer("coach", coach=colleague)
            else:
                team = session.get(Team, int(target[1:]))
                if team is not None and team.id != handover.team_id and team.telegram_chat_id:
                    to = Transfer("team", team=team)
            if to is None:
                refusal = _de(texts.INVALID_BUTTON)
        if refusal is not None:
            await query.answer(refusal, show_alert=True)
            return
        was_waiting = handover.status == "waiting"
        old_group, old_card, old_topic, old_thread = (handover.group_chat_id, handover.card_message_id,
                                                      handover.topic_id, _in_thread(handover))
        moved = transfer(session, handover.id, to)
        by_name = by.name
    if moved is None:
        await query.answer(_de(texts.TRANSFER_GONE, id=handover.id), show_alert=True)
        return
    logger.info("handover %s: passed on (%s)", moved.id, to.kind)
    if was_waiting and to.kind == "coach":  # a team lead gave a waiting request to a colleague: it is accepted
        reach.handover_accepted(moved)
    await query.answer()
    await _announce(fe, context, moved, to, by_name, old_group, old_card, old_topic, old_thread, query)


async def _announce(fe, context, moved: Handover, to: Transfer, by_name: str, old_group: int, old_card: Optional[int],  # type: ignore[no-untyped-def]
                    old_topic: Optional[int], old_thread: dict, query) -> None:
    """After a transfer: the note in the group, the card(s), the person in their language."""
    bot = context.bot
    if to.kind == "coach":
        note = _de(texts.TRANSFER_DONE_COACH, id=moved.id, name=to.coach.name, by=by_name)
        person = gettext(moved.language, texts.TRANSFERRED_TO_COACH, name=to.coach.name)
    elif to.kind == "queue":
        note = _de(texts.TRANSFER_DONE_QUEUE, id=moved.id, by=by_name)
        person = gettext(moved.language, texts.TRANSFERRED_TO_QUEUE)
    else:
        district = to.team.district.capitalize()
        note = _de(texts.TRANSFER_DONE_TEAM, id=moved.id, district=district, by=by_name)
        person = gettext(moved.language, texts.TRANSFERRED_TO_TEAM, district=district)
    try:
        await query.edit_message_text(note)
    except BadRequest as exc:
        logger.info("transfer note not edited (%s)", exc)
    if to.kind == "team":
        status = "➡️ " + _de(texts.CARD_TRANSFERRED, target=_de(texts.BTN_TRANSFER_TEAM, district=to.team.district.capitalize()))
        await _update_card(fe, bot, moved, status=status, chat_id=old_group, message_id=old_card)
        if old_topic:
            try:
                await bot.close_forum_topic(old_group, old_topic)
            except BadRequest as exc:
                logger.info("handover %s: old topic not closed (%s)", moved.id, exc)
        try:
            await post_card(fe, bot, moved.id)  # else the next background pass posts it
        except TelegramError as exc:
            logger.warning("handover %s: card for the new team not posted yet (%s)", moved.id, type(exc).__name__)
    else:
        await _update_card(fe, bot, moved)
        await bot.send_message(old_group, note, **old_thread)
    await bot.send_message(int(moved.conversation_id), person)
    if to.kind == "coach":  # what the person wrote meanwhile reaches the new holder
        await flush(fe, bot, moved.id, header=_de(texts.WAITING_HEADER, id=moved.id))


# --- /away and /back ------------------------------------------------------------------------------------------------
def _group_coach(session, update: Update) -> tuple[Optional[Team], Optional[Coach]]:  # type: ignore[no-untyped-def]
    """The team whose group this is, and the coach of that team who wrote (either may be None)."""
    team = team_of_group(session, update.effective_message.chat_id)
    return team, coach_of(session, team.id, update.effective_user.id) if team else None


async def on_away(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/away [until …]: reminders and the cards' language line skip this coach until then (or /back)."""
    fe = front_end(context)
    message = update.effective_message
    with fe.session() as session:
        team, coach = _group_coach(session, update)
        if team is None or coach is None:
            reply = _de(texts.NOT_A_COACH)
        else:
            hours = office_hours(team)
            try:
                until = parse_away(list(context.args or []), utcnow(), hours)
            except AwayError:
                reply = _de(texts.AWAY_USAGE)
            else:
                set_away(session, coach.id, until)
                if until >= UNTIL_BACK:
                    reply = _de(texts.AWAY_SET_OPEN, name=coach.name)
                else:
                    shown = format_datetime(until.astimezone(hours.zone), "EEE d.M. HH:mm", locale=COACH_LANGUAGE)
                    reply = _de(texts.AWAY_SET, name=coach.name, until=shown)
    await message.reply_text(reply)


async def on_back(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/back: present again."""
    fe = front_end(context)
    message = update.effective_message
    with fe.session() as session:
        _, coach = _group_coach(session, update)
        if coach is not None:
            set_away(session, coach.id, None)
    await message.reply_text(_de(texts.AWAY_BACK, name=coach.name) if coach else _de(texts.NOT_A_COACH))
