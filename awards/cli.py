"""``flask --app app awards …`` commands (SPEC section 8). Thin: parse, call a service,
report. Messages go to stderr; only ``--json`` output goes to stdout. Bad input exits 1
with a one-line reason and writes nothing."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from .exceptions import AwardsError, InvalidInput, NotFound
from .extensions import db
from .models import Campaign

awards_cli = AppGroup("awards", help="Run an award: campaigns, households, votes, results.")


def say(message: str) -> None:
    click.echo(message, err=True)


def reports_errors(command: Callable) -> Callable:
    """Turn domain errors into a one-line message on stderr and exit status 1."""

    @functools.wraps(command)
    def wrapped(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except AwardsError as exc:
            db.session.rollback()
            click.echo(f"error: {exc}", err=True)
            for line, message in getattr(exc, "errors", None) or []:
                click.echo(f"  line {line}: {message}", err=True)
            sys.exit(1)

    return wrapped


def get_campaign(slug: str) -> Campaign:
    campaign = db.session.scalar(select(Campaign).where(Campaign.slug == slug))
    if campaign is None:
        raise NotFound(f"no campaign '{slug}'")
    return campaign


@awards_cli.group("campaign")
def campaign_group() -> None:
    """Campaign set-up."""


@campaign_group.command("load")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@reports_errors
def campaign_load(file: Path) -> None:
    """Create or update a campaign from a TOML config file."""
    from .campaigns.config_file import parse_config
    from .campaigns.services import load_campaign_config

    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read {file}: {exc}") from None
    campaign, created, notes = load_campaign_config(parse_config(text))
    for note in notes:
        say(note)
    say(f"{'created' if created else 'updated'} campaign '{campaign.slug}' "
        f"({len(campaign.departments)} departments, {len(campaign.districts)} districts)")


@awards_cli.group("users")
def users_group() -> None:
    """Staff accounts."""


@users_group.command("create")
@click.option("--role", "role", required=True,
              type=click.Choice(["organiser", "coordinator", "judge", "auditor"]))
@click.option("--username", required=True)
@click.option("--name", default="")
@click.option("--department", "department_code", default=None)
@click.option("--password-file", type=click.File("r"), default=None,
              help="Read the password from this file's first line instead of prompting.")
@reports_errors
def users_create(role: str, username: str, name: str, department_code: str | None,
                 password_file) -> None:
    """Create a staff account."""
    from .auth.services import create_user

    if password_file is not None:
        password = password_file.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True,
                                err=True)
    user = create_user(role, username, password, name=name, department_code=department_code)
    say(f"created {user.role} '{user.username}'")


@awards_cli.command("phase")
@click.argument("slug")
@click.argument("state")
@reports_errors
def phase(slug: str, state: str) -> None:
    """Move the campaign to the next lifecycle state."""
    from .campaigns.services import move_phase

    campaign = move_phase(get_campaign(slug), state)
    say(f"'{campaign.slug}' is now in '{campaign.state}'")


@awards_cli.group("voting")
def voting_group() -> None:
    """Open or close the voting window."""


@voting_group.command("open")
@click.argument("slug")
@reports_errors
def voting_open(slug: str) -> None:
    """Open the voting window now (campaign in adjudication)."""
    from .campaigns.services import open_voting

    open_voting(get_campaign(slug))
    say(f"voting is open for '{slug}'; its settings are frozen")


@voting_group.command("close")
@click.argument("slug")
@reports_errors
def voting_close(slug: str) -> None:
    """Close the voting window now."""
    from .campaigns.services import close_voting

    close_voting(get_campaign(slug))
    say(f"voting is closed for '{slug}'")


@awards_cli.command("demo")
@click.option("--reset", is_flag=True, help="Delete the demo campaign first and rebuild it.")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Reference data folder (default: ../shared/data beside the repository).")
@reports_errors
def demo(reset: bool, data_dir: Path | None) -> None:
    """Create a complete demo campaign and print sign-ins and unused voting codes."""
    from .demo import build_demo

    report = build_demo(reset=reset, data_dir=data_dir, progress=say)
    click.echo(report)


def register_cli(app: Flask) -> None:
    app.cli.add_command(awards_cli)
