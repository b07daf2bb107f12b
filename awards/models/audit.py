"""Append-only audit events forming a hash chain per campaign (SPEC section 7)."""

from __future__ import annotations

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from awards.extensions import db

SYSTEM_CHAIN = "_system"


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    __table_args__ = (UniqueConstraint("chain", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # A campaign slug, or SYSTEM_CHAIN for events that belong to no campaign.
    chain: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column()
    # The exact UTC timestamp text that was hashed, e.g. 2026-11-23T08:00:00.123456Z.
    at: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(200))
    data: Mapped[str] = mapped_column(Text)  # canonical JSON
    prev: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
