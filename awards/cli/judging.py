"""``flask awards assign SLUG [--dry-run]`` (SPEC 8): solves the preliminary assignment
(SPEC 5.4) and prints its balance. Messages go to stderr; the assignment's SHA-256 goes to
stdout, like the frame digest. Bad input or rules that cannot be met exit 1 with a one-line
reason naming the departments and judges that cannot be covered, and write nothing."""

from __future__ import annotations

import click

from awards.cli.common import get_campaign, reports_errors, say
from awards.judging.assign import AssignmentReport, assign_preliminary


def register(group: click.Group) -> None:
    """Add the ``assign`` command to ``group`` (``flask awards``)."""
    group.add_command(assign_command)


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
