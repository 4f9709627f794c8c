"""The Alembic migrations build exactly the schema of the models, up and down, on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from afa.db import Base, alembic_config, make_engine, migrate


def _check(url: str) -> None:
    engine = make_engine(url)
    migrate(engine)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata)
    assert diff == []
    migrate(engine)  # idempotent
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate(engine)
    assert {"offers", "offer_texts", "teams", "coaches", "faq_answers"} <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_on_sqlite(database_url: str) -> None:
    _check(database_url)


@pytest.mark.postgres
def test_on_postgresql(postgres_url: str) -> None:
    _check(postgres_url)
