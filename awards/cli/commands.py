"""The ``flask awards`` commands for campaigns, accounts, phases, voting, households, codes,
paper returns, the demo and the job worker (SPEC section 8). Thin: parse, call a service,
report."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import click

import awards.tasks  # noqa: F401  (registers the job kinds the worker runs)
from awards.accounts.services import create_user
from awards.campaigns.config_file import parse_config
from awards.campaigns.services import load_campaign_config
from awards.cli.common import awards_cli, get_campaign, open_input, reports_errors, say
from awards.demo import build_demo
from awards.exceptions import InvalidInput
from awards.jobs import run_worker
from awards.models import Campaign
from awards.phases import close_voting, move_phase, open_voting
from awards.voting.ballots import import_paper_ballots
from awards.voting.codes import CodeTypo
from awards.voting.households import (
    draw_campaign_sample,
    import_frame,
    issue_codes,
    purge_addresses,
    reissue_code,
)
from awards.voting.letter_files import csv_deliverer, read_letters_csv, write_pdf_file


@awards_cli.group("campaign")
def campaign_group() -> None:
    """Campaign set-up."""


@campaign_group.command("load")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@reports_errors
def campaign_load(file: Path) -> None:
    """Create or update a campaign from a TOML config file."""

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

    open_voting(get_campaign(slug))
    say(f"voting is open for '{slug}'; its settings are frozen")


@voting_group.command("close")
@click.argument("slug")
@reports_errors
def voting_close(slug: str) -> None:
    """Close the voting window now."""

    close_voting(get_campaign(slug))
    say(f"voting is closed for '{slug}'")


@awards_cli.group("frame")
def frame_group() -> None:
    """The household frame."""


@frame_group.command("import")
@click.argument("slug")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@reports_errors
def frame_import(slug: str, file: Path) -> None:
    """Import the household frame CSV (household_id,district,address); prints its digest."""

    campaign = get_campaign(slug)
    with open_input(file) as stream:
        say(f"validating {file} ...")
        digest = import_frame(campaign, stream)
    say(f"imported {sum(d.frame_count for d in campaign.districts):,} households")
    click.echo(f"frame digest {digest}")


@awards_cli.group("sample")
def sample_group() -> None:
    """The stratified household sample."""


@sample_group.command("draw")
@click.argument("slug")
@click.option("--size", type=int, required=True, help="Total number of households to draw.")
@click.option("--seed", required=True, help="The published seed (at least 20 characters).")
@reports_errors
def sample_draw(slug: str, size: int, seed: str) -> None:
    """Allocate (largest remainder) and select (SHA-256 sampler) the sample."""

    allocation = draw_campaign_sample(get_campaign(slug), size, seed)
    for code, n in allocation.items():
        say(f"  {code:>8} {n:>8,}")
    say(f"drew {sum(allocation.values()):,} households with seed {seed!r}")


@awards_cli.group("codes")
def codes_group() -> None:
    """One-time voting codes and letters."""


def check_output(path: Path | None, *, new: bool) -> None:
    """Refuse an output path that cannot be written, before anything is issued.

    Raises
    ------
    InvalidInput
        Missing or unwritable folder; an existing file when ``new``.
    """
    import os

    if path is None:
        return
    folder = path.resolve().parent
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        raise InvalidInput(f"cannot write {path}: folder {folder} is missing or not writable")
    if new and path.exists():
        raise InvalidInput(f"{path} exists; choose a new file (letters are never overwritten)")


def csv_writer(out: Path) -> Callable:

    check_output(out, new=True)
    return csv_deliverer(out, say)


def write_letters_pdf_file(campaign: Campaign, letters, pdf: Path) -> None:
    """The print-ready PDF, with a progress bar on stderr."""

    with click.progressbar(length=len(letters), label="letters PDF", file=sys.stderr) as bar:
        done = [0]

        def progress(count: int) -> None:
            bar.update(count - done[0])
            done[0] = count

        write_pdf_file(campaign, letters, pdf, progress)
    say(f"wrote {pdf}")


@codes_group.command("issue")
@click.argument("slug")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="letters.csv: the only place the plaintext codes are written.")
@click.option("--pdf", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the print-ready letters PDF.")
@reports_errors
def codes_issue(slug: str, out: Path, pdf: Path | None) -> None:
    """Issue one code per sampled household and write the letters."""

    campaign = get_campaign(slug)
    check_output(pdf, new=False)
    letters = issue_codes(campaign, csv_writer(out))
    if pdf is not None:
        write_letters_pdf_file(campaign, letters, pdf)


@codes_group.command("reissue")
@click.argument("slug")
@click.argument("household_id")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--pdf", type=click.Path(dir_okay=False, path_type=Path), default=None)
@reports_errors
def codes_reissue(slug: str, household_id: str, out: Path, pdf: Path | None) -> None:
    """Void a household's unused code and issue a new letter."""

    campaign = get_campaign(slug)
    check_output(pdf, new=False)
    letter = reissue_code(campaign, household_id, csv_writer(out))
    if pdf is not None:
        write_letters_pdf_file(campaign, [letter], pdf)


@codes_group.command("letters")
@click.argument("slug")
@click.option("--from", "source", type=click.Path(dir_okay=False, path_type=Path),
              required=True, help="A letters.csv written by 'codes issue' or 'codes reissue'.")
@click.option("--pdf", type=click.Path(dir_okay=False, path_type=Path), required=True)
@reports_errors
def codes_letters(slug: str, source: Path, pdf: Path) -> None:
    """Print the letters PDF again from a letters.csv (for example after a printer fault)."""

    campaign = get_campaign(slug)
    check_output(pdf, new=False)
    try:
        letters = list(read_letters_csv(source))
    except (OSError, KeyError, UnicodeDecodeError, CodeTypo) as exc:
        raise InvalidInput(f"cannot read letters from {source}: {exc}") from None
    write_letters_pdf_file(campaign, letters, pdf)


@awards_cli.group("addresses")
def addresses_group() -> None:
    """Household addresses."""


@addresses_group.command("purge")
@click.argument("slug")
@click.option("--yes", is_flag=True, help="Confirm: addresses cannot be recovered.")
@reports_errors
def addresses_purge(slug: str, yes: bool) -> None:
    """Delete every household address after mailing (ids, districts, digest stay)."""

    if not yes:
        raise InvalidInput("addresses cannot be recovered; repeat with --yes to purge them")
    say(f"purged {purge_addresses(get_campaign(slug)):,} addresses")


@awards_cli.command("demo")
@click.option("--reset", is_flag=True, help="Delete the demo campaign first and rebuild it.")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Reference data folder (default: the districts and departments in awards/data).")
@click.option("--host", envvar="FLASK_RUN_HOST", default=None,
              help="Host the server will listen on, for the printed links (default 127.0.0.1; "
                   "env FLASK_RUN_HOST).")
@click.option("--port", envvar="FLASK_RUN_PORT", type=click.IntRange(1, 65535), default=None,
              help="Port the server will listen on, for the printed links (env "
                   "FLASK_RUN_PORT; make run passes PORT).")
@reports_errors
def demo(reset: bool, data_dir: Path | None, host: str | None, port: int | None) -> None:
    """Create a complete demo campaign and print sign-ins and unused voting codes.
    Refused in production: the demo's sign-ins and codes are printed and well known.

    The links printed use AWARDS_PUBLIC_URL when it is set, else http://HOST:PORT."""

    if os.environ.get("AWARDS_ENV") == "production":
        raise InvalidInput("the demo campaign is not built in production (AWARDS_ENV="
                           "production): its sign-ins and voting codes are well known")
    base_url = None
    if not os.environ.get("AWARDS_PUBLIC_URL") and (host or port):
        base_url = f"http://{host or '127.0.0.1'}:{port or 5000}"
    report = build_demo(reset=reset, data_dir=data_dir, progress=say, base_url=base_url)
    click.echo(report)


@awards_cli.group("ballots")
def ballots_group() -> None:
    """Paper questionnaires."""


@ballots_group.command("import")
@click.argument("slug")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Validate only; write nothing.")
@reports_errors
def ballots_import(slug: str, file: Path, dry_run: bool) -> None:
    """Import returned paper questionnaires (CSV code,choices); all or nothing."""

    with open_input(file) as stream:
        summary = import_paper_ballots(get_campaign(slug), stream, dry_run=dry_run)
    verb = "would import" if dry_run else "imported"
    say(f"{verb} {summary.valid + summary.spoilt:,} paper returns "
        f"({summary.valid:,} valid, {summary.spoilt:,} spoilt)")


@awards_cli.command("worker")
@click.option("--threads", type=click.IntRange(1, 16), default=2, show_default=True,
              help="Jobs run at the same time.")
def worker(threads: int) -> None:
    """Run queued jobs (letters PDF) until stopped: Ctrl-C finishes the running jobs."""
    from flask import current_app


    try:
        run_worker(current_app._get_current_object(), threads)  # type: ignore[attr-defined]
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None
