"""reach statistics (anonymous daily counters, wait-time histogram, deletions per day) and campaign entry points

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 05:25:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reach_counts',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('district', sa.String(length=16), nullable=False),
    sa.Column('target_group', sa.String(length=32), nullable=False),
    sa.Column('entry_point', sa.String(length=64), nullable=False),
    sa.Column('metric', sa.String(length=32), nullable=False),
    sa.Column('topic', sa.String(length=64), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'channel', 'language', 'district', 'target_group', 'entry_point', 'metric', 'topic')
    )
    op.create_table('reach_wait_times',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('team', sa.String(length=16), nullable=False),
    sa.Column('entry_point', sa.String(length=64), nullable=False),
    sa.Column('bucket', sa.Integer(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'team', 'entry_point', 'bucket')
    )
    op.create_table('reach_deletions',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day')
    )
    op.create_table('entry_points',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payload', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('district', sa.String(length=16), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=254), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('payload')
    )


def downgrade() -> None:
    op.drop_table('entry_points')
    op.drop_table('reach_deletions')
    op.drop_table('reach_wait_times')
    op.drop_table('reach_counts')
