"""reach dashboard: covering indexes on reach_counts by metric and day, and by metric and topic

The dashboard sums a year of counters grouped by (metric, day, language, district) and by (metric, topic,
language); read from an index in that order, the sums need no sort (afa/reach/tables.py says why).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 06:50:00.000000
"""
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_reach_counts_metric_day', 'reach_counts',
                    ['metric', 'day', 'language', 'district', 'channel', 'target_group', 'entry_point', 'topic', 'count'])
    op.create_index('ix_reach_counts_metric_topic', 'reach_counts',
                    ['metric', 'topic', 'language', 'day', 'district', 'channel', 'target_group', 'entry_point', 'count'])


def downgrade() -> None:
    op.drop_index('ix_reach_counts_metric_topic', table_name='reach_counts')
    op.drop_index('ix_reach_counts_metric_day', table_name='reach_counts')
