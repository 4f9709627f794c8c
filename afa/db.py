"""Database schema and engine (SQLAlchemy 1.4 in 2.0 style).

Nothing connects at import time: callers build an engine with `make_engine()` and own their sessions
(`with Session(engine) as s, s.begin(): ...`); data functions take the session.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path
from typing import Optional

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import declarative_base, relationship

Base = declarative_base()


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Team(Base):
    """A network coach team; one per district."""

    __tablename__ = "teams"
    id = Column(Integer, primary_key=True)
    district = Column(String(32), unique=True, nullable=False)
    name = Column(String(200), nullable=False)
    coaches = relationship("Coach", back_populates="team", order_by="Coach.position", cascade="all, delete-orphan")


class Coach(Base):
    __tablename__ = "coaches"
    id = Column(Integer, primary_key=True)
    team_id = Column(Integer, ForeignKey("teams.id", ondelete="CASCADE"), nullable=False)
    position = Column(Integer, nullable=False, default=0)
    name = Column(String(200), nullable=False)
    phone = Column(String(64), nullable=False)
    email = Column(String(200), nullable=False)
    team = relationship("Team", back_populates="coaches")


class FaqAnswer(Base):
    """One answer per FAQ key and language; staff edit these, the next reply shows the change."""

    __tablename__ = "faq_answers"
    __table_args__ = (UniqueConstraint("key", "language", name="uq_faq_key_language"),)
    id = Column(Integer, primary_key=True)
    key = Column(String(64), nullable=False)
    language = Column(String(8), nullable=False)
    text = Column(Text, nullable=False)
    updated_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)


class Fact(Base):
    """Programme facts used inside answers (e.g. the period), formatted per locale when rendered."""

    __tablename__ = "facts"
    key = Column(String(64), primary_key=True)
    date_value = Column(Date, nullable=True)
    text_value = Column(Text, nullable=True)


class UnansweredQuestion(Base):
    """A message the bot did not understand, kept for staff review (no user id on purpose)."""

    __tablename__ = "unanswered_questions"
    id = Column(Integer, primary_key=True)
    text = Column(Text, nullable=False)
    language = Column(String(8), nullable=False)
    intent_guess = Column(String(64), nullable=True)
    confidence = Column(Float, nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


def make_engine(url: str, echo: bool = False) -> Engine:
    """Create an engine for `url`; SQLite files get their folder and foreign keys switched on."""
    parsed = make_url(url)
    kwargs = {"future": True, "echo": echo, "pool_pre_ping": True}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    engine = create_engine(url, **kwargs)
    if parsed.get_backend_name() == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # pragma: no cover - trivial
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

    return engine


def create_schema(engine: Engine) -> None:
    Base.metadata.create_all(engine)


def as_date(value: object) -> Optional[date]:
    if value is None or isinstance(value, date):
        return value  # type: ignore[return-value]
    return date.fromisoformat(str(value))


_ENGINES: dict[str, Engine] = {}


def shared_engine(url: str) -> Engine:
    """One engine (and connection pool) per URL per process, created on first use."""
    if url not in _ENGINES:
        _ENGINES[url] = make_engine(url)
    return _ENGINES[url]
