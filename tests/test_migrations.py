"""The migrations: one head, upgrade from empty, and models equal to the migrated schema,
on SQLite and (when DATABASE_URL names it) PostgreSQL."""

import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from sqlalchemy import create_engine, inspect, text

from awards import ROOT, create_app, normalise_database_url
from awards.extensions import db


def test_single_head():
    config = Config()
    config.set_main_option("script_location", str(ROOT / "migrations"))
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def _upgrade_and_compare(uri: str) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": uri})
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "render_as_batch": True})
            diff = compare_metadata(context, db.metadata)
            tables = set(inspect(connection).get_table_names())
        db.engine.dispose()
    assert diff == [], diff
    assert {"campaigns", "ballots", "voting_codes", "audit_events", "scorecards"} <= tables


def test_upgrade_from_empty_sqlite(tmp_path):
    _upgrade_and_compare(f"sqlite:///{tmp_path / 'migrated.db'}")
    engine = create_engine(f"sqlite:///{tmp_path / 'migrated.db'}")
    with engine.connect() as connection:
        sql = connection.execute(text(
            "SELECT sql FROM sqlite_master WHERE name = 'ballots'")).scalar()
    assert "WITHOUT ROWID" in sql


@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"),
                    reason="runs in the PostgreSQL pass of `make test`")
def test_upgrade_from_empty_postgresql():
    base = normalise_database_url(os.environ["DATABASE_URL"])
    name = f"awards_migrate_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        _upgrade_and_compare(base.rsplit("/", 1)[0] + f"/{name}")
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_0002_moves_the_sample_into_its_own_table(tmp_path):
    """A database drawn under 0001 (a ``sampled`` flag on households) keeps its sample."""
    uri = f"sqlite:///{tmp_path / 'old.db'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": uri})
    with app.app_context():
        upgrade(revision="0001")
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO campaigns (id, slug, name_en, name_zh, state, max_choices, "
                "finalists, final_public_weight, public_weight, judge_method, bootstrap, "
                "entries_required, failed_guesses, created_at, updated_at) VALUES (1, 'old', "
                "'Old', '舊', 'draft', 3, 8, 0, 0.3, 'additive', 2000, 0, 0, '2026-01-01', "
                "'2026-01-01')"))
            connection.execute(text(
                "INSERT INTO districts (id, campaign_id, code, name_en, name_zh, frame_count, "
                "sample_size) VALUES (7, 1, 'KT', 'Kwun Tong', '觀塘', 3, 2)"))
            connection.execute(text(
                "INSERT INTO households (id, campaign_id, household_id, district_id, address, "
                "sampled) VALUES (1, 1, 'H1', 7, NULL, 1), (2, 1, 'H2', 7, NULL, 0), "
                "(3, 1, 'H3', 7, NULL, 1)"))
        upgrade()
        with db.engine.connect() as connection:
            sampled = connection.execute(text(
                "SELECT household_pk, campaign_id, district_id FROM sampled_households "
                "ORDER BY household_pk")).all()
            columns = {c["name"] for c in inspect(connection).get_columns("households")}
        db.engine.dispose()
    assert [tuple(row) for row in sampled] == [(1, 1, 7), (3, 1, 7)]
    assert "sampled" not in columns


def _codes_at_0002(uri: str, households: int = 200) -> dict[int, str]:
    """A database at 0002 whose codes were issued in household order (as 0002 did), one
    household with a voided code and a reissued one. Returns household pk -> current HMAC."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": uri})
    with app.app_context():
        upgrade(revision="0002")
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO campaigns (id, slug, name_en, name_zh, state, max_choices, "
                "finalists, final_public_weight, public_weight, judge_method, bootstrap, "
                "entries_required, failed_guesses, created_at, updated_at) VALUES (1, 'old', "
                "'Old', '舊', 'adjudication', 3, 8, 0, 0.3, 'additive', 2000, FALSE, 0, "
                "'2026-01-01', '2026-01-01')"))
            connection.execute(text(
                "INSERT INTO districts (id, campaign_id, code, name_en, name_zh, frame_count, "
                f"sample_size) VALUES (7, 1, 'KT', 'Kwun Tong', '觀塘', {households}, "
                f"{households})"))
            connection.execute(text(
                "INSERT INTO households (id, campaign_id, household_id, district_id) "
                "VALUES (:id, 1, :hid, 7)"),
                [{"id": n, "hid": f"H{n:04d}"} for n in range(1, households + 1)])
            connection.execute(text(
                "INSERT INTO sampled_households (household_pk, campaign_id, district_id) "
                "VALUES (:id, 1, 7)"), [{"id": n} for n in range(1, households + 1)])
            rows = [{"id": n, "pk": n, "hmac": f"{n:064x}", "state": "issued"}
                    for n in range(1, households + 1)]
            rows[0]["state"] = "void"
            rows.append({"id": households + 1, "pk": 1, "hmac": f"{households + 1:064x}",
                         "state": "issued"})
            connection.execute(text(
                "INSERT INTO voting_codes (id, campaign_id, district_id, household_pk, "
                "code_hmac, state, channel, day) VALUES (:id, 1, 7, :pk, :hmac, :state, "
                "NULL, '2026-01-02')"), rows)
        db.engine.dispose()
    current = {row["pk"]: row["hmac"] for row in rows if row["state"] == "issued"}
    return current


def _check_0003(uri: str, current: dict[int, str]) -> None:
    from awards.voting.pointers import open_pointer, pointer_cipher

    app = create_app({"SQLALCHEMY_DATABASE_URI": uri})
    with app.app_context():
        upgrade()
        cipher = pointer_cipher(app.config["POINTER_KEY"])
        with db.engine.connect() as connection:
            columns = {c["name"] for c in inspect(connection).get_columns("voting_codes")}
            tables = set(inspect(connection).get_table_names())
            codes = dict(connection.execute(text("SELECT id, code_hmac FROM voting_codes")).all())
            pointers = connection.execute(text(
                "SELECT household_pk, campaign_id, code_pointer FROM sampled_households")).all()
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "render_as_batch": True})
            diff = compare_metadata(context, db.metadata)
        db.engine.dispose()
    assert diff == [], diff
    assert "household_pk" not in columns and "ballot_inbox" in tables
    assert len(codes) == len(current) + 1  # the void code stays
    found = {pk: codes[open_pointer(cipher, campaign, pk, bytes(blob))]
             for pk, campaign, blob in pointers}
    assert found == current
    # Rewritten in a random order: ids no longer follow the households.
    by_id = [hmac for _id, hmac in sorted(codes.items()) if hmac in current.values()]
    household_of = {hmac: pk for pk, hmac in current.items()}
    ranks = [household_of[hmac] for hmac in by_id]
    import numpy as np

    assert abs(np.corrcoef(np.argsort(np.argsort(ranks)), np.arange(len(ranks)))[0, 1]) < 0.3


def test_0003_moves_codes_to_encrypted_pointers_on_sqlite(tmp_path):
    uri = f"sqlite:///{tmp_path / 'codes.db'}"
    _check_0003(uri, _codes_at_0002(uri))


def test_0003_refuses_existing_codes_without_the_pointer_key(tmp_path):
    from awards.voting.pointers import PointerError

    uri = f"sqlite:///{tmp_path / 'codes.db'}"
    _codes_at_0002(uri, households=3)
    app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "POINTER_KEY": None})
    with app.app_context(), pytest.raises(PointerError, match="AWARDS_POINTER_KEY"):
        upgrade()


@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"),
                    reason="runs in the PostgreSQL pass of `make test`")
def test_0003_moves_codes_to_encrypted_pointers_on_postgresql():
    base = normalise_database_url(os.environ["DATABASE_URL"])
    name = f"awards_migrate_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        uri = base.rsplit("/", 1)[0] + f"/{name}"
        _check_0003(uri, _codes_at_0002(uri))
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _check_0007(uri: str) -> None:
    """A database at 0006 with an entry and an attachment stored in the database: 0007
    keeps the entry (version 1, not in grace), drops the bytes, keeps the file's metadata,
    and the schema equals the models."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": uri})
    with app.app_context():
        upgrade(revision="0006")
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO campaigns (id, slug, name_en, name_zh, state, max_choices, "
                "finalists, final_public_weight, public_weight, judge_method, bootstrap, "
                "entries_required, created_at, updated_at) VALUES (1, 'old', "
                "'Old', '舊', 'entries_open', 3, 8, 0, 0.3, 'additive', 2000, TRUE, "
                "'2026-01-01', '2026-01-01')"))
            connection.execute(text(
                "INSERT INTO departments (id, campaign_id, code, name_en, name_zh) "
                "VALUES (1, 1, 'A', 'A', '甲')"))
            connection.execute(text(
                "INSERT INTO categories (id, campaign_id, code, name_en, name_zh, position) "
                "VALUES (1, 1, 'overall', 'Overall', '整體', 0)"))
            connection.execute(text(
                "INSERT INTO entries (id, campaign_id, department_id, category_id, title, "
                "summary, contact_name, contact_email, contact_phone, status, eligibility, "
                "eligibility_reason, updated_at) VALUES (1, 1, 1, 1, 'T', 'S', '', '', '', "
                "'draft', 'pending', '', '2026-01-01')"))
            connection.execute(text(
                "INSERT INTO attachments (id, entry_id, filename, content_type, size, sha256, "
                "data, uploaded_at) VALUES (1, 1, 'a.pdf', 'application/pdf', 3, :sha, :data, "
                "'2026-01-01')"), {"sha": "ab" * 32, "data": b"PDF"})
        upgrade()
        with db.engine.connect() as connection:
            entry = connection.execute(text(
                "SELECT title, version, submitted_in_grace, returned_reason, snapshot "
                "FROM entries")).one()
            attachment = connection.execute(text(
                "SELECT filename, sha256, position, uploaded_by FROM attachments")).one()
            columns = {c["name"] for c in inspect(connection).get_columns("attachments")}
            grace = connection.execute(text("SELECT grace_minutes FROM campaigns")).scalar()
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "render_as_batch": True})
            diff = compare_metadata(context, db.metadata)
        db.engine.dispose()
    assert diff == [], diff
    assert tuple(entry) == ("T", 1, False, "", None)
    assert tuple(attachment) == ("a.pdf", "ab" * 32, 0, "")
    assert "data" not in columns and grace == 0


def test_0007_entries_upgrade_from_0006_on_sqlite(tmp_path):
    _check_0007(f"sqlite:///{tmp_path / 'entries.db'}")


@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"),
                    reason="runs in the PostgreSQL pass of `make test`")
def test_0007_entries_upgrade_from_0006_on_postgresql():
    base = normalise_database_url(os.environ["DATABASE_URL"])
    name = f"awards_migrate_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        _check_0007(base.rsplit("/", 1)[0] + f"/{name}")
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
