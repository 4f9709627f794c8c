"""Campaign entry points: create, list with this month's conversations, look up, deactivate.

An entry point ("Moschee Marxloh, Aushang") has a district, a language and a deep-link payload made from its id
(`marxloh_tr_c12`); what starts through it is counted under that payload (afa.reach.record). Data functions take
the caller's session; a wrong name, district or language raises `EntryPointInvalid` with structured problems
that the console shows in German and the command line in English.
"""
from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Optional
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from afa import DISTRICTS, LANGUAGES
from afa.content.tables import Problem
from afa.i18n import S_
from afa.reach import payloads
from afa.reach.tables import EntryPoint, ReachCount

NAME_LIMIT = 120
_ZONE = ZoneInfo("Europe/Berlin")  # the statistics' calendar day is the programme's (afa.reach.record.today)
_SPACES = re.compile(r"[^\S\r\n\t\f\v]+")  # runs of spaces (also no-break); not line breaks, tabs
# Pictographs, their joiners, variation selectors, skin tones and tag characters: never text on a flyer.
_EMOJI = re.compile(
    "[\U0001F000-\U0001FAFF\U00002600-\U000027BF\U00002B00-\U00002BFF\U0000FE00-\U0000FE0F\U0000200D"
    "\U000020E3\U000E0000-\U000E007F\U0001F1E6-\U0001F1FF]"
)
STARTED, RETURNING = "conversation_started", "conversation_returning"


class EntryPointInvalid(ValueError):
    """The input cannot become an entry point; `problems` say why (field = the form field)."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Listed:
    """An entry point with its conversations this month (started and returning, as counted)."""

    entry: EntryPoint
    started: int
    returning: int

    @property
    def conversations(self) -> int:
        return self.started + self.returning


def _code(char: str) -> str:
    return f"U+{ord(char):04X}"


def clean_name(raw: str) -> tuple[str, list[Problem]]:
    """The name trimmed, with runs of spaces as one space, and what is wrong with it (nothing: [])."""
    name = _SPACES.sub(" ", (raw or "").strip(" \u00a0"))
    if not name:
        return name, [Problem(S_("Please give the entry point a name."), column="name")]
    problems = []
    if len(name) > NAME_LIMIT:
        problems.append(Problem(S_("The name has {length} characters; at most {limit} are allowed."), column="name",
                                length=len(name), limit=NAME_LIMIT))
    # Letters, digits, punctuation and spaces print on every flyer; emoji, symbols and control characters do not.
    bad = [c for c in name if _EMOJI.match(c) or not c.isprintable() or unicodedata.category(c) in ("So", "Cs", "Co")]
    if bad:
        shown = ", ".join(dict.fromkeys(_code(c) for c in bad))
        problems.append(Problem(S_("The name contains emoji, symbols or control characters ({characters}); please use "
                                   "only letters, digits, spaces and punctuation."), column="name", characters=shown))
    return name, problems


def check(name: str, district: str, language: str) -> tuple[str, list[Problem]]:
    """The cleaned name and every problem with the three values."""
    cleaned, problems = clean_name(name)
    if district not in DISTRICTS:
        problems.append(Problem(S_("unknown district {values} (known: {known})"), column="district",
                                values=repr(district), known=", ".join(DISTRICTS)))
    if language not in LANGUAGES:
        problems.append(Problem(S_("unknown language {values} (known: {known})"), column="language",
                                values=repr(language), known=", ".join(LANGUAGES)))
    return cleaned, problems


def create(session: Session, name: str, district: str, language: str, created_by: str) -> EntryPoint:
    """A new active entry point with its payload (`marxloh_tr_c12`); `EntryPointInvalid` when the input is wrong."""
    cleaned, problems = check(name, district, language)
    if problems:
        raise EntryPointInvalid(problems)
    # The payload needs the id: insert with a unique placeholder first, then set it in the same transaction.
    entry = EntryPoint(payload=f"pending-{uuid.uuid4().hex}", name=cleaned,
                       district=district, language=language, active=True, created_by=created_by[:254])
    session.add(entry)
    session.flush()
    entry.payload = payloads.make(district, language, entry.id)
    session.flush()
    return entry


def get(session: Session, payload: str) -> Optional[EntryPoint]:
    """The entry point of a payload (`marxloh_tr_c12`, case as Telegram passes it or not), or None."""
    link = payloads.parse(payload)
    if link is None or link.entry_id is None:
        return None
    return session.scalars(select(EntryPoint).where(EntryPoint.payload == link.payload)).first()


def month_start(today: Optional[date] = None) -> date:
    """The first day of the current month in the programme's calendar."""
    today = today or datetime.now(_ZONE).date()
    return today.replace(day=1)


def counts_this_month(session: Session, payloads_wanted: list[str],
                      today: Optional[date] = None) -> dict[str, tuple[int, int]]:
    """(started, returning) per payload, from the first of this month until today, summed over every dimension."""
    if not payloads_wanted:
        return {}
    query = (select(ReachCount.entry_point, ReachCount.metric, func.sum(ReachCount.count))
             .where(ReachCount.entry_point.in_(payloads_wanted), ReachCount.metric.in_((STARTED, RETURNING)),
                    ReachCount.day >= month_start(today))
             .group_by(ReachCount.entry_point, ReachCount.metric))
    found: dict[str, list[int]] = {p: [0, 0] for p in payloads_wanted}
    for payload, metric, total in session.execute(query):
        found[payload][0 if metric == STARTED else 1] = int(total or 0)
    return {p: (v[0], v[1]) for p, v in found.items()}


def listing(session: Session, include_inactive: bool = True, today: Optional[date] = None) -> list[Listed]:
    """Every entry point, newest first, with its conversations this month."""
    query = select(EntryPoint).order_by(EntryPoint.active.desc(), EntryPoint.id.desc())
    if not include_inactive:
        query = query.where(EntryPoint.active.is_(True))
    entries = list(session.scalars(query))
    counts = counts_this_month(session, [e.payload for e in entries], today)
    return [Listed(e, *counts.get(e.payload, (0, 0))) for e in entries]


def set_active(session: Session, payload: str, active: bool) -> Optional[bool]:
    """Deactivate (or reactivate) an entry point; what it was before, None if there is none. Its scans then count
    under the plain district/language payload (afa.reach.record.entry_point_for); the row and its counts stay."""
    entry = get(session, payload)
    if entry is None:
        return None
    was = bool(entry.active)
    entry.active = active
    return was


def deactivate(session: Session, payload: str) -> Optional[bool]:
    return set_active(session, payload, False)


def plain_payloads() -> list[str]:
    """The plain payloads a poster can carry without a campaign: per district, district and language, language."""
    return [*DISTRICTS, *(f"{d}_{lang}" for d in DISTRICTS for lang in LANGUAGES), *LANGUAGES]
