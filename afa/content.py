"""Programme content: loading the reviewed content file into the database and reading it back.

Loading validates everything first and writes in the caller's transaction; duplicate contact data that the
source page really contains is kept and reported as warnings, never dropped or silently accepted.
"""
from __future__ import annotations

import logging
import re
import string
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from afa import DISTRICTS, FAQ_KEYS, LANGUAGES
from afa.db import Coach, Fact, FaqAnswer, Team, as_date
from afa.i18n import N_, format_date, gettext

logger = logging.getLogger(__name__)

PLACEHOLDERS = {"period_start", "period_end", "contacts"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)
_PHONE = re.compile(r"^\+?[0-9][0-9 /()-]{4,}[0-9]$")

TEAM_HEADING = N_("Network coach team {district}")
COACH_LINE = N_("{name}, phone {phone}, e-mail {email}")


class ContentError(ValueError):
    """The content file is malformed; nothing has been written."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class LoadReport:
    faq_answers: int = 0
    teams: int = 0
    coaches: int = 0
    warnings: list[str] = field(default_factory=list)


def placeholders_of(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def read_content_file(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ContentError([f"{path}: cannot read: {exc}"]) from exc
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise ContentError([f"{path}: not valid YAML: {exc}"]) from exc
    if not isinstance(data, dict):
        raise ContentError([f"{path}: expected a mapping with facts, teams and faq"])
    return data


def validate(data: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Return (errors, warnings) for content data; errors block loading, warnings are reported."""
    errors: list[str] = []
    warnings: list[str] = []
    facts = data.get("facts") or {}
    for key in ("period_start", "period_end"):
        try:
            if as_date(facts.get(key)) is None:
                errors.append(f"facts.{key}: missing")
        except ValueError:
            errors.append(f"facts.{key}: not a date (YYYY-MM-DD): {facts.get(key)!r}")

    teams = data.get("teams") or []
    seen_districts = set()
    emails: dict[str, list[str]] = defaultdict(list)
    phones: dict[str, list[str]] = defaultdict(list)
    for t_index, team in enumerate(teams):
        where = f"teams[{t_index}]"
        district = (team or {}).get("district")
        if district not in DISTRICTS:
            errors.append(f"{where}.district: unknown district {district!r} (known: {', '.join(DISTRICTS)})")
        elif district in seen_districts:
            errors.append(f"{where}.district: duplicate team for {district}")
        seen_districts.add(district)
        if not (team or {}).get("name"):
            errors.append(f"{where}.name: missing")
        for c_index, coach in enumerate((team or {}).get("coaches") or []):
            cwhere = f"{where}.coaches[{c_index}]"
            name = (coach or {}).get("name") or ""
            if not name:
                errors.append(f"{cwhere}.name: missing")
            phone = str((coach or {}).get("phone") or "")
            email = str((coach or {}).get("email") or "")
            if not _PHONE.match(phone):
                errors.append(f"{cwhere}.phone: not a phone number: {phone!r}")
            if not _EMAIL.match(email):
                errors.append(f"{cwhere}.email: not an e-mail address: {email!r}")
            emails[email.lower()].append(f"{name} ({district})")
            phones[phone].append(f"{name} ({district})")
    for email, owners in emails.items():
        if len(owners) > 1:
            warnings.append(f"duplicate e-mail {email}: {', '.join(owners)}")
    for phone, owners in phones.items():
        if len(owners) > 1:
            warnings.append(f"duplicate phone number {phone}: {', '.join(owners)}")

    faq = data.get("faq") or {}
    for key in FAQ_KEYS:
        answers = faq.get(key)
        if not isinstance(answers, dict):
            errors.append(f"faq.{key}: missing")
            continue
        reference = None
        for language in LANGUAGES:
            text = answers.get(language)
            if not isinstance(text, str) or not text.strip():
                errors.append(f"faq.{key}.{language}: translation missing")
                continue
            try:
                names = placeholders_of(text)
            except ValueError as exc:
                errors.append(f"faq.{key}.{language}: broken placeholder: {exc}")
                continue
            unknown = names - PLACEHOLDERS
            if unknown:
                errors.append(f"faq.{key}.{language}: unknown placeholder(s) {sorted(unknown)}")
            if reference is None:
                reference = names
            elif names != reference:
                errors.append(f"faq.{key}.{language}: placeholders {sorted(names)} differ from {sorted(reference)}")
    for key in set(faq) - set(FAQ_KEYS):
        errors.append(f"faq.{key}: unknown FAQ key (known: {', '.join(FAQ_KEYS)})")
    return errors, warnings


def load_content(session: Session, data: dict[str, Any]) -> LoadReport:
    """Validate `data` and replace the programme content in the database (within the caller's transaction)."""
    errors, warnings = validate(data)
    if errors:
        raise ContentError(errors)
    for warning in warnings:
        logger.warning("content: %s", warning)

    report = LoadReport(warnings=warnings)
    for key in ("period_start", "period_end"):
        session.merge(Fact(key=key, date_value=as_date(data["facts"][key])))

    session.execute(delete(Coach))
    session.execute(delete(Team))
    for team_data in data["teams"]:
        team = Team(district=team_data["district"], name=team_data["name"])
        for position, coach in enumerate(team_data.get("coaches") or []):
            team.coaches.append(
                Coach(position=position, name=coach["name"], phone=str(coach["phone"]), email=coach["email"])
            )
            report.coaches += 1
        session.add(team)
        report.teams += 1

    existing = {(a.key, a.language): a for a in session.scalars(select(FaqAnswer))}
    for key in FAQ_KEYS:
        for language in LANGUAGES:
            text = data["faq"][key][language].strip()
            row = existing.get((key, language))
            if row is None:
                session.add(FaqAnswer(key=key, language=language, text=text))
            elif row.text != text:
                row.text = text
            report.faq_answers += 1
    return report


def load_content_file(session: Session, path: Path) -> LoadReport:
    return load_content(session, read_content_file(path))


def is_seeded(session: Session) -> bool:
    return session.scalar(select(FaqAnswer.id).limit(1)) is not None


def teams(session: Session, district: str | None = None) -> list[Team]:
    query = select(Team).order_by(Team.id)
    if district:
        query = query.where(Team.district == district)
    return list(session.scalars(query))


def render_contacts(session: Session, language: str, district: str | None = None) -> str:
    """The coach teams (one district or both) as a block of text in `language`."""
    blocks = []
    for team in teams(session, district) or teams(session):
        lines = [gettext(language, TEAM_HEADING, district=team.district.capitalize()) + ":"]
        lines += [
            "• " + gettext(language, COACH_LINE, name=c.name, phone=c.phone, email=c.email) for c in team.coaches
        ]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def faq_answer(session: Session, key: str, language: str) -> str | None:
    """The current answer for `key` in `language`, with its placeholders filled for that locale."""
    text = session.scalar(select(FaqAnswer.text).where(FaqAnswer.key == key, FaqAnswer.language == language))
    if text is None:
        return None
    names = placeholders_of(text)
    values: dict[str, str] = {}
    if names & {"period_start", "period_end"}:
        facts = {f.key: f.date_value for f in session.scalars(select(Fact))}
        for name in ("period_start", "period_end"):
            value: date | None = facts.get(name)
            values[name] = format_date(value, language) if value else ""
    if "contacts" in names:
        values["contacts"] = render_contacts(session, language)
    return text.format(**values)
