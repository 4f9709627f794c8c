"""Weekly schedules as staff write them ("mon-thu 09:00-16:00; fri 09:00-12:00"), parsed and rendered per locale.

Used for the times of offers and for the teams' office hours. Day and time names come from Babel, so a
Turkish reader sees "Pzt-Per 09:00-16:00" and a Romanian one "lun.-joi 09:00-16:00".
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_time, get_day_names

from afa.i18n import S_

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_PART = re.compile(r"^(?P<days>[a-z,\- ]+?)\s+(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})$")


class ScheduleError(ValueError):
    """`message` is an English template for staff (console catalogue), `params` fill it; str() is the English text."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message.format(**params))
        self.message, self.params = message, params


@dataclass(frozen=True)
class Slot:
    days: tuple[int, ...]  # 0 = Monday
    start: time
    end: time


def _time(text: str) -> time:
    hours, minutes = (int(x) for x in text.split(":"))
    if not (0 <= hours <= 23 and 0 <= minutes <= 59):
        raise ScheduleError(S_("not a time of day: {text!r}"), text=text)
    return time(hours, minutes)


def _days(text: str) -> tuple[int, ...]:
    days: list[int] = []
    for item in (x.strip() for x in text.split(",")):
        if "-" in item:
            first, last = (x.strip() for x in item.split("-", 1))
            if first not in DAYS or last not in DAYS:
                raise ScheduleError(S_("unknown weekday in {item!r} (use {days})"), item=item, days=", ".join(DAYS))
            a, b = DAYS.index(first), DAYS.index(last)
            if b < a:
                raise ScheduleError(S_("day range runs backwards: {item!r}"), item=item)
            days.extend(range(a, b + 1))
        elif item in DAYS:
            days.append(DAYS.index(item))
        else:
            raise ScheduleError(S_("unknown weekday {item!r} (use {days})"), item=item, days=", ".join(DAYS))
    return tuple(sorted(set(days)))


def parse_schedule(text: str) -> list[Slot]:
    """'mon,wed 09:00-12:00; fri 14:00-16:00' → slots; an empty text is an empty schedule."""
    slots = []
    for part in (p.strip() for p in (text or "").lower().split(";")):
        if not part:
            continue
        match = _PART.match(part)
        if not match:
            raise ScheduleError(S_("cannot read {part!r}: write days then hours, e.g. 'mon-thu 09:00-16:00'"), part=part)
        start, end = _time(match.group("start")), _time(match.group("end"))
        if end <= start:
            raise ScheduleError(S_("ends before it starts: {part!r}"), part=part)
        slots.append(Slot(_days(match.group("days")), start, end))
    return slots


def _day_span(days: tuple[int, ...], language: str) -> str:
    names = get_day_names("abbreviated", locale=language)
    runs: list[list[int]] = []
    for day in days:
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts = [names[r[0]] if len(r) == 1 else f"{names[r[0]]}–{names[r[-1]]}" for r in runs]
    return ", ".join(parts)


def render_schedule(text: str, language: str) -> str:
    """The schedule in the reader's language (day names and times by Babel)."""
    rendered = []
    for slot in parse_schedule(text):
        hours = f"{format_time(slot.start, 'short', locale=language)}–{format_time(slot.end, 'short', locale=language)}"
        rendered.append(f"{_day_span(slot.days, language)} {hours}")
    return "; ".join(rendered)


def closed_dates(text: str) -> set[date]:
    """'2026-12-24, 2026-12-31' → dates (staff list holidays and team days off)."""
    try:
        return {date.fromisoformat(item.strip()) for item in (text or "").split(",") if item.strip()}
    except ValueError as exc:
        raise ScheduleError(S_("closed days must be ISO dates (2026-12-24), separated by commas: {detail}"),
                            detail=str(exc)) from exc


@dataclass(frozen=True)
class OfficeHours:
    """A team's weekly hours, closed days and time zone; no hours at all means the queue is always staffed."""

    slots: tuple[Slot, ...]
    closed: frozenset[date]
    zone: ZoneInfo

    @classmethod
    def of(cls, hours: str, closed_days: str, timezone: str) -> "OfficeHours":
        return cls(tuple(parse_schedule(hours)), frozenset(closed_dates(closed_days)), ZoneInfo(timezone))

    def is_open(self, now: datetime) -> bool:
        if not self.slots:
            return True
        local = now.astimezone(self.zone)
        if local.date() in self.closed:
            return False
        return any(local.weekday() in s.days and s.start <= local.time() < s.end for s in self.slots)

    def next_opening(self, now: datetime) -> datetime:
        """When the team is next in (now if open), in the team's time zone."""
        local = now.astimezone(self.zone)
        if self.is_open(now):
            return local
        for offset in range(0, 400):  # a year and a bit covers any list of closed days staff may write
            day = local.date() + timedelta(days=offset)
            if day in self.closed:
                continue
            starts = sorted(s.start for s in self.slots if day.weekday() in s.days)
            for start in starts:
                candidate = datetime.combine(day, start, tzinfo=self.zone)
                if candidate > local:
                    return candidate
        raise ScheduleError(S_("the office hours never open"))
