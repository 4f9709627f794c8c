"""The console's "train and publish": `afa.training.publish` (what `afa train` does) in a background thread.

One run at a time: `training_runs.start` refuses while a run is still "running" (in any console process, the
row is in the database); a lock makes two clicks in this process at the same moment one run. Rasa's output
goes to var/log/training-<id>-<start>.log, which the progress page reads. A failed training raises inside
`publish` before the model is swapped, so the running model stays as it was.
"""
from __future__ import annotations

import logging
import re
import subprocess
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from afa import audit, training_runs
from afa.db import as_utc, utcnow
from afa.settings import Settings
from afa.training import publish
from afa.training_runs import FAILED, SUCCEEDED, TrainingRun

logger = logging.getLogger(__name__)
REUSED = "reused"  # detail of a successful run that found the model for these inputs already trained
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_WARNING = re.compile(r"^\S+\.py:\d+: \w*Warning: ")
_starting = threading.Lock()


def log_path(log_dir: Path, run: TrainingRun) -> Path:
    """Where a run's output goes: named by id and start, so a new database never overwrites an old log."""
    started = as_utc(run.started_at).astimezone(timezone.utc)  # PostgreSQL hands it back in its own time zone
    return log_dir / f"training-{run.id}-{started:%Y%m%d-%H%M%S}.log"


def tail(path: Path, lines: int = 25, limit: int = 16384) -> list[str]:
    """The last lines of a log as a terminal would show them (progress bars redrawn with \\r, no colours)."""
    try:
        with path.open("rb") as handle:
            handle.seek(max(path.stat().st_size - limit, 0))
            text = handle.read().decode("utf-8", errors="replace")
    except OSError:
        return []
    shown = [re.split(r"\r", line.rstrip("\r"))[-1] for line in _ANSI.sub("", text).split("\n")]
    return [line for line in _without_warnings(shown) if line.strip()][-lines:]


def _without_warnings(lines: list[str]) -> list[str]:
    """Rasa's output without Python's warnings ("x.py:12: DeprecationWarning: ..." up to the quoted source line),
    which hide the lines that matter to staff."""
    kept: list[str] = []
    skipping = 0
    for line in lines:
        if _WARNING.match(line):
            skipping = 5  # the message may span lines; the block ends with the indented source line
            continue
        if skipping:
            skipping = 0 if line.startswith("  ") else skipping - 1
            continue
        kept.append(line)
    return kept


def reason(lines: list[str]) -> str:
    """The line of Rasa's output that says why it failed (the last error or exception it names), or ''."""
    return next((line.strip() for line in reversed(lines) if re.search(r"(Error|Exception)\b", line)), "")


@dataclass(frozen=True)
class Started:
    run: Optional[TrainingRun]  # None: another run is still going
    running: Optional[TrainingRun] = None


def start(settings: Settings, engine: Engine, started_by: str, log_dir: Path) -> Started:
    """Start a run in a background thread, or say which run is still going."""
    with _starting:
        with Session(engine, future=True, expire_on_commit=False) as session, session.begin():
            run = training_runs.start(session, started_by)
            if run is None:
                return Started(None, training_runs.latest(session))
            audit.record(session, started_by, "started", "training", f"run {run.id}")
        log = log_path(log_dir, run)
        try:
            log.parent.mkdir(parents=True, exist_ok=True)
            log.touch()
            threading.Thread(target=_run, args=(settings, engine, run.id, started_by, log),
                             name=f"training-{run.id}", daemon=True).start()
        except Exception as exc:  # no log folder, no thread: the run must not stay "running" and block the next
            with Session(engine, future=True) as session, session.begin():
                training_runs.finish(session, run.id, FAILED, detail=f"{exc.__class__.__name__}: {exc}")
            raise
    return Started(run)


def _run(settings: Settings, engine: Engine, run_id: int, started_by: str, log: Path) -> None:
    status, model, swapped, detail = FAILED, "", False, ""
    try:
        with log.open("ab") as handle:
            published = publish(settings, engine, log=handle)
        status, model, swapped = SUCCEEDED, str(published.model), published.swapped
        detail = "" if published.trained else REUSED
    except subprocess.CalledProcessError as exc:
        detail = "\n".join(tail(log, lines=60)) or f"rasa train ended with exit code {exc.returncode}"
    except Exception as exc:  # noqa: BLE001 - every failure is reported on the page, none kills the console
        logger.exception("training run %s failed", run_id)
        detail = "\n".join([*tail(log, lines=40), f"{exc.__class__.__name__}: {exc}"])
    finally:
        with Session(engine, future=True) as session, session.begin():
            training_runs.finish(session, run_id, status, model=model, swapped=swapped, detail=detail)
            after = {"model": Path(model).name, "loaded": swapped} if status == SUCCEEDED else {}
            audit.record(session, started_by, "published" if status == SUCCEEDED else "failed", "training",
                         f"run {run_id}", after=after or None)


def elapsed(run: TrainingRun, now: Optional[datetime] = None) -> int:
    """Seconds the run took, or has taken so far."""
    end = as_utc(run.finished_at) if run.finished_at else (now or utcnow())
    return max(int((end - as_utc(run.started_at)).total_seconds()), 0)
