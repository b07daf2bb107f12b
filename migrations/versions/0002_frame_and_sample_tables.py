"""households: one (campaign, district) key; the sample in its own table

Measured at 2.7 million households on PostgreSQL, the frame load paid one foreign-key
trigger query per household per key, and marking 40,000 sampled rows rewrote pages across
the whole table. Now a single composite key checks each household once (and makes sure its
district belongs to its campaign), and the draw inserts rows into ``sampled_households``.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 12:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('districts', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_districts_campaign_id_id'),
                                          ['campaign_id', 'id'])
    op.create_table('sampled_households',
    sa.Column('household_pk', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_sampled_households_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_sampled_households_district_id_districts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('household_pk', name=op.f('pk_sampled_households'))
    )
    with op.batch_alter_table('sampled_households', schema=None) as batch_op:
        batch_op.create_index('ix_sampled_households_campaign', ['campaign_id', 'district_id'], unique=False)
    op.execute("INSERT INTO sampled_households (household_pk, campaign_id, district_id) "
               "SELECT id, campaign_id, district_id FROM households WHERE sampled")
    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_households_campaign_id_campaigns'),
                                 type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_households_district_id_districts'),
                                 type_='foreignkey')
        batch_op.create_foreign_key(batch_op.f('fk_households_campaign_id_districts'),
                                    'districts', ['campaign_id', 'district_id'],
                                    ['campaign_id', 'id'], ondelete='CASCADE')
        batch_op.drop_column('sampled')


def downgrade():
    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sampled', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.drop_constraint(batch_op.f('fk_households_campaign_id_districts'),
                                 type_='foreignkey')
        batch_op.create_foreign_key(batch_op.f('fk_households_district_id_districts'),
                                    'districts', ['district_id'], ['id'], ondelete='CASCADE')
        batch_op.create_foreign_key(batch_op.f('fk_households_campaign_id_campaigns'),
                                    'campaigns', ['campaign_id'], ['id'], ondelete='CASCADE')
    op.execute("UPDATE households SET sampled = EXISTS (SELECT 1 FROM sampled_households s "
               "WHERE s.household_pk = households.id)")
    with op.batch_alter_table('sampled_households', schema=None) as batch_op:
        batch_op.drop_index('ix_sampled_households_campaign')
    op.drop_table('sampled_households')
    with op.batch_alter_table('districts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_districts_campaign_id_id'), type_='unique')
