"""The scale-out path: PostgreSQL for content and Rasa's SQL tracker store, Rasa's Redis lock store."""
from __future__ import annotations

from pathlib import Path

import pytest
import requests
from sqlalchemy import text
from sqlalchemy.orm import Session

from afa.db import create_schema, make_engine
from afa.settings import Settings
from conftest import free_port, seed

pytestmark = [pytest.mark.server, pytest.mark.postgres]


def test_postgresql_sql_tracker_store_and_redis_lock_store(postgres_url: str, trained_model: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from afa.serve import Services

    for name, value in {
        "DATABASE_URL": postgres_url, "AFA_TRACKER_STORE": "sql", "REDIS_URL": "redis://127.0.0.1:6379/0",
        "RASA_PORT": str(free_port()), "ACTION_PORT": str(free_port()),
    }.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    engine = make_engine(postgres_url)
    create_schema(engine)
    seed(engine)
    sender = "scale-out-test"
    with Services(settings, trained_model, log_dir=tmp_path / "logs"):
        hook = f"{settings.rasa_url}/webhooks/rest/webhook"
        first = requests.post(hook, json={"sender": sender, "message": "Кой финансира проекта?"}, timeout=60).json()
        assert "Европейския социален фонд" in first[0]["text"]
    # The conversation is in PostgreSQL (Rasa's `events` table) and survives a restart of the servers.
    with Session(engine, future=True) as session:
        stored = session.execute(text("SELECT count(*) FROM events WHERE sender_id = :s"), {"s": sender}).scalar()
    assert stored and stored > 3
    monkeypatch.setenv("RASA_PORT", str(free_port()))
    monkeypatch.setenv("ACTION_PORT", str(free_port()))
    settings = Settings()
    with Services(settings, trained_model, log_dir=tmp_path / "logs2"):
        requests.post(f"{settings.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": "👍"}, timeout=60)
        tracker = requests.get(f"{settings.rasa_url}/conversations/{sender}/tracker", timeout=30).json()
    assert tracker["slots"]["language"] == "bg"  # kept from before the restart ("👍" tells no language)
    assert [e["text"] for e in tracker["events"] if e["event"] == "user"][0] == "Кой финансира проекта?"
    engine.dispose()


def test_two_rasa_servers_serve_one_conversation_alternately(postgres_url: str, trained_model: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Rasa's own scale-out: two servers, one PostgreSQL tracker store, the Redis lock store between them."""
    from afa.serve import Services

    monkeypatch.setenv("DATABASE_URL", postgres_url)
    monkeypatch.setenv("AFA_TRACKER_STORE", "sql")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    engine = make_engine(postgres_url)
    create_schema(engine)
    seed(engine)
    servers = []
    for name in ("a", "b"):
        monkeypatch.setenv("RASA_PORT", str(free_port()))
        monkeypatch.setenv("ACTION_PORT", str(free_port()))
        servers.append(Services(Settings(), trained_model, log_dir=tmp_path / name))
    said = ["Merhaba", "Projeyi kim finanse ediyor?", "Hochfeld'de oturuyorum", "Teşekkürler", "👍", "Kadınlar için kurs var mı?"]
    sender = "two-servers"
    with servers[0], servers[1]:
        for number, message in enumerate(said):
            server = servers[number % 2]  # alternately, as a load balancer would
            replies = requests.post(f"{server.settings.rasa_url}/webhooks/rest/webhook",
                                    json={"sender": sender, "message": message}, timeout=60).json()
            assert replies, message
        tracker = requests.get(f"{servers[0].settings.rasa_url}/conversations/{sender}/tracker", timeout=30).json()
    users = [e["text"] for e in tracker["events"] if e["event"] == "user"]
    assert users == said  # nothing lost, nothing reordered
    assert tracker["slots"]["language"] == "tr" and tracker["slots"]["district"] == "hochfeld"
    engine.dispose()
