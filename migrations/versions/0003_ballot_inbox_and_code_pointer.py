"""ballot inbox; code rows without a household reference (an encrypted pointer instead)

Secrecy against whoever holds a copy of the database (SPEC section 4): a code row no longer
names its household; the sampled-household row holds an AES-GCM pointer to its current code
row, under ``AWARDS_POINTER_KEY`` from configuration (read as the application reads it).
Votes go to ``ballot_inbox`` and the mixer moves them to ``ballots``.

A database that already has codes: each household's current code (its newest row) gets its
pointer, and every code row is rewritten with a new id in a random order, so that neither
ids nor storage order keep the household order they were issued in. Without the key the
upgrade stops and says so. On PostgreSQL the replaced row versions stay in the table files
until ``VACUUM FULL voting_codes`` is run after the upgrade (it cannot run in the upgrade's
transaction).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 09:00:00

"""
import random

from alembic import op
import sqlalchemy as sa
from flask import current_app


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

_CODE_COLUMNS = "campaign_id, district_id, code_hmac, state, channel, day"


def upgrade():
    op.create_table('ballot_inbox',
    sa.Column('id', sa.String(length=16), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.Column('choices', sa.String(length=400), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_ballot_inbox_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_ballot_inbox_district_id_districts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballot_inbox')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('sampled_households', schema=None) as batch_op:
        batch_op.add_column(sa.Column('code_pointer', sa.LargeBinary(length=64), nullable=True))
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        # The old table's pages (household references) are zeroed, not left on the freelist.
        bind.exec_driver_sql('PRAGMA secure_delete = ON')
    _pointers_and_shuffled_codes(bind)
    with op.batch_alter_table('voting_codes', schema=None) as batch_op:
        batch_op.drop_index('ix_voting_codes_household')
        batch_op.drop_constraint(batch_op.f('fk_voting_codes_household_pk_households'),
                                 type_='foreignkey')
        batch_op.drop_column('household_pk')


def _pointers_and_shuffled_codes(bind) -> None:
    from awards.voting.pointers import configured_pointer_key, pointer_cipher, seal_pointer

    rows = bind.execute(sa.text(
        f"SELECT id, household_pk, {_CODE_COLUMNS} FROM voting_codes")).mappings().all()
    if not rows:
        return
    cipher = pointer_cipher(configured_pointer_key(current_app.config))
    current: dict[int, int] = {}
    for row in rows:
        current[row['household_pk']] = max(current.get(row['household_pk'], 0), row['id'])
    order = list(rows)
    random.SystemRandom().shuffle(order)
    first = max(row['id'] for row in rows) + 1
    new_id = {row['id']: first + n for n, row in enumerate(order)}
    bind.execute(sa.text("DELETE FROM voting_codes"))
    bind.execute(sa.text(
        f"INSERT INTO voting_codes (id, household_pk, {_CODE_COLUMNS}) VALUES (:id, "
        ":household_pk, :campaign_id, :district_id, :code_hmac, :state, :channel, :day)"),
        [dict(row, id=new_id[row['id']]) for row in order])
    if bind.dialect.name == 'postgresql':
        bind.execute(sa.text("SELECT setval(pg_get_serial_sequence('voting_codes', 'id'), "
                             "(SELECT max(id) FROM voting_codes))"))
    campaigns = {row['household_pk']: row['campaign_id'] for row in rows}
    bind.execute(sa.text("UPDATE sampled_households SET code_pointer = :pointer "
                         "WHERE household_pk = :pk"),
                 [{"pk": pk, "pointer": seal_pointer(cipher, campaigns[pk], pk,
                                                     new_id[code_id])}
                  for pk, code_id in sorted(current.items())])


def downgrade():
    from awards.voting.pointers import configured_pointer_key, open_pointer, pointer_cipher

    bind = op.get_bind()
    bind.execute(sa.text("INSERT INTO ballots (id, campaign_id, district_id, choices, channel, "
                         "status, day) SELECT id, campaign_id, district_id, choices, channel, "
                         "status, day FROM ballot_inbox"))
    op.drop_table('ballot_inbox')
    with op.batch_alter_table('voting_codes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('household_pk', sa.Integer(), nullable=True))
    pointers = bind.execute(sa.text(
        "SELECT household_pk, campaign_id, code_pointer FROM sampled_households "
        "WHERE code_pointer IS NOT NULL")).all()
    if pointers:
        cipher = pointer_cipher(configured_pointer_key(current_app.config))
        bind.execute(sa.text("UPDATE voting_codes SET household_pk = :pk WHERE id = :id"),
                     [{"pk": pk, "id": open_pointer(cipher, campaign_id, pk, blob)}
                      for pk, campaign_id, blob in pointers])
    with op.batch_alter_table('voting_codes', schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_voting_codes_household_pk_households'),
                                    'households', ['household_pk'], ['id'],
                                    ondelete='CASCADE')
        batch_op.create_index('ix_voting_codes_household', ['household_pk'], unique=False)
    with op.batch_alter_table('sampled_households', schema=None) as batch_op:
        batch_op.drop_column('code_pointer')
