"""`afa backup PATH` and `afa restore PATH`: the whole database (content, operations and Rasa's tracker events, which
the SQL tracker store keeps in the same database), and no person back whom a restore would otherwise bring back.

- SQLite: Python's sqlite3 online backup API, a consistent copy while the bot writes; the backup is itself a SQLite
  file. PostgreSQL: `pg_dump --format=custom` and `pg_restore --clean --if-exists` in one transaction, connection
  from DATABASE_URL (the password through the environment, never on a command line).
- The erasure ledger (afa.privacy.record_erasure) lives in two places. The table `erasure_ledger` is written in the
  erasure's own transaction, so every process of a scale-out records there and a backup holds exactly the erasures
  its data already lacks (the copy is one snapshot). The append-only file (settings.erasure_ledger_path) survives
  what replaces the table: the restore itself, and a database lost or wiped. A restore reads both before it
  touches the database (and completes the file from the table, so a restore that stops half way loses nothing),
  and afterwards erases again every entry the backup's own ledger lacks: those are the erasures made after the
  backup was taken, decided by the snapshot rather than by clocks. People are found by hashing the restored
  conversation ids with the installation's salt (AFA_LOG_SALT or var/secret-salt), which must therefore be kept.
- A backup that is missing or unreadable is refused before anything is changed. On SQLite the backup is migrated
  and the erasures applied in a copy beside the database, which then replaces the database's content in one step:
  the forgotten never reappear, not even for a moment. On PostgreSQL they are applied right after the restore's
  transaction: stop the bot for a restore.
"""
from __future__ import annotations

import json
import logging
import os
import sqlite3
import subprocess
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Optional

from sqlalchemy import inspect, select
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from afa.db import ErasureRecord, make_engine, migrate
from afa.privacy import Erased, erase_pseudonyms
from afa.settings import Settings

logger = logging.getLogger(__name__)


class BackupError(Exception):
    """A backup or restore that could not be done; the message says why, the database is as it was."""


@dataclass(frozen=True)
class LedgerEntry:
    id: str
    key: str
    at: str  # ISO 8601, UTC


@dataclass
class Restored:
    reapplied: list[LedgerEntry] = field(default_factory=list)
    erased: Erased = field(default_factory=Erased)


def _backend(url: str) -> str:
    name = make_url(url).get_backend_name()
    if name not in ("sqlite", "postgresql"):
        raise BackupError(f"backups support SQLite and PostgreSQL, not {name}")
    return name


def _sqlite_file(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(database)


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """DATABASE_URL as a libpq connection URI for pg_dump/pg_restore, the password in their environment."""
    parsed = make_url(url)
    env = {**os.environ}
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    return parsed.set(drivername="postgresql", password=None).render_as_string(hide_password=False), env


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    try:
        result = subprocess.run(command, env=env, capture_output=True, text=True)
    except OSError as exc:
        raise BackupError(f"{what}: {command[0]} cannot be run ({exc.strerror or exc})") from exc
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip() or f"exit status {result.returncode}"
        raise BackupError(f"{what}: {Path(command[0]).name} failed: {detail}")


def _partial(path: Path) -> Path:
    return path.with_name(f".{path.name}.partial")


# --- backup ------------------------------------------------------------------------------------------------------
def backup(settings: Settings, path: Path) -> str:
    """Write a consistent copy of the database to `path` (replaced only once the copy is complete); says what."""
    kind = _backend(settings.database_url)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = _partial(path)
    partial.unlink(missing_ok=True)
    try:
        if kind == "sqlite":
            source = _sqlite_file(settings.database_url)
            if not source.is_file():
                raise BackupError(f"no database at {source}: nothing to back up")
            with closing(sqlite3.connect(source, timeout=30)) as live, closing(sqlite3.connect(partial)) as copy:
                live.backup(copy)  # page by page; a write in between restarts it, so the copy is one snapshot
        else:
            dsn, env = _libpq(settings.database_url)
            _run(["/usr/bin/pg_dump", "--format=custom", f"--file={partial}", f"--dbname={dsn}"], env, "backup")
        os.replace(partial, path)
    except (OSError, sqlite3.Error) as exc:
        raise BackupError(f"backup to {path} failed: {exc}") from exc
    finally:
        partial.unlink(missing_ok=True)
    return f"{kind} database backed up to {path} ({path.stat().st_size} bytes)"


# --- the erasure ledger --------------------------------------------------------------------------------------------
def read_ledger_file(path: Path) -> list[LedgerEntry]:
    """The ledger file's entries; a line cut off by a crash is reported and skipped (the table has it)."""
    if not path.exists():
        return []
    entries = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            entries.append(LedgerEntry(str(item["id"]), str(item["key"]), str(item["at"])))
        except (ValueError, KeyError, TypeError):
            logger.warning("erasure ledger %s, line %d: not an entry, skipped", path, number)
    return entries


def _table_entries(engine: Engine) -> list[LedgerEntry]:
    """The ledger table's entries, if the database and the table are there."""
    from afa.db import as_utc

    with engine.connect() as connection:
        if not inspect(connection).has_table(ErasureRecord.__tablename__):
            return []
        with Session(bind=connection, future=True) as session:
            return [LedgerEntry(r.id, r.conversation_key, as_utc(r.erased_at).isoformat())
                    for r in session.scalars(select(ErasureRecord))]


def live_ledger(settings: Settings) -> list[LedgerEntry]:
    """Every erasure known now: the file's and the live table's, the file completed from the table."""
    path = settings.erasure_ledger_path
    entries = {entry.id: entry for entry in read_ledger_file(path)}
    engine: Optional[Engine] = None
    try:
        engine = make_engine(settings.database_url)
        table = _table_entries(engine)
    except SQLAlchemyError as exc:  # a database lost or wiped: the file is all there is
        logger.warning("the live erasure ledger table cannot be read (%s): the file %s is used", exc, path)
        table = []
    finally:
        if engine is not None:
            engine.dispose()
    missing = [entry for entry in table if entry.id not in entries]
    if missing:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            for entry in missing:
                handle.write(json.dumps({"id": entry.id, "key": entry.key, "at": entry.at}) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        entries.update((entry.id, entry) for entry in missing)
    return sorted(entries.values(), key=lambda entry: entry.at)


def reapply(engine: Engine, ledger: list[LedgerEntry], settings: Settings) -> Restored:
    """On a restored database: the erasures its own ledger lacks (made after the backup) are made again and recorded."""
    restored = Restored()
    with Session(engine, future=True) as session, session.begin():
        known = set(session.scalars(select(ErasureRecord.id)))
        restored.reapplied = [entry for entry in ledger if entry.id not in known]
        for entry in restored.reapplied:
            session.add(ErasureRecord(id=entry.id, conversation_key=entry.key, erased_at=datetime.fromisoformat(entry.at)))
        if restored.reapplied:
            restored.erased = erase_pseudonyms(session, {entry.key for entry in restored.reapplied}, settings)
    return restored


# --- restore -----------------------------------------------------------------------------------------------------
def _check_sqlite_backup(path: Path) -> None:
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as copy:
            verdict = copy.execute("PRAGMA integrity_check").fetchone()[0]
            tables = {row[0] for row in copy.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.Error as exc:
        raise BackupError(f"{path} is not a readable SQLite backup ({exc}); nothing was changed") from exc
    if verdict != "ok":
        raise BackupError(f"{path} is damaged ({verdict}); nothing was changed")
    if "alembic_version" not in tables:
        raise BackupError(f"{path} is no backup of this bot's database (no schema version); nothing was changed")


def _restore_sqlite(settings: Settings, path: Path, ledger: list[LedgerEntry]) -> Restored:
    """Migrate and erase in a copy beside the database, then copy that into the database in one step."""
    live = _sqlite_file(settings.database_url)
    live.parent.mkdir(parents=True, exist_ok=True)
    work = _partial(live)
    for leftover in (work, Path(f"{work}-wal"), Path(f"{work}-shm")):
        leftover.unlink(missing_ok=True)
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as source, closing(sqlite3.connect(work)) as copy:
            source.backup(copy)
        engine = make_engine(f"sqlite:///{work}")
        try:
            migrate(engine)
            restored = reapply(engine, ledger, settings)
        finally:
            engine.dispose()
        with closing(sqlite3.connect(work)) as source, closing(sqlite3.connect(live, timeout=30)) as target:
            source.backup(target)  # one write transaction on the live file: the bot sees the old or the new
    except (OSError, sqlite3.Error, SQLAlchemyError) as exc:
        raise BackupError(f"restore from {path} failed ({exc}); the database was not changed") from exc
    finally:
        for leftover in (work, Path(f"{work}-wal"), Path(f"{work}-shm")):
            leftover.unlink(missing_ok=True)
    return restored


def _restore_postgresql(settings: Settings, path: Path, ledger: list[LedgerEntry]) -> Restored:
    dsn, env = _libpq(settings.database_url)
    # One transaction that stops at the first error: a failed restore leaves the database as it was.
    _run(["/usr/bin/pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error",
          f"--dbname={dsn}", str(path)], env, f"restore from {path} failed; the database was not changed")
    engine = make_engine(settings.database_url)
    try:
        migrate(engine)
        return reapply(engine, ledger, settings)
    finally:
        engine.dispose()


def restore(settings: Settings, path: Path) -> Restored:
    """Replace the database with the backup at `path`, then erase again whoever was erased after it was taken."""
    kind = _backend(settings.database_url)
    if not path.is_file():
        raise BackupError(f"no backup at {path}; nothing was changed")
    if kind == "sqlite":
        _check_sqlite_backup(path)
    else:
        _run(["/usr/bin/pg_restore", "--list", str(path)], {**os.environ},
             f"{path} is no readable pg_dump backup; nothing was changed")
    ledger = live_ledger(settings)  # before anything is replaced
    if kind == "sqlite":
        return _restore_sqlite(settings, path, ledger)
    return _restore_postgresql(settings, path, ledger)
