"""Result versions: the one place that asks which versions a campaign has, which is the
latest, which are published and whether a version still matches the data (SPEC sections 2
and 7: a re-computation is a new numbered version; only publication makes one public)."""

from __future__ import annotations

import json

from sqlalchemy import select

from awards.exceptions import LifecycleError
from awards.extensions import db
from awards.models import Campaign, ResultVersion
from awards.results.services import load_scoring_data


def latest_result(campaign: Campaign) -> ResultVersion | None:
    """The most recently computed result version, published or not."""
    return db.session.scalar(
        select(ResultVersion).where(ResultVersion.campaign_id == campaign.id)
        .order_by(ResultVersion.version.desc()).limit(1))


def published_versions(campaign: Campaign) -> list[ResultVersion]:
    """Published versions, oldest first (version 1 stays visible after a correction)."""
    return list(db.session.scalars(
        select(ResultVersion).where(ResultVersion.campaign_id == campaign.id,
                                    ResultVersion.published_at.is_not(None))
        .order_by(ResultVersion.version)))


def current_published(campaign: Campaign) -> ResultVersion | None:
    """The published version of record: the newest published one (None before publication)."""
    if campaign.state != "published":
        return None
    versions = published_versions(campaign)
    return versions[-1] if versions else None


def result_versions(campaign: Campaign, *, published_only: bool = False) -> list[ResultVersion]:
    """The campaign's result versions, newest first."""
    query = select(ResultVersion).where(ResultVersion.campaign_id == campaign.id)
    if published_only:
        query = query.where(ResultVersion.published_at.is_not(None))
    return list(db.session.scalars(query.order_by(ResultVersion.version.desc())))


def public_versions(campaign: Campaign) -> list[ResultVersion]:
    """Versions shown on the public page of a published campaign, newest first: only those
    published (a correction computed but not yet published stays with the organisers)."""
    if campaign.state != "published":
        return []
    return result_versions(campaign, published_only=True)


def find_version(versions: list[ResultVersion], number: int | None) -> ResultVersion | None:
    """The version numbered ``number`` among ``versions`` (the first when ``number`` is None)."""
    if number is None:
        return versions[0] if versions else None
    return next((v for v in versions if v.version == number), None)


def check_results_current(campaign: Campaign, version: ResultVersion) -> None:
    """Refuse results computed from other data than the campaign holds now.

    Raises
    ------
    LifecycleError
        Naming both digests.
    """
    digest = load_scoring_data(campaign).digest
    if digest != version.inputs_digest:
        raise LifecycleError(
            f"results version {version.version} of '{campaign.slug}' was computed from other "
            f"data (inputs digest {version.inputs_digest[:12]}…, now {digest[:12]}…): "
            "compute the results again before publishing", code="results.stale",
            version=version.version)


def check_publishable(campaign: Campaign, version: ResultVersion) -> None:
    """Refuse to publish a version without the final round or computed from stale data.

    Raises
    ------
    LifecycleError
    """
    if not json.loads(version.results_json).get("final"):
        raise LifecycleError(f"results version {version.version} has no final-round result: "
                             "compute the results again once every finalist's final-round "
                             "scorecards are submitted", code="publication.no_final",
                             version=version.version)
    check_results_current(campaign, version)


def publishable_version(campaign: Campaign) -> ResultVersion:
    """The version :func:`publish` would publish now (checks only, writes nothing: the
    confirmation page shows it).

    Raises
    ------
    LifecycleError
        Wrong state, no result, no final round in the result, or stale results.
    """
    if campaign.state != "final_judging":
        raise LifecycleError(f"results are published from 'final_judging'; '{campaign.slug}' "
                             f"is in '{campaign.state}'", code="publication.wrong_phase",
                             slug=campaign.slug, state=campaign.state)
    version = latest_result(campaign)
    if version is None:
        raise LifecycleError(f"'{campaign.slug}' has no computed results: compute them first "
                             "(flask awards results SLUG)", code="publication.no_results",
                             slug=campaign.slug)
    check_publishable(campaign, version)
    return version
