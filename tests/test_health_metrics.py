"""Operations (issue 13): the probes (/health, /ready) of the action server and the console, and the action server's
Prometheus metrics. The action server is its own process on a free port, spoken to over HTTP; its database is a real
PostgreSQL database that the test drops, the console's a SQLite file whose folder the test removes."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Iterator

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from afa.db import Handover, Team, create_schema, make_engine, utcnow
from afa.serve import wait_for
from afa.settings import PROJECT_ROOT, Settings
from tests.conftest import POSTGRES_ADMIN_URL, free_port, seed

TOKEN = "action-token-for-the-probes"
BEARER = {"Authorization": f"Bearer {TOKEN}"}


def tracker(sender: str = "probe-user") -> dict:
    """The least tracker rasa-sdk and the NLG endpoint accept: a German conversation without events."""
    return {"sender_id": sender, "slots": {"language": "de"}, "latest_message": {"text": "", "intent": {}},
            "events": [], "paused": False, "followup_action": None, "active_loop": {}, "latest_action_name": None}


def samples(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """/metrics parsed: (sample name, sorted labels) → value."""
    response = requests.get(f"{url}/metrics", timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.text) for s in family.samples}


def value(found: dict, name: str, **labels: str) -> float:
    """One sample's value (KeyError when it is missing, so an absent series fails the test)."""
    return found[(name, tuple(sorted(labels.items())))]


@pytest.fixture()
def action_server(postgres_url: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """`afa actions` with a token, on a seeded PostgreSQL database with one handover waiting for 10 minutes."""
    engine = make_engine(postgres_url)
    create_schema(engine)
    seed(engine)
    with Session(engine, future=True) as session, session.begin():
        team = session.execute(select(Team).order_by(Team.district)).scalars().first()
        session.add(Handover(conversation_id="probe-user", team_id=team.id, language="de", status="waiting",
                             opened_at=utcnow() - timedelta(minutes=10)))
        district = team.district
    engine.dispose()
    port = free_port()
    env = {**os.environ, "DATABASE_URL": postgres_url, "ACTION_PORT": str(port), "ACTION_SERVER_TOKEN": TOKEN}
    with (tmp_path / "actions.log").open("ab") as log:
        process = subprocess.Popen([sys.executable, "-m", "afa.cli", "actions"], cwd=PROJECT_ROOT, env=env,
                                   stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{url}/health", 60, process)
        yield url, district
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.mark.postgres
def test_action_server_probes_and_metrics_until_its_database_is_dropped(action_server, postgres_url: str) -> None:
    url, district = action_server
    # The probes and /metrics answer without the token (a supervisor or scraper sends none); the webhook does not.
    assert requests.get(f"{url}/health", timeout=5).status_code == 200
    ready = requests.get(f"{url}/ready", timeout=10)
    assert (ready.status_code, ready.json()) == (200, {"status": "ok"})
    assert requests.post(f"{url}/webhook", json={"next_action": "action_privacy_notice"}, timeout=10).status_code == 401

    before = samples(url)
    assert value(before, "afa_database_up") == 1
    assert value(before, "afa_handovers_waiting", district=district) == 1
    assert all(v == 0 for (name, labels), v in before.items()
               if name == "afa_handovers_waiting" and labels != (("district", district),))
    assert 600 <= value(before, "afa_handover_oldest_waiting_seconds") < 3600
    assert value(before, "afa_nlg_render_seconds_count") == 0
    assert value(before, "process_resident_memory_bytes") > 0

    nlg = requests.post(f"{url}/nlg", json={"response": "utter_greet", "arguments": {}, "tracker": tracker()},
                        headers=BEARER, timeout=10)
    assert nlg.status_code == 200 and nlg.json()["text"]
    unknown = requests.post(f"{url}/nlg", json={"response": "utter_no_such_thing", "tracker": tracker()},
                            headers=BEARER, timeout=10)
    assert unknown.status_code == 404
    action = requests.post(f"{url}/webhook", json={"next_action": "action_privacy_notice", "tracker": tracker(),
                                                   "domain": {}, "version": "3.6.21"}, headers=BEARER, timeout=10)
    assert action.status_code == 200, action.text
    missing = requests.post(f"{url}/webhook", json={"next_action": "action_made_up_by_a_caller", "tracker": tracker(),
                                                    "domain": {}, "version": "3.6.21"}, headers=BEARER, timeout=10)
    assert missing.status_code == 404

    after = samples(url)
    assert value(after, "afa_nlg_render_seconds_count") == 2
    assert value(after, "afa_nlg_render_seconds_sum") > 0
    assert value(after, "afa_nlg_errors_total", kind="unknown_response") == 1
    assert value(after, "afa_action_seconds_count", action="action_privacy_notice") == 1
    # A name the server does not know is counted under "unknown", never as a series of its own.
    assert value(after, "afa_action_seconds_count", action="unknown") == 1
    assert value(after, "afa_action_errors_total", action="unknown", kind="not_found") == 1
    assert not any(dict(labels).get("action") == "action_made_up_by_a_caller" for _, labels in after)
    assert ("afa_action_errors_total", (("action", "action_privacy_notice"), ("kind", "failed"))) not in after

    admin = create_engine(POSTGRES_ADMIN_URL, future=True, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{postgres_url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    admin.dispose()

    down = requests.get(f"{url}/ready", timeout=10)
    assert down.status_code == 503
    assert down.json()["status"] == "unavailable" and "database" in down.json()["reason"]
    assert "Traceback" not in down.text and "postgres" not in down.text
    assert requests.get(f"{url}/health", timeout=5).status_code == 200
    coach = tracker()
    coach["slots"]["district"] = district
    failed = requests.post(f"{url}/webhook", json={"next_action": "action_coach", "tracker": coach, "domain": {},
                                                   "version": "3.6.21"}, headers=BEARER, timeout=10)
    assert failed.status_code == 500  # the action needs the database
    gone = samples(url)  # still answers: the queue is missing, the database marked down, the latencies kept
    assert value(gone, "afa_database_up") == 0
    assert not any(name == "afa_handovers_waiting" for name, _ in gone)
    assert value(gone, "afa_nlg_render_seconds_count") == 2
    assert value(gone, "afa_action_errors_total", action="action_coach", kind="failed") == 1
    assert value(gone, "afa_action_seconds_count", action="action_coach") == 1


def test_console_probes_need_no_session_and_ready_follows_its_database(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from afa.console import create_app

    folder = tmp_path / "database"
    engine = make_engine(f"sqlite:///{folder / 'afa.db'}")
    create_schema(engine)
    monkeypatch.setenv("AFA_CONSOLE_SECRET", "test-secret")
    client = create_app(Settings(), engine).test_client()

    assert client.get("/health").status_code == 200
    ready = client.get("/ready")
    assert (ready.status_code, ready.get_json()) == (200, {"status": "ok"})
    assert client.get("/").status_code == 302  # everything else still needs the login

    engine.dispose()
    shutil.rmtree(folder)  # SQLite cannot open (or create) a file in a folder that is gone
    down = client.get("/ready")
    assert down.status_code == 503
    assert down.get_json()["status"] == "unavailable" and "database" in down.get_json()["reason"]
    assert b"Traceback" not in down.data
    assert client.get("/health").status_code == 200
