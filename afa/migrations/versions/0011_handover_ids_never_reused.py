"""handover ids are never reused (SQLite: AUTOINCREMENT)

SQLite gives a new row the highest id in the table plus one, so after /delete removes a person's newest handovers
their numbers came back for other people. AUTOINCREMENT keeps the highest id ever given (sqlite_sequence); it can
only be set by rebuilding the table, which `afa.db.migrate` does with foreign key enforcement off, so the rows that
refer to handovers are kept. PostgreSQL's sequences never reuse a number: nothing to do there.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 10:20:00.000000
"""
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def _rebuild(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table('handovers', recreate='always', table_kwargs={'sqlite_autoincrement': autoincrement}):
        pass


def upgrade() -> None:
    _rebuild(True)


def downgrade() -> None:
    _rebuild(False)
