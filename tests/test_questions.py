"""Unanswered questions are kept for staff review (text, language, best guess, confidence, time; no user id)."""
from __future__ import annotations

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

import pytest

from afa.db import UnansweredQuestion, create_schema, make_engine
from afa.questions import record_unanswered


def _round_trip(url: str) -> None:
    engine = make_engine(url)
    create_schema(engine)
    text = "Kann ich hier meinen Reisepass verlängern? " + "x" * 10_000
    with Session(engine, future=True) as session, session.begin():
        record_unanswered(session, text, "de", "out_of_scope", 0.41)
    with Session(engine, future=True) as session:
        row = session.scalar(select(UnansweredQuestion))
        assert (row.text, row.language, row.intent_guess, row.confidence) == (text, "de", "out_of_scope", 0.41)
        assert row.created_at is not None
    columns = {c["name"] for c in inspect(engine).get_columns("unanswered_questions")}
    assert not any("sender" in c or "user" in c for c in columns)
    engine.dispose()


def test_on_sqlite(database_url: str) -> None:
    _round_trip(database_url)


@pytest.mark.postgres
def test_on_postgresql(postgres_url: str) -> None:
    _round_trip(postgres_url)
