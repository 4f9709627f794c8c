"""privacy: consent, redactions, conversation key

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 20:09:44.378700
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('consent_records',
    sa.Column('conversation_id', sa.String(length=64), nullable=False),
    sa.Column('shown_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('conversation_id')
    )
    op.create_table('redactions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('message_id', sa.BigInteger(), nullable=False),
    sa.Column('action', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('unanswered_questions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('conversation_key', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_unanswered_questions_conversation_key'), ['conversation_key'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('unanswered_questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unanswered_questions_conversation_key'))
        batch_op.drop_column('conversation_key')

    op.drop_table('redactions')
    op.drop_table('consent_records')
