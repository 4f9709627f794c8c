"""Erasure and retention on SQLite and PostgreSQL, with Rasa's own SQL tracker store in the same database."""
from __future__ import annotations

import asyncio
import subprocess
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from afa.db import (
    ConsentRecord,
    ConversationPref,
    Handover,
    Redaction,
    RelayedMessage,
    Team,
    UnansweredQuestion,
    create_schema,
    make_engine,
)
from afa.handover import open_handover, record
from afa.privacy import erase_conversation, pseudonym, purge
from afa.serve import sql_tracker_store
from afa.settings import PROJECT_ROOT, Settings
from tests.conftest import everything_in, seed

AYSE, BOGDAN = "811222333", "944555666"
AYSE_WORDS = ["Ich heiße Ayşe Yılmaz und suche Arbeit", "Meine Adresse ist Weseler Straße 12"]
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)


def _conversation(store, sender: str, words: list[str], when: datetime) -> None:  # type: ignore[no-untyped-def]
    from rasa.shared.core.events import BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    tracker = DialogueStateTracker(sender, store.domain.slots)
    for number, said in enumerate(words):
        moment = (when + timedelta(seconds=number)).timestamp()
        tracker.update(UserUttered(said, {"name": "greet", "confidence": 1.0}, timestamp=moment))
        tracker.update(BotUttered("Hallo!", timestamp=moment + 0.5))
    asyncio.run(store.save(tracker))


def _prepare(url: str):  # type: ignore[no-untyped-def]
    engine = make_engine(url)
    create_schema(engine)
    seed(engine)
    store = sql_tracker_store(url, PROJECT_ROOT)
    _conversation(store, AYSE, AYSE_WORDS, NOW - timedelta(days=1))
    _conversation(store, BOGDAN, ["Bună ziua"], NOW - timedelta(days=1))
    settings = Settings()
    with Session(engine, future=True) as session, session.begin():
        team = session.execute(select(Team).where(Team.district == "marxloh")).scalar_one()
        team.telegram_chat_id = -100123
        handover, _ = open_handover(session, AYSE, team, "de", "women", f'{{"asked": ["{AYSE_WORDS[0]}"]}}')
        handover.card_message_id = 77
        record(session, handover, "user", kind="text", text=AYSE_WORDS[1], source_chat_id=int(AYSE),
               source_message_id=5, copy_message_id=78)
        for sender, said in ((AYSE, "Wo ist das Jobcenter?"), (BOGDAN, "Unde e biroul?")):
            session.add(UnansweredQuestion(text=said, language="de", conversation_key=pseudonym(sender, settings)))
            session.add(ConversationPref(conversation_id=sender, language="de"))
            session.add(ConsentRecord(conversation_id=sender))
    return engine


def _check_erasure(url: str) -> None:
    engine = _prepare(url)
    before = everything_in(str(engine.url))
    assert AYSE in before and all(words in before for words in AYSE_WORDS)
    with Session(engine, future=True) as session, session.begin():
        erased = erase_conversation(session, AYSE, Settings())
    assert erased.counts["tracker events"] >= 4 and erased.counts["handovers"] == 1
    after = everything_in(str(engine.url))
    for trace in (AYSE, *AYSE_WORDS, "Wo ist das Jobcenter?"):
        assert trace not in after, trace
    # Bogdan's data is untouched; the card and the copy in the team group wait for the front end to redact them.
    assert "Bună ziua" in after and "Unde e biroul?" in after
    with Session(engine, future=True) as session:
        assert session.get(ConversationPref, BOGDAN) and session.get(ConsentRecord, BOGDAN)
        redactions = {(r.message_id, r.action) for r in session.execute(select(Redaction)).scalars()}
    assert redactions == {(77, "card"), (78, "delete")}
    engine.dispose()


def test_erasure_on_sqlite(database_url: str) -> None:
    _check_erasure(database_url)


@pytest.mark.postgres
def test_erasure_on_postgresql(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    _check_erasure(postgres_url)


def test_afa_user_delete_for_a_request_by_letter(database_url: str) -> None:
    engine = _prepare(database_url)
    result = subprocess.run([str(PROJECT_ROOT / ".venv" / "bin" / "afa"), "user", "delete", AYSE],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "erased" in result.stdout
    assert AYSE not in everything_in(str(engine.url)) and "Bună ziua" in everything_in(str(engine.url))
    engine.dispose()


def _check_retention(url: str) -> None:
    engine = _prepare(url)
    store = sql_tracker_store(url, PROJECT_ROOT)
    _conversation(store, "old-conversation", ["alte Nachricht"], NOW - timedelta(days=91))
    with Session(engine, future=True) as session, session.begin():
        team = session.execute(select(Team).where(Team.district == "hochfeld")).scalar_one()
        for days, sender in ((181, "h-old"), (179, "h-young")):
            handover, _ = open_handover(session, sender, team, "ro", None, "{}")
            handover.opened_at = NOW - timedelta(days=days)
            record(session, handover, "user", kind="text", text=f"text {sender}", source_chat_id=1, source_message_id=1)
            handover.status = "closed"
        for days, said in ((91, "expired question"), (89, "recent question")):
            session.add(UnansweredQuestion(text=said, language="de", created_at=NOW - timedelta(days=days)))
        session.add(ConversationPref(conversation_id="old-pref", language="tr", updated_at=NOW - timedelta(days=95)))
    with Session(engine, future=True) as session, session.begin():
        counts = purge(session, NOW, Settings())
    assert counts["tracker events"] == 2 and counts["handovers"] == 1 and counts["relayed messages"] == 1
    assert counts["unanswered questions"] == 1 and counts["preferences"] == 1
    left = everything_in(str(engine.url))
    assert "alte Nachricht" not in left and "expired question" not in left and "text h-old" not in left
    assert all(kept in left for kept in ("recent question", "text h-young", AYSE_WORDS[0], "Bună ziua"))
    with Session(engine, future=True) as session, session.begin():
        assert sum(purge(session, NOW, Settings()).values()) == 0  # idempotent
    with Session(engine, future=True) as session:
        assert session.execute(select(Handover.conversation_id)).scalars().all().count("h-young") == 1
        assert session.execute(select(RelayedMessage)).scalars().all()
    engine.dispose()


def test_retention_on_sqlite(database_url: str) -> None:
    _check_retention(database_url)


@pytest.mark.postgres
def test_retention_on_postgresql(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    _check_retention(postgres_url)


def test_pseudonyms_are_stable_keyed_and_not_the_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AFA_LOG_SALT", "one secret")
    first = pseudonym(AYSE, Settings())
    assert first == pseudonym(AYSE, Settings()) and AYSE not in first and len(first) == 16
    monkeypatch.setenv("AFA_LOG_SALT", "another secret")
    assert pseudonym(AYSE, Settings()) != first


def test_review_commands_export_and_refuse_a_malformed_file(database_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = _prepare(database_url)
    afa = str(PROJECT_ROOT / ".venv" / "bin" / "afa")
    sheet = tmp_path / "review.csv"
    exported = subprocess.run([afa, "review", "export", str(sheet)], capture_output=True, text=True, timeout=120)
    assert exported.returncode == 0, exported.stderr
    content = sheet.read_text(encoding="utf-8-sig")
    assert "Wo ist das Jobcenter?" in content and AYSE not in content and pseudonym(AYSE, Settings()) not in content
    broken = tmp_path / "broken.csv"
    broken.write_text(content.replace("Wo ist das Jobcenter?", "x").splitlines()[0] + "\n1,2026-11-25,xx,Hallo,,,grett\n")
    refused = subprocess.run([afa, "review", "import", str(broken)], capture_output=True, text=True, timeout=120)
    assert refused.returncode == 1 and "nothing was written" in refused.stderr and "row" in refused.stderr
    engine.dispose()
