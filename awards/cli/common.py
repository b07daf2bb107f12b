"""What every ``flask awards`` command shares: the command group, messages on stderr, domain
errors as a one-line reason and exit status 1, campaign look-up and input files."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import click
from flask.cli import AppGroup
from sqlalchemy import select

from awards.campaigns.services import rollback_use_case
from awards.exceptions import AwardsError, InvalidInput, NotFound
from awards.extensions import db
from awards.models import Campaign

awards_cli = AppGroup("awards", help="Run an award: campaigns, households, votes, results.")


def say(message: str) -> None:
    click.echo(message, err=True)


def reports_errors(command: Callable) -> Callable:
    """Turn domain errors into a one-line message on stderr and exit status 1, after rolling
    the command's work back and recording any refused change (the command's boundary)."""

    @functools.wraps(command)
    def wrapped(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except AwardsError as exc:
            rollback_use_case()
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


def open_input(file: Path) -> BinaryIO:
    """``file`` opened for binary reading, or :class:`InvalidInput` saying why not."""
    try:
        return file.open("rb")
    except OSError as exc:
        raise InvalidInput(f"cannot read {file}: {exc}") from None
