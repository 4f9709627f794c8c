"""Trainings started from the console: one row per run, so every console process shows its progress."""
from __future__ import annotations

from typing import Optional

from sqlalchemy import Column, DateTime, Integer, String, Text, select, update
from sqlalchemy.orm import Session

from afa.db import Base, utcnow

RUNNING, SUCCEEDED, FAILED, INTERRUPTED = "running", "succeeded", "failed", "interrupted"


class TrainingRun(Base):
    __tablename__ = "training_runs"
    id = Column(Integer, primary_key=True)
    started_by = Column(String(254), nullable=False, default="")
    started_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    finished_at = Column(DateTime(timezone=True), nullable=True)
    status = Column(String(16), nullable=False, default=RUNNING)
    model = Column(String(500), nullable=True)
    swapped = Column(Integer, nullable=True)  # 1: loaded into the running Rasa server, 0: no server running
    detail = Column(Text, nullable=False, default="")  # why it failed (the end of Rasa's output)


def start(session: Session, started_by: str) -> Optional[TrainingRun]:
    """A new run, or None while another one is still running (one training at a time)."""
    if session.scalar(select(TrainingRun.id).where(TrainingRun.status == RUNNING).limit(1)) is not None:
        return None
    run = TrainingRun(started_by=started_by)
    session.add(run)
    session.flush()
    return run


def finish(session: Session, run_id: int, status: str, model: str = "", swapped: bool = False, detail: str = "") -> None:
    session.execute(update(TrainingRun).where(TrainingRun.id == run_id).values(
        status=status, finished_at=utcnow(), model=model or None, swapped=int(swapped), detail=detail[-4000:]))


def abandon_running(session: Session) -> None:
    """Runs left "running" by a console that stopped mid-training never finish: mark them interrupted."""
    session.execute(update(TrainingRun).where(TrainingRun.status == RUNNING).values(
        status=INTERRUPTED, finished_at=utcnow()))


def latest(session: Session) -> Optional[TrainingRun]:
    return session.scalar(select(TrainingRun).order_by(TrainingRun.id.desc()).limit(1))
