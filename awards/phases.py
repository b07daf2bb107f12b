"""Moving a campaign through its lifecycle (SPEC section 2), with the preconditions that need
other services: finalists are announced only from results computed on the data held now, and
closing the vote mixes whatever is left in the ballot inbox (SPEC section 4). The command
line and the organiser's pages call these, never the bare state fields."""

from __future__ import annotations

from sqlalchemy import select

from awards.audit.service import current_actor, record
from awards.campaigns.readiness import voting_open_refusals
from awards.campaigns.services import as_utc, next_state, voting_window_is_open
from awards.exceptions import AwardsError, LifecycleError
from awards.judging.rounds import ensure_round_closed, round_close_refusal
from awards.extensions import db
from awards.models import Campaign, ResultVersion
from awards.models.base import utcnow
from awards.models.campaign import STATES
from awards.results.versions import check_results_current
from awards.voting.mixer import mix_everything


ROUND_CLOSED_BY = {"finalists_announced": "preliminary", "published": "final"}


def move_phase(campaign: Campaign, target: str) -> Campaign:
    """Move the campaign to the next lifecycle state (SPEC section 2). The move to
    ``finalists_announced`` closes the preliminary round first if it is open.

    Raises
    ------
    LifecycleError
        For an unknown state, a skip, a move backwards, or a precondition not met (the
        first of :func:`phase_move_refusals`).
    RoundRefused
        The round the move closes still has scorecards neither submitted nor excused.
    """
    refusals = phase_move_refusals(campaign, target)
    if refusals:
        raise refusals[0]
    if target == "finalists_announced":
        ensure_round_closed(campaign, "preliminary", actor=current_actor())
    before = campaign.state
    campaign.state = target
    record("phase_changed", campaign.slug, {"from": before, "to": target}, chain=campaign.slug)
    db.session.commit()
    return campaign


def phase_move_refusals(campaign: Campaign, target: str) -> list[AwardsError]:
    """Why the campaign cannot move to ``target`` now, in the order :func:`move_phase`
    checks them; empty when it can. Changes nothing (the pages' confirmation and the
    overview's blockers show these)."""
    if target not in STATES:
        return [LifecycleError(f"unknown state '{target}' (states: {', '.join(STATES)})",
                               code="lifecycle.unknown_state", target=target)]
    allowed = next_state(campaign)
    if target != allowed:
        where = f"the next state is '{allowed}'" if allowed else "it is already published"
        return [LifecycleError(f"cannot move '{campaign.slug}' from '{campaign.state}' to "
                               f"'{target}': {where}",
                               code="lifecycle.skip" if allowed else "lifecycle.published",
                               slug=campaign.slug, state=campaign.state, target=target,
                               next=allowed)]
    refusals: list[AwardsError] = []
    if campaign.state == "adjudication" and voting_window_is_open(campaign):
        refusals.append(LifecycleError("close voting before announcing the finalists",
                                       code="lifecycle.voting_open"))
    if target == "finalists_announced":
        try:
            _require_current_results(campaign)
        except LifecycleError as exc:
            refusals.append(exc)
        unfinished = round_close_refusal(campaign, "preliminary")
        if unfinished is not None:
            refusals.append(unfinished)
    if target == "published":
        refusals.append(LifecycleError("use 'flask awards publish' to publish: it freezes "
                                       "and signs the results",
                                       code="lifecycle.publish_separately"))
    return refusals


def _require_current_results(campaign: Campaign) -> None:
    """Finalists come from results computed on the data the campaign holds now."""
    latest = db.session.scalar(
        select(ResultVersion).where(ResultVersion.campaign_id == campaign.id)
        .order_by(ResultVersion.version.desc()).limit(1))
    if latest is None:
        raise LifecycleError("compute the results (flask awards results) before announcing "
                             "the finalists", code="lifecycle.no_results")
    check_results_current(campaign, latest)


def open_voting(campaign: Campaign) -> Campaign:
    """Open the voting window now and freeze the settings of SPEC section 2.

    Raises
    ------
    LifecycleError
        The first of :func:`voting_open_refusals`: outside ``adjudication``, without
        issued codes, when already open, or with fewer than ``finalists + 1`` competing
        departments.
    """
    refusals = voting_open_refusals(campaign)
    if refusals:
        raise refusals[0]
    now = utcnow()
    campaign.voting_opens_at = now
    if campaign.voting_closes_at is not None and as_utc(campaign.voting_closes_at) <= now:
        campaign.voting_closes_at = None
    first = campaign.frozen_at is None
    campaign.frozen_at = campaign.frozen_at or now
    record("voting_opened", campaign.slug,
           {"at": now.isoformat(), "frozen": first, "seed": campaign.seed,
            "codes_commitment": campaign.codes_commitment}, chain=campaign.slug)
    db.session.commit()
    return campaign


def close_voting(campaign: Campaign) -> Campaign:
    """Close the voting window now.

    Raises
    ------
    LifecycleError
        When voting is not open.
    """
    if not voting_window_is_open(campaign):
        raise LifecycleError("voting is not open", code="voting.closed")
    now = utcnow()
    campaign.voting_closes_at = now
    record("voting_closed", campaign.slug, {"at": now.isoformat()}, chain=campaign.slug)
    db.session.commit()
    mix_everything(campaign.id)  # SPEC 4: whatever is left in the inbox moves at the close
    return campaign
