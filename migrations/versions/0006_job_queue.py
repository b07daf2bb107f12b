"""jobs: lease and heartbeat for the job queue

Long organiser work runs on a queue worker instead of a thread of the web process. The
``jobs`` row stays the progress record every process reads; these columns let a job be run
again from its row alone (``params``), count its attempts, fence a worker that lost its lease
(``lease_token``) and detect a worker that stopped (``heartbeat_at`` older than the lease).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 10:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('params', sa.Text(), nullable=False,
                                      server_default='{}'))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('lease_token', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('heartbeat_at', sa.DateTime(timezone=True),
                                      nullable=True))
    # A job left "running" by a thread of an old web process can never finish.
    op.execute("UPDATE jobs SET status = 'failed', error = 'The server restarted while "
               "this job was running. Start it again.' WHERE status IN ('queued', 'running')")


def downgrade():
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_column('heartbeat_at')
        batch_op.drop_column('lease_token')
        batch_op.drop_column('attempts')
        batch_op.drop_column('params')
