"""Rasa's own test stories (tests/test_stories.yml) against the trained model."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

from afa.settings import PROJECT_ROOT
from afa.training import rasa_command
from conftest import free_port


def test_rasa_test_stories_pass(trained_model: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [*rasa_command(), "test", "core", "--model", str(trained_model), "--stories", "tests/test_stories.yml",
         "--out", str(tmp_path)],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600,
        env={**os.environ, "ACTION_PORT": str(free_port())},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    failed = (tmp_path / "failed_test_stories.yml").read_text(encoding="utf-8")
    assert "None of the test stories failed" in failed, failed
