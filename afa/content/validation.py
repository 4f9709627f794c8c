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

from afa import DISTRICTS, FAQ_KEYS, LANGUAGES, TARGET_GROUPS
from afa.content.schema import KEYS, KINDS, Column
from afa.content.tables import Row, Tables
from afa.schedule import ScheduleError, parse_schedule

PLACEHOLDERS = {"period_start", "period_end", "contacts"}
MIN_FAQ_EXAMPLES = 3
EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[a-z]{2,}$", re.IGNORECASE)
_PHONE = re.compile(r"^\+?[0-9][0-9 /()-]{4,}[0-9]$")
_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
EMPTY: dict[str, Any] = {
    "bool": None, "int": None, "decimal": None, "date": None, "districts": [], "target_groups": [], "languages": [], "dates": [],
}
_TRUE, _FALSE = {"true", "yes", "ja", "1", "x", "wahr"}, {"false", "no", "nein", "0", "", "falsch"}


def placeholders_of(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@dataclass
class Validated:
    """Typed records per kind, ready to store, plus what was found wrong or worth a warning."""

    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _list(value: str, allowed: tuple[str, ...], what: str) -> list[str]:
    items = [v.strip().lower() for v in re.split(r"[,;]", value) if v.strip()]
    unknown = [v for v in items if v not in allowed]
    if unknown:
        raise ValueError(f"unknown {what} {', '.join(map(repr, unknown))} (known: {', '.join(allowed)})")
    return list(dict.fromkeys(items))


def convert(column: Column, raw: str) -> Any:
    """The typed value of one cell, or ValueError with a message for staff."""
    value = raw.strip()
    if not value:
        if column.required:
            translated = column.name[-3:-2] == "_" and column.name[-2:] in LANGUAGES
            raise ValueError("translation missing" if translated else "required, but empty")
        return EMPTY.get(column.type, "")
    kind = column.type
    if kind == "bool":
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        raise ValueError(f"not true/false: {value!r}")
    if kind == "int":
        if not re.fullmatch(r"-?\d+", value):
            raise ValueError(f"not a whole number: {value!r}")
        return int(value)
    if kind == "decimal":
        try:
            number = Decimal(value.replace(",", ".").replace("€", "").strip())
        except InvalidOperation:
            raise ValueError(f"not a number: {value!r}") from None
        if number < 0:
            raise ValueError("must not be negative")
        return number
    if kind == "date":
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"not a date (YYYY-MM-DD): {value!r}") from None
    if kind == "dates":
        try:
            return [date.fromisoformat(v.strip()) for v in re.split(r"[,;]", value) if v.strip()]
        except ValueError:
            raise ValueError(f"not a list of dates (YYYY-MM-DD, ...): {value!r}") from None
    if kind == "district":
        return _list(value, DISTRICTS, "district")[0]
    if kind == "districts":
        return _list(value, DISTRICTS, "district")
    if kind == "target_groups":
        return _list(value, TARGET_GROUPS, "target group")
    if kind == "languages":
        return _list(value, LANGUAGES, "language")
    if kind == "language":
        return _list(value, LANGUAGES, "language")[0]
    if kind == "schedule":
        try:
            parse_schedule(value)
        except ScheduleError as exc:
            raise ValueError(str(exc)) from None
        return value
    if kind == "email":
        if not EMAIL.match(value):
            raise ValueError(f"not an e-mail address: {value!r}")
        return value
    if kind == "phone":
        if not _PHONE.match(value):
            raise ValueError(f"not a phone number: {value!r}")
        return value
    if kind == "key":
        if not _KEY.match(value):
            raise ValueError(f"keys use lower-case letters, digits, '-' and '_': {value!r}")
        return value
    if kind == "timezone":
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone: {value!r}") from None
        return value
    return value


def _where(row: Row, column: str | None = None) -> str:
    return f"{row.source}, row {row.number}" + (f", field {column}" if column else "")


def validate_tables(tables: Tables, existing_teams: set[str] = frozenset()) -> Validated:  # type: ignore[assignment]
    """Typed records for every row, or the list of everything wrong with them."""
    result = Validated(errors=list(tables.errors))
    for kind, rows in tables.rows.items():
        seen: dict[tuple, Row] = {}
        records = result.records.setdefault(kind, [])
        for row in rows:
            record: dict[str, Any] = {}
            ok = True
            for column in KINDS[kind]:
                try:
                    record[column.name] = convert(column, row.values.get(column.name, ""))
                except ValueError as exc:
                    result.errors.append(f"{_where(row, column.name)}: {exc}")
                    ok = False
            if not ok:
                continue
            key = tuple(str(record[name]).casefold() for name in KEYS[kind])
            if key in seen:
                result.errors.append(f"{_where(row)}: duplicate key {'/'.join(map(str, key))} (also {_where(seen[key])})")
                continue
            seen[key] = row
            record["_where"] = _where(row)
            records.append(record)
    _check_relations(result, existing_teams)
    return result


def _check_relations(result: Validated, existing_teams: set[str]) -> None:
    records = result.records
    teams = {r["district"] for r in records.get("teams", [])} if "teams" in records else set(existing_teams)
    for coach in records.get("coaches", []):
        if coach["team"] not in teams:
            result.errors.append(f"{coach['_where']}, field team: no team for district {coach['team']!r}")
    for fact in records.get("facts", []):
        if fact["key"] not in ("period_start", "period_end"):
            result.errors.append(f"{fact['_where']}, field key: unknown fact {fact['key']!r} (period_start, period_end)")
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for example in records.get("faq_examples", []):
        counts[(example["key"], example["language"])] += 1
    for faq in records.get("faq", []):
        reference = None
        for language in LANGUAGES:
            text = faq[f"answer_{language}"]
            try:
                names = placeholders_of(text)
            except ValueError as exc:
                result.errors.append(f"{faq['_where']}, field answer_{language}: broken placeholder: {exc}")
                continue
            if names - PLACEHOLDERS:
                result.errors.append(
                    f"{faq['_where']}, field answer_{language}: unknown placeholder(s) {sorted(names - PLACEHOLDERS)}"
                    f" (known: {', '.join(sorted(PLACEHOLDERS))})"
                )
            if reference is None:
                reference = names
            elif names != reference:
                result.errors.append(
                    f"{faq['_where']}, field answer_{language}: placeholders {sorted(names)} differ from {sorted(reference)}"
                )
        if faq["key"] not in FAQ_KEYS:
            # A new topic: the bot can only recognise it with example questions in every language.
            missing = [lang for lang in LANGUAGES if counts[(faq["key"], lang)] < MIN_FAQ_EXAMPLES]
            if missing and "faq_examples" in records:
                result.errors.append(
                    f"{faq['_where']}, field key: new FAQ topic {faq['key']!r} needs at least {MIN_FAQ_EXAMPLES} "
                    f"example questions per language in faq_examples; too few for: {', '.join(missing)}"
                )
            elif missing:
                result.errors.append(
                    f"{faq['_where']}, field key: new FAQ topic {faq['key']!r} needs example questions in "
                    f"faq_examples (at least {MIN_FAQ_EXAMPLES} per language)"
                )
    if "faq" in records:
        keys = {f["key"] for f in records["faq"]}
        for key in FAQ_KEYS:
            if key not in keys:
                result.errors.append(f"faq: the answer for {key!r} is missing (the bot is trained to recognise it)")
    for offer in records.get("offers", []):
        if not offer["contact_phone"] and not offer["contact_email"]:
            result.errors.append(f"{offer['_where']}, field contact_email: give a phone number or an e-mail address")
        if offer["valid_from"] and offer["valid_until"] and offer["valid_until"] < offer["valid_from"]:
            result.errors.append(f"{offer['_where']}, field valid_until: ends before valid_from")
    result.warnings.extend(duplicate_contacts(records.get("coaches", [])))


def duplicate_contacts(coaches: list[dict[str, Any]]) -> list[str]:
    """Same e-mail or phone number for several coaches: kept (the source page has them), but reported."""
    warnings = []
    for field_name, label in (("email", "e-mail"), ("phone", "phone number")):
        owners: dict[str, list[str]] = defaultdict(list)
        for coach in coaches:
            if coach.get(field_name):
                owners[str(coach[field_name]).lower()].append(f"{coach['name']} ({coach['team']})")
        warnings += [f"duplicate {label} {value}: {', '.join(names)}" for value, names in owners.items() if len(names) > 1]
    return warnings
