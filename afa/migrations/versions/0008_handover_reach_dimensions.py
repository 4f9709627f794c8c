"""handover reach dimensions: the channel and the campaign entry point a handover was opened under

So that Accept and the end of a handover are counted under the same dimensions as the request (nothing personal:
a channel code and a deep-link payload such as `marxloh_tr_c12`).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 06:40:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('handovers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=16), nullable=False, server_default='telegram'))
        batch_op.add_column(sa.Column('entry_point', sa.String(length=64), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('handovers', schema=None) as batch_op:
        batch_op.drop_column('entry_point')
        batch_op.drop_column('channel')
