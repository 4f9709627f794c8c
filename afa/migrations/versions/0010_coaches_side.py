"""coaches' side: team leads, absence, outcome notes and transfers of handovers

A team lead may pass on any handover of the team; `away_until` skips an absent coach in reminders and on the card;
a handover keeps its outcome note (written with /end) as long as the handover itself; `transferred_at` and
`previous_team_id` say that a handover was passed on (to the queue, a colleague or the other team).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 19:30:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('coaches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_lead', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('away_until', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('handovers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outcome_note', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('transferred_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('previous_team_id', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('handovers', schema=None) as batch_op:
        batch_op.drop_column('previous_team_id')
        batch_op.drop_column('transferred_at')
        batch_op.drop_column('outcome_note')
    with op.batch_alter_table('coaches', schema=None) as batch_op:
        batch_op.drop_column('away_until')
        batch_op.drop_column('is_lead')
