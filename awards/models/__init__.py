"""Typed SQLAlchemy models, one module per area."""

from .audit import AuditEvent
from .campaign import (
    AwardTier,
    Campaign,
    Category,
    Criterion,
    Department,
    District,
    Job,
    ResultVersion,
)
from .entries import Attachment, Entry, EntrySection, Pledge
from .judging import Assignment, Conflict, Judge, Score, Scorecard, ScorecardRevision
from .users import Invitation, User
from .vote_session import VoteSession
from .voting import Ballot, Household, InboxBallot, SampledHousehold, VotingCode

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
    "Pledge",
    "ResultVersion",
    "Score",
    "Scorecard",
    "ScorecardRevision",
    "User",
    "VoteSession",
    "VotingCode",
]
