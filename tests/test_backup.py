"""`afa backup` and `afa restore` on SQLite and PostgreSQL: a round trip through the real command line, and nobody
erased after the backup comes back (the erasure ledger), down to Rasa's tracker events."""
from __future__ import annotations

import asyncio
import os
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from afa.db import ErasureRecord, Team, UnansweredQuestion, create_schema, make_engine
from afa.handover import open_handover, record
from afa.privacy import erase_conversation, pseudonym
from afa.reach import record as reach_record
from afa.serve import sql_tracker_store
from afa.settings import PROJECT_ROOT, Settings
from tests.conftest import everything_in, seed

KEEP, GONE, BACK = "700111222", "700333444", "700555666"
WORDS = {KEEP: "Ich suche einen Deutschkurs in Hochfeld", GONE: "Caut un loc de muncă, sunt din Craiova",
         BACK: "Tekrar merhaba, iş arıyorum"}
HANDOVER_WORDS = {KEEP: "Mein Termin beim Coach", GONE: "Numărul meu este 0176 555"}


def _say(store, sender: str, words: str) -> None:  # type: ignore[no-untyped-def]
    """A turn saved by Rasa's SQL tracker store, as the running bot saves it."""
    from rasa.shared.core.events import BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    tracker = asyncio.run(store.retrieve(sender)) or DialogueStateTracker(sender, store.domain.slots)
    tracker.update(UserUttered(words, {"name": "greet", "confidence": 1.0}))
    tracker.update(BotUttered("Hallo!"))
    asyncio.run(store.save(tracker))
    reach_record.flush()  # the turn's reach counters now, not from the background thread in the middle of a comparison


def _person(engine, store, sender: str) -> None:  # type: ignore[no-untyped-def]
    """A conversation, a handover with a relayed message, and a question the bot did not understand."""
    _say(store, sender, WORDS[sender])
    with Session(engine, future=True) as session, session.begin():
        team = session.execute(select(Team).where(Team.district == "hochfeld")).scalar_one()
        handover, _ = open_handover(session, sender, team, "de", None, "{}")
        record(session, handover, "user", kind="text", text=HANDOVER_WORDS.get(sender, "hallo"),
               source_chat_id=int(sender), source_message_id=1)
        handover.status = "closed"
        session.add(UnansweredQuestion(text=f"Frage von {sender}", language="de",
                                       conversation_key=pseudonym(sender, Settings())))


def _afa(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:  # type: ignore[type-arg]
    return subprocess.run([str(PROJECT_ROOT / ".venv" / "bin" / "python"), "-m", "afa.cli", *args],
                          env=env, capture_output=True, text=True, timeout=120)


def _events(url: str, sender: str) -> list[str]:
    """The person's words as Rasa's own SQL tracker store reads them back."""
    from rasa.shared.core.events import UserUttered

    tracker = asyncio.run(sql_tracker_store(url, PROJECT_ROOT).retrieve(sender))
    return [] if tracker is None else [event.text for event in tracker.events if isinstance(event, UserUttered)]


def _wipe(url: str) -> None:
    if url.startswith("sqlite"):
        database = Path(url[len("sqlite:///"):])
        for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
            path.unlink(missing_ok=True)
    else:
        engine = make_engine(url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()


def _prepared(url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, str], object]:
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("AFA_ERASURE_LEDGER", str(tmp_path / "ledger" / "erasures.jsonl"))
    engine = make_engine(url)
    create_schema(engine)
    seed(engine)
    return {**os.environ}, engine


def _round_trip(url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env, engine = _prepared(url, tmp_path, monkeypatch)
    store = sql_tracker_store(url, PROJECT_ROOT)
    for sender in (KEEP, GONE, BACK):
        _person(engine, store, sender)
    # BACK asked to be forgotten before the backup and then wrote again: that new conversation is theirs to keep.
    with Session(engine, future=True) as session, session.begin():
        erase_conversation(session, BACK, Settings())
    _say(store, BACK, "Ich bin wieder da")
    engine.dispose()

    backup = tmp_path / "backups" / "afa.backup"
    done = _afa(env, "backup", str(backup))
    assert done.returncode == 0, done.stderr
    assert backup.stat().st_size > 0 and "backed up" in done.stdout

    erased = _afa(env, "user", "delete", GONE)  # after the backup: the restore must not bring GONE back
    assert erased.returncode == 0, erased.stderr
    _wipe(url)

    restored = _afa(env, "restore", str(backup))
    assert restored.returncode == 0, restored.stderr
    assert "1 erasure(s) made after the backup applied again" in restored.stdout, restored.stdout

    everything = everything_in(url)
    for kept in (WORDS[KEEP], HANDOVER_WORDS[KEEP], f"Frage von {KEEP}", "Ich bin wieder da"):
        assert kept in everything, kept
    for gone in (GONE, WORDS[GONE], HANDOVER_WORDS[GONE], f"Frage von {GONE}"):
        assert gone not in everything, gone
    assert WORDS[KEEP] in _events(url, KEEP) and _events(url, GONE) == []
    assert _events(url, BACK) == ["Ich bin wieder da"]  # erased before the backup, back since: not erased again
    engine = make_engine(url)
    with Session(engine, future=True) as session:
        ledger = {row.conversation_key for row in session.scalars(select(ErasureRecord))}
    assert ledger == {pseudonym(GONE, Settings()), pseudonym(BACK, Settings())}  # the table is whole again
    engine.dispose()

    again = _afa(env, "restore", str(backup))  # from the same backup once more: GONE stays gone
    assert again.returncode == 0, again.stderr
    assert _events(url, GONE) == [] and WORDS[KEEP] in _events(url, KEEP)


def test_round_trip_on_sqlite(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _round_trip(database_url, tmp_path, monkeypatch)


@pytest.mark.postgres
def test_round_trip_on_postgresql(postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _round_trip(postgres_url, tmp_path, monkeypatch)


def _refused(url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from afa.backup import BackupError, backup, restore

    env, engine = _prepared(url, tmp_path, monkeypatch)
    _person(engine, sql_tracker_store(url, PROJECT_ROOT), KEEP)
    good = tmp_path / "good.backup"
    backup(Settings(), good)
    broken = tmp_path / "broken.backup"
    broken.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    garbage = tmp_path / "garbage.backup"
    garbage.write_bytes(b"this is no backup\n" * 100)
    before = everything_in(url)
    for path in (tmp_path / "missing.backup", broken, garbage):
        with pytest.raises(BackupError, match="nothing was changed|not changed"):
            restore(Settings(), path)
        assert everything_in(url) == before, path
    result = _afa(env, "restore", str(tmp_path / "missing.backup"))
    assert result.returncode == 1 and "error: no backup at" in result.stderr
    assert everything_in(url) == before and WORDS[KEEP] in _events(url, KEEP)
    engine.dispose()


def test_a_missing_or_damaged_backup_is_refused_on_sqlite(database_url: str, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    _refused(database_url, tmp_path, monkeypatch)


@pytest.mark.postgres
def test_a_missing_or_damaged_backup_is_refused_on_postgresql(postgres_url: str, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    _refused(postgres_url, tmp_path, monkeypatch)


def test_a_failing_pg_dump_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An unreachable server: pg_dump's own message, exit status 1, no file."""
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg2://postgres@127.0.0.1:1/nowhere")
    result = _afa({**os.environ}, "backup", str(tmp_path / "afa.backup"))
    assert result.returncode == 1 and "pg_dump failed" in result.stderr, result.stderr
    assert not (tmp_path / "afa.backup").exists()


def test_only_a_committed_erasure_enters_the_ledger_file(database_url: str, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The console's preview erases in a transaction it rolls back: no entry, or a restore would erase that person."""
    from afa.backup import read_ledger_file

    _env, engine = _prepared(database_url, tmp_path, monkeypatch)
    settings = Settings()
    with Session(engine, future=True) as session:
        session.begin()
        erase_conversation(session, KEEP, settings)
        session.rollback()
        with session.begin():
            erase_conversation(session, GONE, settings)
    assert [entry.key for entry in read_ledger_file(settings.erasure_ledger_path)] == [pseudonym(GONE, settings)]
    with Session(engine, future=True) as session:
        assert [row.conversation_key for row in session.scalars(select(ErasureRecord))] == [pseudonym(GONE, settings)]
    engine.dispose()
