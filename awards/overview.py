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
from awards.judging.rounds import assigned_pairs, round_row_state
from awards.models import Ballot, Campaign, Entry, Judge, Scorecard, VotingCode
from awards.phases import phase_move_refusals
from awards.results.versions import latest_result, publishable_version
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
    """What comes next: ``action`` (``setup``, ``phase``, ``eligibility``, ``frame``,
    ``sample``, ``codes``, ``voting_open``, ``voting_close``, ``assignment``, ``scoring``,
    ``round_close``, ``results``, ``publish``; None when published), the phase ``target``
    of a move, the judging ``round`` of a judging step with its ``count`` (entries without
    an eligibility decision, scorecards outstanding), the ``blockers`` that refuse it now
    (domain errors whose message the page shows), the campaign's readiness ``checklist``
    and the ``judging`` progress of its rounds."""

    action: str | None
    target: str | None = None
    blockers: list[AwardsError] = field(default_factory=list)
    checklist: list[Check] = field(default_factory=list)
    round: str | None = None
    count: int = 0
    judging: list[Check] = field(default_factory=list)


@dataclass(frozen=True)
class RoundProgress:
    """One judging round at a glance: assigned pairs, scorecards neither submitted nor
    excused, and whether the round is closed."""

    round: str
    assigned: int
    outstanding: int
    closed: bool


def round_progress(campaign: Campaign, round_name: str) -> RoundProgress:
    pairs = assigned_pairs(campaign, round_name)
    left = sum(p.state not in ("submitted", "excused") for p in pairs)
    return RoundProgress(round_name, len(pairs), left,
                         round_row_state(campaign, round_name) == "closed")


def undecided_entries(campaign: Campaign) -> int:
    """Submitted entries without an eligibility decision (0 when entries are not
    required: every department competes)."""
    if not campaign.entries_required:
        return 0
    return _count(select(func.count()).select_from(Entry).where(
        Entry.campaign_id == campaign.id, Entry.status == "submitted",
        Entry.eligibility == "pending"))


def _judging_checks(campaign: Campaign, rounds: dict[str, RoundProgress]) -> list[Check]:
    """The judging lines of the overview: eligibility, then per round the assignment, the
    scorecards and the close."""
    checks = []
    if campaign.state not in ("draft", "entries_open"):
        undecided = undecided_entries(campaign)
        checks.append(Check("eligibility", undecided == 0, {"count": undecided}))
    for name, progress in rounds.items():
        checks.append(Check("assignment", progress.assigned > 0,
                            {"round": name, "count": progress.assigned}))
        if progress.assigned:
            checks.append(Check("scorecards", progress.outstanding == 0,
                                {"round": name, "count": progress.outstanding,
                                 "assigned": progress.assigned}))
        checks.append(Check("round_closed", progress.closed, {"round": name}))
    return checks


def _judging_step(rounds: dict[str, RoundProgress], round_name: str,
                  checks: list[Check], judging: list[Check]) -> NextStep | None:
    """The judging step due in ``round_name`` before results, if any: assign, finish
    scoring, close the round."""
    progress = rounds[round_name]
    if progress.closed:
        return None
    if progress.assigned == 0:
        return NextStep("assignment", round=round_name, checklist=checks, judging=judging)
    if progress.outstanding:
        return NextStep("scoring", round=round_name, count=progress.outstanding,
                        checklist=checks, judging=judging)
    return None


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
    """The organiser's next step for ``campaign`` and what blocks it, with the checklist
    and the judging progress. After the vote closes, judging comes before results: the
    preliminary assignment, its scorecards, closing the round; in the final round, its
    scorecards before results and publication (publishing closes the final round)."""
    checks = _checklist(campaign)
    state = campaign.state
    rounds = {}
    if state not in ("draft", "entries_open"):
        rounds["preliminary"] = round_progress(campaign, "preliminary")
    if state in ("final_judging", "published"):
        rounds["final"] = round_progress(campaign, "final")
    judging = _judging_checks(campaign, rounds)
    if state == "published":
        return NextStep(None, checklist=checks, judging=judging)
    if state == "draft" and not all(c.done for c in checks[:3]):
        return NextStep("setup", checklist=checks, judging=judging)
    if state == "entries_closed":
        undecided = undecided_entries(campaign)
        if undecided:
            return NextStep("eligibility", count=undecided, checklist=checks,
                            judging=judging)
    if state == "adjudication":
        if not campaign.frame_digest:
            return NextStep("frame", checklist=checks, judging=judging)
        if campaign.sample_drawn_at is None:
            return NextStep("sample", checklist=checks, judging=judging)
        if not campaign.codes_commitment:
            return NextStep("codes", checklist=checks, judging=judging)
        if campaign.frozen_at is None:
            return NextStep("voting_open", blockers=list(voting_open_refusals(campaign)),
                            checklist=checks, judging=judging)
        if voting_window_is_open(campaign):
            return NextStep("voting_close", checklist=checks, judging=judging)
        step = _judging_step(rounds, "preliminary", checks, judging)
        if step is not None:
            return step
        if not rounds["preliminary"].closed:
            return NextStep("round_close", round="preliminary", checklist=checks,
                            judging=judging)
        # Announcing the finalists needs current results: the move's own refusals say so
        # (read once: each check reads every ballot).
        blockers = phase_move_refusals(campaign, "finalists_announced")
        return NextStep("results" if blockers else "phase", target="finalists_announced",
                        blockers=blockers, checklist=checks, judging=judging)
    if state == "final_judging":
        if rounds["final"].assigned == 0:
            return NextStep("assignment", round="final", checklist=checks, judging=judging)
        step = _judging_step(rounds, "final", checks, judging)
        if step is not None:
            return step
        try:
            publishable_version(campaign)
        except AwardsError as exc:
            return NextStep("results", blockers=[exc], checklist=checks, judging=judging)
        return NextStep("publish", checklist=checks, judging=judging)
    target = next_state(campaign)
    return NextStep("phase", target=target, blockers=phase_move_refusals(campaign, target),
                    checklist=checks, judging=judging)


def database_answers() -> None:
    """Run the cheapest query (the health check); raises when the database is unreachable."""
    db.session.execute(select(1))
