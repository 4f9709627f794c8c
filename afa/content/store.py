"""Content in the database: apply validated tables (one transaction, the caller's) and export them back.

A kind that appears in an import replaces that kind: rows are added, changed or removed by their key, so
importing an export changes nothing and a staff spreadsheet is the whole truth for the kinds it holds.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from afa import DEFAULT_LANGUAGE, LANGUAGES
from afa.content.schema import KEYS, KINDS, ORDER
from afa.content.tables import cell
from afa.content.validation import ABSENT, EMPTY, convert
from afa.db import (
    Coach,
    Fact,
    FaqAnswer,
    FaqExample,
    Offer,
    OfferDistrict,
    OfferLanguage,
    OfferTargetGroup,
    OfferText,
    OfferTopic,
    Team,
    utcnow,
)
from afa.linking import unlink_team

DEFAULTS: dict[str, Any] = {"example": False, "active": True, "timezone": "Europe/Berlin", "cost": Decimal(0)}


@dataclass
class RowChanges:
    """One kind's changes row by row, as the strings an export writes (what the console's upload preview shows)."""

    kind: str
    added: list[dict[str, str]]
    changed: list[tuple[dict[str, str], dict[str, str]]]  # (before, after)
    removed: list[dict[str, str]]

    def fields(self, before: dict[str, str], after: dict[str, str]) -> list[str]:
        """The columns whose values differ (lists compared as sets, as the import does)."""
        old, new = _comparable(self.kind, before), _comparable(self.kind, after)
        return [c.name for c in KINDS[self.kind] if old.get(c.name, "") != new.get(c.name, "")]


@dataclass
class Changes:
    added: dict[str, int] = field(default_factory=dict)
    changed: dict[str, int] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)
    rows: dict[str, RowChanges] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.added.values()) + sum(self.changed.values()) + sum(self.removed.values())

    def summary(self) -> str:
        kinds = sorted(set(self.added) | set(self.changed) | set(self.removed), key=ORDER.index)
        parts = [
            f"{kind}: +{self.added.get(kind, 0)} ~{self.changed.get(kind, 0)} -{self.removed.get(kind, 0)}" for kind in kinds
        ]
        return "; ".join(parts) if parts else "no changes"


def canonical(kind: str, record: dict[str, Any]) -> dict[str, str]:
    """A record as the strings an export writes (defaults filled in), for comparing and exporting."""
    row = {}
    for column in KINDS[kind]:
        value = record.get(column.name)
        if value is None or value == "":
            value = DEFAULTS.get(column.name, value)
        row[column.name] = cell(value)
    return row


def _key(kind: str, row: dict[str, str]) -> tuple[str, ...]:
    return tuple(row[name].casefold() for name in KEYS[kind])


# --- export: the database as rows of strings ----------------------------------------------------------
def _export_facts(session: Session) -> list[dict[str, Any]]:
    return [{"key": f.key, "value": f.date_value} for f in session.scalars(select(Fact).order_by(Fact.key))]


def team_values(t: Team) -> dict[str, Any]:
    """One team as a `teams` row (what an export writes and the console's form starts from)."""
    return {"district": t.district, "name": t.name, "telegram_chat_id": t.telegram_chat_id, "office_hours": t.office_hours,
            "closed_days": t.closed_days, "timezone": t.timezone, "area": t.area}


def coach_values(team: Team, c: Coach) -> dict[str, Any]:
    """One coach as a `coaches` row."""
    return {"team": team.district, "name": c.name, "phone": c.phone, "email": c.email,
            "telegram_user_id": c.telegram_user_id, "languages": c.languages}


def _export_teams(session: Session) -> list[dict[str, Any]]:
    return [team_values(t) for t in session.scalars(select(Team).order_by(Team.id))]


def _export_coaches(session: Session) -> list[dict[str, Any]]:
    return [coach_values(team, c) for team in session.scalars(select(Team).order_by(Team.id)) for c in team.coaches]


def _export_faq(session: Session) -> list[dict[str, Any]]:
    by_key: dict[str, dict[str, Any]] = {}
    for answer in session.scalars(select(FaqAnswer).order_by(FaqAnswer.id)):
        by_key.setdefault(answer.key, {"key": answer.key})[f"answer_{answer.language}"] = answer.text
    return list(by_key.values())


def _export_faq_examples(session: Session) -> list[dict[str, Any]]:
    query = select(FaqExample).order_by(FaqExample.key, FaqExample.language, FaqExample.id)
    return [{"key": e.key, "language": e.language, "text": e.text} for e in session.scalars(query)]


def _export_offers(session: Session, key: str | None = None) -> list[dict[str, Any]]:
    """All offers (or the one with `key`) as rows, read with six plain queries (thousands of offers: no ORM
    objects needed)."""
    rows: dict[int, dict[str, Any]] = {}
    columns = [Offer.id, Offer.key, Offer.example, Offer.active, Offer.provider, Offer.address, Offer.contact_phone,
               Offer.contact_email, Offer.schedule, Offer.cost_cents, Offer.valid_from, Offer.valid_until]
    query = select(*columns).order_by(Offer.id)
    if key is not None:
        query = query.where(Offer.key == key)
    for o in session.execute(query):
        rows[o.id] = {
            "key": o.key, "example": o.example, "active": o.active, "provider": o.provider, "address": o.address,
            "contact_phone": o.contact_phone, "contact_email": o.contact_email, "schedule": o.schedule,
            "cost": Decimal(o.cost_cents) / 100, "valid_from": o.valid_from, "valid_until": o.valid_until,
            "districts": [], "target_groups": [], "languages": [], "topics": [],
        }

    def only_these(query, table):  # type: ignore[no-untyped-def]
        return query if key is None else query.where(table.offer_id.in_(list(rows)))

    for t in session.execute(only_these(select(OfferText.__table__), OfferText)):
        row = rows[t.offer_id]
        row[f"title_{t.language}"], row[f"summary_{t.language}"], row[f"details_{t.language}"] = t.title, t.summary, t.details
    for table, column, name in ((OfferDistrict, OfferDistrict.district, "districts"),
                                (OfferTargetGroup, OfferTargetGroup.target_group, "target_groups"),
                                (OfferLanguage, OfferLanguage.language, "languages"),
                                (OfferTopic, OfferTopic.topic, "topics")):
        for offer_id, value in session.execute(only_these(select(table.offer_id, column), table).order_by(column)):
            rows[offer_id][name].append(value)
    return list(rows.values())


def offer_row(session: Session, key: str) -> dict[str, str] | None:
    """One offer as the strings an export writes (the console's form shows them), or None."""
    rows = _export_offers(session, key)
    return canonical("offers", rows[0]) if rows else None


EXPORTERS: dict[str, Callable[[Session], list[dict[str, Any]]]] = {
    "facts": _export_facts, "teams": _export_teams, "coaches": _export_coaches, "faq": _export_faq,
    "faq_examples": _export_faq_examples, "offers": _export_offers,
}


def export_tables(session: Session, kinds: tuple[str, ...] = ORDER) -> dict[str, list[dict[str, str]]]:
    return {kind: [canonical(kind, r) for r in EXPORTERS[kind](session)] for kind in kinds}


# --- import: write validated records ------------------------------------------------------------------
def _comparable(kind: str, row: dict[str, str]) -> dict[str, str]:
    """Lists compare as sets: 'hochfeld, marxloh' equals 'marxloh, hochfeld'."""
    list_columns = {c.name for c in KINDS[kind] if c.type in ("districts", "target_groups", "languages", "topics", "dates")}
    return {k: (", ".join(sorted(x.strip() for x in v.split(","))) if k in list_columns and v else v) for k, v in row.items()}


def _write_team(session: Session, record: dict[str, Any], team: Team | None) -> Team:
    team = team or Team(district=record["district"])
    team.name = record["name"]
    if team.telegram_chat_id is not None and team.telegram_chat_id != record["telegram_chat_id"]:
        unlink_team(team)  # another group (or none): what the bot knew of the old one no longer applies
    team.telegram_chat_id = record["telegram_chat_id"]
    team.office_hours = record["office_hours"] or ""
    team.closed_days = ", ".join(d.isoformat() for d in record["closed_days"])
    team.timezone = record["timezone"] or DEFAULTS["timezone"]
    team.area = record.get("area") or ""
    session.add(team)
    return team


def save_team(session: Session, record: dict[str, Any]) -> Team:
    """One validated `teams` record (the console's team form), written the way an import writes it."""
    return _write_team(session, record, session.scalar(select(Team).where(Team.district == record["district"])))


def _write_coach(session: Session, record: dict[str, Any], coach: Coach | None, team_id: int, position: int) -> Coach:
    coach = coach or Coach()
    if coach.telegram_user_id != record["telegram_user_id"]:
        coach.telegram_name = coach.linked_at = None  # another account (or none) than the one linked
    coach.team_id, coach.position, coach.name = team_id, position, record["name"]
    coach.phone, coach.email = record["phone"] or "", record["email"] or ""
    coach.telegram_user_id = record["telegram_user_id"]
    coach.languages = ", ".join(record["languages"])
    session.add(coach)
    return coach


def save_coach(session: Session, record: dict[str, Any], coach: Coach | None = None) -> Coach:
    """One validated `coaches` record: a new coach goes last in its team, an edited one keeps its place
    (unless it moves to another team)."""
    team = session.scalar(select(Team).where(Team.district == record["team"]))
    if coach is not None and coach.team_id == team.id:
        position = coach.position
    else:
        position = max((c.position for c in team.coaches), default=-1) + 1
    coach = _write_coach(session, record, coach, team.id, position)
    session.flush()
    return coach


def _keep_absent(kind: str, record: dict[str, Any], stored: dict[str, str] | None) -> dict[str, Any]:
    """A column the input does not have (a sheet from before the column existed) keeps what is `stored` (the row
    as an export writes it); a new row gets the column's empty value."""
    absent = [c for c in KINDS[kind] if record.get(c.name) is ABSENT]
    if not absent:
        return record
    kept = dict(record)
    for column in absent:
        kept[column.name] = convert(column, stored[column.name]) if stored else EMPTY.get(column.type, "")
    return kept


def apply_records(session: Session, records: dict[str, list[dict[str, Any]]], dry_run: bool = False) -> Changes:
    """Make the database hold exactly `records` for each kind they contain; return what changed."""
    changes = Changes()
    for kind in ORDER:
        if kind not in records:
            continue
        current = {_key(kind, row): row for row in export_tables(session, (kind,))[kind]}
        wanted, rows = {}, {}
        for record in records[kind]:
            record = _keep_absent(kind, record, current.get(tuple(cell(record[k]).casefold() for k in KEYS[kind])))
            row = canonical(kind, record)
            wanted[_key(kind, row)], rows[_key(kind, row)] = record, row
        added = [k for k in wanted if k not in current]
        removed = [k for k in current if k not in wanted]
        changed = [k for k in wanted if k in current and _comparable(kind, rows[k]) != _comparable(kind, current[k])]
        changes.added[kind], changes.changed[kind], changes.removed[kind] = len(added), len(changed), len(removed)
        changes.rows[kind] = RowChanges(kind, [rows[k] for k in added], [(current[k], rows[k]) for k in changed],
                                        [current[k] for k in removed])
        if dry_run or not (added or removed or changed):
            continue
        WRITERS[kind](session, wanted, added + changed, removed)
        session.flush()
    return changes


def _apply_facts(session: Session, wanted: dict, upsert: list, removed: list) -> None:
    for key in removed:
        session.execute(delete(Fact).where(Fact.key == key[0]))
    for key in upsert:
        record = wanted[key]
        session.merge(Fact(key=record["key"], date_value=record["value"]))


def _apply_teams(session: Session, wanted: dict, upsert: list, removed: list) -> None:
    teams = {t.district: t for t in session.scalars(select(Team))}
    for key in removed:
        session.delete(teams[key[0]])
    for key in upsert:
        _write_team(session, wanted[key], teams.get(wanted[key]["district"]))


def _apply_coaches(session: Session, wanted: dict, upsert: list, removed: list) -> None:
    # Coaches are few and ordered within their team: positions follow the file's order. A coach stays the same
    # row (by team and name), so a linked Telegram account and an open link code survive other coaches' changes.
    teams = {t.district: t for t in session.scalars(select(Team))}
    current = {(t.district.casefold(), c.name.casefold()): c for t in teams.values() for c in t.coaches}
    for key in removed:
        session.delete(current[key])
    positions: dict[str, int] = {}
    for key, record in wanted.items():
        position = positions.get(record["team"], 0)
        positions[record["team"]] = position + 1
        _write_coach(session, record, current.get(key), teams[record["team"]].id, position)


def save_faq(session: Session, record: dict[str, Any], answers: dict[str, FaqAnswer] | None = None) -> dict[str, tuple]:
    """Write one validated `faq` record (all four languages); return {language: (before, after)} of the texts
    that changed.

    The translation status, one rule for the import and the console: a language whose text changes is up to
    date; when the German text changes, every other language whose text did not change with it is marked
    "needs update" until someone edits it or marks it as checked. The bot keeps serving it meanwhile.
    """
    key = record["key"]
    if answers is None:
        answers = {a.language: a for a in session.scalars(select(FaqAnswer).where(FaqAnswer.key == key))}
    changed: dict[str, tuple] = {}
    for language in LANGUAGES:
        text = record[f"answer_{language}"].strip()
        row = answers.get(language)
        if row is None:
            session.add(FaqAnswer(key=key, language=language, text=text, needs_update=False))
            changed[language] = (None, text)
        elif row.text != text:
            changed[language] = (row.text, text)
            row.text, row.needs_update = text, False
    if answers.get(DEFAULT_LANGUAGE) is not None and DEFAULT_LANGUAGE in changed:
        for language, row in answers.items():
            if language != DEFAULT_LANGUAGE and language not in changed:
                row.needs_update = True
    return changed


def mark_faq_checked(session: Session, key: str, language: str) -> bool | None:
    """A translator checked the text against the German one: up to date again, text unchanged. Returns whether
    it needed an update (None: no such answer)."""
    row = session.scalar(select(FaqAnswer).where(FaqAnswer.key == key, FaqAnswer.language == language))
    if row is None:
        return None
    was, row.needs_update = bool(row.needs_update), False
    return was


def _apply_faq(session: Session, wanted: dict, upsert: list, removed: list) -> None:
    answers: dict[str, dict[str, FaqAnswer]] = {}
    for answer in session.scalars(select(FaqAnswer)):
        answers.setdefault(answer.key, {})[answer.language] = answer
    for key in removed:
        session.execute(delete(FaqAnswer).where(FaqAnswer.key == key[0]))
    for key in upsert:
        save_faq(session, wanted[key], answers.get(wanted[key]["key"], {}))


def _apply_faq_examples(session: Session, wanted: dict, upsert: list, removed: list) -> None:
    session.execute(delete(FaqExample))
    for record in wanted.values():
        session.add(FaqExample(key=record["key"], language=record["language"], text=record["text"]))


def offer_columns(r: dict[str, Any]) -> dict[str, Any]:
    """The `offers` table's columns for a validated record, defaults filled in (also what a card preview shows)."""
    return {
        "key": r["key"], "provider": r["provider"], "address": r["address"] or "",
        "contact_phone": r["contact_phone"] or "", "contact_email": r["contact_email"] or "",
        "schedule": r["schedule"] or "", "valid_from": r["valid_from"], "valid_until": r["valid_until"],
        "example": DEFAULTS["example"] if r["example"] is None else r["example"],
        "active": DEFAULTS["active"] if r["active"] is None else r["active"],
        "cost_cents": int((DEFAULTS["cost"] if r["cost"] is None else r["cost"]) * 100),
    }


def save_offer(session: Session, record: dict[str, Any]) -> tuple[dict[str, str] | None, dict[str, str]]:
    """Write one validated offer, new or replacing the one with its key, the way an import writes it (in the
    caller's transaction); returns the offer before (None if new) and after, as comparable export strings."""
    key = record["key"]
    current = offer_row(session, key)
    record = _keep_absent("offers", record, current)
    before = _comparable("offers", current) if current is not None else None
    after = _comparable("offers", canonical("offers", record))
    if before != after:
        _apply_offers(session, {(key,): record}, [(key,)], [])
        session.flush()
    return before, after


def set_offer_active(session: Session, key: str, active: bool) -> bool | None:
    """Deactivate or reactivate an offer (nothing else changes); returns whether it was active, None if no offer."""
    was = session.scalar(select(Offer.active).where(Offer.key == key))
    if was is None:
        return None
    session.execute(update(Offer).where(Offer.key == key).values(active=active, updated_at=utcnow()))
    return bool(was)


def _apply_offers(session: Session, wanted: dict, upsert: list, removed: list) -> None:
    """Bulk statements: a changed offer is deleted (its texts and lists go by ON DELETE CASCADE) and inserted."""
    doomed = [key[0] for key in removed] + [wanted[key]["key"] for key in upsert]
    for start in range(0, len(doomed), 500):
        session.execute(delete(Offer).where(Offer.key.in_(doomed[start:start + 500])))
    records = [wanted[key] for key in upsert]
    if not records:
        return
    session.execute(insert(Offer), [{**offer_columns(r), "updated_at": utcnow()} for r in records])
    ids: dict[str, int] = {}
    keys = [r["key"] for r in records]
    for start in range(0, len(keys), 500):
        ids.update(session.execute(select(Offer.key, Offer.id).where(Offer.key.in_(keys[start:start + 500]))).all())
    session.execute(insert(OfferText), [
        {"offer_id": ids[r["key"]], "language": lang, "title": r[f"title_{lang}"], "summary": r[f"summary_{lang}"],
         "details": r[f"details_{lang}"]}
        for r in records for lang in LANGUAGES
    ])
    for table, column, name in ((OfferDistrict, "district", "districts"),
                                (OfferTargetGroup, "target_group", "target_groups"),
                                (OfferLanguage, "language", "languages"),
                                (OfferTopic, "topic", "topics")):
        values = [{"offer_id": ids[r["key"]], column: v} for r in records for v in r[name]]
        if values:
            session.execute(insert(table), values)


WRITERS: dict[str, Callable[[Session, dict, list, list], None]] = {
    "facts": _apply_facts, "teams": _apply_teams, "coaches": _apply_coaches, "faq": _apply_faq,
    "faq_examples": _apply_faq_examples, "offers": _apply_offers,
}
