"""The reach figures for a period and filters, read from the statistics tables only (never from conversations).

    filters, problems = read_filters(request.args, today=local_today(), entry_points=known_entry_points(s))
    report = build_report(s, filters)          # exact figures; `afa.reach.export` makes the tables for reports

Everything counted is a conversation (or a search, a message, ...), never a person. Deletions are counted per
day only, so the filters other than the period do not apply to them; the wait times are recorded per team and
entry point, so of the filters only the district (the team) and the entry point apply to them.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Iterable, Mapping, Optional
from zoneinfo import ZoneInfo

from sqlalchemy import String, func, literal, select, type_coerce, union_all
from sqlalchemy.orm import Session

from afa import DISTRICTS, LANGUAGES, TARGET_GROUPS
from afa.i18n import S_
from afa.reach.labels import (CHANNEL_LABELS, DISTRICT_LABELS, LANGUAGE_LABELS, NO_ENTRY_POINT, TARGET_GROUP_LABELS,
                              Translate, english, label)
from afa.reach.payloads import parse
from afa.reach.tables import CHANNELS, METRICS, WAIT_BUCKETS, EntryPoint, ReachCount, ReachDeletion, ReachWait

DEFAULT_WEEKS = 12
MAX_DAYS = 3 * 366 + 7  # three years and a week; beyond that the weekly charts stop being readable
FIRST_YEAR, LAST_YEAR = 2000, 2199  # a date outside is a typo (and 9999-12-31 has no next week to count to)
NONE = "-"  # the entry-point filter for conversations that started without a link
DIMENSIONS = ("channel", "language", "district", "target_group", "entry_point")
CONVERSATION_METRICS = ("conversation_started", "conversation_returning")
BY_TOPIC = ("unanswered", "helpful_yes", "helpful_no")  # the metrics the dashboard breaks down by topic
TOP_TOPICS = 5


@dataclass(frozen=True)
class Filters:
    """A period (both days included) and at most one value per dimension ("" = all)."""

    start: date
    end: date
    channel: str = ""
    language: str = ""
    district: str = ""
    target_group: str = ""
    entry_point: str = ""  # a payload, NONE for "no link", "" for all

    def params(self) -> dict[str, str]:
        """The query string that gives these filters (the form's field names)."""
        values = {"start": self.start.isoformat(), "end": self.end.isoformat()}
        values.update({name: getattr(self, name) for name in DIMENSIONS if getattr(self, name)})
        return values

    def active(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in DIMENSIONS if getattr(self, name)}


@dataclass(frozen=True)
class Problem:
    """An input error: the form field and an English message id (console catalogue) with its params."""

    field: str
    message: str
    params: tuple[tuple[str, str], ...] = ()

    def render(self, t: Translate = english) -> str:
        return t(self.message, **dict(self.params))


def local_today() -> date:
    """The programme's calendar day (Europe/Berlin), the day the counters are written under."""
    return datetime.now(ZoneInfo("Europe/Berlin")).date()


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def default_period(today: date) -> tuple[date, date]:
    """The last 12 ISO weeks: from the Monday eleven weeks before this week's up to today."""
    return monday(today) - timedelta(weeks=DEFAULT_WEEKS - 1), today


_GERMAN_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")


def parse_date(text: str) -> date:
    """`2026-12-02` (what a date field sends) or `2.12.2026` (what people type); ValueError otherwise."""
    text = text.strip()
    german = _GERMAN_DATE.match(text)
    if german:
        day, month, year = (int(part) for part in german.groups())
        return date(year, month, day)
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise ValueError(text)
    return date.fromisoformat(text)


def plain_payloads() -> list[str]:
    """The deep links that name only a district and/or a language: `marxloh`, `tr`, `hochfeld_tr`, ..."""
    return [*DISTRICTS, *LANGUAGES, *(f"{d}_{l}" for d in DISTRICTS for l in LANGUAGES)]


def known_entry_points(session: Session) -> dict[str, str]:
    """payload → name of every campaign entry point (also inactive ones: their counts stay)."""
    return {payload: name for payload, name in session.execute(
        select(EntryPoint.payload, EntryPoint.name).order_by(EntryPoint.name, EntryPoint.payload))}


def _known_entry_point(value: str, campaigns: Iterable[str]) -> bool:
    if value == NONE or value in campaigns:
        return True
    link = parse(value)
    return link is not None and bool(link.payload) and link.entry_id is None and link.payload == value


_UNKNOWN = {
    "channel": S_("There is no channel “{value}”. Please choose one from the list."),
    "language": S_("There is no language “{value}”. Please choose one from the list."),
    "district": S_("There is no district “{value}”. Please choose one from the list."),
    "target_group": S_("There is no target group “{value}”. Please choose one from the list."),
    "entry_point": S_("There is no entry point “{value}”. Please choose one from the list."),
}


def read_filters(values: Mapping[str, Any], *, today: date,
                 entry_points: Iterable[str] = ()) -> tuple[Optional[Filters], list[Problem]]:
    """Filters from a form or the command line; with problems, None and every problem (nothing half-read)."""
    problems: list[Problem] = []
    dates: dict[str, Optional[date]] = {}
    for name in ("start", "end"):
        text = str(values.get(name) or "").strip()
        dates[name] = None
        if text:
            try:
                dates[name] = parse_date(text)
            except ValueError:
                problems.append(Problem(name, S_("“{value}” is not a date. Please write it as DD.MM.YYYY or "
                                                 "YYYY-MM-DD."), (("value", text[:40]),)))
                continue
            if not FIRST_YEAR <= dates[name].year <= LAST_YEAR:  # type: ignore[union-attr]
                dates[name] = None
                problems.append(Problem(name, S_("“{value}” lies outside the years {first} to {last}."),
                                        (("value", text[:40]), ("first", str(FIRST_YEAR)), ("last", str(LAST_YEAR)))))
    start, end = dates["start"], dates["end"]
    if end is None and not any(p.field == "end" for p in problems):
        end = today if start is None or start <= today else start + timedelta(weeks=DEFAULT_WEEKS) - timedelta(days=1)
    if start is None and end is not None and not any(p.field == "start" for p in problems):
        start = default_period(end)[0]
    if start is not None and end is not None:
        if end < start:
            problems.append(Problem("end", S_("The period ends ({end}) before it begins ({start}). Please swap the "
                                              "dates or choose another end."),
                                    (("start", start.strftime("%d.%m.%Y")), ("end", end.strftime("%d.%m.%Y")))))
        elif (end - start).days + 1 > MAX_DAYS:
            problems.append(Problem("end", S_("The period is longer than three years. Please choose a shorter one.")))
    known: dict[str, Iterable[str]] = {"channel": CHANNELS, "language": LANGUAGES, "district": DISTRICTS,
                                       "target_group": TARGET_GROUPS}
    campaigns = set(entry_points)
    chosen: dict[str, str] = {}
    for name in DIMENSIONS:
        value = str(values.get(name) or "").strip()
        if not value:
            continue
        ok = _known_entry_point(value, campaigns) if name == "entry_point" else value in known[name]
        if not ok:
            problems.append(Problem(name, _UNKNOWN[name], (("value", value[:64]),)))
        chosen[name] = value
    if problems or start is None or end is None:
        return None, problems
    return Filters(start, end, **chosen), []


# --- the figures -------------------------------------------------------------------------------------------
@dataclass
class Report:
    """Exact figures for `filters`: counts by week and language, by district, per metric, waits, deletions."""

    filters: Filters
    weeks: list[date]  # the Monday of every ISO week that overlaps the period
    languages: list[str]  # the columns of the language tables ("" = not known, only when it occurs)
    districts: list[str]
    teams: list[str]
    conversations: dict[tuple[date, str], int] = field(default_factory=dict)  # (week, language)
    by_district: dict[str, int] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)  # every metric, and the derived figures
    unanswered: dict[tuple[str, str], int] = field(default_factory=dict)  # (topic, language)
    topics: list[str] = field(default_factory=list)  # unanswered topics, most frequent first
    helpful: dict[tuple[str, str], int] = field(default_factory=dict)  # (context, helpful_yes|helpful_no)
    contexts: list[str] = field(default_factory=list)
    waits: dict[tuple[int, str], int] = field(default_factory=dict)  # (bucket, team)
    deletions: dict[date, int] = field(default_factory=dict)  # every day of the period

    def week_total(self, week: date) -> int:
        return sum(self.conversations.get((week, language), 0) for language in self.languages)

    def language_total(self, language: str) -> int:
        return sum(self.conversations.get((week, language), 0) for week in self.weeks)

    def partial(self, week: date) -> bool:
        """Whether the period holds only part of this week."""
        return week < self.filters.start or week + timedelta(days=6) > self.filters.end

    def funnel(self) -> list[tuple[str, int]]:
        """First message → offers shown → coach requested → accepted (the second step counts searches)."""
        return [(key, self.totals[key]) for key in
                ("conversations", "searches_with_offers", "coach_request", "handover_accepted")]

    def top_unanswered(self, language: str, n: int = TOP_TOPICS) -> list[tuple[str, int]]:
        found = [(topic, self.unanswered.get((topic, language), 0)) for topic in self.topics]
        return sorted((item for item in found if item[1]), key=lambda item: (-item[1], item[0]))[:n]

    def wait_total(self, team: str) -> int:
        return sum(self.waits.get((bucket, team), 0) for bucket in WAIT_BUCKETS)

    def wait_median(self, team: Optional[str] = None) -> Optional[int]:
        """The bucket (upper bound in seconds, 0 = longer) that holds the middle wait, of one team or of all."""
        teams = [team] if team else self.teams
        counts = [sum(self.waits.get((bucket, t), 0) for t in teams) for bucket in WAIT_BUCKETS]
        total = sum(counts)
        if not total:
            return None
        running = 0
        for bucket, count in zip(WAIT_BUCKETS, counts):
            running += count
            if running * 2 >= total:
                return bucket
        return WAIT_BUCKETS[-1]

    def deletion_weeks(self) -> dict[date, int]:
        weekly: dict[date, int] = defaultdict(int)
        for day, count in self.deletions.items():
            weekly[monday(day)] += count
        return {week: weekly.get(week, 0) for week in self.weeks}


def _where(filters: Filters) -> list[Any]:
    clauses = [ReachCount.day >= filters.start, ReachCount.day <= filters.end]
    for name, value in filters.active().items():
        clauses.append(getattr(ReachCount, name) == ("" if value == NONE else value))
    return clauses


def _ordered(canonical: Iterable[str], chosen: str, seen: Iterable[str]) -> list[str]:
    """The columns of a dimension: the chosen value alone, else the canonical ones and whatever else occurs."""
    if chosen:
        return [chosen]
    values = list(canonical)
    return values + sorted(set(seen) - set(values) - {""}) + ([""] if "" in set(seen) else [])


def build_report(session: Session, filters: Filters) -> Report:
    """Five grouped queries over the period (conversations by day, language and district; the total of every
    metric; unanswered questions and "did this help?" by topic; the wait histogram; the deletions), each read
    from a covering index in the order of its GROUP BY (see `tables.py`), so that a year of counters is summed
    while it is read, never sorted."""
    weeks = []
    week = monday(filters.start)
    while week <= filters.end:
        weeks.append(week)
        week += timedelta(weeks=1)
    where = _where(filters)
    conversations: dict[tuple[date, str], int] = defaultdict(int)
    by_district: dict[str, int] = defaultdict(int)
    totals: dict[str, int] = defaultdict(int)
    seen_languages: set[str] = set()
    # Core rows, not ORM ones, and the day as the driver gives it (SQLite: text), made a week once per day:
    # a year is ~8,000 rows here, and per-row conversions would cost more than the query.
    connection = session.connection()
    weeks_of: dict[Any, date] = {}
    rows = connection.execute(
        select(ReachCount.metric, type_coerce(ReachCount.day, String), ReachCount.language, ReachCount.district,
               func.sum(ReachCount.count))
        .where(*where, ReachCount.metric.in_(CONVERSATION_METRICS))
        .group_by(ReachCount.metric, ReachCount.day, ReachCount.language, ReachCount.district))
    for metric, day, language, district, count in rows:
        totals[metric] += int(count)
        week = weeks_of.get(day)
        if week is None:
            week = weeks_of[day] = monday(day if isinstance(day, date) else date.fromisoformat(day))
        conversations[(week, language)] += int(count)
        by_district[district] += int(count)
        seen_languages.add(language)
    # One sum per metric, as UNION ALL: PostgreSQL then reads each metric's index range (it would rather scan the
    # whole table for `metric IN (...)`), SQLite does the same either way.
    others = [metric for metric in METRICS if metric not in CONVERSATION_METRICS + BY_TOPIC]
    sums = [select(literal(metric).label("metric"), func.sum(ReachCount.count).label("count"))
            .where(*where, ReachCount.metric == metric) for metric in others]
    for metric, count in connection.execute(union_all(*sums)):
        totals[metric] += int(count or 0)
    unanswered: dict[tuple[str, str], int] = defaultdict(int)
    helpful: dict[tuple[str, str], int] = defaultdict(int)
    for metric, topic, language, count in connection.execute(
            select(ReachCount.metric, ReachCount.topic, ReachCount.language, func.sum(ReachCount.count)).where(*where, ReachCount.metric.in_(BY_TOPIC))
            .group_by(ReachCount.metric, ReachCount.topic, ReachCount.language)):
        totals[metric] += int(count)
        if metric == "unanswered":
            unanswered[(topic, language)] += int(count)
            seen_languages.add(language)
        else:
            helpful[(topic, metric)] += int(count)
    languages = _ordered(LANGUAGES, filters.language, seen_languages)
    districts = _ordered(DISTRICTS, filters.district, by_district)
    topic_totals: dict[str, int] = defaultdict(int)
    for (topic, _language), count in unanswered.items():
        topic_totals[topic] += count
    topics = sorted(topic_totals, key=lambda t: (-topic_totals[t], t))

    wait_where = [ReachWait.day >= filters.start, ReachWait.day <= filters.end]
    if filters.district:
        wait_where.append(ReachWait.team == filters.district)
    if filters.entry_point:
        wait_where.append(ReachWait.entry_point == ("" if filters.entry_point == NONE else filters.entry_point))
    waits: dict[tuple[int, str], int] = defaultdict(int)
    for team, bucket, count in session.execute(
            select(ReachWait.team, ReachWait.bucket, func.sum(ReachWait.count)).where(*wait_where)
            .group_by(ReachWait.team, ReachWait.bucket)):
        waits[(int(bucket), team)] += int(count)
    teams = _ordered(DISTRICTS, filters.district, {team for _bucket, team in waits})

    deletions = {filters.start + timedelta(days=n): 0 for n in range((filters.end - filters.start).days + 1)}
    for day, count in session.execute(select(ReachDeletion.day, ReachDeletion.count)
                                      .where(ReachDeletion.day >= filters.start, ReachDeletion.day <= filters.end)):
        deletions[day] = int(count)

    figures = {metric: totals.get(metric, 0) for metric in
               ("conversation_started", "conversation_returning", "message", "offer_search", "offer_no_match",
                "offers_shown", "coach_request", "handover_accepted", "handover_ended", "unanswered",
                "helpful_yes", "helpful_no")}
    figures["conversations"] = figures["conversation_started"] + figures["conversation_returning"]
    # A search either showed offers or found none; `offers_shown` counts the offers, not the searches.
    figures["searches_with_offers"] = max(figures["offer_search"] - figures["offer_no_match"], 0)
    figures["helpful"] = figures["helpful_yes"] + figures["helpful_no"]
    figures["deletions"] = sum(deletions.values())
    contexts = _ordered(("offers", "handover"), "", {context for context, _metric in helpful})
    return Report(filters, weeks, languages, districts, teams, dict(conversations), dict(by_district), figures,
                  dict(unanswered), topics, dict(helpful), contexts, dict(waits), deletions)


def value_name(name: str, value: str, t: Translate, campaigns: Mapping[str, str]) -> str:
    """A filter value or dimension value as staff read it ("Turkish", "Moschee Marxloh (marxloh_tr_c12)")."""
    if name == "entry_point":
        if value in ("", NONE):
            return t(NO_ENTRY_POINT)
        return f"{campaigns[value]} ({value})" if value in campaigns else value
    tables = {"channel": CHANNEL_LABELS, "language": LANGUAGE_LABELS, "district": DISTRICT_LABELS,
              "target_group": TARGET_GROUP_LABELS, "team": DISTRICT_LABELS}
    return label(tables[name], value, t)


FILTER_TITLES = {"channel": S_("Channel"), "language": S_("Language"), "district": S_("District"),
                 "target_group": S_("Target group"), "entry_point": S_("Entry point")}


def describe(filters: Filters, t: Translate, campaigns: Mapping[str, str]) -> str:
    """"Period 07.09.2026 – 29.11.2026; Language: Turkish" as one line."""
    parts = [t(S_("Period {start} – {end}"), start=filters.start.strftime("%d.%m.%Y"),
               end=filters.end.strftime("%d.%m.%Y"))]
    for name, value in filters.active().items():
        parts.append(f"{t(FILTER_TITLES[name])}: {value_name(name, value, t, campaigns)}")
    return "; ".join(parts)
