"""What a lifecycle step needs before it can be done (SPEC sections 2 and 5.1), checked
without writing: the step refuses with the first reason, and the confirmation page and the
overview's next-step panel show them all."""

from __future__ import annotations

from awards.campaigns.eligibility import eligible_departments
from awards.campaigns.services import voting_window_is_open
from awards.exceptions import LifecycleError
from awards.models import Campaign


def competitors(campaign: Campaign) -> tuple[int, int]:
    """How many departments compete, and how many voting needs (``finalists + 1``)."""
    return len(eligible_departments(campaign)), campaign.finalists + 1


def voting_open_refusals(campaign: Campaign) -> list[LifecycleError]:
    """Why voting cannot open now (empty: it can), without writing anything: what the
    confirmation page and the overview show, and what :func:`open_voting` raises."""
    refusals = []
    if campaign.state != "adjudication":
        refusals.append(LifecycleError(
            f"voting opens only in 'adjudication'; '{campaign.slug}' is in "
            f"'{campaign.state}'", code="voting.wrong_phase", slug=campaign.slug,
            state=campaign.state))
    if not campaign.codes_commitment:
        refusals.append(LifecycleError("issue the voting codes (flask awards codes issue) "
                                       "before opening the vote", code="voting.no_codes"))
    if voting_window_is_open(campaign):
        refusals.append(LifecycleError("voting is already open", code="voting.already_open"))
    competing, needed = competitors(campaign)
    if competing < needed:
        refusals.append(LifecycleError(
            f"voting needs at least {needed} competing departments ({campaign.finalists} "
            f"finalists + 1); '{campaign.slug}' has {competing}",
            code="voting.too_few_departments", count=competing, needed=needed,
            finalists=campaign.finalists, slug=campaign.slug))
    return refusals
