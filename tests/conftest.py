"""Shared fixtures: a private database per test, and one trained model plus running servers per session."""
from __future__ import annotations

import os
import socket
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests
from sqlalchemy.orm import Session

from afa.catalogues import compile_catalogues
from afa.content import import_path
from afa.db import create_schema, make_engine
from afa.settings import PROJECT_ROOT, Settings

POSTGRES_ADMIN_URL = os.environ.get("AFA_TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def seed(engine) -> None:  # type: ignore[no-untyped-def]
    """The reviewed content of the repository (programme facts, FAQ, teams, example offers)."""
    with Session(engine, future=True) as session, session.begin():
        import_path(session, Settings().content_path)


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogues() -> None:
    """Tests read the compiled catalogues; compiling also fails loudly on any gap."""
    compile_catalogues(PROJECT_ROOT / "locales")


@pytest.fixture()
def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'afa.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    return url


@pytest.fixture()
def seeded_engine(database_url: str):
    engine = make_engine(database_url)
    create_schema(engine)
    seed(engine)
    yield engine
    engine.dispose()


@pytest.fixture()
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    from sqlalchemy import create_engine, text

    admin = create_engine(POSTGRES_ADMIN_URL, future=True, isolation_level="AUTOCOMMIT")
    name = f"afa_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def trained_model() -> Path:
    """The model for the current inputs: trained once, reused while config and data are unchanged."""
    from afa.training import train

    return train(Settings())


class Bot:
    """A client of the running Rasa server, as the Telegram front end and other tools use it."""

    def __init__(self, settings: Settings, log_dir: Path | None = None) -> None:
        self.settings = settings
        self.url = settings.rasa_url
        self.log_dir = log_dir  # the servers' logs (Rasa, action server)

    def say(self, sender: str, text: str, **metadata: Any) -> list[dict[str, Any]]:
        body = {"sender": sender, "message": text, "metadata": metadata}
        response = requests.post(f"{self.url}/webhooks/rest/webhook", json=body, timeout=60)
        response.raise_for_status()
        return response.json()

    def text(self, sender: str, text: str, **metadata: Any) -> str:
        return "\n".join(m.get("text") or "" for m in self.say(sender, text, **metadata))

    def parse(self, text: str) -> dict[str, Any]:
        response = requests.post(f"{self.url}/model/parse", json={"text": text}, timeout=60,
                                 params={"token": self.settings.rasa_auth_token or None})  # None: not sent
        response.raise_for_status()
        return response.json()

    def slots(self, sender: str) -> dict[str, Any]:
        tracker = requests.get(f"{self.url}/conversations/{sender}/tracker", timeout=30,
                               params={"token": self.settings.rasa_auth_token or None}).json()
        return tracker["slots"]


@pytest.fixture(scope="session")
def bot(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bot]:
    """`rasa run` and the action server over real HTTP, on free ports, with a seeded SQLite database."""
    from afa.serve import Services

    home = tmp_path_factory.mktemp("servers")
    os.environ.update(
        {
            "DATABASE_URL": f"sqlite:///{home / 'afa.db'}",
            "RASA_PORT": str(free_port()),
            "ACTION_PORT": str(free_port()),
        }
    )
    settings = Settings()
    engine = make_engine(settings.database_url)
    create_schema(engine)
    seed(engine)
    engine.dispose()
    with Services(settings, trained_model, log_dir=home / "logs"):
        yield Bot(settings, home / "logs")
    for name in ("DATABASE_URL", "RASA_PORT", "ACTION_PORT"):
        os.environ.pop(name, None)


def new_sender() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


# --- Telegram: the project's recording Bot API server and the front end as its own process ----------------
HOCHFELD_GROUP = -1001000000001  # a forum: one topic per handover
MARXLOH_GROUP = -1001000000002  # a plain group: relayed messages are replies to the card
COACHES = {"hochfeld": (7001, 7002), "marxloh": (7101, 7102)}


@pytest.fixture(scope="session")
def telegram_api() -> Iterator[Any]:
    from tests.botapi import BotApiServer

    with BotApiServer() as api:
        api.add_chat(HOCHFELD_GROUP, type="supergroup", title="Netzwerkcoaches Hochfeld", is_forum=True)
        api.add_chat(MARXLOH_GROUP, type="supergroup", title="Netzwerkcoaches Marxloh")
        yield api


def configure_teams(database_url: str) -> None:
    """The teams' Telegram groups and the coaches' Telegram accounts, as staff would import them."""
    from sqlalchemy import select

    from afa.db import Team

    engine = make_engine(database_url)
    with Session(engine, future=True) as session, session.begin():
        for team in session.execute(select(Team)).scalars():
            team.telegram_chat_id = HOCHFELD_GROUP if team.district == "hochfeld" else MARXLOH_GROUP
            team.office_hours, team.closed_days = "", ""
            for coach, user_id in zip(team.coaches, COACHES[team.district]):
                coach.telegram_user_id = user_id
    engine.dispose()


class FrontEnd:
    """`afa bot` as a child process, talking to the recording Bot API server and to Rasa over HTTP."""

    def __init__(self, api: Any, log: Path, **env: str) -> None:
        self.api, self.log = api, log
        self.env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": "123456:TEST-token",
            "TELEGRAM_API_URL": api.base_url,
            "AFA_JOBS_INTERVAL_SECONDS": "0.3",
            "AFA_PATIENCE_SECONDS": "120",
            **env,
        }
        self.overrides = env
        self.process: Any = None

    def variant(self, log: Path, **env: str) -> "FrontEnd":
        """Another front end with this one's settings plus `env` (one polls at a time: stop this one first)."""
        return FrontEnd(self.api, log, **{**self.overrides, **env})

    def start(self, ready_call: str = "getUpdates") -> "FrontEnd":
        import subprocess
        import time

        started = time.monotonic()
        with open(self.log, "a", encoding="utf-8") as log:
            self.process = subprocess.Popen(
                [str(PROJECT_ROOT / ".venv" / "bin" / "afa"), "bot"], env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        self.api.wait_call(ready_call, lambda call: call.at > started, timeout=60)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except Exception:  # noqa: BLE001 - a stuck process must not hang the suite
                self.process.kill()
                self.process.wait()
        self.process = None


@pytest.fixture(scope="module")
def front_end(bot: Bot, telegram_api: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FrontEnd]:
    """The Telegram front end in polling mode, with both team groups and their coaches configured."""
    configure_teams(bot.settings.database_url)
    # The servers' settings passed explicitly: the front end talks to this session's Rasa and database.
    # Tests send far more than Telegram's 20 messages a minute to one group: that limit is off here.
    process = FrontEnd(
        telegram_api, tmp_path_factory.mktemp("front") / "bot.log", DATABASE_URL=bot.settings.database_url,
        RASA_PORT=str(bot.settings.rasa_port), AFA_TELEGRAM_GROUP_RATE="0",
    )
    process.start()
    yield process
    process.stop()


def everything_in(database_url: str) -> str:
    """Every value of every row of every table as text (JSON, as Rasa stores events, also unescaped)."""
    import json

    from sqlalchemy import inspect, text

    engine = make_engine(database_url)
    dump = []
    with engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                for value in row:
                    dump.append(str(value))
                    if isinstance(value, str) and value[:1] in "{[":
                        try:
                            dump.append(json.dumps(json.loads(value), ensure_ascii=False))
                        except ValueError:
                            pass
    engine.dispose()
    return "\n".join(dump)


# --- staff console ----------------------------------------------------------------------------------------
@pytest.fixture()
def console_app(seeded_engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):  # type: ignore[no-untyped-def]
    """The console on the test's seeded SQLite database, one account per role (tests.console_client.STAFF)."""
    from afa.console import create_app
    from tests.console_client import add_staff

    monkeypatch.setenv("AFA_CONSOLE_SECRET", "test-secret")
    monkeypatch.setenv("AFA_NLU_DIR", str(tmp_path / "nlu_data"))
    add_staff(seeded_engine)
    return create_app(Settings(), seeded_engine)


@pytest.fixture()
def as_role(console_app):  # type: ignore[no-untyped-def]
    """`as_role("editor")`: a client logged in with that role."""
    from tests.console_client import STAFF, ConsoleClient

    def client(role: str) -> ConsoleClient:
        c = ConsoleClient(console_app.test_client())
        assert c.login(STAFF[role]).status_code == 302
        return c

    return client


class ConsoleServer:
    """`afa console` as its own process (waitress), on the session's servers' database and Rasa."""

    def __init__(self, home: Path, settings: Settings) -> None:
        import shutil
        import subprocess

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.nlu_dir = home / "nlu_data"  # review labels land in this copy, never in the repository's data
        shutil.copytree(PROJECT_ROOT / "nlu_data", self.nlu_dir)
        self.env = {**os.environ, "DATABASE_URL": settings.database_url, "RASA_PORT": str(settings.rasa_port),
                    "CONSOLE_PORT": str(self.port), "AFA_CONSOLE_SECRET": "browser-test", "AFA_NLU_DIR": str(self.nlu_dir),
                    "TELEGRAM_BOT_USERNAME": "afa_test_bot", "AFA_MODELS_DIR": str(home / "models")}
        self.log = home / "console.log"
        with self.log.open("ab") as log:
            self.process = subprocess.Popen([str(PROJECT_ROOT / ".venv" / "bin" / "afa"), "console", "--quiet"],
                                            env=self.env, stdout=log, stderr=subprocess.STDOUT)
        from afa.serve import wait_for

        wait_for(f"{self.url}/login", 60, self.process)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)


@pytest.fixture(scope="session")
def console_server(bot: Bot, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleServer]:
    """The console beside the session's Rasa, one account per role (tests.console_client.STAFF)."""
    from tests.console_client import add_staff

    engine = make_engine(bot.settings.database_url)
    add_staff(engine)
    engine.dispose()
    server = ConsoleServer(tmp_path_factory.mktemp("console"), bot.settings)
    yield server
    server.stop()


SCREENSHOTS = Path(os.environ.get("AFA_TEST_OUTPUT", PROJECT_ROOT / "var" / "test-output")) / "screenshots"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Debian Chromium for a module's browser tests (Playwright, no downloaded browser). Not for the
    session: Playwright's sync API keeps an event loop running in this thread while it is open, and the tests
    after it use asyncio themselves."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"],
        )
        yield chromium
        chromium.close()


@pytest.fixture()
def staff_page(browser: Any, console_server: ConsoleServer) -> Iterator[Any]:
    """A fresh browser context logged in as the administrator, 1280 px wide."""
    from tests.console_client import PASSWORD, STAFF

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")
    page = context.new_page()
    page.goto(f"{console_server.url}/login")
    page.fill("#email", STAFF["admin"])
    page.fill("#password", PASSWORD)
    page.click("#submit")
    page.wait_for_url(f"{console_server.url}/")
    yield page
    context.close()


def screenshot(page: Any, name: str) -> list[Path]:
    """The page at a phone's width (390 px) and a laptop's (1280 px), full length, under var/test-output/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    paths, size = [], page.viewport_size
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        path = SCREENSHOTS / f"{name}-{width}.png"
        page.screenshot(path=str(path), full_page=True)
        paths.append(path)
    page.set_viewport_size(size)
    return paths
