"""entries: versioned drafts, submission snapshots, deadlines and files on disk

Nominations (SPEC 5.1): an entry carries a ``version`` compared by every save, who saved it
last, the canonical JSON snapshot frozen at submission with its SHA-256, whether it came in
the grace period and why an organiser returned it. Campaigns gain the entry deadline and its
grace period; an organiser may extend one department's deadline with a reason. Attachment
bytes move out of the database to files named by their SHA-256, so ``data`` goes.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 09:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('entries_close_at', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('grace_minutes', sa.Integer(), nullable=False,
                                      server_default='0'))
    with op.batch_alter_table('entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False,
                                      server_default='1'))
        batch_op.add_column(sa.Column('updated_by', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('submitted_in_grace', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('snapshot', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('snapshot_sha256', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('returned_reason', sa.Text(), nullable=False,
                                      server_default=''))
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_column('data')
        batch_op.add_column(sa.Column('position', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('uploaded_by', sa.String(length=64), nullable=False,
                                      server_default=''))
    op.create_table(
        'deadline_extensions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=False),
        sa.Column('close_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('created_by', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['department_id'], ['departments.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )


def downgrade():
    op.drop_table('deadline_extensions')
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_column('uploaded_by')
        batch_op.drop_column('position')
        # The bytes now live on disk; an old schema gets an empty column back.
        batch_op.add_column(sa.Column('data', sa.LargeBinary(), nullable=False,
                                      server_default=sa.text("''")))
    with op.batch_alter_table('entries', schema=None) as batch_op:
        batch_op.drop_column('returned_reason')
        batch_op.drop_column('snapshot_sha256')
        batch_op.drop_column('snapshot')
        batch_op.drop_column('submitted_in_grace')
        batch_op.drop_column('updated_by')
        batch_op.drop_column('version')
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_column('grace_minutes')
        batch_op.drop_column('entries_close_at')
