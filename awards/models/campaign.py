"""Campaigns, their settings, districts, departments, categories, criteria and award tiers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from awards.extensions import db
from awards.models.base import utcnow

STATES = (
    "draft",
    "entries_open",
    "entries_closed",
    "adjudication",
    "finalists_announced",
    "final_judging",
    "published",
)
JUDGE_METHODS = ("mean", "median", "trimmed", "zscore", "additive")
ROUNDS = ("preliminary", "final")


class Campaign(db.Model):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name_en: Mapped[str] = mapped_column(String(300))
    name_zh: Mapped[str] = mapped_column(String(300))
    state: Mapped[str] = mapped_column(String(24), default="draft")
    max_choices: Mapped[int] = mapped_column(default=3)
    finalists: Mapped[int] = mapped_column(default=8)
    public_weight: Mapped[float] = mapped_column(Float, default=0.3)
    judge_method: Mapped[str] = mapped_column(String(16), default="additive")
    final_public_weight: Mapped[float] = mapped_column(Float, default=0.0)
    bootstrap: Mapped[int] = mapped_column(default=2000)
    entries_required: Mapped[bool] = mapped_column(default=True)
    # Entries (SPEC 5.1): written until entries_close_at (UTC) plus grace_minutes.
    entries_close_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    grace_minutes: Mapped[int] = mapped_column(default=0)
    voting_opens_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    voting_closes_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set when voting first opens: the settings of SPEC section 2 are frozen from then on.
    frozen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    seed: Mapped[str | None] = mapped_column(String(200))
    frame_digest: Mapped[str | None] = mapped_column(String(64))
    sample_drawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    codes_commitment: Mapped[str | None] = mapped_column(String(64))
    addresses_purged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    guess_alarm_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    signing_public_key: Mapped[str | None] = mapped_column(String(128))
    signing_private_key: Mapped[str | None] = mapped_column(Text)  # encrypted, base64
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    districts: Mapped[list[District]] = relationship(
        back_populates="campaign", order_by="District.code", cascade="all, delete-orphan"
    )
    departments: Mapped[list[Department]] = relationship(
        back_populates="campaign", order_by="Department.code", cascade="all, delete-orphan"
    )
    categories: Mapped[list[Category]] = relationship(
        back_populates="campaign", order_by="Category.position", cascade="all, delete-orphan"
    )
    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="campaign",
        order_by="(Criterion.round, Criterion.position)",
        cascade="all, delete-orphan",
    )
    award_tiers: Mapped[list[AwardTier]] = relationship(
        back_populates="campaign", order_by="AwardTier.position", cascade="all, delete-orphan"
    )

    @property
    def is_frozen(self) -> bool:
        return self.frozen_at is not None

    def __repr__(self) -> str:
        return f"<Campaign {self.slug} {self.state}>"


class District(db.Model):
    __tablename__ = "districts"
    __table_args__ = (
        UniqueConstraint("campaign_id", "code"),
        UniqueConstraint("campaign_id", "id"),  # target of the households' key
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    name_en: Mapped[str] = mapped_column(String(200))
    name_zh: Mapped[str] = mapped_column(String(200))
    # Official census total; takes precedence over the frame count for weighting only.
    households: Mapped[int | None] = mapped_column()
    frame_count: Mapped[int] = mapped_column(default=0)
    sample_size: Mapped[int] = mapped_column(default=0)

    campaign: Mapped[Campaign] = relationship(back_populates="districts")


class Department(db.Model):
    __tablename__ = "departments"
    __table_args__ = (UniqueConstraint("campaign_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    name_en: Mapped[str] = mapped_column(String(300))
    name_zh: Mapped[str] = mapped_column(String(300))

    campaign: Mapped[Campaign] = relationship(back_populates="departments")


class Category(db.Model):
    __tablename__ = "categories"
    __table_args__ = (UniqueConstraint("campaign_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    name_en: Mapped[str] = mapped_column(String(200))
    name_zh: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(default=0)

    campaign: Mapped[Campaign] = relationship(back_populates="categories")


class Criterion(db.Model):
    __tablename__ = "criteria"
    __table_args__ = (UniqueConstraint("campaign_id", "round", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    round: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(32))
    name_en: Mapped[str] = mapped_column(String(200))
    name_zh: Mapped[str] = mapped_column(String(200))
    guidance_en: Mapped[str] = mapped_column(Text, default="")
    guidance_zh: Mapped[str] = mapped_column(Text, default="")
    weight: Mapped[float] = mapped_column(Float)
    max: Mapped[int] = mapped_column()
    # Optional anchor text per score band, a JSON list of strings ("0-3 rarely met", …).
    anchors_en: Mapped[str] = mapped_column(Text, default="[]")
    anchors_zh: Mapped[str] = mapped_column(Text, default="[]")
    position: Mapped[int] = mapped_column(default=0)

    campaign: Mapped[Campaign] = relationship(back_populates="criteria")


class AwardTier(db.Model):
    __tablename__ = "award_tiers"
    __table_args__ = (UniqueConstraint("campaign_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column()
    name_en: Mapped[str] = mapped_column(String(200))
    name_zh: Mapped[str] = mapped_column(String(200))
    places: Mapped[int] = mapped_column(default=1)

    campaign: Mapped[Campaign] = relationship(back_populates="award_tiers")


class ResultVersion(db.Model):
    """A computed result. Re-computation after publication is a new numbered version."""

    __tablename__ = "result_versions"
    __table_args__ = (UniqueConstraint("campaign_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column()
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    computed_by: Mapped[str] = mapped_column(String(64))
    inputs_digest: Mapped[str] = mapped_column(String(64))
    results_json: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Job(db.Model):
    """A long-running organiser task (letters PDF, imports) whose progress pages poll.

    The row is the job's record for every process: a queue worker claims it (``queued`` →
    ``running``) under a fresh ``lease_token`` and renews ``heartbeat_at`` while it works.
    A ``running`` row whose heartbeat is older than the lease belongs to a worker that
    stopped; it is queued again or failed (see :mod:`awards.jobs`)."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    result_path: Mapped[str | None] = mapped_column(String(500))
    error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    params: Mapped[str] = mapped_column(Text, default="{}")  # JSON: what the work needs
    attempts: Mapped[int] = mapped_column(default=0)
    lease_token: Mapped[str | None] = mapped_column(String(32))
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
