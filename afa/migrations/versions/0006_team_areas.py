"""team areas: each district's approximate boundary, so that a shared location sets the district

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 03:10:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

# The approximate boundaries of content/programme.yaml, for installations seeded before areas existed (staff
# can change them in the console or a spreadsheet like any other team field).
SEED_AREAS = {
    "marxloh": "51.51, 6.76; 51.5105, 6.776; 51.507, 6.79; 51.496, 6.792; 51.49, 6.782; 51.4905, 6.762; 51.499, 6.756",
    "hochfeld": "51.429, 6.742; 51.43, 6.76; 51.427, 6.772; 51.415, 6.772; 51.409, 6.762; 51.411, 6.742; 51.42, 6.737",
}


def upgrade() -> None:
    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.add_column(sa.Column('area', sa.Text(), nullable=False, server_default=''))
    teams = sa.table('teams', sa.column('district', sa.String), sa.column('area', sa.Text))
    for district, area in SEED_AREAS.items():
        op.execute(teams.update().where(teams.c.district == district, teams.c.area == '').values(area=area))


def downgrade() -> None:
    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.drop_column('area')
