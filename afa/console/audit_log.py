"""The audit log (admins only): every change, who made it and when, with the values before and after."""
from __future__ import annotations

import json
from datetime import date
from typing import Any, Optional

from flask import Blueprint, render_template, request, url_for

from afa.audit import AuditEntry, AuditFilter, distinct_values, entries
from afa.console.auth import admin_only
from afa.console.state import console

bp = Blueprint("audit_log", __name__, url_prefix="/audit")
PAGE = 50


def _date(value: str) -> Optional[date]:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _fields(entry: AuditEntry) -> list[tuple[str, Any, Any]]:
    """(field, before, after) for each value the entry holds."""
    before = json.loads(entry.before) if entry.before else {}
    after = json.loads(entry.after) if entry.after else {}
    if not isinstance(before, dict) or not isinstance(after, dict):
        return [("", before, after)]
    return [(name, before.get(name), after.get(name)) for name in dict.fromkeys([*before, *after])]


@bp.route("/")
@admin_only
def index():  # type: ignore[no-untyped-def]
    args = request.args
    where = AuditFilter(actor=args.get("actor", ""), kind=args.get("kind", ""), action=args.get("action", ""),
                        since=_date(args.get("since", "")), until=_date(args.get("until", "")))
    page = max(args.get("page", 1, type=int) or 1, 1)
    with console().session() as s:
        found, total = entries(s, where, (page - 1) * PAGE, PAGE)
        choices = {name: distinct_values(s, getattr(AuditEntry, name)) for name in ("actor", "kind", "action")}
    rows = [(entry, _fields(entry)) for entry in found]
    params = {k: v for k, v in args.items() if k != "page" and v}
    more = url_for("audit_log.index", page=page + 1, **params) if page * PAGE < total else None
    back = url_for("audit_log.index", page=page - 1, **params) if page > 1 else None
    return render_template("audit/index.html", rows=rows, total=total, page=page, choices=choices, args=args,
                           more=more, back=back)
