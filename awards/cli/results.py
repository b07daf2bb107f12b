"""``flask awards scores import`` and ``flask awards results`` (SPEC section 8).

Messages and progress go to stderr; ``results --json`` prints ``results.json`` alone to
stdout. Bad input exits 1 with a one-line reason (and the lines at fault) and writes nothing.
"""

from __future__ import annotations

from pathlib import Path

import click

from awards.cli.common import get_campaign, open_input, reports_errors, say
from awards.results.scores_import import import_scores
from awards.results.services import compute_campaign_results, results_to_json, version_results


def register(group: click.Group) -> None:
    """Add the ``scores`` group and the ``results`` command to ``group`` (``flask awards``)."""
    group.add_command(scores_group)
    group.add_command(results_command)


@click.group("scores")
def scores_group() -> None:
    """Judges' scores."""


@scores_group.command("import")
@click.argument("slug")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Validate only; write nothing.")
def scores_import(slug: str, file: Path, dry_run: bool) -> None:
    """Import paper score sheets (CSV round,judge,department,criterion,score)."""

    reports_errors(_scores_import)(slug, file, dry_run)


def _scores_import(slug: str, file: Path, dry_run: bool) -> None:

    campaign = get_campaign(slug)
    with open_input(file) as stream:
        data = stream.read()
    say(f"validating {file} ...")
    report = import_scores(campaign, data, dry_run=dry_run)
    verb = "would import" if dry_run else "imported"
    say(f"{verb} {report.rows:,} scores: {report.scorecards_created} scorecards created, "
        f"{report.scorecards_updated} updated, {report.scorecards_unchanged} unchanged, "
        f"{report.scorecards_submitted} submitted, {report.scorecards_incomplete} "
        f"incomplete, {report.corrections} corrections kept, {report.assignments_created} "
        "assignments created")
    if dry_run:
        say("dry run: nothing was written")


@click.command("results")
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True,
              help="Print results.json to stdout (messages go to stderr).")
@click.option("--reason", default="",
              help="Why the results are recomputed (required after publication; the new "
                   "version stays unpublished until flask awards publish SLUG --reason).")
def results_command(slug: str, as_json: bool, reason: str) -> None:
    """Compute the results (SPEC section 6) and store them as a new version."""

    reports_errors(_results)(slug, as_json, reason)


def _results(slug: str, as_json: bool, reason: str) -> None:

    campaign = get_campaign(slug)
    say(f"computing results for '{slug}' (bootstrap {campaign.bootstrap:,} replicates) ...")
    version = compute_campaign_results(campaign, reason=reason)
    results = version_results(version)
    say(f"stored results version {version.version} (inputs digest {version.inputs_digest})")
    if campaign.state == "published":
        say(f"version {version.version} is not published: publish the correction with "
            f"flask awards publish {slug} --reason …")
    if as_json:
        click.echo(results_to_json(results, indent=2))
        return
    gap = results.get("cut_gap")
    say(f"finalists: {', '.join(results['finalists'])}"
        + (f" (cut gap {gap:.4f})" if gap is not None else ""))
    best = results["best_public_image"]
    conclusive = results.get("best_public_image_conclusive")
    say(f"Best Public Image: {best}"
        + (" (the lead is not statistically conclusive)" if conclusive is False else ""))
    for row in results.get("final") or []:
        say(f"  {row['rank']}. {row['department']} {row['score']:.2f} {row['award']}")
    for warning in results.get("warnings", []):
        say(f"warning: {warning.get('message', warning.get('code'))}")
