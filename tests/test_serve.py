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
