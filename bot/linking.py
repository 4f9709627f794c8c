"""Team onboarding without numeric ids: a team's group and a coach's account are linked with one-time codes.

- A group: someone adds the bot with `https://t.me/<bot>?startgroup=CODE` (Telegram then sends `/start CODE`
  in the group) or sends `/link@<bot> CODE` there. The group hears, in German, which team it now serves.
- A coach: opens `https://t.me/<bot>?start=join_CODE` (a private `/start join_CODE`) or sends `/join CODE`
  privately, and is answered in their own language.
- `my_chat_member` updates (the bot added, removed, promoted, demoted) keep the team's view of the bot current.

The codes live in `afa.linking`; neither a code nor a raw id is ever logged.
"""
from __future__ import annotations

import logging
import re
from typing import Optional

from sqlalchemy import select, update as sql_update
from telegram import ChatMember, ChatMemberAdministrator, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes, filters

from afa.db import HANDOVER_OPEN, Handover, Team
from afa.i18n import gettext
from afa.linking import JOIN_PREFIX, LinkCode, link_coach, link_group, record_bot_status
from afa.privacy import pseudonym
from bot import texts
from bot.ratelimit import until_delivered
from bot.state import front_end

logger = logging.getLogger(__name__)
COACH_LANGUAGE = "de"  # what the team group reads, like the cards
# A private /start whose payload is a coach's code: it is handled here and never reaches Rasa.
JOIN_START = filters.Regex(re.compile(r"^/start(@\w+)?\s+" + JOIN_PREFIX, re.IGNORECASE))
WRONG_KIND = "wrong kind"
GROUP_REFUSALS = {
    "unknown": texts.GROUP_CODE_UNKNOWN,
    "expired": texts.GROUP_CODE_EXPIRED,
    "used": texts.GROUP_CODE_USED,
    WRONG_KIND: texts.GROUP_CODE_FOR_COACH,
}
PRIVATE_REFUSALS = {
    "unknown": texts.COACH_CODE_UNKNOWN,
    "expired": texts.COACH_CODE_EXPIRED,
    "used": texts.COACH_CODE_USED,
    WRONG_KIND: texts.COACH_CODE_FOR_GROUP,
}
SEES_MEMBERS = (ChatMember.ADMINISTRATOR, ChatMember.MEMBER, ChatMember.RESTRICTED)


def code_of(args: Optional[list[str]]) -> str:
    """The code from a command's arguments; a `join_` in front (copied from a coach's link) is dropped."""
    code = (args[0] if args else "").strip()
    return code[len(JOIN_PREFIX):] if code.lower().startswith(JOIN_PREFIX) else code


def _kind_of(session, code: str) -> Optional[str]:  # type: ignore[no-untyped-def]
    """"team" or "coach" for an existing code (whatever its state), None for a code nobody made."""
    return session.scalar(select(LinkCode.kind).where(LinkCode.code == code.strip().lower()[:32]))


def can_manage_topics(member: ChatMember) -> bool:
    if member.status == ChatMember.OWNER:
        return True
    return isinstance(member, ChatMemberAdministrator) and bool(member.can_manage_topics)


async def _reply(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> None:
    message = update.effective_message
    await until_delivered(lambda: message.reply_text(text), front_end(context).settings.patience_seconds)


def _de(message: str, **params: object) -> str:
    return gettext(COACH_LANGUAGE, message, **params)


async def _bot_in(context: ContextTypes.DEFAULT_TYPE, chat_id: int) -> Optional[tuple[str, bool, bool, Optional[str]]]:
    """What Telegram says of the bot in this group: (status, can manage topics, is a forum, title), or None."""
    bot = context.bot
    try:
        chat = await bot.get_chat(chat_id)
        member = await bot.get_chat_member(chat_id, bot.id)
    except TelegramError as exc:
        logger.warning("could not read the bot's membership in a group (%s)", type(exc).__name__)
        return None
    return member.status, can_manage_topics(member), bool(chat.is_forum), chat.title


async def on_group_link(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`/start CODE` (the bot added with `?startgroup=CODE`) or `/link CODE` in any group: the group becomes the
    code's team group; the bot's membership is recorded at once and the group is told, in German."""
    fe = front_end(context)
    chat = update.effective_chat
    code = code_of(context.args)
    if not code:
        await _reply(update, context, _de(texts.GROUP_LINK_USAGE, bot=context.bot.username))
        return
    with fe.session() as session:
        result = link_group(session, code, chat.id, chat.title or "", bool(chat.is_forum))
        if result.team is None:
            problem = WRONG_KIND if result.problem == "unknown" and _kind_of(session, code) == "coach" else result.problem
        else:
            problem, team_name, district = None, result.team.name, result.team.district
    if problem is not None:
        logger.info("link code refused in group %s (%s)", pseudonym(chat.id, fe.settings), problem)
        await _reply(update, context, _de(GROUP_REFUSALS[problem]))
        return
    found = await _bot_in(context, chat.id)
    is_forum, may_manage_topics = bool(chat.is_forum), False
    if found is not None:
        status, may_manage_topics, is_forum, title = found
        with fe.session() as session:
            record_bot_status(session, chat.id, status, may_manage_topics, is_forum, title)
    fe.forum_groups[chat.id] = is_forum
    logger.info("team %s: group linked (topics: %s, bot may manage them: %s)", district, is_forum, may_manage_topics)
    text = _de(texts.GROUP_LINKED, team=team_name, district=district.capitalize())
    if is_forum and not may_manage_topics:
        text += "\n\n" + _de(texts.GROUP_NEEDS_TOPIC_RIGHTS)
    await _reply(update, context, text)


async def join_in_group(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`/join` in a group: coaches link their account privately (the code is not used here)."""
    await _reply(update, context, _de(texts.GROUP_JOIN_PRIVATE, link=f"https://t.me/{context.bot.username}"))


async def on_join(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A private `/start join_CODE` (the coach's link) or `/join CODE`: the Telegram account is recorded for the
    code's coach; the answer is in the coach's language."""
    fe = front_end(context)
    user = update.effective_user
    code = code_of(context.args)
    language = fe.language(update)

    async def say(message: str, **params: object) -> None:
        text = gettext(language, message, **params)
        await until_delivered(lambda: context.bot.send_message(update.effective_chat.id, text), fe.settings.patience_seconds)

    if not code:
        await say(texts.JOIN_USAGE)
        return
    with fe.session() as session:
        result = link_coach(session, code, user.id, user.full_name)
        if result.coach is None:
            problem = WRONG_KIND if result.problem == "unknown" and _kind_of(session, code) == "team" else result.problem
        else:
            problem, coach_name, team_name, district = None, result.coach.name, result.coach.team.name, result.coach.team.district
    if problem is not None:
        logger.info("coach code refused (%s)", problem)
        await say(PRIVATE_REFUSALS[problem])
        return
    logger.info("team %s: a coach linked their Telegram account", district)
    await say(texts.COACH_LINKED, name=coach_name, team=team_name)


async def on_my_chat_member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The bot added, removed, promoted or demoted in a group: a team group records it for the console."""
    fe = front_end(context)
    changed = update.my_chat_member
    chat, new = changed.chat, changed.new_chat_member
    if chat.type not in (chat.GROUP, chat.SUPERGROUP):
        return
    status, may_manage_topics, is_forum = new.status, can_manage_topics(new), bool(chat.is_forum)
    fe.forum_groups[chat.id] = is_forum
    with fe.session() as session:
        team = record_bot_status(session, chat.id, status, may_manage_topics, is_forum, chat.title)
        district = team.district if team is not None else None
    if district is None:
        logger.info("bot is %s in a group that is no team group", status)
        return
    logger.info("team %s: bot is %s in its group (may manage topics: %s)", district, status, may_manage_topics)
    if is_forum and status in SEES_MEMBERS and can_manage_topics(changed.old_chat_member) and not may_manage_topics:
        try:  # the team learns at once why no new topic appears
            await context.bot.send_message(chat.id, _de(texts.GROUP_NEEDS_TOPIC_RIGHTS))
        except TelegramError as exc:
            logger.info("team %s: could not say that topic rights are missing (%s)", district, type(exc).__name__)


async def on_migrate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A group upgraded to a supergroup (e.g. when topics are switched on) gets a new chat id: the team and its
    open handovers follow it."""
    message = update.effective_message
    old, new = message.chat_id, message.migrate_to_chat_id
    if not new:
        return
    fe = front_end(context)
    with fe.session() as session:
        moved = session.execute(sql_update(Team).where(Team.telegram_chat_id == old).values(telegram_chat_id=new)
                                .execution_options(synchronize_session=False)).rowcount
        session.execute(sql_update(Handover).where(Handover.group_chat_id == old, Handover.status.in_(HANDOVER_OPEN))
                        .values(group_chat_id=new).execution_options(synchronize_session=False))
    fe.forum_groups.pop(old, None)
    if moved:
        logger.info("a team group became a supergroup: its new chat id is recorded")
