"""``flask awards demo`` is refused in production (SPEC 8: bad input gets a one-line reason,
a non-zero exit and writes nothing): the demo prints its sign-ins and voting codes."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from awards.extensions import db
from awards.models import AuditEvent, Campaign, User

from .conftest import ROOT

REASON = ("error: the demo campaign is not built in production (AWARDS_ENV=production): "
          "its sign-ins and voting codes are well known")


def row_counts() -> dict[str, int]:
    return {m.__name__: db.session.scalar(select(func.count()).select_from(m))
            for m in (Campaign, User, AuditEvent)}


@pytest.mark.slow
@pytest.mark.parametrize("args", [[], ["--reset"]])
def test_demo_is_refused_in_production_through_the_real_command(app, args, tmp_path):
    """The installed ``flask`` command with a production environment and its secrets, on
    the test database: exit 1, the reason on one line, nothing written."""
    before = row_counts()
    env = {**os.environ, "AWARDS_ENV": "production", "SECRET_KEY": "s" * 32,
           "AWARDS_CODE_PEPPER": "p" * 32, "AWARDS_SIGNING_KEY": "k" * 32,
           "AWARDS_POINTER_KEY": "q" * 32,
           "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "AWARDS_EXPORTS_DIR": str(tmp_path / "exports")}
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "awards", "demo",
                             *args], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 1, result.stderr
    assert result.stderr.strip().splitlines() == [REASON]
    assert result.stdout == ""
    db.session.expire_all()
    assert row_counts() == before


def test_demo_is_refused_when_production_is_set_for_the_command(runner, monkeypatch):
    before = row_counts()
    monkeypatch.setenv("AWARDS_ENV", "production")
    result = runner.invoke(args=["awards", "demo"])
    assert result.exit_code == 1
    assert result.stderr.strip() == REASON
    assert row_counts() == before
