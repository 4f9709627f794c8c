"""The audit log: who changed what, when, with the values before and after.

Residents' words never go in here: callers pass staff-maintained content (FAQ answers, offers, teams) or
counts, never the text of a question or a person's id in clear.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Optional

from sqlalchemy import Column, DateTime, Integer, String, Text, func, select
from sqlalchemy.orm import Session

from afa.db import Base, utcnow


class AuditEntry(Base):
    __tablename__ = "audit_log"
    id = Column(Integer, primary_key=True)
    at = Column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    actor = Column(String(254), nullable=False, index=True)  # the account's e-mail, or "cli" / "system"
    action = Column(String(32), nullable=False, index=True)  # created, changed, deleted, linked, ...
    kind = Column(String(32), nullable=False, index=True)  # faq, offer, team, coach, account, content, ...
    target = Column(String(200), nullable=False, default="")  # the key or name of what was changed
    before = Column(Text, nullable=True)  # JSON
    after = Column(Text, nullable=True)  # JSON


def _json(value: Any) -> Optional[str]:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def record(session: Session, actor: str, action: str, kind: str, target: str = "",
           before: Any = None, after: Any = None) -> AuditEntry:
    """Write one entry in the caller's transaction, so it exists exactly when the change does."""
    entry = AuditEntry(actor=actor, action=action, kind=kind, target=str(target)[:200],
                       before=_json(before), after=_json(after))
    session.add(entry)
    return entry


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields that differ, so an entry shows the change and not the whole record."""
    keys = [k for k in {**before, **after} if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


@dataclass(frozen=True)
class AuditFilter:
    actor: str = ""
    kind: str = ""
    action: str = ""
    since: Optional[date] = None
    until: Optional[date] = None

    def apply(self, query):  # type: ignore[no-untyped-def]
        if self.actor:
            query = query.where(AuditEntry.actor == self.actor)
        if self.kind:
            query = query.where(AuditEntry.kind == self.kind)
        if self.action:
            query = query.where(AuditEntry.action == self.action)
        if self.since:
            query = query.where(AuditEntry.at >= datetime.combine(self.since, time.min, timezone.utc))
        if self.until:
            query = query.where(AuditEntry.at < datetime.combine(self.until + timedelta(days=1), time.min, timezone.utc))
        return query


def entries(session: Session, where: AuditFilter, offset: int = 0, limit: int = 50) -> tuple[list[AuditEntry], int]:
    """A page of entries, newest first, and how many match."""
    total = session.scalar(where.apply(select(func.count()).select_from(AuditEntry))) or 0
    query = where.apply(select(AuditEntry)).order_by(AuditEntry.id.desc()).offset(offset).limit(limit)
    return list(session.scalars(query)), total


def distinct_values(session: Session, column) -> list[str]:  # type: ignore[no-untyped-def]
    return [v for v in session.scalars(select(column).distinct().order_by(column)) if v]
