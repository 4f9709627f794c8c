"""`afa serve` (what `make serve` runs): refuses a taken port clearly, stops cleanly on SIGTERM."""
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


@pytest.mark.server
def test_serve_answers_and_stops_cleanly_on_sigterm(tmp_path: Path, trained_model: Path) -> None:
    rasa_port, action_port = free_port(), free_port()
    env = _env(tmp_path, rasa_port, action_port)
    subprocess.run([AFA, "setup"], cwd=PROJECT_ROOT, env=env, check=True, capture_output=True)
    process = subprocess.Popen([AFA, "serve"], cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{rasa_port}/status", timeout=2).json().get("model_file"):
                    break
            except requests.RequestException:
                time.sleep(1)
        body = {"sender": "serve-test", "message": "Merhaba"}
        replies = requests.post(f"http://127.0.0.1:{rasa_port}/webhooks/rest/webhook", json=body, timeout=60).json()
        assert "Merhaba" in replies[0]["text"]
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
    for port in (rasa_port, action_port):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", port))  # free again: both children are gone


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
