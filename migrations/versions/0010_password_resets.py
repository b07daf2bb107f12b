"""invitations.purpose: a one-time link is a sign-up or a password reset

An organiser resets a staff member's sign-in from the people page with a one-time link of
the same kind as an invitation (hashed token, expiry, single use); ``purpose`` tells the
two apart so that neither link can be used as the other. Existing rows are sign-ups.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 20:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('purpose', sa.String(length=8), server_default='signup',
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_column('purpose')
