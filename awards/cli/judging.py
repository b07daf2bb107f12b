"""``flask awards round close`` and ``flask awards users password`` (SPEC section 8)."""

from __future__ import annotations

import click

from awards.accounts.services import set_user_password
from awards.cli.commands import users_group
from awards.cli.common import get_campaign, reports_errors, say
from awards.exceptions import InvalidInput
from awards.judging.rounds import close_round
from awards.models.campaign import ROUNDS


def register(group: click.Group) -> None:
    """Add the ``round`` group to ``group`` (``flask awards``); ``users password`` joins the
    ``users`` group."""
    group.add_command(round_group)


@click.group("round")
def round_group() -> None:
    """Judging rounds."""


def _pair(value: str) -> tuple[str, str]:
    judge, sep, department = value.partition("/")
    if not sep or not judge or not department:
        raise InvalidInput(f"--excuse takes JUDGE/DEPARTMENT (a username and a department "
                           f"code), not '{value}'")
    return judge, department


@round_group.command("close")
@click.argument("slug")
@click.argument("round_name", metavar="preliminary|final", type=click.Choice(ROUNDS))
@click.option("--excuse", "excuse", multiple=True, metavar="JUDGE/DEPARTMENT",
              help="Excuse this unsubmitted scorecard first (repeatable; needs --reason).")
@click.option("--reason", default="", help="Why the excused scorecards are excused.")
@reports_errors
def round_close(slug: str, round_name: str, excuse: tuple[str, ...], reason: str) -> None:
    """Close a judging round; refused while an assigned scorecard is neither submitted nor
    excused."""
    pairs = [_pair(value) for value in excuse]
    if pairs and not reason.strip():
        raise InvalidInput("--excuse needs --reason")
    close_round(get_campaign(slug), round_name, actor="system", excuse=pairs, reason=reason)
    say(f"the {round_name} round of '{slug}' is closed"
        + (f" ({len(pairs)} scorecard(s) excused)" if pairs else ""))


@users_group.command("password")
@click.argument("username")
@click.option("--password-file", type=click.File("r"), default=None,
              help="Read the password from this file's first line instead of prompting.")
@reports_errors
def users_password(username: str, password_file) -> None:
    """Set a password and activate the account (e.g. a judge created by a campaign config)."""
    if password_file is not None:
        password = password_file.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True,
                                err=True)
    user = set_user_password(username, password)
    say(f"password set; {user.role} '{user.username}' is active")
