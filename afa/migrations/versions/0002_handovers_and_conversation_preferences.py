"""handovers and conversation preferences

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 18:56:57.713358
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('conversation_prefs',
    sa.Column('conversation_id', sa.String(length=64), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('conversation_id')
    )
    op.create_table('handovers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.String(length=64), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('target_group', sa.String(length=32), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('coach_user_id', sa.BigInteger(), nullable=True),
    sa.Column('coach_name', sa.String(length=200), nullable=True),
    sa.Column('group_chat_id', sa.BigInteger(), nullable=True),
    sa.Column('card_message_id', sa.BigInteger(), nullable=True),
    sa.Column('topic_id', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('handovers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_handovers_conversation_id'), ['conversation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_handovers_status'), ['status'], unique=False)

    op.create_table('relayed_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('handover_id', sa.Integer(), nullable=False),
    sa.Column('direction', sa.String(length=8), nullable=False),
    sa.Column('sender_id', sa.BigInteger(), nullable=True),
    sa.Column('sender_name', sa.String(length=200), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('source_chat_id', sa.BigInteger(), nullable=False),
    sa.Column('source_message_id', sa.BigInteger(), nullable=False),
    sa.Column('copy_message_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['handover_id'], ['handovers.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('relayed_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_relayed_messages_copy_message_id'), ['copy_message_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_relayed_messages_handover_id'), ['handover_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('relayed_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_relayed_messages_handover_id'))
        batch_op.drop_index(batch_op.f('ix_relayed_messages_copy_message_id'))

    op.drop_table('relayed_messages')
    with op.batch_alter_table('handovers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_handovers_status'))
        batch_op.drop_index(batch_op.f('ix_handovers_conversation_id'))

    op.drop_table('handovers')
    op.drop_table('conversation_prefs')
