"""erasure ledger: which pseudonymous person was erased when, so a restore can erase them again

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 09:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('erasure_ledger',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('conversation_key', sa.String(length=64), nullable=False),
    sa.Column('erased_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('erasure_ledger', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_erasure_ledger_conversation_key'), ['conversation_key'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('erasure_ledger', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_erasure_ledger_conversation_key'))
    op.drop_table('erasure_ledger')
