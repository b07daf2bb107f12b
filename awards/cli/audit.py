"""``flask awards publish`` and ``flask awards export`` (SPEC section 8).

Messages go to stderr; bad input exits 1 with a one-line reason and writes nothing.
"""

from __future__ import annotations

from pathlib import Path

import click

from awards.audit.verify import verify_bundle
from awards.cli.common import get_campaign, reports_errors, say
from awards.exceptions import AwardsError
from awards.publication.bundle import cached_bundle, record_export, write_atomically
from awards.publication.publish import publish, republish


def register(group: click.Group) -> None:
    """Attach the publication commands to the ``flask awards`` group."""
    group.add_command(publish_command)
    group.add_command(export_command)


@click.command("publish")
@click.argument("slug")
@click.option("--reason", default="",
              help="Publish a correction: recompute as a new version with this reason "
                   "(only after publication; earlier versions stay visible).")
def publish_command(slug: str, reason: str) -> None:
    """Freeze, sign and publish the results."""

    reports_errors(_publish)(slug, reason)


def _publish(slug: str, reason: str) -> None:

    campaign = get_campaign(slug)
    if reason.strip() and campaign.state == "published":
        version = republish(campaign, reason)
        say(f"published corrected results version {version.version} of '{slug}' "
            f"(reason: {reason.strip()})")
    else:
        version = publish(campaign)
        say(f"published results version {version.version} of '{slug}'")
    say(f"inputs digest {version.inputs_digest}")
    click.echo(f"public key {campaign.signing_public_key}")


@click.command("export")
@click.argument("slug")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Where to write the audit bundle (.zip); must not exist yet.")
@click.option("--no-check", is_flag=True,
              help="Skip the self-check with the offline verifier.")
def export_command(slug: str, out: Path, no_check: bool) -> None:
    """Write the signed audit bundle of the published results."""

    reports_errors(_export)(slug, out, no_check)


def _export(slug: str, out: Path, no_check: bool) -> None:

    campaign = get_campaign(slug)
    if out.exists() or out.is_symlink():
        raise AwardsError(f"{out} already exists: choose another path (an export never "
                          "overwrites a file)")
    bundle = cached_bundle(campaign)
    if not no_check:
        say("checking the bundle with the offline verifier ...")
        problems = verify_bundle(bundle.data, campaign.signing_public_key)
        if problems:
            raise AwardsError("the bundle does not verify: " + "; ".join(problems[:5])
                              + (f" (and {len(problems) - 5} more)" if len(problems) > 5
                                 else ""))
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(out, bundle.data)
    except OSError as exc:
        raise AwardsError(f"cannot write {out}: {exc.strerror or exc}") from None
    record_export(campaign, bundle)
    say(f"wrote {out} (results version {bundle.version}, {len(bundle.data):,} bytes)")
    say(f"manifest SHA-256 {bundle.manifest_sha256}")
    say(f"verify with: python -m awards.audit.verify {out} --public-key {bundle.public_key}")
