"""Judges, conflicts, assignments, scorecards and their correction history (SPEC section 5)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from awards.extensions import db
from awards.models.base import utcnow

CONFLICT_SOURCES = ("declared", "organiser", "affiliation")
CONFLICT_TYPES = ("own_department", "former_employer", "personal", "other")
# draft → submitted; an organiser reopens a submitted card after the round closed
# ("reopened": editable again although the round is closed); a conflict found after scoring
# withdraws the card (its scores deleted, its history kept).
SCORECARD_STATUSES = ("draft", "submitted", "reopened", "withdrawn")
ROUND_STATES = ("open", "closed")


class Judge(db.Model):
    """A staff user serving on a campaign's panel."""

    __tablename__ = "judges"
    __table_args__ = (UniqueConstraint("campaign_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(200))
    # Pseudonym used in published score sheets: J01, J02, ... in username order.
    pseudonym: Mapped[str] = mapped_column(String(8), default="")

    user = relationship("User")


class Conflict(db.Model):
    __tablename__ = "conflicts"
    __table_args__ = (UniqueConstraint("judge_id", "department_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    judge_id: Mapped[int] = mapped_column(ForeignKey("judges.id", ondelete="CASCADE"))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(16))
    # SPEC 5.3: own department, former employer, personal, other (None: from the config).
    type: Mapped[str | None] = mapped_column(String(24))
    reason: Mapped[str] = mapped_column(Text, default="")
    # The username of whoever declared or set it; never shown to departments.
    declared_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Assignment(db.Model):
    __tablename__ = "assignments"
    __table_args__ = (UniqueConstraint("round", "judge_id", "department_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    round: Mapped[str] = mapped_column(String(16))
    judge_id: Mapped[int] = mapped_column(ForeignKey("judges.id", ondelete="CASCADE"))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(16), default="auto")  # auto | manual | import


class Scorecard(db.Model):
    """One judge's scores for one department in one round."""

    __tablename__ = "scorecards"
    __table_args__ = (UniqueConstraint("round", "judge_id", "department_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    round: Mapped[str] = mapped_column(String(16))
    judge_id: Mapped[int] = mapped_column(ForeignKey("judges.id", ondelete="CASCADE"))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    # Bumped by every applied change; saves carry the version they were made on.
    version: Mapped[int] = mapped_column(default=1)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    # The last applied save: when, and from which device (the organiser's progress matrix).
    saved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_device: Mapped[str] = mapped_column(String(64), default="")
    # An organiser may excuse an unsubmitted card so that the round can close.
    excused_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    excused_by: Mapped[str | None] = mapped_column(String(64))
    excused_reason: Mapped[str | None] = mapped_column(Text)

    scores: Mapped[list[Score]] = relationship(cascade="all, delete-orphan")
    comments: Mapped[list[ScorecardComment]] = relationship(cascade="all, delete-orphan")


class Score(db.Model):
    __tablename__ = "scores"
    __table_args__ = (UniqueConstraint("scorecard_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scorecard_id: Mapped[int] = mapped_column(ForeignKey("scorecards.id", ondelete="CASCADE"))
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criteria.id", ondelete="CASCADE"))
    value: Mapped[int] = mapped_column()


class ScorecardComment(db.Model):
    """A judge's comment on one criterion (never published; organisers read it once the
    round is closed)."""

    __tablename__ = "scorecard_comments"
    __table_args__ = (UniqueConstraint("scorecard_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scorecard_id: Mapped[int] = mapped_column(ForeignKey("scorecards.id", ondelete="CASCADE"))
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criteria.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text, default="")


class ScorecardDevice(db.Model):
    """The last sequence number applied from one device to one scorecard: a save carrying a
    sequence number not above it is a retry, answered as done and not applied again."""

    __tablename__ = "scorecard_devices"

    scorecard_id: Mapped[int] = mapped_column(
        ForeignKey("scorecards.id", ondelete="CASCADE"), primary_key=True)
    device: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_seq: Mapped[int] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ScorecardRevision(db.Model):
    """One applied change of a scorecard: the values *after* it, who, when, from which
    device and why. Appended only: never updated or deleted, so every earlier value stays
    readable (SPEC 5.5)."""

    __tablename__ = "scorecard_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    scorecard_id: Mapped[int] = mapped_column(ForeignKey("scorecards.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column()  # the scorecard's version after the change
    # save | submit | amend | reopen | excuse | withdraw | import (superseded: before 0008,
    # the values a paper correction replaced)
    action: Mapped[str] = mapped_column(String(16), default="save")
    status: Mapped[str] = mapped_column(String(16), default="draft")
    values_json: Mapped[str] = mapped_column(Text)  # {"criterion code": value}
    comments_json: Mapped[str] = mapped_column(Text, default="{}")
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    device: Mapped[str] = mapped_column(String(64), default="")
    seq: Mapped[int | None] = mapped_column()
    reason: Mapped[str] = mapped_column(Text, default="")


class JudgingRound(db.Model):
    """A campaign's judging round: open until an organiser closes it (SPEC 5.5). A conflict
    found after scoring flags the round's assignment for a re-solve."""

    __tablename__ = "judging_rounds"
    __table_args__ = (UniqueConstraint("campaign_id", "round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    round: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(8), default="open")
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_by: Mapped[str | None] = mapped_column(String(64))
    resolve_needed: Mapped[bool] = mapped_column(default=False)
    resolve_reason: Mapped[str] = mapped_column(Text, default="")
