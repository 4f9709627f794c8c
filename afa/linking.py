"""Linking a team's Telegram group and a coach's Telegram account without numeric ids: one-time codes.

An admin makes a code in the console; the group is bound when someone adds the bot with
`https://t.me/<bot>?startgroup=CODE` (or sends `/link CODE` there), a coach by opening
`https://t.me/<bot>?start=join_CODE` (or sending `/join CODE` privately). Codes expire and work once.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, select, update
from sqlalchemy.orm import Session

from afa.db import Base, Coach, Team, as_utc, utcnow

CODE_LIFETIME = timedelta(hours=48)
# Easy to read aloud and type: no 0/o, 1/l/i. 10 characters of 31: ~8·10^14 codes.
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
CODE_LENGTH = 10
JOIN_PREFIX = "join_"


class LinkCode(Base):
    __tablename__ = "link_codes"
    id = Column(Integer, primary_key=True)
    code = Column(String(32), unique=True, nullable=False)
    kind = Column(String(8), nullable=False)  # "team" (a group) or "coach" (an account)
    team_id = Column(Integer, ForeignKey("teams.id", ondelete="CASCADE"), nullable=True)
    coach_id = Column(Integer, ForeignKey("coaches.id", ondelete="CASCADE"), nullable=True)
    created_by = Column(String(254), nullable=False, default="")
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    expires_at = Column(DateTime(timezone=True), nullable=False)
    used_at = Column(DateTime(timezone=True), nullable=True)


def new_code(session: Session, *, team: Optional[Team] = None, coach: Optional[Coach] = None,
             created_by: str = "", now: Optional[datetime] = None) -> LinkCode:
    """A fresh code for a team's group or a coach's account; earlier unused codes for the same target lapse."""
    if (team is None) == (coach is None):
        raise ValueError("a code links either a team or a coach")
    now = now or utcnow()
    kind = "team" if team is not None else "coach"
    target = LinkCode.team_id == team.id if team is not None else LinkCode.coach_id == coach.id  # type: ignore[union-attr]
    session.execute(update(LinkCode).where(target, LinkCode.used_at.is_(None), LinkCode.expires_at > now)
                    .values(expires_at=now).execution_options(synchronize_session=False))
    code = LinkCode(code="".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH)), kind=kind,
                    team_id=team.id if team is not None else None, coach_id=coach.id if coach is not None else None,
                    created_by=created_by, created_at=now, expires_at=now + CODE_LIFETIME)
    session.add(code)
    session.flush()
    return code


@dataclass(frozen=True)
class Redeemed:
    """The outcome of a code: the team or coach it linked, or why it did not ("unknown", "expired", "used")."""

    problem: Optional[str] = None
    team: Optional[Team] = None
    coach: Optional[Coach] = None


def _claim(session: Session, code: str, kind: str, now: datetime) -> tuple[Optional[LinkCode], Optional[str]]:
    """Mark the code used with one conditional UPDATE: of two people sending it at once, one wins."""
    found = session.scalar(select(LinkCode).where(LinkCode.code == code.strip().lower()[:32], LinkCode.kind == kind))
    if found is None:
        return None, "unknown"
    if found.used_at is not None:
        return None, "used"
    if as_utc(found.expires_at) <= now:
        return None, "expired"
    won = session.execute(update(LinkCode).where(LinkCode.id == found.id, LinkCode.used_at.is_(None))
                          .values(used_at=now).execution_options(synchronize_session=False)).rowcount
    return (found, None) if won == 1 else (None, "used")


def link_group(session: Session, code: str, chat_id: int, title: str, is_forum: bool,
               now: Optional[datetime] = None) -> Redeemed:
    """Bind the group to the code's team (a group serves one team: another team holding it lets go)."""
    now = now or utcnow()
    found, problem = _claim(session, code, "team", now)
    if found is None:
        return Redeemed(problem)
    session.execute(update(Team).where(Team.telegram_chat_id == chat_id, Team.id != found.team_id)
                    .values(telegram_chat_id=None).execution_options(synchronize_session=False))
    team = session.get(Team, found.team_id)
    team.telegram_chat_id, team.telegram_chat_title, team.telegram_is_forum = chat_id, title, is_forum
    return Redeemed(team=team)


def link_coach(session: Session, code: str, user_id: int, name: str, now: Optional[datetime] = None) -> Redeemed:
    now = now or utcnow()
    found, problem = _claim(session, code, "coach", now)
    if found is None:
        return Redeemed(problem)
    coach = session.get(Coach, found.coach_id)
    coach.telegram_user_id, coach.telegram_name, coach.linked_at = user_id, name[:200], now
    return Redeemed(coach=coach)


def unlink_team(team: Team) -> None:
    team.telegram_chat_id = None
    team.telegram_chat_title = team.telegram_is_forum = team.bot_status = team.bot_can_manage_topics = None
    team.bot_status_at = None


def unlink_coach(coach: Coach) -> None:
    coach.telegram_user_id = coach.telegram_name = coach.linked_at = None


def record_bot_status(session: Session, chat_id: int, status: str, can_manage_topics: Optional[bool],
                      is_forum: Optional[bool] = None, title: Optional[str] = None) -> Optional[Team]:
    """What Telegram says of the bot's membership in a team's group, for the console to show."""
    team = session.scalar(select(Team).where(Team.telegram_chat_id == chat_id))
    if team is None:
        return None
    team.bot_status, team.bot_can_manage_topics, team.bot_status_at = status, can_manage_topics, utcnow()
    if is_forum is not None:
        team.telegram_is_forum = is_forum
    if title:
        team.telegram_chat_title = title
    return team


def group_link(username: str, code: str) -> str:
    return f"https://t.me/{username}?startgroup={code}"


def coach_link(username: str, code: str) -> str:
    return f"https://t.me/{username}?start={JOIN_PREFIX}{code}"
