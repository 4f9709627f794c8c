"""Check every row of every table before anything is written; each problem names file/sheet, row and field."""
from __future__ import annotations

import re
import string
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from afa import DISTRICTS, FAQ_KEYS, LANGUAGES, TARGET_GROUPS, TOPICS
from afa.content.schema import KEYS, KINDS, Column
from afa.content.tables import Invalid, Problem, Row, Tables, place
from afa.geo import AreaError, format_area, parse_area
from afa.i18n import S_
from afa.schedule import ScheduleError, parse_schedule

PLACEHOLDERS = {"period_start", "period_end", "contacts"}
MIN_FAQ_EXAMPLES = 3
EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[a-z]{2,}$", re.IGNORECASE)
_PHONE = re.compile(r"^\+?[0-9][0-9 /()-]{4,}[0-9]$")
_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
EMPTY: dict[str, Any] = {
    "bool": None, "int": None, "decimal": None, "date": None, "districts": [], "target_groups": [], "languages": [], "dates": [],
    "topics": [],
}


class _Absent:
    """The value of a `kept_when_absent` column the input does not have: the stored value stays (afa.content.store)."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT = _Absent()
_TRUE, _FALSE = {"true", "yes", "ja", "1", "x", "wahr"}, {"false", "no", "nein", "0", "", "falsch"}


def placeholders_of(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@dataclass
class Validated:
    """Typed records per kind, ready to store, plus what was found wrong (`problems`) or worth a warning."""

    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    warning_problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        """The problems as the command line prints them (English)."""
        return [str(p) for p in self.problems]

    @property
    def warnings(self) -> list[str]:
        return [str(p) for p in self.warning_problems]


# One message per kind of list, so that each reads well in German too.
_UNKNOWN = {
    "district": S_("unknown district {values} (known: {known})"),
    "target group": S_("unknown target group {values} (known: {known})"),
    "language": S_("unknown language {values} (known: {known})"),
    "topic": S_("unknown topic {values} (known: {known})"),
}


def _list(value: str, allowed: tuple[str, ...], what: str) -> list[str]:
    items = [v.strip().lower() for v in re.split(r"[,;]", value) if v.strip()]
    unknown = [v for v in items if v not in allowed]
    if unknown:
        raise Invalid(_UNKNOWN[what], values=", ".join(map(repr, unknown)), known=", ".join(allowed))
    return list(dict.fromkeys(items))


def convert(column: Column, raw: str) -> Any:
    """The typed value of one cell, or `Invalid` (a ValueError) whose `text` says why, for staff."""
    value = raw.strip()
    if not value:
        if column.required:
            translated = column.name[-3:-2] == "_" and column.name[-2:] in LANGUAGES
            raise Invalid(S_("translation missing") if translated else S_("required, but empty"))
        return EMPTY.get(column.type, "")
    kind = column.type
    if kind == "bool":
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        raise Invalid(S_("not true/false: {value!r}"), value=value)
    if kind == "int":
        if not re.fullmatch(r"-?\d+", value):
            raise Invalid(S_("not a whole number: {value!r}"), value=value)
        return int(value)
    if kind == "decimal":
        try:
            number = Decimal(value.replace(",", ".").replace("€", "").strip())
        except InvalidOperation:
            raise Invalid(S_("not a number: {value!r}"), value=value) from None
        if number < 0:
            raise Invalid(S_("must not be negative"))
        return number
    if kind == "date":
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise Invalid(S_("not a date (YYYY-MM-DD): {value!r}"), value=value) from None
    if kind == "dates":
        try:
            return [date.fromisoformat(v.strip()) for v in re.split(r"[,;]", value) if v.strip()]
        except ValueError:
            raise Invalid(S_("not a list of dates (YYYY-MM-DD, ...): {value!r}"), value=value) from None
    if kind == "district":
        return _list(value, DISTRICTS, "district")[0]
    if kind == "districts":
        return _list(value, DISTRICTS, "district")
    if kind == "target_groups":
        return _list(value, TARGET_GROUPS, "target group")
    if kind == "languages":
        return _list(value, LANGUAGES, "language")
    if kind == "topics":
        return _list(value, TOPICS, "topic")
    if kind == "language":
        return _list(value, LANGUAGES, "language")[0]
    if kind == "schedule":
        try:
            parse_schedule(value)
        except ScheduleError as exc:
            raise Invalid(exc.message, **exc.params) from None
        return value
    if kind == "email":
        if not EMAIL.match(value):
            raise Invalid(S_("not an e-mail address: {value!r}"), value=value)
        return value
    if kind == "phone":
        if not _PHONE.match(value):
            raise Invalid(S_("not a phone number: {value!r}"), value=value)
        return value
    if kind == "key":
        if not _KEY.match(value):
            raise Invalid(S_("keys use lower-case letters, digits, '-' and '_': {value!r}"), value=value)
        return value
    if kind == "area":
        try:
            return format_area(parse_area(value))
        except AreaError as exc:
            raise Invalid(exc.message, **exc.params) from None
    if kind == "timezone":
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise Invalid(S_("unknown time zone: {value!r}"), value=value) from None
        return value
    return value


def _problem(row: Row, column: str | None, message: str, **params: Any) -> Problem:
    return Problem(message, row.source, row.number, column, **params)


def validate_tables(tables: Tables, existing_teams: set[str] = frozenset()) -> Validated:  # type: ignore[assignment]
    """Typed records for every row, or the list of everything wrong with them."""
    result = Validated(problems=list(tables.problems))
    for kind, rows in tables.rows.items():
        seen: dict[tuple, Row] = {}
        records = result.records.setdefault(kind, [])
        for row in rows:
            record: dict[str, Any] = {}
            ok = True
            for column in KINDS[kind]:
                if column.kept_when_absent and column.name not in row.values:
                    record[column.name] = ABSENT
                    continue
                try:
                    record[column.name] = convert(column, row.values.get(column.name, ""))
                except Invalid as exc:
                    result.problems.append(_problem(row, column.name, exc.text.message, **exc.text.params))
                    ok = False
            if not ok:
                continue
            key = tuple(str(record[name]).casefold() for name in KEYS[kind])
            if key in seen:
                result.problems.append(_problem(row, None, S_("duplicate key {key} (also {also})"), key="/".join(key),
                                                also=place(seen[key].source, seen[key].number)))
                continue
            seen[key] = row
            record["_where"] = row
            records.append(record)
    _check_relations(result, existing_teams)
    return result


def _check_relations(result: Validated, existing_teams: set[str]) -> None:
    records = result.records
    problems = result.problems

    def problem(record: dict[str, Any], column: str, message: str, **params: Any) -> None:
        problems.append(_problem(record["_where"], column, message, **params))

    teams = {r["district"] for r in records.get("teams", [])} if "teams" in records else set(existing_teams)
    for coach in records.get("coaches", []):
        if coach["team"] not in teams:
            problem(coach, "team", S_("no team for district {district!r}"), district=coach["team"])
    for fact in records.get("facts", []):
        if fact["key"] not in ("period_start", "period_end"):
            problem(fact, "key", S_("unknown fact {key!r} (period_start, period_end)"), key=fact["key"])
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for example in records.get("faq_examples", []):
        counts[(example["key"], example["language"])] += 1
    known = ", ".join(sorted(PLACEHOLDERS))
    for faq in records.get("faq", []):
        reference = None
        for language in LANGUAGES:
            column = f"answer_{language}"
            try:
                names = placeholders_of(faq[column])
            except ValueError as exc:
                problem(faq, column, S_("broken placeholder: {detail}"), detail=str(exc))
                continue
            if names - PLACEHOLDERS:
                problem(faq, column, S_("unknown placeholder(s) {names} (known: {known})"),
                        names=str(sorted(names - PLACEHOLDERS)), known=known)
            if reference is None:
                reference = names
            elif names != reference:
                problem(faq, column, S_("placeholders {names} differ from {reference}"),
                        names=str(sorted(names)), reference=str(sorted(reference)))
        if faq["key"] not in FAQ_KEYS:
            # A new topic: the bot can only recognise it with example questions in every language.
            missing = [lang for lang in LANGUAGES if counts[(faq["key"], lang)] < MIN_FAQ_EXAMPLES]
            if missing and "faq_examples" in records:
                problem(faq, "key", S_("new FAQ topic {key!r} needs at least {count} example questions per language "
                                       "in faq_examples; too few for: {languages}"),
                        key=faq["key"], count=MIN_FAQ_EXAMPLES, languages=", ".join(missing))
            elif missing:
                problem(faq, "key", S_("new FAQ topic {key!r} needs example questions in faq_examples "
                                       "(at least {count} per language)"), key=faq["key"], count=MIN_FAQ_EXAMPLES)
    if "faq" in records:
        keys = {f["key"] for f in records["faq"]}
        for key in FAQ_KEYS:
            if key not in keys:
                problems.append(Problem(S_("the answer for {key!r} is missing (the bot is trained to recognise it)"),
                                        "faq", key=key))
    for offer in records.get("offers", []):
        if not offer["contact_phone"] and not offer["contact_email"]:
            problem(offer, "contact_email", S_("give a phone number or an e-mail address"))
        if offer["valid_from"] and offer["valid_until"] and offer["valid_until"] < offer["valid_from"]:
            problem(offer, "valid_until", S_("ends before valid_from"))
    result.warning_problems.extend(duplicate_contact_problems(records.get("coaches", [])))


def duplicate_contact_problems(coaches: list[dict[str, Any]]) -> list[Problem]:
    """Same e-mail or phone number for several coaches: kept (the source page has them), but reported."""
    warnings = []
    for field_name, message in (("email", S_("duplicate e-mail {value}: {names}")),
                                ("phone", S_("duplicate phone number {value}: {names}"))):
        owners: dict[str, list[str]] = defaultdict(list)
        for coach in coaches:
            if coach.get(field_name):
                owners[str(coach[field_name]).lower()].append(f"{coach['name']} ({coach['team']})")
        warnings += [Problem(message, value=value, names=", ".join(names)) for value, names in owners.items() if len(names) > 1]
    return warnings


def duplicate_contacts(coaches: list[dict[str, Any]]) -> list[str]:
    return [str(p) for p in duplicate_contact_problems(coaches)]
