"""Content in the database: apply validated tables (one transaction, the caller's) and export them back.

A kind that appears in an import replaces that kind: rows are added, changed or removed by their key, so
importing an export changes nothing and a staff spreadsheet is the whole truth for the kinds it holds.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from afa import LANGUAGES
from afa.content.schema import KEYS, KINDS, ORDER
from afa.content.tables import cell
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
    Team,
    utcnow,
)

DEFAULTS: dict[str, Any] = {"example": False, "active": True, "timezone": "Europe/Berlin", "cost": Decimal(0)}


@dataclass
class Changes:
    added: dict[str, int] = field(default_factory=dict)
    changed: dict[str, int] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)

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


def _export_teams(session: Session) -> list[dict[str, Any]]:
    return [
        {"district": t.district, "name": t.name, "telegram_chat_id": t.telegram_chat_id, "office_hours": t.office_hours,
         "closed_days": t.closed_days, "timezone": t.timezone}
        for t in session.scalars(select(Team).order_by(Team.id))
    ]


def _export_coaches(session: Session) -> list[dict[str, Any]]:
    rows = []
    for team in session.scalars(select(Team).order_by(Team.id)):
        for c in team.coaches:
            rows.append({"team": team.district, "name": c.name, "phone": c.phone, "email": c.email,
                         "telegram_user_id": c.telegram_user_id, "languages": c.languages})
    return rows


def _export_faq(session: Session) -> list[dict[str, Any]]:
    by_key: dict[str, dict[str, Any]] = {}
    for answer in session.scalars(select(FaqAnswer).order_by(FaqAnswer.id)):
        by_key.setdefault(answer.key, {"key": answer.key})[f"answer_{answer.language}"] = answer.text
    return list(by_key.values())


def _export_faq_examples(session: Session) -> list[dict[str, Any]]:
    query = select(FaqExample).order_by(FaqExample.key, FaqExample.language, FaqExample.id)
    return [{"key": e.key, "language": e.language, "text": e.text} for e in session.scalars(query)]


def _export_offers(session: Session) -> list[dict[str, Any]]:
    """All offers as rows, read with five plain queries (thousands of offers: no ORM objects needed)."""
    rows: dict[int, dict[str, Any]] = {}
    columns = [Offer.id, Offer.key, Offer.example, Offer.active, Offer.provider, Offer.address, Offer.contact_phone,
               Offer.contact_email, Offer.schedule, Offer.cost_cents, Offer.valid_from, Offer.valid_until]
    for o in session.execute(select(*columns).order_by(Offer.id)):
        rows[o.id] = {
            "key": o.key, "example": o.example, "active": o.active, "provider": o.provider, "address": o.address,
            "contact_phone": o.contact_phone, "contact_email": o.contact_email, "schedule": o.schedule,
            "cost": Decimal(o.cost_cents) / 100, "valid_from": o.valid_from, "valid_until": o.valid_until,
            "districts": [], "target_groups": [], "languages": [],
        }
    for t in session.execute(select(OfferText.__table__)):
        row = rows[t.offer_id]
        row[f"title_{t.language}"], row[f"summary_{t.language}"], row[f"details_{t.language}"] = t.title, t.summary, t.details
    for table, column, name in ((OfferDistrict, OfferDistrict.district, "districts"),
                                (OfferTargetGroup, OfferTargetGroup.target_group, "target_groups"),
                                (OfferLanguage, OfferLanguage.language, "languages")):
        for offer_id, value in session.execute(select(table.offer_id, column).order_by(column)):
            rows[offer_id][name].append(value)
    return list(rows.values())


EXPORTERS: dict[str, Callable[[Session], list[dict[str, Any]]]] = {
    "facts": _export_facts, "teams": _export_teams, "coaches": _export_coaches, "faq": _export_faq,
    "faq_examples": _export_faq_examples, "offers": _export_offers,
}


def export_tables(session: Session, kinds: tuple[str, ...] = ORDER) -> dict[str, list[dict[str, str]]]:
    return {kind: [canonical(kind, r) for r in EXPORTERS[kind](session)] for kind in kinds}


# --- import: write validated records ------------------------------------------------------------------
def _comparable(kind: str, row: dict[str, str]) -> dict[str, str]:
    """Lists compare as sets: 'hochfeld, marxloh' equals 'marxloh, hochfeld'."""
    list_columns = {c.name for c in KINDS[kind] if c.type in ("districts", "target_groups", "languages", "dates")}
    return {k: (", ".join(sorted(x.strip() for x in v.split(","))) if k in list_columns and v else v) for k, v in row.items()}


def _write_team(session: Session, record: dict[str, Any], team: Team | None) -> None:
    team = team or Team(district=record["district"])
    team.name = record["name"]
    team.telegram_chat_id = record["telegram_chat_id"]
    team.office_hours = record["office_hours"] or ""
    team.closed_days = ", ".join(d.isoformat() for d in record["closed_days"])
    team.timezone = record["timezone"] or DEFAULTS["timezone"]
    session.add(team)


def apply_records(session: Session, records: dict[str, list[dict[str, Any]]], dry_run: bool = False) -> Changes:
    """Make the database hold exactly `records` for each kind they contain; return what changed."""
    changes = Changes()
    for kind in ORDER:
        if kind not in records:
            continue
        current = {_key(kind, row): row for row in export_tables(session, (kind,))[kind]}
        wanted, rows = {}, {}
        for record in records[kind]:
            row = canonical(kind, record)
            wanted[_key(kind, row)], rows[_key(kind, row)] = record, row
        added = [k for k in wanted if k not in current]
        removed = [k for k in current if k not in wanted]
        changed = [k for k in wanted if k in current and _comparable(kind, rows[k]) != _comparable(kind, current[k])]
        changes.added[kind], changes.changed[kind], changes.removed[kind] = len(added), len(changed), len(removed)
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
    # Coaches are few and ordered within their team: rewrite them all (positions follow the file's order).
    teams = {t.district: t for t in session.scalars(select(Team))}
    session.execute(delete(Coach))
    positions: dict[str, int] = {}
    for record in wanted.values():
        position = positions.get(record["team"], 0)
        positions[record["team"]] = position + 1
        session.add(Coach(team_id=teams[record["team"]].id, position=position, name=record["name"],
                          phone=record["phone"] or "", email=record["email"] or "",
                          telegram_user_id=record["telegram_user_id"], languages=", ".join(record["languages"])))


def _apply_faq(session: Session, wanted: dict, upsert: list, removed: list) -> None:
    answers = {(a.key, a.language): a for a in session.scalars(select(FaqAnswer))}
    for key in removed:
        session.execute(delete(FaqAnswer).where(FaqAnswer.key == key[0]))
    for key in upsert:
        record = wanted[key]
        for language in LANGUAGES:
            text = record[f"answer_{language}"].strip()
            row = answers.get((record["key"], language))
            if row is None:
                session.add(FaqAnswer(key=record["key"], language=language, text=text))
            elif row.text != text:
                row.text = text


def _apply_faq_examples(session: Session, wanted: dict, upsert: list, removed: list) -> None:
    session.execute(delete(FaqExample))
    for record in wanted.values():
        session.add(FaqExample(key=record["key"], language=record["language"], text=record["text"]))


def _apply_offers(session: Session, wanted: dict, upsert: list, removed: list) -> None:
    """Bulk statements: a changed offer is deleted (its texts and lists go by ON DELETE CASCADE) and inserted."""
    doomed = [key[0] for key in removed] + [wanted[key]["key"] for key in upsert]
    for start in range(0, len(doomed), 500):
        session.execute(delete(Offer).where(Offer.key.in_(doomed[start:start + 500])))
    records = [wanted[key] for key in upsert]
    if not records:
        return
    session.execute(insert(Offer), [
        {
            "key": r["key"], "provider": r["provider"], "address": r["address"] or "",
            "contact_phone": r["contact_phone"] or "", "contact_email": r["contact_email"] or "",
            "schedule": r["schedule"] or "", "valid_from": r["valid_from"], "valid_until": r["valid_until"],
            "example": DEFAULTS["example"] if r["example"] is None else r["example"],
            "active": DEFAULTS["active"] if r["active"] is None else r["active"],
            "cost_cents": int((DEFAULTS["cost"] if r["cost"] is None else r["cost"]) * 100),
            "updated_at": utcnow(),
        }
        for r in records
    ])
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
                                (OfferLanguage, "language", "languages")):
        values = [{"offer_id": ids[r["key"]], column: v} for r in records for v in r[name]]
        if values:
            session.execute(insert(table), values)


WRITERS: dict[str, Callable[[Session, dict, list, list], None]] = {
    "facts": _apply_facts, "teams": _apply_teams, "coaches": _apply_coaches, "faq": _apply_faq,
    "faq_examples": _apply_faq_examples, "offers": _apply_offers,
}
