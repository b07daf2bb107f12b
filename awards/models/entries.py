"""Department nominations: entries, their sections, pledges and attachments, and per-department
deadline extensions (SPEC section 5.1)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from awards.extensions import db
from awards.models.base import utcnow

ENTRY_STATUSES = ("draft", "submitted")
ELIGIBILITY = ("pending", "eligible", "ineligible")


class Entry(db.Model):
    """One department's entry in one category. ``version`` is the optimistic-concurrency
    counter every save compares (``UPDATE … WHERE version = :v``); ``snapshot`` is the
    canonical JSON frozen at submission, with its SHA-256 (see ``awards.entries.snapshots``)."""

    __tablename__ = "entries"
    __table_args__ = (UniqueConstraint("department_id", "category_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_email: Mapped[str] = mapped_column(String(200), default="")
    contact_phone: Mapped[str] = mapped_column(String(50), default="")
    status: Mapped[str] = mapped_column(String(16), default="draft")
    version: Mapped[int] = mapped_column(default=1)
    updated_by: Mapped[str | None] = mapped_column(String(64))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    submitted_in_grace: Mapped[bool] = mapped_column(default=False)
    snapshot: Mapped[str | None] = mapped_column(Text)
    snapshot_sha256: Mapped[str | None] = mapped_column(String(64))
    returned_reason: Mapped[str] = mapped_column(Text, default="")
    eligibility: Mapped[str] = mapped_column(String(16), default="pending")
    eligibility_reason: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    sections: Mapped[list[EntrySection]] = relationship(cascade="all, delete-orphan")
    pledges: Mapped[list[Pledge]] = relationship(
        order_by="Pledge.position", cascade="all, delete-orphan"
    )
    attachments: Mapped[list[Attachment]] = relationship(
        order_by="(Attachment.position, Attachment.id)", cascade="all, delete-orphan"
    )


class EntrySection(db.Model):
    """The entry's narrative for one criterion."""

    __tablename__ = "entry_sections"
    __table_args__ = (UniqueConstraint("entry_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"))
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criteria.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text, default="")


class Pledge(db.Model):
    """A performance-pledge row: service, target, achieved."""

    __tablename__ = "pledges"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    service: Mapped[str] = mapped_column(String(300))
    target: Mapped[str] = mapped_column(String(300))
    achieved: Mapped[str] = mapped_column(String(300))


class Attachment(db.Model):
    """An uploaded file's metadata. The bytes live on disk once, named by ``sha256``,
    outside the web root (``awards.entries.attachments``)."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(default=0)
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    uploaded_by: Mapped[str] = mapped_column(String(64), default="")


class DeadlineExtension(db.Model):
    """An organiser's extension of one department's entry deadline, with its reason. Rows
    are never changed: the newest one for a department is the one that applies."""

    __tablename__ = "deadline_extensions"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"))
    close_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
