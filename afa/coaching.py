"""The coaches' side of handovers: what a team has open, passing a handover on, history, and who is away.

Data functions take the caller's session, like `afa.handover`; the Telegram front end (`bot/coaching.py`), the
action server and the staff console call them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Optional
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from afa.db import HANDOVER_OPEN, Coach, Handover, Team, as_utc, utcnow
from afa.schedule import OfficeHours

# `/away` without a time: away until `/back`.
UNTIL_BACK = datetime(9999, 12, 31, tzinfo=timezone.utc)
NOTE_MAX = 500  # an outcome note is a line, not a report


# --- what is open ---------------------------------------------------------------------------------------------------
def open_of_team(session: Session, team_id: int) -> list[Handover]:
    """The team's waiting and active handovers, oldest first."""
    query = (
        select(Handover)
        .where(Handover.team_id == team_id, Handover.status.in_(HANDOVER_OPEN))
        .order_by(Handover.opened_at, Handover.id)
    )
    return list(session.execute(query).scalars())


def open_counts(session: Session) -> dict[tuple[int, Optional[int]], int]:
    """Active handovers per (team, coach's Telegram id); (team, None) counts those waiting in the queue."""
    query = (
        select(Handover.team_id, Handover.coach_user_id, func.count())
        .where(Handover.status.in_(HANDOVER_OPEN))
        .group_by(Handover.team_id, Handover.coach_user_id)
    )
    return {(team_id, user_id): int(count) for team_id, user_id, count in session.execute(query)}


def earlier(session: Session, handover: Handover) -> list[Handover]:
    """The same person's earlier handovers still kept (the retention purge removes older ones), oldest first."""
    query = (
        select(Handover)
        .where(Handover.conversation_id == handover.conversation_id, Handover.id < handover.id)
        .order_by(Handover.opened_at, Handover.id)
    )
    return list(session.execute(query).scalars())


# --- passing a handover on ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Transfer:
    """Where a handover goes: a colleague of the team, back to the team's queue, or to another team."""

    kind: str  # "coach", "queue" or "team"
    coach: Optional[Coach] = None
    team: Optional[Team] = None


def may_transfer(handover: Handover, coach: Coach) -> bool:
    """Only the holder, or a team lead of the handover's team, passes a handover on."""
    if coach.team_id != handover.team_id:
        return False
    return coach.is_lead or (handover.status == "active" and handover.coach_user_id == coach.telegram_user_id)


def transfer(session: Session, handover_id: int, to: Transfer, now: Optional[datetime] = None) -> Optional[Handover]:
    """Passes an open handover on; None when it is not open any more or changed since the caller read it. One
    conditional UPDATE decides, so two coaches passing the same handover at once cannot both move it."""
    now = now or utcnow()
    current = session.get(Handover, handover_id)
    if current is None:
        return None
    # reminded_at = now: the next reminder comes a full period after the transfer, not at once.
    values: dict[str, object] = {"transferred_at": now, "reminded_at": now}
    if to.kind == "coach" and to.coach is not None:
        values.update(status="active", coach_user_id=to.coach.telegram_user_id, coach_name=to.coach.name, accepted_at=now)
    elif to.kind == "queue":
        values.update(status="waiting", coach_user_id=None, coach_name=None, accepted_at=None)
    elif to.kind == "team" and to.team is not None:
        values.update(
            status="waiting", coach_user_id=None, coach_name=None, accepted_at=None, team_id=to.team.id,
            previous_team_id=current.team_id, group_chat_id=to.team.telegram_chat_id, card_message_id=None, topic_id=None,
        )
    else:
        raise ValueError(f"not a transfer: {to!r}")
    # Moved only from the state this caller saw: a second coach passing it on at the same moment finds it changed.
    holder = Handover.coach_user_id.is_(None) if current.coach_user_id is None else Handover.coach_user_id == current.coach_user_id
    result = session.execute(
        update(Handover)
        .where(Handover.id == handover_id, Handover.status.in_(HANDOVER_OPEN), Handover.status == current.status,
               Handover.team_id == current.team_id, holder)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return None
    return session.get(Handover, handover_id, populate_existing=True)


def other_teams(session: Session, team: Team) -> list[Team]:
    """The teams a handover can be passed to: those of the other districts with a linked group."""
    query = select(Team).where(Team.id != team.id, Team.telegram_chat_id.isnot(None)).order_by(Team.district)
    return list(session.execute(query).scalars())


def set_outcome(session: Session, handover_id: int, note: str) -> None:
    note = re.sub(r"\s+", " ", note or "").strip()[:NOTE_MAX]
    if note:
        session.execute(
            update(Handover).where(Handover.id == handover_id).values(outcome_note=note)
            .execution_options(synchronize_session=False)
        )


# --- who is away ----------------------------------------------------------------------------------------------------
def is_available(coach: Coach, now: Optional[datetime] = None) -> bool:
    return coach.away_until is None or as_utc(coach.away_until) <= (now or utcnow())


def available(coaches: list[Coach], now: Optional[datetime] = None) -> list[Coach]:
    return [c for c in coaches if is_available(c, now)]


def nobody_available(team: Team, now: Optional[datetime] = None) -> bool:
    """Every coach of the team with a linked Telegram account is away (a team with none keeps its old behaviour)."""
    linked = [c for c in team.coaches if c.telegram_user_id is not None]
    return bool(linked) and not available(linked, now)


def expected_back(team: Team, hours: OfficeHours, now: Optional[datetime] = None) -> datetime:
    """When someone of an absent team is expected: the earliest return given, else the next office hours after
    today's (the moment is in the team's time zone)."""
    now = now or utcnow()
    returns = [as_utc(c.away_until) for c in team.coaches if c.telegram_user_id is not None and c.away_until is not None]
    given = [moment for moment in returns if moment < UNTIL_BACK]
    if given:
        return hours.next_opening(min(given))
    return next_office_hours(hours, now)


def next_office_hours(hours: OfficeHours, now: datetime) -> datetime:
    """The start of the next office hours after the current ones (the next opening when closed now)."""
    if not hours.slots:
        return now.astimezone(hours.zone)
    local = now.astimezone(hours.zone)
    if not hours.is_open(now):
        return hours.next_opening(now)
    ends = [s.end for s in hours.slots if local.weekday() in s.days and s.start <= local.time() < s.end]
    end = datetime.combine(local.date(), max(ends), tzinfo=hours.zone)
    moment = end
    while hours.is_open(moment):  # slots back to back: the office closes only at the last one's end
        moment += timedelta(minutes=1)
    return hours.next_opening(moment)


def age_parts(seconds: float) -> tuple[int, int, int]:
    """A waiting time as (days, hours, minutes), for the coaches' lists and the console's alike."""
    minutes = max(0, int(seconds // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    return days, hours, minutes


def set_away(session: Session, coach_id: int, until: Optional[datetime]) -> None:
    """Away until `until` (None: back now)."""
    session.execute(
        update(Coach).where(Coach.id == coach_id).values(away_until=until).execution_options(synchronize_session=False)
    )


class AwayError(ValueError):
    """What `/away` could not read."""


_DAYS = {
    "monday": 0, "mon": 0, "montag": 0, "mo": 0,
    "tuesday": 1, "tue": 1, "dienstag": 1, "di": 1,
    "wednesday": 2, "wed": 2, "mittwoch": 2, "mi": 2,
    "thursday": 3, "thu": 3, "donnerstag": 3, "do": 3,
    "friday": 4, "fri": 4, "freitag": 4, "fr": 4,
    "saturday": 5, "sat": 5, "samstag": 5, "sa": 5,
    "sunday": 6, "sun": 6, "sonntag": 6, "so": 6,
}
_RELATIVE = {"today": 0, "heute": 0, "tomorrow": 1, "morgen": 1}
_TIME = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?(?:\s*uhr)?$")


def parse_away(args: list[str], now: datetime, hours: OfficeHours) -> datetime:
    """`/away` → until /back; `/away until 14:00` (today, or tomorrow when that has passed); `/away until friday`
    (back when the office opens that day); `/away until 2026-12-07`, `until 07.12.`, `until tomorrow 10:00`.
    "bis" works like "until". The moment returned is in UTC."""
    words: list[str] = []
    for word in (w.strip().lower().rstrip(",") for w in args if w.strip()):
        if word == "uhr" and words and words[-1].replace(":", "").replace(".", "").isdigit():
            words[-1] += "uhr"  # "bis 14 Uhr": one time, as "14uhr"
        else:
            words.append(word)
    if words and words[0] in ("until", "till", "bis", "to"):
        words = words[1:]
    if not words:
        return UNTIL_BACK
    local = now.astimezone(hours.zone)
    day: Optional[date] = None
    at: Optional[time] = None
    for word in words:
        parsed_time = _TIME.match(word)
        if parsed_time and (parsed_time.group(2) or word.endswith("uhr") or len(words) == 1):
            hour, minute = int(parsed_time.group(1)), int(parsed_time.group(2) or 0)
            if hour > 23 or minute > 59:
                raise AwayError(word)
            at = time(hour, minute)
        elif word in _RELATIVE:
            day = local.date() + timedelta(days=_RELATIVE[word])
        elif word in _DAYS:
            ahead = (_DAYS[word] - local.weekday()) % 7 or 7  # "friday" on a Friday: the next one
            day = local.date() + timedelta(days=ahead)
        else:
            day = _date(word, local.date())
    if day is None:
        assert at is not None
        day = local.date() if at > local.time() else local.date() + timedelta(days=1)
    if at is None:
        start = datetime.combine(day, time(0, 0), tzinfo=hours.zone)
        moment = hours.next_opening(start) if hours.slots else start
    else:
        moment = datetime.combine(day, at, tzinfo=hours.zone)
    if moment <= local:
        raise AwayError(" ".join(args))
    return moment.astimezone(timezone.utc)


def _date(word: str, today: date) -> date:
    for pattern in ("%Y-%m-%d", "%d.%m.%Y", "%d.%m."):
        try:
            parsed = datetime.strptime(word, pattern).date()
        except ValueError:
            continue
        if pattern == "%d.%m.":
            parsed = parsed.replace(year=today.year)
            if parsed < today:
                parsed = parsed.replace(year=today.year + 1)
        return parsed
    raise AwayError(word)


def zone_of(team: Team) -> ZoneInfo:
    return ZoneInfo(team.timezone or "Europe/Berlin")
