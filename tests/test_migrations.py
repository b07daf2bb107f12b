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
