"""Read models for the organiser pages: counts that aggregate in the database."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from awards.audit.chain import ChainCheck
from awards.audit.service import verify_stored_chain
from awards.campaigns.services import voting_is_open
from awards.extensions import db
from awards.models import Ballot, Campaign, Entry, Judge, Scorecard, VotingCode
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


def database_answers() -> None:
    """Run the cheapest query (the health check); raises when the database is unreachable."""
    db.session.execute(select(1))
