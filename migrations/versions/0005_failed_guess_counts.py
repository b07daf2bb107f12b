"""guess counts leave the campaigns row; vote sessions live server-side

Every failed code used to update ``campaigns.failed_guesses`` of each campaign in
adjudication: under a flood of guesses the row locks queued and deadlocked real votes. The
count now lives in the rate-limit store (an atomic increment), so the column goes.

The vote session cookie used to carry the code's HMAC. It now carries a random token;
``vote_sessions`` maps the token's hash to the code until the vote is confirmed or the row
expires.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 09:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('vote_sessions',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('code_hmac', sa.String(length=64), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_vote_sessions_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_vote_sessions'))
    )
    with op.batch_alter_table('vote_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vote_sessions_expires_at'), ['expires_at'], unique=False)
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_column('failed_guesses')


def downgrade():
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_guesses', sa.Integer(), nullable=False,
                                      server_default='0'))
    with op.batch_alter_table('vote_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vote_sessions_expires_at'))
    op.drop_table('vote_sessions')
