"""Operations (issue 13): SQL errors without their values, tokens on Rasa's HTTP API and the action server, and
`afa train` publishing to every registered Rasa server. Real processes over real HTTP, on free ports."""
from __future__ import annotations

import logging
import os
import shutil
import subprocess
from pathlib import Path
from typing import Iterator

import pytest
import requests
from sqlalchemy import create_engine, insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from afa.db import FaqAnswer, OfferText, create_schema, make_engine
from afa.serve import MissingToken, Services
from afa.settings import PROJECT_ROOT, Settings
from afa.training import model_path
from tests.conftest import free_port, new_sender, seed

AFA = str(PROJECT_ROOT / ".venv" / "bin" / "afa")
RASA_TOKEN = "rasa-token-for-the-test"
ACTION_TOKEN = "action-token-for-the-test"
SECRET = "Mein Name ist Ayşe Yılmaz, Chat 4711081542"  # what a logged error must never show


# --- hide_parameters -------------------------------------------------------------------------------------------

def _failing_insert(engine, caplog: pytest.LogCaptureFixture) -> str:  # type: ignore[no-untyped-def]
    """Run a statement that fails with SECRET among its values, log the error as the bot does; the exception text."""
    logger = logging.getLogger("afa.test")
    # The engine's statement log (statement, then its parameters) is INFO: on here, as `echo` would switch it on.
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
    caplog.set_level(logging.INFO)
    with pytest.raises(DBAPIError) as raised, Session(engine, future=True) as session, session.begin():
        # SQLite: the key and language exist already (UNIQUE). PostgreSQL: the language is too long for VARCHAR(8),
        # an error it reports without the value (its own UNIQUE message would quote the key: the server's text).
        language = "de" if engine.dialect.name == "sqlite" else SECRET
        try:
            session.execute(insert(FaqAnswer).values(key="funding", language=language, text=SECRET))
        except DBAPIError:
            logger.exception("database error while saving an answer")
            raise
    return str(raised.value)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_failed_statement_shows_no_values(backend: str, request: pytest.FixtureRequest,
                                             caplog: pytest.LogCaptureFixture) -> None:
    url = request.getfixturevalue("database_url" if backend == "sqlite" else "postgres_url")
    engine = make_engine(url)
    create_schema(engine)
    seed(engine)
    message = _failing_insert(engine, caplog)
    assert "INSERT INTO faq_answers" in message and "hidden due to hide_parameters" in message
    assert "INSERT INTO faq_answers" in caplog.text  # the statement and the error were logged, without values:
    assert SECRET not in message and SECRET not in caplog.text
    assert "Chat 4711081542" not in caplog.text and "Ayşe" not in caplog.text
    engine.dispose()

    # The same statement on an engine without the option shows the values: the check above can fail.
    caplog.clear()
    plain = create_engine(url, future=True)
    assert SECRET in _failing_insert(plain, caplog)
    plain.dispose()


def test_offer_texts_in_a_failed_bulk_statement_stay_hidden(seeded_engine, caplog) -> None:  # type: ignore
    """Several rows at once (executemany): none of their values reaches the error or the statement log either."""
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
    rows = [{"offer_id": 987654, "language": "de", "title": SECRET, "summary": "s", "details": "d"}] * 2
    with pytest.raises(DBAPIError) as raised, Session(seeded_engine, future=True) as session, session.begin():
        session.execute(insert(OfferText), rows)  # no such offer: the foreign key fails
    assert "offer_texts" in str(raised.value) and SECRET not in str(raised.value) and SECRET not in caplog.text


# --- tokens: refusing to listen beyond loopback without them ---------------------------------------------------

def _settings(tmp: Path, **env: str) -> dict[str, str]:
    """The environment of servers of their own: free ports, a seeded SQLite database, `env` on top."""
    database = f"sqlite:///{tmp / 'afa.db'}"
    engine = make_engine(database)
    create_schema(engine)
    seed(engine)
    engine.dispose()
    return {"DATABASE_URL": database, "RASA_PORT": str(free_port()), "ACTION_PORT": str(free_port()),
            "CONSOLE_PORT": str(free_port()), **env}


def test_servers_refuse_to_listen_beyond_loopback_without_their_tokens(tmp_path: Path, trained_model: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    env = _settings(tmp_path, AFA_HOST="0.0.0.0")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("ACTION_SERVER_TOKEN", raising=False)
    monkeypatch.delenv("RASA_AUTH_TOKEN", raising=False)
    with pytest.raises(MissingToken, match="ACTION_SERVER_TOKEN"):
        Services(Settings(), trained_model).start()
    monkeypatch.setenv("ACTION_SERVER_TOKEN", ACTION_TOKEN)
    services = Services(Settings(), trained_model)
    with pytest.raises(MissingToken, match="RASA_AUTH_TOKEN"):
        services.start()
    assert services.processes == []  # refused before anything was started

    child_env = {**os.environ, **env}
    child_env.pop("ACTION_SERVER_TOKEN")
    actions = subprocess.run([AFA, "actions"], env=child_env, capture_output=True, text=True, timeout=60)
    assert actions.returncode != 0 and "ACTION_SERVER_TOKEN" in actions.stderr and "0.0.0.0" in actions.stderr
    serve = subprocess.run([AFA, "serve"], env={**child_env, "ACTION_SERVER_TOKEN": ACTION_TOKEN},
                           capture_output=True, text=True, timeout=60)
    assert serve.returncode == 2 and "RASA_AUTH_TOKEN" in serve.stderr, serve.stderr[-2000:]


# --- tokens: Rasa and the action server with them --------------------------------------------------------------

@pytest.fixture(scope="module")
def guarded(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, Path]]:
    """Rasa and the action server with both tokens, on loopback. Rasa starts on a copy of the session's model
    under another name, so that a model `afa train` loads later shows in Rasa's /status."""
    home = tmp_path_factory.mktemp("guarded")
    start_model = home / "models" / "afa-start.tar.gz"
    start_model.parent.mkdir()
    shutil.copyfile(trained_model, start_model)
    env = _settings(home, RASA_AUTH_TOKEN=RASA_TOKEN, ACTION_SERVER_TOKEN=ACTION_TOKEN)
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)  # the children read their settings from the environment
    try:
        settings = Settings()
        with Services(settings, start_model, log_dir=home / "logs"):
            yield settings, home / "logs"
    finally:  # the session's other servers keep their settings
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def test_rasa_http_api_needs_its_token_and_a_turn_still_answers(guarded: tuple[Settings, Path]) -> None:
    settings, logs = guarded
    parse = f"{settings.rasa_url}/model/parse"
    assert requests.post(parse, json={"text": "Hallo"}, timeout=60).status_code == 401
    assert requests.post(parse, json={"text": "Hallo"}, params={"token": "wrong"}, timeout=60).status_code == 401
    parsed = requests.post(parse, json={"text": "Hallo"}, params={"token": RASA_TOKEN}, timeout=60)
    assert parsed.status_code == 200 and parsed.json()["intent"]["name"] == "greet"

    sender = new_sender()
    before = (logs / "actions.log").stat().st_size
    assert requests.get(f"{settings.rasa_url}/conversations/{sender}/tracker", timeout=30).status_code == 401
    # The REST channel is not covered by the token; its turn goes through the guarded action server and NLG.
    replies = requests.post(f"{settings.rasa_url}/webhooks/rest/webhook",
                            json={"sender": sender, "message": "Welche Deutschkurse gibt es in Marxloh?"},
                            timeout=60).json()
    assert replies and all(reply.get("text") for reply in replies)
    tracker = requests.get(f"{settings.rasa_url}/conversations/{sender}/tracker", params={"token": RASA_TOKEN},
                           timeout=30).json()
    ran = {event["name"] for event in tracker["events"] if event["event"] == "action"}
    assert "action_find_offers" in ran  # a custom action on the action server's webhook
    with (logs / "actions.log").open(encoding="utf-8") as log:
        log.seek(before)
        assert "401" not in log.read()  # Rasa's calls to the webhook and NLG all carried the token


def test_action_server_refuses_calls_without_the_token_and_logs_no_body(guarded: tuple[Settings, Path]) -> None:
    settings, logs = guarded
    body = {"next_action": "action_find_offers", "sender_id": "x", "version": "3.6.21",
            "tracker": {"sender_id": "x", "latest_message": {"text": SECRET}, "events": [], "slots": {}}, "domain": {}}
    nlg = {"response": "utter_greet", "arguments": {}, "channel": {"name": "rest"},
           "tracker": {"sender_id": "x", "latest_message": {"text": SECRET}, "events": [], "slots": {}}}
    assert requests.get(f"{settings.action_url}/health", timeout=10).status_code == 200
    assert requests.post(f"{settings.action_url}/webhook", json=body, timeout=10).status_code == 401
    wrong = {"Authorization": "Bearer not-the-token"}
    assert requests.post(f"{settings.action_url}/nlg", json=nlg, headers=wrong, timeout=10).status_code == 401
    assert requests.get(f"{settings.action_url}/actions", timeout=10).status_code == 401
    right = {"Authorization": f"Bearer {ACTION_TOKEN}"}
    rendered = requests.post(f"{settings.action_url}/nlg", json=nlg, headers=right, timeout=10)
    assert rendered.status_code == 200 and rendered.json()["text"]

    log = (logs / "actions.log").read_text(encoding="utf-8")
    assert "401 POST /webhook" in log and "401 POST /nlg" in log and "401 GET /actions" in log
    assert SECRET not in log and "4711081542" not in log and ACTION_TOKEN not in log and "not-the-token" not in log


# --- afa train: every registered Rasa server -------------------------------------------------------------------

def _train(settings: Settings, servers: list[str], token: str = RASA_TOKEN) -> subprocess.CompletedProcess:
    env = {**os.environ, "RASA_SERVERS": ",".join(servers), "RASA_AUTH_TOKEN": token}
    # --no-generate: the model for the repository's inputs exists (the session's), so nothing is trained.
    return subprocess.run([AFA, "train", "--no-generate"], env=env, capture_output=True, text=True, timeout=300)


def _loaded(settings: Settings) -> str:
    status = requests.get(f"{settings.rasa_url}/status", params={"token": RASA_TOKEN}, timeout=30)
    status.raise_for_status()
    return Path(status.json()["model_file"]).name


def test_train_publishes_to_every_registered_server(guarded: tuple[Settings, Path], trained_model: Path) -> None:
    settings, _logs = guarded
    assert model_path(Settings()) == trained_model  # nothing to train: the session's model is current
    assert _loaded(settings) == "afa-start.tar.gz"
    dead = f"http://127.0.0.1:{free_port()}"

    refused = _train(settings, [settings.rasa_url], token="wrong")  # a server that answers, but not to this token
    assert refused.returncode == 1 and "answered 401" in refused.stderr
    assert _loaded(settings) == "afa-start.tar.gz"

    result = _train(settings, [settings.rasa_url, dead])
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "model up to date" in result.stdout
    assert f"loaded into the Rasa server at {settings.rasa_url}" in result.stdout
    assert f"not loaded into the Rasa server at {dead}: no Rasa server answers there" in result.stderr
    assert _loaded(settings) == trained_model.name  # Rasa's own status names the published model

    nobody = _train(settings, [dead])
    assert nobody.returncode == 1
    assert f"error: no registered Rasa server loaded the model ({dead})" in nobody.stderr
