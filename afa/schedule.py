"""Weekly schedules as staff write them ("mon-thu 09:00-16:00; fri 09:00-12:00"), parsed and rendered per locale.

Used for the times of offers and for the teams' office hours. Day and time names come from Babel, so a
Turkish reader sees "Pzt-Per 09:00-16:00" and a Romanian one "lun.-joi 09:00-16:00".
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time

from babel.dates import format_time, get_day_names

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_PART = re.compile(r"^(?P<days>[a-z,\- ]+?)\s+(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})$")


class ScheduleError(ValueError):
    pass


@dataclass(frozen=True)
class Slot:
    days: tuple[int, ...]  # 0 = Monday
    start: time
    end: time


def _time(text: str) -> time:
    hours, minutes = (int(x) for x in text.split(":"))
    if not (0 <= hours <= 23 and 0 <= minutes <= 59):
        raise ScheduleError(f"not a time of day: {text!r}")
    return time(hours, minutes)


def _days(text: str) -> tuple[int, ...]:
    days: list[int] = []
    for item in (x.strip() for x in text.split(",")):
        if "-" in item:
            first, last = (x.strip() for x in item.split("-", 1))
            if first not in DAYS or last not in DAYS:
                raise ScheduleError(f"unknown weekday in {item!r} (use {', '.join(DAYS)})")
            a, b = DAYS.index(first), DAYS.index(last)
            if b < a:
                raise ScheduleError(f"day range runs backwards: {item!r}")
            days.extend(range(a, b + 1))
        elif item in DAYS:
            days.append(DAYS.index(item))
        else:
            raise ScheduleError(f"unknown weekday {item!r} (use {', '.join(DAYS)})")
    return tuple(sorted(set(days)))


def parse_schedule(text: str) -> list[Slot]:
    """'mon,wed 09:00-12:00; fri 14:00-16:00' → slots; an empty text is an empty schedule."""
    slots = []
    for part in (p.strip() for p in (text or "").lower().split(";")):
        if not part:
            continue
        match = _PART.match(part)
        if not match:
            raise ScheduleError(f"cannot read {part!r}: write days then hours, e.g. 'mon-thu 09:00-16:00'")
        start, end = _time(match.group("start")), _time(match.group("end"))
        if end <= start:
            raise ScheduleError(f"ends before it starts: {part!r}")
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
