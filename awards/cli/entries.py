"""Entry commands (SPEC 8): ``flask awards entries export SLUG --pdf PACK.pdf`` writes the
judges' pack of the eligible entries (SPEC 5.1). Progress on stderr; with nothing eligible
it exits 1 with a one-line reason and writes nothing."""

from __future__ import annotations

from pathlib import Path

import click

from awards.cli.commands import check_output
from awards.cli.common import get_campaign, reports_errors, say
from awards.entries.pack import eligible_snapshots, write_pack_file


def register(group: click.Group) -> None:
    """Add the ``entries`` group to ``group`` (``flask awards``)."""
    group.add_command(entries_group)


@click.group("entries")
def entries_group() -> None:
    """Department entries."""


@entries_group.command("export")
@click.argument("slug")
@click.option("--pdf", "pdf", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Write the judges' pack (eligible entries, preliminary round) here.")
@reports_errors
def entries_export(slug: str, pdf: Path) -> None:
    """Write the judges' pack: the eligible entries' snapshots as one print-ready PDF."""
    check_output(pdf, new=False)
    campaign = get_campaign(slug)
    snapshots = eligible_snapshots(campaign)
    say(f"judges' pack of '{slug}': {len(snapshots)} eligible "
        f"{'entry' if len(snapshots) == 1 else 'entries'} "
        f"({', '.join(s['department']['code'] for s in snapshots)})")
    pages = write_pack_file(campaign, pdf, snapshots, say=say)
    say(f"wrote {pdf}: {pages} pages")
