"""The Alembic migrations build exactly the schema of the models, up and down, on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from afa.db import Base, alembic_config, make_engine, migrate, schema_name


def _check(url: str) -> None:
    engine = make_engine(url)
    migrate(engine)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True, "include_name": schema_name}), Base.metadata)
    assert diff == []
    migrate(engine)  # idempotent
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version", "sqlite_sequence"}  # SQLite's own, kept
    migrate(engine)
    assert {"offers", "offer_texts", "teams", "coaches", "faq_answers"} <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_on_sqlite(database_url: str) -> None:
    _check(database_url)


@pytest.mark.postgres
def test_on_postgresql(postgres_url: str) -> None:
    _check(postgres_url)


def _handover_ids(engine, sender: str, rows: int) -> list[int]:  # type: ignore[no-untyped-def]
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from afa.db import Team
    from afa.handover import open_handover

    ids = []
    with Session(engine, future=True) as session, session.begin():
        team = session.scalars(select(Team)).first()
        for _ in range(rows):
            handover, _new = open_handover(session, sender, team, "de", None, "{}")
            handover.status = "closed"  # the next one is new
            session.flush()
            ids.append(handover.id)
    return ids


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_a_handover_number_is_never_given_twice_and_the_rebuild_keeps_what_refers_to_it(
        backend: str, database_url: str, request: pytest.FixtureRequest) -> None:
    from sqlalchemy import text

    from tests.conftest import seed

    url = database_url if backend == "sqlite" else request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    migrate(engine, "0010")
    seed(engine)
    first = _handover_ids(engine, "before-0011", 2)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO relayed_messages (handover_id, direction, kind, text, source_chat_id, "
                                "source_message_id, created_at) VALUES (:h, 'user', 'text', 'hallo', 1, 1, "
                                "CURRENT_TIMESTAMP)"), {"h": first[1]})
    migrate(engine)  # 0011 rebuilds the table on SQLite, foreign keys off: the relayed message stays
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM relayed_messages WHERE handover_id = :h"),
                                  {"h": first[1]}).scalar() == 1
        connection.execute(text("DELETE FROM handovers WHERE id = :h"), {"h": first[1]})  # the newest, as /delete does
        connection.commit()
        assert connection.execute(text("SELECT count(*) FROM relayed_messages")).scalar() == 0  # cascades again
    again = _handover_ids(engine, "after-delete", 1)
    assert again[0] > first[1]
    engine.dispose()
