"""judging: tablet scorecards, revisions after every save, devices, rounds, conflict types

SPEC 5.2-5.5. Comments per criterion; every applied save appends a revision holding the
values after it (who, when, device, sequence number, reason) instead of the values a paper
correction replaced; the last sequence number applied per (scorecard, device), so that a
retried save is not applied twice; round state per campaign and round (closed when and by
whom, and whether a conflict found after scoring asks for a re-solve); excused scorecards;
conflict type and who declared it; anchor texts per criterion.

Revisions written before this migration held the values a paper correction replaced: they
are kept, as action ``superseded``.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 10:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('criteria', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anchors_en', sa.Text(), nullable=False,
                                      server_default='[]'))
        batch_op.add_column(sa.Column('anchors_zh', sa.Text(), nullable=False,
                                      server_default='[]'))

    with op.batch_alter_table('conflicts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('type', sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column('declared_by', sa.String(length=64), nullable=False,
                                      server_default=''))

    with op.batch_alter_table('scorecards', schema=None) as batch_op:
        batch_op.add_column(sa.Column('saved_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('last_device', sa.String(length=64), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('excused_at', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('excused_by', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('excused_reason', sa.Text(), nullable=True))

    with op.batch_alter_table('scorecard_revisions', schema=None) as batch_op:
        batch_op.alter_column('reopened_by', new_column_name='actor',
                              existing_type=sa.String(length=64), existing_nullable=False)
        batch_op.alter_column('reopened_at', new_column_name='at',
                              existing_type=sa.DateTime(timezone=True),
                              existing_nullable=False)
        batch_op.drop_column('submitted_at')
        batch_op.add_column(sa.Column('action', sa.String(length=16), nullable=False,
                                      server_default='superseded'))
        batch_op.add_column(sa.Column('status', sa.String(length=16), nullable=False,
                                      server_default='submitted'))
        batch_op.add_column(sa.Column('comments_json', sa.Text(), nullable=False,
                                      server_default='{}'))
        batch_op.add_column(sa.Column('device', sa.String(length=64), nullable=False,
                                      server_default='paper'))
        batch_op.add_column(sa.Column('seq', sa.Integer(), nullable=True))

    op.create_table(
        'scorecard_comments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('scorecard_id', sa.Integer(), nullable=False),
        sa.Column('criterion_id', sa.Integer(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['criterion_id'], ['criteria.id'],
                                name=op.f('fk_scorecard_comments_criterion_id_criteria'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['scorecard_id'], ['scorecards.id'],
                                name=op.f('fk_scorecard_comments_scorecard_id_scorecards'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_scorecard_comments')),
        sa.UniqueConstraint('scorecard_id', 'criterion_id',
                            name=op.f('uq_scorecard_comments_scorecard_id_criterion_id')),
    )
    op.create_table(
        'scorecard_devices',
        sa.Column('scorecard_id', sa.Integer(), nullable=False),
        sa.Column('device', sa.String(length=64), nullable=False),
        sa.Column('last_seq', sa.Integer(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['scorecard_id'], ['scorecards.id'],
                                name=op.f('fk_scorecard_devices_scorecard_id_scorecards'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('scorecard_id', 'device', name=op.f('pk_scorecard_devices')),
    )
    op.create_table(
        'judging_rounds',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('round', sa.String(length=16), nullable=False),
        sa.Column('state', sa.String(length=8), nullable=False),
        sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('closed_by', sa.String(length=64), nullable=True),
        sa.Column('resolve_needed', sa.Boolean(), nullable=False),
        sa.Column('resolve_reason', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'],
                                name=op.f('fk_judging_rounds_campaign_id_campaigns'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_judging_rounds')),
        sa.UniqueConstraint('campaign_id', 'round',
                            name=op.f('uq_judging_rounds_campaign_id_round')),
    )


def downgrade():
    op.drop_table('judging_rounds')
    op.drop_table('scorecard_devices')
    op.drop_table('scorecard_comments')
    # Revisions of tablet saves hold values *after* a change; the old table held the values
    # a correction replaced. Only the rows that kept that meaning survive a downgrade.
    op.execute("DELETE FROM scorecard_revisions WHERE action <> 'superseded'")
    with op.batch_alter_table('scorecard_revisions', schema=None) as batch_op:
        batch_op.drop_column('seq')
        batch_op.drop_column('device')
        batch_op.drop_column('comments_json')
        batch_op.drop_column('status')
        batch_op.drop_column('action')
        batch_op.add_column(sa.Column('submitted_at', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.alter_column('at', new_column_name='reopened_at',
                              existing_type=sa.DateTime(timezone=True),
                              existing_nullable=False)
        batch_op.alter_column('actor', new_column_name='reopened_by',
                              existing_type=sa.String(length=64), existing_nullable=False)
    with op.batch_alter_table('scorecards', schema=None) as batch_op:
        batch_op.drop_column('excused_reason')
        batch_op.drop_column('excused_by')
        batch_op.drop_column('excused_at')
        batch_op.drop_column('last_device')
        batch_op.drop_column('saved_at')
    with op.batch_alter_table('conflicts', schema=None) as batch_op:
        batch_op.drop_column('declared_by')
        batch_op.drop_column('type')
    with op.batch_alter_table('criteria', schema=None) as batch_op:
        batch_op.drop_column('anchors_zh')
        batch_op.drop_column('anchors_en')
