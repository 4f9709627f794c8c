"""Spreadsheet download and upload: the whole content as .xlsx (or one kind as .csv), and an upload that first
shows its row-level errors or the changes it would make, and writes nothing until staff confirm.

Reading, validating and writing are the import's own (`afa content import`): read_tables, check_path,
apply_records (dry run for the preview) and import_path (on confirm). A pending upload lives on the server,
in var/uploads/<random id>/, tied to the account that sent it, for an hour; the browser only knows the id.
"""
from __future__ import annotations

import io
import json
import re
import secrets
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Optional

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy.orm import Session
from werkzeug.utils import secure_filename

from afa import audit
from afa.console.auth import actor
from afa.console.i18n import _
from afa.console.problems import problem_texts, texts, warning_texts
from afa.console.state import console
from afa.content import ContentError, apply_records, check_path, export_tables, import_path, write_tables
from afa.content.schema import KEYS, ORDER
from afa.content.store import Changes
from afa.i18n import S_

bp = Blueprint("transfer", __name__, url_prefix="/content")

FORMATS = (".xlsx", ".csv", ".yaml", ".yml")
TTL_SECONDS = 3600  # a pending upload is kept this long
SHOWN = 50  # rows listed per kind and change (added, changed, removed); beyond that, counts only
SHOWN_PROBLEMS = 200
VALUE_CHARS = 300  # a changed value is cut after this many characters in the preview
_ID = re.compile(r"^[A-Za-z0-9_-]{20,40}$")
KIND_LABELS = {
    "facts": S_("Programme facts"), "teams": S_("Teams"), "coaches": S_("Coaches"), "faq": S_("FAQ answers"),
    "faq_examples": S_("FAQ example questions"), "offers": S_("Offers"),
}


# --- pending uploads ----------------------------------------------------------------------------------------
@dataclass
class Pending:
    id: str
    folder: Path
    account: int
    filename: str
    created: float

    @property
    def path(self) -> Path:
        return self.folder / self.filename

    @property
    def expired(self) -> bool:
        return time.time() - self.created > TTL_SECONDS

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def _uploads() -> Path:
    return console().settings.root / "var" / "uploads"


def _load(upload_id: str) -> Optional[Pending]:
    if not _ID.match(upload_id):
        return None
    folder = _uploads() / upload_id
    try:
        meta = json.loads((folder / "upload.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return Pending(upload_id, folder, int(meta["account"]), str(meta["filename"]), float(meta["created"]))


def _sweep() -> None:
    """Pending uploads older than an hour go (a browser closed before confirming or cancelling)."""
    root = _uploads()
    if not root.is_dir():
        return
    for folder in root.iterdir():
        pending = _load(folder.name)
        if pending is None:
            if folder.is_dir() and time.time() - folder.stat().st_mtime > TTL_SECONDS:
                shutil.rmtree(folder, ignore_errors=True)
        elif pending.expired:
            pending.discard()


def _mine(upload_id: str) -> Pending:
    """The current account's pending upload, or 404 (someone else's is not even said to exist)."""
    pending = _load(upload_id)
    if pending is None or pending.account != current_user.id:
        abort(404)
    if pending.expired:
        pending.discard()
        abort(404)
    return pending


def _own_pending() -> list[Pending]:
    root = _uploads()
    found = [_load(f.name) for f in root.iterdir()] if root.is_dir() else []
    return sorted((p for p in found if p and p.account == current_user.id and not p.expired), key=lambda p: p.created)


def _safe_name(name: str) -> str:
    """The uploaded file's name, made safe; 'offers (1).csv' (a browser's second download) reads as offers.csv."""
    name = re.sub(r"\s*\(\d+\)(?=\.[^.]+$)", "", name.replace("\\", "/").rsplit("/", 1)[-1])
    safe = secure_filename(name)
    return safe if Path(safe).stem else ""


def _store(upload: Any, filename: str) -> Pending:
    upload_id = secrets.token_urlsafe(18)
    folder = _uploads() / upload_id
    folder.mkdir(parents=True, mode=0o700)
    upload.save(folder / filename)
    created = time.time()
    meta = {"account": current_user.id, "filename": filename, "created": created}
    (folder / "upload.json").write_text(json.dumps(meta), encoding="utf-8")
    return Pending(upload_id, folder, current_user.id, filename, created)


# --- the preview --------------------------------------------------------------------------------------------
@dataclass
class Preview:
    errors: list[str]
    warnings: list[str]
    changes: Optional[Changes]


def _preview(path: Path) -> Preview:
    """What the import would do with `path`, written nowhere: the import's checks, then its dry run."""
    with Session(console().engine, future=True) as session:
        try:
            validated = check_path(session, path)
            if validated.problems:
                return Preview(problem_texts(validated), [], None)
            return Preview([], warning_texts(validated), apply_records(session, validated.records, dry_run=True))
        finally:
            session.rollback()


def _key_text(kind: str, row: dict[str, str]) -> str:
    return " / ".join(row.get(name, "") for name in KEYS[kind])


def _cut(value: str) -> str:
    return value if len(value) <= VALUE_CHARS else value[:VALUE_CHARS] + " …"


def _kinds(changes: Changes) -> list[dict[str, Any]]:
    """Per kind in the upload: counts and the first rows of each change, ready for the template."""
    kinds = []
    for kind in ORDER:
        rows = changes.rows.get(kind)
        if rows is None:
            continue
        changed = []
        for before, after in rows.changed[:SHOWN]:
            fields = [(name, _cut(before.get(name, "")), _cut(after.get(name, ""))) for name in rows.fields(before, after)]
            changed.append({"key": _key_text(kind, after), "fields": fields})
        kinds.append({
            "kind": kind, "label": _(KIND_LABELS[kind]),
            "added": [_key_text(kind, r) for r in rows.added[:SHOWN]], "added_count": len(rows.added),
            "changed": changed, "changed_count": len(rows.changed),
            "removed": [_key_text(kind, r) for r in rows.removed[:SHOWN]], "removed_count": len(rows.removed),
        })
    return kinds


def _show(pending: Optional[Pending], filename: str, preview: Preview):  # type: ignore[no-untyped-def]
    changes = preview.changes
    return render_template(
        "transfer/preview.html", pending=pending, filename=filename, errors=preview.errors[:SHOWN_PROBLEMS],
        more_errors=max(0, len(preview.errors) - SHOWN_PROBLEMS), warnings=preview.warnings,
        kinds=_kinds(changes) if changes else [], total=changes.total if changes else 0, shown=SHOWN,
    )


def _refuse(message: str):  # type: ignore[no-untyped-def]
    return render_template("transfer/index.html", refusal=message, kinds=_kind_choices(), pending=_own_pending(),
                           max_mb=console().settings.upload_max_mb), 400


def _kind_choices() -> list[tuple[str, str]]:
    return [(kind, _(KIND_LABELS[kind])) for kind in ORDER]


# --- views --------------------------------------------------------------------------------------------------
@bp.route("/")
def index():  # type: ignore[no-untyped-def]
    return render_template("transfer/index.html", refusal=None, kinds=_kind_choices(), pending=_own_pending(),
                           max_mb=console().settings.upload_max_mb)


@bp.route("/download.xlsx")
def download():  # type: ignore[no-untyped-def]
    """Everything as one workbook, a sheet per kind: what `afa content export x.xlsx` writes."""
    return _export("xlsx", ORDER, f"afa-inhalte-{date.today().isoformat()}.xlsx")


@bp.route("/download/<kind>.csv")
def download_kind(kind: str):  # type: ignore[no-untyped-def]
    """One kind as CSV, named so that uploading it again replaces that kind (offers.csv)."""
    if kind not in ORDER:
        abort(404)
    return _export("csv", (kind,), f"{kind}.csv")


def _export(suffix: str, kinds: tuple[str, ...], filename: str):  # type: ignore[no-untyped-def]
    with Session(console().engine, future=True) as session:
        tables = export_tables(session, kinds)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / (filename if suffix == "xlsx" else f"{kinds[0]}.csv")
        write_tables(path, tables)
        data = path.read_bytes()
    mimetype = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" if suffix == "xlsx"
                else "text/csv; charset=utf-8")
    return send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=filename)


@bp.route("/upload", methods=["POST"])
def upload():  # type: ignore[no-untyped-def]
    """Keep the file server-side and show what it would change (or what is wrong with it); nothing is written."""
    _sweep()
    sent = request.files.get("file")
    if sent is None or not sent.filename:
        return _refuse(_("Please choose a file to upload."))
    filename = _safe_name(sent.filename)
    if Path(filename).suffix.lower() not in FORMATS:
        return _refuse(_("“{name}” is not a file the console can read. Please upload an Excel workbook (.xlsx), "
                         "a CSV file (.csv) or a YAML file (.yaml).", name=sent.filename))
    pending = _store(sent, filename)
    try:
        preview = _preview(pending.path)
    except Exception:
        pending.discard()  # an unforeseen failure leaves nothing behind either
        raise
    if preview.errors or not preview.changes or not preview.changes.total:
        pending.discard()  # nothing to confirm: errors to correct, or no change at all
        return _show(None, filename, preview)
    return _show(pending, filename, preview)


@bp.route("/<upload>/")
def pending_view(upload: str):  # type: ignore[no-untyped-def]
    """A pending upload's preview again (computed afresh: the content may have changed meanwhile)."""
    pending = _mine(upload)
    return _show(pending, pending.filename, _preview(pending.path))


@bp.route("/<upload>/confirm", methods=["POST"])
def confirm(upload: str):  # type: ignore[no-untyped-def]
    """Validate again and write, in one transaction with its audit entry (the import's own code)."""
    pending = _mine(upload)
    try:
        with console().session() as session:
            changes, _warnings = import_path(session, pending.path)
            counts = {name: {k: v for k, v in getattr(changes, name).items() if v}
                      for name in ("added", "changed", "removed")}
            audit.record(session, actor(), "imported", "content", pending.filename, after=counts)
    except ContentError as exc:  # the content changed since the preview (a team removed, ...): nothing written
        return _show(pending, pending.filename, Preview(texts(exc.problems), [], None))
    pending.discard()
    flash(_("“{name}” was imported: {added} added, {changed} changed, {removed} removed.", name=pending.filename,
            added=sum(changes.added.values()), changed=sum(changes.changed.values()),
            removed=sum(changes.removed.values())), "success")
    return redirect(url_for("transfer.index"))


@bp.route("/<upload>/cancel", methods=["POST"])
def cancel(upload: str):  # type: ignore[no-untyped-def]
    pending = _mine(upload)
    pending.discard()
    flash(_("The upload “{name}” was discarded; nothing was changed.", name=pending.filename), "success")
    return redirect(url_for("transfer.index"))
