"""card claim leases: when a front end claimed posting a card, so that a stale claim can be taken over

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 10:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN, never a batch rebuild: on SQLite that would lose the AUTOINCREMENT of 0011.
    op.add_column('handovers', sa.Column('card_claimed_at', sa.DateTime(timezone=True), nullable=True,
                                         server_default=sa.text('NULL')))


def downgrade() -> None:
    op.drop_column('handovers', 'card_claimed_at')
