"""Handovers to a coach team, held in the database so that they survive a restart of every process.

The action server opens them (`open_handover`); the Telegram front end posts the card, decides who accepts
(`accept`, atomic), relays and stores every message (`record`), and closes them. Data functions take the
caller's session.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Iterable, Optional

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from afa.db import HANDOVER_OPEN, Coach, ConversationPref, Handover, RelayedMessage, Team, as_utc, utcnow
from afa.schedule import OfficeHours

CARD_CLAIMED = 0  # card_message_id while a front end posts the card (Telegram's message ids start at 1)
CLAIM_LEASE = timedelta(seconds=120)  # the default of AFA_CLAIM_LEASE_SECONDS
SUMMARY_ASKED = 8  # the user's own questions shown on the card
SUMMARY_LAST = 6  # the last messages (both sides) shown on the card


def office_hours(team: Team) -> OfficeHours:
    return OfficeHours.of(team.office_hours, team.closed_days, team.timezone or "Europe/Berlin")


def team_of_group(session: Session, chat_id: int) -> Optional[Team]:
    return session.execute(select(Team).where(Team.telegram_chat_id == chat_id)).scalars().first()


def coach_of(session: Session, team_id: int, user_id: int) -> Optional[Coach]:
    """The coach of that team with this Telegram account, if any: only they may accept and relay."""
    query = select(Coach).where(Coach.team_id == team_id, Coach.telegram_user_id == user_id)
    return session.execute(query).scalars().first()


def open_for(session: Session, conversation_id: str) -> Optional[Handover]:
    query = (
        select(Handover)
        .where(Handover.conversation_id == conversation_id, Handover.status.in_(HANDOVER_OPEN))
        .order_by(Handover.id.desc())
    )
    return session.execute(query).scalars().first()


def summarise(events: Iterable[dict[str, Any]]) -> str:
    """What the card shows from a Rasa tracker: the user's questions (original text) and the last messages."""
    asked: list[str] = []
    last: list[dict[str, str]] = []
    for event in events:
        text = (event.get("text") or "").strip()
        if not text or event.get("event") not in ("user", "bot"):
            continue
        if event["event"] == "user":
            if text.startswith("/"):  # a pressed button, not words of the user
                continue
            asked.append(text[:500])
        last.append({"who": event["event"], "text": text[:300]})
    return json.dumps({"asked": asked[-SUMMARY_ASKED:], "last": last[-SUMMARY_LAST:]}, ensure_ascii=False)


def open_handover(
    session: Session, conversation_id: str, team: Team, language: str, target_group: Optional[str], summary: str,
    channel: str = "telegram", entry_point: str = "",
) -> tuple[Handover, bool]:
    """The conversation's open handover, or a new one in the team's queue; True when it is new. `channel` and
    `entry_point` are what the reach statistics count its Accept and end under."""
    existing = open_for(session, conversation_id)
    if existing is not None:
        return existing, False
    handover = Handover(
        conversation_id=conversation_id,
        team_id=team.id,
        language=language,
        target_group=target_group,
        summary=summary,
        group_chat_id=team.telegram_chat_id,
        channel=channel,
        entry_point=entry_point,
    )
    session.add(handover)
    session.flush()
    return handover, True


@dataclass(frozen=True)
class AcceptResult:
    won: bool
    handover: Handover


def accept(session: Session, handover_id: int, coach: Coach, now: Optional[datetime] = None) -> AcceptResult:
    """The first coach wins: one conditional UPDATE decides, so two coaches pressing at once cannot both win."""
    result = session.execute(
        update(Handover)
        .where(Handover.id == handover_id, Handover.status == "waiting")
        .values(status="active", coach_user_id=coach.telegram_user_id, coach_name=coach.name, accepted_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    handover = session.get(Handover, handover_id, populate_existing=True)
    return AcceptResult(result.rowcount == 1, handover)


def _claimable_card(now: datetime, lease: timedelta) -> Any:
    """No card yet, or a claim older than the lease (its front end crashed or hangs; no time: claimed before leases)."""
    stale = or_(Handover.card_claimed_at.is_(None), Handover.card_claimed_at < now - lease)
    return or_(Handover.card_message_id.is_(None), and_(Handover.card_message_id == CARD_CLAIMED, stale))


def claim_card(session: Session, handover_id: int, lease: timedelta = CLAIM_LEASE,
               now: Optional[datetime] = None) -> Optional[datetime]:
    """One front end, of however many run behind a load balancer, posts the card: the first to claim it, or any
    once that claim is older than `lease`. The claim's time when this caller won (to give it back), else None."""
    now = now or utcnow()
    result = session.execute(
        update(Handover)
        .where(Handover.id == handover_id, Handover.status == "waiting", _claimable_card(now, lease))
        .values(card_message_id=CARD_CLAIMED, card_claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    return now if result.rowcount == 1 else None


def release_card(session: Session, handover_id: int, claimed_at: datetime) -> None:
    """Gives up this caller's claim (the post failed), unless another front end has taken it over meanwhile."""
    query = update(Handover).where(
        Handover.id == handover_id, Handover.card_message_id == CARD_CLAIMED, Handover.card_claimed_at == claimed_at
    )
    session.execute(query.values(card_message_id=None, card_claimed_at=None).execution_options(synchronize_session=False))


def close(session: Session, handover_id: int, status: str = "closed") -> bool:
    """Close (or cancel) an open handover; False when it was not open any more."""
    result = session.execute(
        update(Handover)
        .where(Handover.id == handover_id, Handover.status.in_(HANDOVER_OPEN))
        .values(status=status, closed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def record(session: Session, handover: Handover, direction: str, **fields: Any) -> RelayedMessage:
    message = RelayedMessage(handover_id=handover.id, direction=direction, **fields)
    session.add(message)
    session.flush()
    return message


def by_group_message(session: Session, chat_id: int, message_id: int) -> Optional[Handover]:
    """The handover a message in a team group belongs to: its card, or a relayed copy of the user's message."""
    card = select(Handover).where(Handover.group_chat_id == chat_id, Handover.card_message_id == message_id)
    found = session.execute(card).scalars().first()
    if found is not None:
        return found
    relayed = (
        select(Handover)
        .join(RelayedMessage)
        .where(
            Handover.group_chat_id == chat_id,
            or_(
                and_(RelayedMessage.direction == "user", RelayedMessage.copy_message_id == message_id),
                and_(RelayedMessage.direction == "coach", RelayedMessage.source_message_id == message_id),
            ),
        )
    )
    return session.execute(relayed).scalars().first()


def by_topic(session: Session, chat_id: int, topic_id: int) -> Optional[Handover]:
    query = select(Handover).where(Handover.group_chat_id == chat_id, Handover.topic_id == topic_id)
    return session.execute(query.order_by(Handover.id.desc())).scalars().first()


def active_of_coach(session: Session, chat_id: int, coach_user_id: int) -> list[Handover]:
    query = select(Handover).where(
        Handover.group_chat_id == chat_id, Handover.coach_user_id == coach_user_id, Handover.status == "active"
    )
    return list(session.execute(query).scalars())


def has_messages(session: Session, handover_id: int) -> bool:
    query = select(RelayedMessage.id).where(RelayedMessage.handover_id == handover_id).limit(1)
    return session.execute(query).first() is not None


def undelivered(session: Session, handover_id: int) -> list[RelayedMessage]:
    query = select(RelayedMessage).where(
        RelayedMessage.handover_id == handover_id, RelayedMessage.delivered_at.is_(None)
    )
    return list(session.execute(query.order_by(RelayedMessage.id)).scalars())


def without_card(session: Session, lease: timedelta = CLAIM_LEASE, now: Optional[datetime] = None) -> list[Handover]:
    """Open handovers whose card is not in the team group yet (the front end was away when they opened, or the one
    that claimed it has not posted it within the lease)."""
    query = select(Handover).where(
        Handover.status.in_(HANDOVER_OPEN), _claimable_card(now or utcnow(), lease), Handover.group_chat_id.isnot(None)
    )
    return list(session.execute(query.order_by(Handover.id)).scalars())


def with_undelivered(session: Session) -> list[Handover]:
    query = (
        select(Handover)
        .join(RelayedMessage)
        .where(Handover.status == "active", RelayedMessage.delivered_at.is_(None))
        .distinct()
    )
    return list(session.execute(query).scalars())


def due_reminders(session: Session, now: datetime, after: timedelta) -> list[Handover]:
    """Waiting handovers nobody accepted for `after` while their team is in (reminded again every `after`)."""
    query = select(Handover).where(Handover.status == "waiting", Handover.card_message_id > CARD_CLAIMED)
    due = []
    for handover in session.execute(query).scalars():
        since = as_utc(handover.reminded_at or handover.opened_at)
        if now - since >= after and office_hours(handover.team).is_open(now):
            due.append(handover)
    return due


def _reminded_was(seen: Optional[datetime]) -> Any:
    return Handover.reminded_at.is_(None) if seen is None else Handover.reminded_at == seen


def claim_reminder(session: Session, handover_id: int, seen: Optional[datetime], now: datetime) -> bool:
    """Before sending: one conditional UPDATE of `reminded_at` from the value this front end saw decides, so that of
    several front ends exactly one sends the reminder."""
    result = session.execute(
        update(Handover)
        .where(Handover.id == handover_id, Handover.status == "waiting", _reminded_was(seen))
        .values(reminded_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def give_back_reminder(session: Session, handover_id: int, seen: Optional[datetime], claimed: datetime) -> None:
    """The send failed: the old `reminded_at` again, so that a later pass retries (unless someone moved on)."""
    query = update(Handover).where(Handover.id == handover_id, Handover.reminded_at == claimed)
    session.execute(query.values(reminded_at=seen).execution_options(synchronize_session=False))


def remember_language(session: Session, conversation_id: str, language: str) -> None:
    pref = session.get(ConversationPref, conversation_id)
    if pref is None:
        session.add(ConversationPref(conversation_id=conversation_id, language=language))
    elif pref.language != language:
        pref.language = language


def remembered_language(session: Session, conversation_id: str) -> Optional[str]:
    pref = session.get(ConversationPref, conversation_id)
    return pref.language if pref else None
