"""Run the action server (with the NLG endpoint) and the Rasa server as child processes, in the foreground.

Stopped cleanly by Ctrl-C or SIGTERM: both children get SIGTERM, then SIGKILL if they do not stop.
"""
from __future__ import annotations

import ipaddress
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional

import requests
import yaml

from afa.settings import Settings

logger = logging.getLogger(__name__)


class PortTaken(RuntimeError):
    pass


class MissingToken(RuntimeError):
    """A server asked to listen beyond loopback without the token that guards it."""


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and `localhost`; any other address or name (0.0.0.0 included) is reachable."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def require_token(host: str, token: str, variable: str, server: str) -> None:
    """Refuse to listen on `host` beyond loopback unless `token` (the environment's `variable`) is set."""
    if not token and not is_loopback(host):
        raise MissingToken(
            f"the {server} would listen on {host}, beyond loopback, without authentication: set {variable} "
            f"(the same value on every machine that talks to it), or listen on 127.0.0.1"
        )


def rasa_params(settings: Settings) -> dict[str, str]:
    """The query parameters every client of Rasa's HTTP API sends: its token (`?token=`), when one is configured."""
    return {"token": settings.rasa_auth_token} if settings.rasa_auth_token else {}


def action_server_headers(token: str) -> dict[str, str]:
    """The header Rasa (and any other caller) sends to the action server's webhook and NLG routes."""
    return {"Authorization": f"Bearer {token}"} if token else {}


def check_port_free(host: str, port: int, variable: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As servers bind: connections of a stopped server in TIME_WAIT do not count, a listener does.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise PortTaken(
                f"port {port} on {host} is already in use ({exc.strerror}); stop the process using it "
                f"or choose another port with {variable}=..."
            ) from exc


def wait_for(url: str, timeout: float, process: subprocess.Popen, ready=lambda r: r.ok,
             params: Optional[dict[str, str]] = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{' '.join(map(str, process.args[:3]))} exited with status {process.returncode}")
        try:
            if ready(requests.get(url, params=params, timeout=2)):
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{url} not ready after {timeout:.0f} s")


ERASING_SQL_STORE = "afa.tracker_store.ErasingSQLTrackerStore"


def tracker_store_config(database_url: str) -> dict:
    """Rasa's own SQL tracker store on the project's database, so conversations survive restarts and model swaps."""
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return {"type": "SQL", "dialect": "sqlite", "db": url.database}
    config = {"type": "SQL", "dialect": url.get_backend_name(), "url": url.host or "127.0.0.1", "db": url.database,
              "port": url.port or 5432, "username": url.username or ""}
    if url.password:
        config["password"] = url.password
    return config


def sql_tracker_store(database_url: str, root: Path):  # type: ignore[no-untyped-def]
    """The Rasa server's tracker store on the project's database, configured as its endpoints configure it."""
    from rasa.shared.core.domain import Domain

    from afa.tracker_store import ErasingSQLTrackerStore

    config = tracker_store_config(database_url)
    config.pop("type")
    return ErasingSQLTrackerStore(Domain.load(str(root / "domain.yml")), host=config.pop("url", None), **config)


def runtime_endpoints(settings: Settings) -> Path:
    """endpoints.yml with this run's ports, the action server's token, the tracker store (AFA_TRACKER_STORE) and
    the Redis lock store. Readable by its owner only: it holds the token and the database password."""
    text = (settings.root / "endpoints.yml").read_text(encoding="utf-8").replace("${ACTION_PORT}", str(settings.action_port))
    endpoints = yaml.safe_load(text)
    if settings.action_server_token:
        # A header rather than Rasa's `token` query parameter: it never lands in a URL, so never in an access log.
        for name in ("action_endpoint", "nlg"):
            endpoints[name]["headers"] = action_server_headers(settings.action_server_token)
    if settings.tracker_store == "sql":
        # Rasa's SQL store, configured as such, as the subclass that erases a conversation on request.
        endpoints["tracker_store"] = {**tracker_store_config(settings.database_url), "type": ERASING_SQL_STORE}
    else:
        endpoints["tracker_store"] = {"type": "afa.tracker_store.ProcessTrackerStore"}
    if settings.redis_url:
        from urllib.parse import urlparse

        redis = urlparse(settings.redis_url)
        endpoints["lock_store"] = {"type": "redis", "url": redis.hostname, "port": redis.port or 6379,
                                   "db": int((redis.path or "/0").lstrip("/") or 0)}
    target = settings.root / "var" / "run" / f"endpoints-{settings.rasa_port}.yml"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.touch(mode=0o600)
    target.chmod(0o600)  # an older file keeps its mode on touch
    target.write_text(yaml.safe_dump(endpoints, sort_keys=False), encoding="utf-8")
    return target


class Services:
    """The two server processes, started in order and stopped together; with `console`, the staff console
    beside them, which never stops the bot: a taken port or a console that exits is reported, nothing more."""

    def __init__(self, settings: Settings, model: Path, log_dir: Optional[Path] = None, console: bool = False) -> None:
        self.settings = settings
        self.model = model
        self.log_dir = log_dir
        self.with_console = console
        self.processes: list[subprocess.Popen] = []
        self.console: Optional[subprocess.Popen] = None
        self.notes: list[str] = []  # what the terminal should be told (where the console is, its set-up link)

    def _spawn(self, name: str, command: list[str]) -> subprocess.Popen:
        env = {**os.environ, "ACTION_PORT": str(self.settings.action_port), "RASA_PORT": str(self.settings.rasa_port)}
        output = None
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            output = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - owned by the child
        process = subprocess.Popen(
            command, cwd=self.settings.root, env=env, stdout=output, stderr=subprocess.STDOUT if output else None
        )
        self.processes.append(process)
        return process

    def start(self, timeout: float = 180) -> None:
        s = self.settings
        require_token(s.host, s.action_server_token, "ACTION_SERVER_TOKEN", "action server")
        require_token(s.host, s.rasa_auth_token, "RASA_AUTH_TOKEN", "Rasa HTTP API")
        check_port_free(s.host, s.action_port, "ACTION_PORT")
        check_port_free(s.host, s.rasa_port, "RASA_PORT")
        actions = self._spawn("actions", [sys.executable, "-m", "afa.cli", "actions"])
        wait_for(f"{s.action_url}/health", timeout, actions)
        rasa = self._spawn(
            "rasa",
            [
                sys.executable, "-m", "afa.rasa_server", "run",
                "--enable-api",
                *(["--auth-token", s.rasa_auth_token] if s.rasa_auth_token else []),
                "--interface", s.host,
                "--port", str(s.rasa_port),
                "--model", str(self.model),
                "--endpoints", str(runtime_endpoints(s)),
                "--credentials", "credentials.yml",
            ],
        )
        wait_for(f"{s.rasa_url}/status", timeout, rasa, ready=lambda r: r.ok and bool(r.json().get("model_file")),
                 params=rasa_params(s))
        if self.with_console:
            self._start_console(timeout)

    def _start_console(self, timeout: float) -> None:
        from afa.console.server import announcement
        from afa.db import shared_engine

        s = self.settings
        try:
            check_port_free(s.host, s.console_port, "CONSOLE_PORT")
        except PortTaken as exc:
            self.notes.append(f"Staff console not started: {exc}. The bot serves without it.")
            return
        # The child's own announcement would go to its log: the parent tells the terminal instead.
        self.notes.extend(announcement(s, shared_engine(s.database_url)))
        self.console = self._spawn("console", [sys.executable, "-m", "afa.cli", "console", "--quiet"])
        self.processes.remove(self.console)  # not waited on: the console exiting does not stop the bot
        try:
            wait_for(f"http://{s.host}:{s.console_port}/login", timeout, self.console)
        except (RuntimeError, TimeoutError) as exc:
            self.notes.append(f"Staff console did not start ({exc}); see var/log/console.log. The bot serves without it.")

    def stop(self, grace: float = 15) -> None:
        if self.console is not None:
            self.processes.insert(0, self.console)
            self.console = None
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + grace
        for process in reversed(self.processes):
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes.clear()

    def wait(self) -> int:
        """Block until a child exits; return its status."""
        while True:
            for process in self.processes:
                code = process.poll()
                if code is not None:
                    return code
            time.sleep(0.5)

    def __enter__(self) -> "Services":
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def serve_forever(settings: Settings, model: Path) -> int:
    """`make serve`: run until SIGTERM/Ctrl-C, then stop both children."""
    stopping = False

    def _stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    services = Services(settings, model, console=True)
    try:
        services.start()
        for note in services.notes:
            print(note, flush=True)
        print(
            f"Rasa REST channel and HTTP API on {settings.rasa_url} "
            f"(POST /webhooks/rest/webhook, POST /model/parse); action server on {settings.action_url}. "
            "Ctrl-C stops.",
            flush=True,
        )
        code = services.wait()
        if not stopping:
            logger.error("a server process exited with status %s; stopping", code)
            return code or 1
    except KeyboardInterrupt:
        pass
    finally:
        services.stop()
    return 0
