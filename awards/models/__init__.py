"""Typed SQLAlchemy models, one module per area."""

from awards.models.audit import AuditEvent
from awards.models.campaign import (
    AwardTier,
    Campaign,
    Category,
    Criterion,
    Department,
    District,
    Job,
    ResultVersion,
)
from awards.models.entries import (
    Attachment,
    DeadlineExtension,
    Entry,
    EntrySection,
    Pledge,
)
from awards.models.judging import (
    Assignment,
    Conflict,
    Judge,
    JudgingRound,
    Score,
    Scorecard,
    ScorecardComment,
    ScorecardDevice,
    ScorecardRevision,
)
from awards.models.users import Invitation, User
from awards.models.vote_session import VoteSession
from awards.models.voting import Ballot, Household, InboxBallot, SampledHousehold, VotingCode

__all__ = [
    "Assignment",
    "Attachment",
    "AuditEvent",
    "AwardTier",
    "Ballot",
    "Campaign",
    "Category",
    "Conflict",
    "Criterion",
    "DeadlineExtension",
    "Department",
    "District",
    "Entry",
    "EntrySection",
    "Household",
    "InboxBallot",
    "SampledHousehold",
    "Invitation",
    "Job",
    "Judge",
    "JudgingRound",
    "Pledge",
    "ResultVersion",
    "Score",
    "Scorecard",
    "ScorecardComment",
    "ScorecardDevice",
    "ScorecardRevision",
    "User",
    "VoteSession",
    "VotingCode",
]
