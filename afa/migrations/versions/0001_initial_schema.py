"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-25 17:35:15.402806
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('facts',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('date_value', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('faq_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key', 'language', name='uq_faq_key_language')
    )
    op.create_table('faq_examples',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key', 'language', 'text', name='uq_faq_example')
    )
    op.create_table('offers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('example', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('provider', sa.String(length=300), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('contact_phone', sa.String(length=64), nullable=False),
    sa.Column('contact_email', sa.String(length=200), nullable=False),
    sa.Column('schedule', sa.Text(), nullable=False),
    sa.Column('cost_cents', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    op.create_table('teams',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('district', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('telegram_chat_id', sa.BigInteger(), nullable=True),
    sa.Column('office_hours', sa.Text(), nullable=False),
    sa.Column('closed_days', sa.Text(), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('district')
    )
    op.create_table('unanswered_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('intent_guess', sa.String(length=64), nullable=True),
    sa.Column('confidence', sa.Float(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('coaches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('phone', sa.String(length=64), nullable=False),
    sa.Column('email', sa.String(length=200), nullable=False),
    sa.Column('telegram_user_id', sa.BigInteger(), nullable=True),
    sa.Column('languages', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('offer_districts',
    sa.Column('offer_id', sa.Integer(), nullable=False),
    sa.Column('district', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['offer_id'], ['offers.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('offer_id', 'district')
    )
    with op.batch_alter_table('offer_districts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offer_districts_district'), ['district'], unique=False)

    op.create_table('offer_languages',
    sa.Column('offer_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.ForeignKeyConstraint(['offer_id'], ['offers.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('offer_id', 'language')
    )
    with op.batch_alter_table('offer_languages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offer_languages_language'), ['language'], unique=False)

    op.create_table('offer_target_groups',
    sa.Column('offer_id', sa.Integer(), nullable=False),
    sa.Column('target_group', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['offer_id'], ['offers.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('offer_id', 'target_group')
    )
    with op.batch_alter_table('offer_target_groups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offer_target_groups_target_group'), ['target_group'], unique=False)

    op.create_table('offer_texts',
    sa.Column('offer_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('summary', sa.String(length=500), nullable=False),
    sa.Column('details', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['offer_id'], ['offers.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('offer_id', 'language')
    )


def downgrade() -> None:
    op.drop_table('offer_texts')
    with op.batch_alter_table('offer_target_groups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offer_target_groups_target_group'))

    op.drop_table('offer_target_groups')
    with op.batch_alter_table('offer_languages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offer_languages_language'))

    op.drop_table('offer_languages')
    with op.batch_alter_table('offer_districts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offer_districts_district'))

    op.drop_table('offer_districts')
    op.drop_table('coaches')
    op.drop_table('unanswered_questions')
    op.drop_table('teams')
    op.drop_table('offers')
    op.drop_table('faq_examples')
    op.drop_table('faq_answers')
    op.drop_table('facts')
