"""`afa serve` (what `make serve` runs): refuses a taken port clearly, runs the staff console beside the bot (a
taken console port never stops the bot), stops cleanly on SIGTERM."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from afa.settings import PROJECT_ROOT
from conftest import free_port

AFA = str(Path(sys.executable).with_name("afa"))


def _env(tmp_path: Path, rasa_port: int, action_port: int) -> dict[str, str]:
    return {
        **os.environ,
        "RASA_PORT": str(rasa_port),
        "ACTION_PORT": str(action_port),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'afa.db'}",
    }


def test_a_taken_port_is_refused_with_a_clear_message(tmp_path: Path, trained_model: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        result = subprocess.run(
            [AFA, "serve"], cwd=PROJECT_ROOT, env=_env(tmp_path, taken, free_port()),
            capture_output=True, text=True, timeout=120,
        )
    assert result.returncode == 2
    assert f"port {taken}" in result.stderr and "RASA_PORT" in result.stderr


class Served:
    """`afa serve` as a child process; its terminal output collected line by line."""

    def __init__(self, env: dict[str, str]) -> None:
        import threading

        self.lines: list[str] = []
        self.process = subprocess.Popen([AFA, "serve"], cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True)
        threading.Thread(target=lambda: self.lines.extend(iter(self.process.stdout.readline, "")), daemon=True).start()

    def wait_for_line(self, start: str, timeout: float = 180) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [line for line in self.lines if line.startswith(start)]
            if found:
                return found[0]
            assert self.process.poll() is None, "".join(self.lines)
            time.sleep(0.3)
        raise AssertionError(f"no line starting {start!r} in: {''.join(self.lines)}")

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()


def _say(rasa_port: int, text: str) -> str:
    body = {"sender": "serve-test", "message": text}
    return requests.post(f"http://127.0.0.1:{rasa_port}/webhooks/rest/webhook", json=body, timeout=60).json()[0]["text"]


@pytest.mark.server
def test_serve_answers_runs_the_console_and_stops_cleanly_on_sigterm(tmp_path: Path, trained_model: Path) -> None:
    rasa_port, action_port, console_port = free_port(), free_port(), free_port()
    env = {**_env(tmp_path, rasa_port, action_port), "CONSOLE_PORT": str(console_port)}
    subprocess.run([AFA, "setup"], cwd=PROJECT_ROOT, env=env, check=True, capture_output=True)
    served = Served(env)
    try:
        where = served.wait_for_line("Staff console:")
        assert where.strip() == f"Staff console: http://127.0.0.1:{console_port}/"
        setup = served.wait_for_line("No staff account yet")  # a fresh installation: the one-time set-up link
        link = setup.split("open ", 1)[1].split(" ", 1)[0]
        served.wait_for_line("Rasa REST channel")
        assert "Merhaba" in _say(rasa_port, "Merhaba")
        page = requests.get(link, timeout=10)
        assert page.status_code == 200 and "Konsole einrichten" in page.text
        assert requests.get(f"http://127.0.0.1:{console_port}/offers/", timeout=10, allow_redirects=False).status_code == 302
        served.process.send_signal(signal.SIGTERM)
        assert served.process.wait(timeout=60) == 0
    finally:
        served.kill()
    for port in (rasa_port, action_port, console_port):
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is not a listener
            probe.bind(("127.0.0.1", port))  # free again: every child is gone


@pytest.mark.server
def test_a_taken_console_port_is_reported_and_the_bot_still_serves(tmp_path: Path, trained_model: Path) -> None:
    rasa_port, action_port = free_port(), free_port()
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        env = {**_env(tmp_path, rasa_port, action_port), "CONSOLE_PORT": str(taken)}
        subprocess.run([AFA, "setup"], cwd=PROJECT_ROOT, env=env, check=True, capture_output=True)
        served = Served(env)
        try:
            note = served.wait_for_line("Staff console not started")
            assert f"port {taken}" in note and "CONSOLE_PORT" in note and "serves without it" in note
            served.wait_for_line("Rasa REST channel")
            assert "Merhaba" in _say(rasa_port, "Merhaba")
            served.process.send_signal(signal.SIGTERM)
            assert served.process.wait(timeout=60) == 0
        finally:
            served.kill()


def test_runtime_endpoints_use_rasas_sql_tracker_store_and_redis_lock_store(tmp_path: Path, monkeypatch) -> None:
    import yaml

    from afa.serve import runtime_endpoints, tracker_store_config
    from afa.settings import Settings

    assert tracker_store_config("sqlite:////data/afa.db") == {"type": "SQL", "dialect": "sqlite", "db": "/data/afa.db"}
    assert tracker_store_config("postgresql+psycopg2://postgres@127.0.0.1:5432/afa") == {
        "type": "SQL", "dialect": "postgresql", "url": "127.0.0.1", "db": "afa", "port": 5432, "username": "postgres",
    }
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/2")
    monkeypatch.setenv("AFA_TRACKER_STORE", "sql")
    monkeypatch.setenv("ACTION_PORT", "5999")
    monkeypatch.setenv("RASA_PORT", str(free_port()))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    path = runtime_endpoints(Settings())
    endpoints = yaml.safe_load(path.read_text())
    path.unlink()
    assert endpoints["action_endpoint"]["url"] == "http://127.0.0.1:5999/webhook"
    assert endpoints["nlg"]["url"] == "http://127.0.0.1:5999/nlg"
    assert endpoints["tracker_store"]["db"] == str(tmp_path / "x.db")
    assert endpoints["lock_store"] == {"type": "redis", "url": "127.0.0.1", "port": 6379, "db": 2}
    monkeypatch.setenv("AFA_TRACKER_STORE", "memory")
    path = runtime_endpoints(Settings())
    assert yaml.safe_load(path.read_text())["tracker_store"] == {"type": "afa.tracker_store.ProcessTrackerStore"}
    path.unlink()
