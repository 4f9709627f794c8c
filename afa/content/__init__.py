"""Programme content (FAQ answers, teams, coaches, facts, offers): import, validation, export, reading.

    tables = read_tables(path)             # .xlsx / .csv / folder / .yaml → rows of strings
    result = validate_tables(tables)       # typed records, or problems naming file/sheet, row and field
                                           # (.errors: English lines; .problems: structured)
    changes = apply_records(session, result.records)   # in the caller's transaction
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from afa.content.queries import faq_answer, is_seeded, render_contacts, teams
from afa.content.store import Changes, RowChanges, apply_records, export_tables
from afa.content.tables import Problem, read_tables, write_tables
from afa.content.validation import Validated, placeholders_of, validate_tables
from afa.db import Team
from afa.settings import PROJECT_ROOT

SEED_CONTENT = PROJECT_ROOT / "content"


class ContentError(ValueError):
    """The content is malformed; nothing has been written. `errors` in English, `problems` structured."""

    def __init__(self, errors: list[str], problems: list[Problem] | None = None) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors
        self.problems = problems or []


def check_path(session: Session | None, path: Path) -> Validated:
    existing = {t.district for t in session.scalars(select(Team))} if session is not None else set()
    return validate_tables(read_tables(path), existing)


def import_path(session: Session, path: Path, dry_run: bool = False) -> tuple[Changes, list[str]]:
    """Validate everything in `path`, then write it in the caller's transaction; ContentError on any problem."""
    result = check_path(session, path)
    if result.errors:
        raise ContentError(result.errors, result.problems)
    return apply_records(session, result.records, dry_run=dry_run), result.warnings


__all__ = [
    "Changes",
    "ContentError",
    "Problem",
    "RowChanges",
    "SEED_CONTENT",
    "apply_records",
    "check_path",
    "export_tables",
    "faq_answer",
    "import_path",
    "is_seeded",
    "placeholders_of",
    "read_tables",
    "render_contacts",
    "teams",
    "validate_tables",
    "write_tables",
]
