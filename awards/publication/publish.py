"""Publication (SPEC sections 2 and 7): freeze, sign and publish the results.

``publish`` turns the latest computed result of a campaign in ``final_judging`` into
version-of-record: the campaign moves to ``published``, receives its Ed25519 signing key and
the audit log records ``published`` with the version, its inputs digest and the public key.
From then on ballots, scores and results are frozen
(:func:`awards.campaigns.services.ensure_not_published`); a
recomputation is a new, unpublished numbered version, and only :func:`republish` publishes a
correction (with a reason). Earlier versions stay visible. Publication is recorded when it
happens, never later (e.g. when a bundle is downloaded).
"""

from __future__ import annotations

from typing import Any

from awards.audit.service import current_actor, record
from awards.campaigns.services import refuse
from awards.exceptions import InvalidInput, LifecycleError
from awards.extensions import db
from awards.judging.rounds import ensure_round_closed
from awards.models import AuditEvent, Campaign, ResultVersion
from awards.models.base import utcnow
from awards.publication.signing import ensure_campaign_key
from awards.results.services import compute_results_version, load_scoring_data
from awards.results.versions import (
    check_publishable,
    current_published,
    latest_result,
    publishable_version,
)

PUBLISHED_ACTION = "published"


def record_publication(campaign: Campaign, version: ResultVersion, *,
                       actor: str | None = None, reason: str = "") -> AuditEvent:
    """Record ``published`` for ``version`` (the caller commits): version, inputs digest and
    the campaign's public key, so the audit log binds the signed bundle to the key."""
    data: dict[str, Any] = {"version": version.version, "inputs_digest": version.inputs_digest,
                            "public_key": ensure_campaign_key(campaign)}
    if reason:
        data["reason"] = reason
    return record(PUBLISHED_ACTION, campaign.slug, data, chain=campaign.slug,
                  actor=actor or current_actor())


def publish(campaign: Campaign, actor: str | None = None) -> ResultVersion:
    """Publish the latest computed result (SPEC sections 2 and 7).

    Parameters
    ----------
    campaign : Campaign
        In ``final_judging``, with a computed result that includes the final round and
        matches the campaign's current data.
    actor : str, optional
        Who publishes (default: the signed-in user, or ``system``).

    Returns
    -------
    ResultVersion
        The published version (committed).

    Raises
    ------
    FrozenError
        The campaign is already published (recorded as a refused change).
    LifecycleError
        Wrong state, no result, no final round in the result, or stale results.
    """
    actor = actor or current_actor()
    if campaign.state == "published":
        version = current_published(campaign)

        raise refuse(campaign, "publish",
                     f"'{campaign.slug}' is already published (results version "
                     f"{version.version if version else '?'}); a correction is published as "
                     "a new version with a reason (flask awards publish SLUG --reason …)",
                     code="frozen.already_published",
                     version=version.version if version else "?")
    version = publishable_version(campaign)
    ensure_round_closed(campaign, "final", actor=actor)
    now = utcnow()
    version.published_at = now
    campaign.state = "published"
    campaign.published_at = now
    record("phase_changed", campaign.slug, {"from": "final_judging", "to": "published"},
           chain=campaign.slug, actor=actor)
    record_publication(campaign, version, actor=actor)
    db.session.commit()
    return version


def republish(campaign: Campaign, reason: str, actor: str | None = None) -> ResultVersion:
    """Publish a correction as a new version with ``reason`` (SPEC section 2).

    The correction is the latest computed version when it is newer than the published one
    and still matches the campaign's data (computed with ``flask awards results SLUG
    --reason …`` or the results page); otherwise the results are recomputed as version
    N+1. This is the only way a version is published after the first publication. Earlier
    versions keep their values and stay visible; the same signing key signs the corrected
    bundle.

    Raises
    ------
    LifecycleError
        The campaign is not published yet, or the correction has no final round.
    InvalidInput
        Without a reason, or when the engine cannot compute the results.
    """

    reason = (reason or "").strip()
    actor = actor or current_actor()
    if campaign.state != "published":
        raise LifecycleError(f"'{campaign.slug}' is not published yet: publish it first "
                             "(a correction needs a published result to correct)",
                             code="publication.not_published", slug=campaign.slug)
    if not reason:
        raise InvalidInput("give the reason for the corrected version (--reason …)",
                           code="publication.reason_needed")
    version = _pending_correction(campaign)
    if version is None:
        version = compute_results_version(campaign, actor, reason=reason)
    check_publishable(campaign, version)
    version.published_at = utcnow()
    record_publication(campaign, version, actor=actor, reason=reason)
    db.session.commit()
    return version


def _pending_correction(campaign: Campaign) -> ResultVersion | None:
    """The latest version if it is an unpublished correction computed from the current data."""

    latest = latest_result(campaign)
    if latest is None or latest.published_at is not None:
        return None
    if load_scoring_data(campaign).digest != latest.inputs_digest:
        return None
    return latest
