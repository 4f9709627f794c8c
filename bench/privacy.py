"""Erasure and retention at size: deleting a person with 1,000 messages, purging 100,000 expired records.

    .venv/bin/python bench/privacy.py [--messages 1000] [--records 100000] [--postgres-url URL]

Runs on a fresh SQLite file in bench/results and on a fresh PostgreSQL database (created and dropped here).
The person's messages live where they do in production: Rasa's tracker events (written by Rasa's own
SQLTrackerStore), a handover with relayed messages, unanswered questions. The expired records are spread
over tracker events, unanswered questions, preferences and handovers with their relayed messages.
"""
from __future__ import annotations

import argparse
import asyncio
import time
from datetime import datetime, timedelta, timezone

from common import RESULTS, ROOT, scratch_postgres

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from afa.db import ConversationPref, Handover, RelayedMessage, Team, UnansweredQuestion, create_schema, make_engine
from afa.privacy import erase_conversation, pseudonym, purge
from afa.serve import sql_tracker_store
from afa.settings import Settings

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)


def events(store, sender: str, count: int, when: datetime) -> None:  # type: ignore[no-untyped-def]
    """`count` user messages (and as many bot replies) through Rasa's own tracker store."""
    from rasa.shared.core.events import BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    tracker = DialogueStateTracker(sender, store.domain.slots)
    for number in range(count):
        moment = (when + timedelta(seconds=number)).timestamp()
        tracker.update(UserUttered(f"Nachricht {number} von {sender}", {"name": "greet", "confidence": 1.0}, timestamp=moment))
        tracker.update(BotUttered("Antwort", timestamp=moment + 0.1))
    asyncio.run(store.save(tracker))


def person(engine, store, sender: str, messages: int) -> None:  # type: ignore[no-untyped-def]
    events(store, sender, messages // 2, NOW - timedelta(days=1))
    with Session(engine, future=True) as session, session.begin():
        team = session.execute(select(Team)).scalars().first()
        handover = Handover(conversation_id=sender, team_id=team.id, language="tr", summary="{}", status="closed")
        session.add(handover)
        session.flush()
        session.execute(insert(RelayedMessage), [
            {"handover_id": handover.id, "direction": "user", "kind": "text", "text": f"relay {n}",
             "source_chat_id": 1, "source_message_id": n} for n in range(messages // 2)
        ])
        session.add(UnansweredQuestion(text="?", language="tr", conversation_key=pseudonym(sender, Settings())))


def expired(engine, store, records: int) -> None:  # type: ignore[no-untyped-def]
    """`records` expired rows: a quarter each in tracker events, questions, preferences, relayed messages."""
    quarter = records // 4
    old = NOW - timedelta(days=200)
    events(store, "expired-conversation", quarter // 2, old)
    with Session(engine, future=True) as session, session.begin():
        team = session.execute(select(Team)).scalars().first()
        session.execute(insert(UnansweredQuestion), [{"text": f"q{n}", "language": "de", "created_at": old} for n in range(quarter)])
        session.execute(insert(ConversationPref), [
            {"conversation_id": f"old-{n}", "language": "de", "updated_at": old} for n in range(quarter)
        ])
        handover = Handover(conversation_id="old", team_id=team.id, language="de", summary="{}", status="closed", opened_at=old)
        session.add(handover)
        session.flush()
        session.execute(insert(RelayedMessage), [
            {"handover_id": handover.id, "direction": "user", "kind": "text", "text": f"r{n}", "source_chat_id": 1,
             "source_message_id": n, "created_at": old} for n in range(quarter)
        ])


def run(url: str, messages: int, records: int) -> None:
    from afa.content import import_path

    engine = make_engine(url)
    create_schema(engine)
    with Session(engine, future=True) as session, session.begin():
        import_path(session, Settings().content_path)
    store = sql_tracker_store(url, ROOT)
    for number in range(20):  # other people, who must stay
        events(store, f"neighbour-{number}", 20, NOW - timedelta(days=1))
    person(engine, store, "812345678", messages)
    start = time.perf_counter()
    with Session(engine, future=True) as session, session.begin():
        erased = erase_conversation(session, "812345678", Settings())
    deleted = time.perf_counter() - start
    expired(engine, store, records)
    start = time.perf_counter()
    with Session(engine, future=True) as session, session.begin():
        counts = purge(session, NOW, Settings())
    purged = time.perf_counter() - start
    backend = url.split(":")[0].split("+")[0]
    print(f"{backend:10} delete a person with {messages} messages ({erased.total} rows): {deleted * 1000:8.1f} ms")
    print(f"{backend:10} purge {sum(counts.values())} expired records:{'':17} {purged * 1000:8.1f} ms  {counts}")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--postgres-url", default="postgresql+psycopg2://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    sqlite_file = RESULTS / "bench-privacy.db"
    for leftover in RESULTS.glob("bench-privacy.db*"):
        leftover.unlink()
    run(f"sqlite:///{sqlite_file}", args.messages, args.records)
    with scratch_postgres(args.postgres_url) as url:
        run(url, args.messages, args.records)


if __name__ == "__main__":
    main()
