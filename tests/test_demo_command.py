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


def _captured_base_url(runner, monkeypatch, args, env=None) -> str | None:
    import awards.cli.commands as commands

    seen = {}

    def fake_build_demo(**kwargs):
        seen.update(kwargs)
        return "report"

    monkeypatch.setattr(commands, "build_demo", fake_build_demo)
    monkeypatch.delenv("AWARDS_PUBLIC_URL", raising=False)
    monkeypatch.delenv("FLASK_RUN_PORT", raising=False)
    monkeypatch.delenv("FLASK_RUN_HOST", raising=False)
    for key, value in (env or {}).items():
        monkeypatch.setenv(key, value)
    result = runner.invoke(args=["awards", "demo", *args])
    assert result.exit_code == 0, result.output
    return seen["base_url"]


def test_demo_links_use_the_port_the_server_will_serve_on(runner, monkeypatch):
    """``make run PORT=8123`` passes the port; so does ``flask run``'s environment."""
    assert _captured_base_url(runner, monkeypatch, ["--port", "8123"]) \
        == "http://127.0.0.1:8123"
    assert _captured_base_url(runner, monkeypatch, ["--host", "0.0.0.0", "--port", "80"]) \
        == "http://0.0.0.0:80"
    assert _captured_base_url(runner, monkeypatch, [], {"FLASK_RUN_PORT": "8200"}) \
        == "http://127.0.0.1:8200"
    # Nothing said: the configured public address (AWARDS_PUBLIC_URL or its default).
    assert _captured_base_url(runner, monkeypatch, []) is None
    # A public address set for a proxy wins over the local port.
    assert _captured_base_url(runner, monkeypatch, ["--port", "8123"],
                              {"AWARDS_PUBLIC_URL": "https://awards.example"}) is None


def test_demo_port_is_checked(runner, monkeypatch):
    monkeypatch.delenv("FLASK_RUN_PORT", raising=False)
    result = runner.invoke(args=["awards", "demo", "--port", "99999"])
    assert result.exit_code == 2 and "99999" in result.output


def test_demo_report_prints_links_under_the_given_address(app, tmp_path):
    from awards.demo import report

    with app.app_context():
        text = report(tmp_path / "no-letters.csv", "http://127.0.0.1:8123")
    assert "http://127.0.0.1:8123/signin" in text
    assert "vote at http://127.0.0.1:8123/vote" in text
    assert ":5000" not in text
