"""Judging commands (SPEC 8): ``flask awards assign SLUG [--dry-run]`` solves the preliminary
assignment (SPEC 5.4) and prints its balance (messages on stderr, the assignment's SHA-256 on
stdout, like the frame digest; rules that cannot be met exit 1 with a one-line reason naming
the departments and judges that cannot be covered, and write nothing); ``flask awards round
close`` closes a judging round (5.5); ``flask awards users password`` sets a password."""

from __future__ import annotations

import click

from awards.accounts.services import set_user_password
from awards.cli.commands import users_group
from awards.cli.common import get_campaign, reports_errors, say
from awards.exceptions import InvalidInput
from awards.judging.assign import AssignmentReport, assign_preliminary
from awards.judging.rounds import close_round
from awards.models.campaign import ROUNDS


def register(group: click.Group) -> None:
    """Add ``assign`` and the ``round`` group to ``group`` (``flask awards``); ``users
    password`` joins the ``users`` group."""
    group.add_command(assign_command)
    group.add_command(round_group)


@click.command("assign")
@click.argument("slug")
@click.option("--dry-run", is_flag=True, help="Solve and print only; write nothing.")
def assign_command(slug: str, dry_run: bool) -> None:
    """Solve the preliminary assignment (SPEC 5.4) and print its balance."""

    reports_errors(_assign)(slug, dry_run)


def _assign(slug: str, dry_run: bool) -> None:
    campaign = get_campaign(slug)
    say(f"solving the preliminary assignment of '{slug}' ...")
    report = assign_preliminary(campaign, dry_run=dry_run)
    for line in balance_lines(report):
        say(line)
    click.echo(f"assignment sha256 {report.solution.sha256}")
    if dry_run:
        say("dry run: nothing was written")


def balance_lines(report: AssignmentReport) -> list[str]:
    """Loads per judge, coverage per department, connectivity and what changed."""
    s = report.solution
    low, high = s.load_bounds
    bounds = f"{low}" if low == high else f"{low}..{high}"
    by_count: dict[int, list[str]] = {}
    for code, count in s.coverage.items():
        by_count.setdefault(count, []).append(code)
    verb = "would add" if report.dry_run else "added"
    return [
        f"{len(s.pairs)} pairs: {len(s.coverage)} departments, {len(s.loads)} judges, "
        f"graph {'connected' if s.connected else 'NOT connected'}",
        f"loads ({bounds} departments per judge): "
        + ", ".join(f"{judge} {load}" for judge, load in s.loads.items()),
        "coverage: " + "; ".join(f"{count} judges: {', '.join(codes)}"
                                 for count, codes in sorted(by_count.items(), reverse=True)),
        f"kept {s.kept} of {report.previous} earlier pairs; {verb} {report.added}, "
        f"{'would remove' if report.dry_run else 'removed'} {report.removed}",
    ]


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
