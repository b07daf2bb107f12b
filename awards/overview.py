"""Read models for the organiser pages: counts that aggregate in the database."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from awards.audit.chain import ChainCheck
from awards.audit.service import verify_stored_chain
from awards.campaigns.readiness import competitors, voting_open_refusals
from awards.campaigns.services import next_state, voting_is_open, voting_window_is_open
from awards.exceptions import AwardsError, LifecycleError
from awards.extensions import db
from awards.models import Ballot, Campaign, Entry, Judge, Scorecard, VotingCode
from awards.results.versions import check_results_current, latest_result, publishable_version
from awards.voting.ballots import band
from awards.voting.mixer import mix_before_count


@dataclass
class CampaignCounts:
    departments: int
    districts: int
    judges: int
    entries_submitted: int
    entries_eligible: int
    households: int
    sampled: int
    codes: dict[str, str]
    ballots_valid: str
    ballots_spoilt: str
    returns: str
    scorecards_submitted: int


def _count(statement) -> int:
    return int(db.session.scalar(statement) or 0)


def campaign_counts(campaign: Campaign) -> CampaignCounts:

    mix_before_count(campaign)  # SPEC 4: counts come after the inbox is mixed
    cid = campaign.id
    codes = dict(db.session.execute(
        select(VotingCode.state, func.count()).where(VotingCode.campaign_id == cid)
        .group_by(VotingCode.state)).all())
    ballots = dict(db.session.execute(
        select(Ballot.status, func.count()).where(Ballot.campaign_id == cid)
        .group_by(Ballot.status)).all())
    # While voting is open, counts that move with each ballot are shown in bands (SPEC 4):
    # watching exact counts change could tie a ballot to the household that just voted.
    shown = band if voting_is_open(campaign) else (lambda n: f"{n:,}")
    valid, spoilt = int(ballots.get("valid", 0)), int(ballots.get("spoilt", 0))
    return CampaignCounts(
        departments=len(campaign.departments),
        districts=len(campaign.districts),
        judges=_count(select(func.count()).select_from(Judge).where(Judge.campaign_id == cid)),
        entries_submitted=_count(select(func.count()).select_from(Entry).where(
            Entry.campaign_id == cid, Entry.status == "submitted")),
        entries_eligible=_count(select(func.count()).select_from(Entry).where(
            Entry.campaign_id == cid, Entry.eligibility == "eligible")),
        # Kept per district by the frame import and the draw: no count over millions of rows.
        households=sum(d.frame_count for d in campaign.districts),
        sampled=sum(d.sample_size for d in campaign.districts),
        codes={state: shown(int(codes.get(state, 0))) for state in ("issued", "used", "void")},
        ballots_valid=shown(valid),
        ballots_spoilt=shown(spoilt),
        returns=shown(valid + spoilt),
        scorecards_submitted=_count(select(func.count()).select_from(Scorecard).where(
            Scorecard.campaign_id == cid, Scorecard.status == "submitted")),
    )


def chain_status(campaign: Campaign) -> ChainCheck:
    return verify_stored_chain(campaign.slug)


# --- The next step (SPEC section 8: the overview says what comes next and what blocks it) --

@dataclass(frozen=True)
class Check:
    """One line of the readiness checklist: ``code`` names its sentence (the page words
    it), ``params`` fill it in, ``done`` or not, ``blocking`` when it stops the next step."""

    code: str
    done: bool
    params: dict = field(default_factory=dict)
    blocking: bool = False


@dataclass(frozen=True)
class NextStep:
    """What comes next: ``action`` (``setup``, ``phase``, ``frame``, ``sample``, ``codes``,
    ``voting_open``, ``voting_close``, ``results``, ``publish``; None when published), the
    phase ``target`` of a move, the ``blockers`` that refuse it now (domain errors whose
    message the page shows), and the campaign's readiness ``checklist``."""

    action: str | None
    target: str | None = None
    blockers: list[AwardsError] = field(default_factory=list)
    checklist: list[Check] = field(default_factory=list)


def _results_blockers(campaign: Campaign) -> list[AwardsError]:
    """Why the latest results cannot be used now (none computed, or computed from other
    data than the campaign holds)."""
    latest = latest_result(campaign)
    if latest is None:
        return [LifecycleError("compute the results (flask awards results) before announcing "
                               "the finalists", code="lifecycle.no_results")]
    try:
        check_results_current(campaign, latest)
    except AwardsError as exc:
        return [exc]
    return []


def _checklist(campaign: Campaign) -> list[Check]:
    competing, needed = competitors(campaign)
    rounds = {c.round for c in campaign.criteria}
    judges = _count(select(func.count()).select_from(Judge).where(
        Judge.campaign_id == campaign.id))
    voting_started = campaign.frozen_at is not None
    checks = [
        Check("departments", len(campaign.departments) >= needed,
              {"count": len(campaign.departments), "needed": needed}),
        Check("criteria", rounds >= {"preliminary", "final"}),
        Check("judges", judges > 0, {"count": judges}),
        Check("competitors", competing >= needed, {"count": competing, "needed": needed},
              blocking=campaign.state == "adjudication" and not voting_started
              and competing < needed),
        Check("frame", bool(campaign.frame_digest),
              {"count": sum(d.frame_count for d in campaign.districts)}),
        Check("sample", campaign.sample_drawn_at is not None,
              {"count": sum(d.sample_size for d in campaign.districts)}),
        Check("codes", bool(campaign.codes_commitment)),
        Check("voting", voting_started and not voting_window_is_open(campaign)),
    ]
    latest = latest_result(campaign)
    checks.append(Check("results", latest is not None,
                        {"version": latest.version if latest else None}))
    checks.append(Check("published", campaign.state == "published"))
    return checks


def next_step(campaign: Campaign) -> NextStep:
    """The organiser's next step for ``campaign`` and what blocks it, with the checklist."""
    checks = _checklist(campaign)
    state = campaign.state
    if state == "published":
        return NextStep(None, checklist=checks)
    if state == "draft" and not all(c.done for c in checks[:3]):
        return NextStep("setup", checklist=checks)
    if state == "adjudication":
        if not campaign.frame_digest:
            return NextStep("frame", checklist=checks)
        if campaign.sample_drawn_at is None:
            return NextStep("sample", checklist=checks)
        if not campaign.codes_commitment:
            return NextStep("codes", checklist=checks)
        if campaign.frozen_at is None:
            return NextStep("voting_open", blockers=list(voting_open_refusals(campaign)),
                            checklist=checks)
        if voting_window_is_open(campaign):
            return NextStep("voting_close", checklist=checks)
        blockers = _results_blockers(campaign)
        if blockers:
            return NextStep("results", blockers=blockers, checklist=checks)
    if state == "final_judging":
        try:
            publishable_version(campaign)
        except AwardsError as exc:
            return NextStep("results", blockers=[exc], checklist=checks)
        return NextStep("publish", checklist=checks)
    return NextStep("phase", target=next_state(campaign), checklist=checks)
def database_answers() -> None:
    """Run the cheapest query (the health check); raises when the database is unreachable."""
    db.session.execute(select(1))
