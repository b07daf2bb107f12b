"""Server-side state of a household between code entry and confirmation."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from awards.extensions import db


class VoteSession(db.Model):
    """A random token's link to the code being voted with.

    The browser holds only the token (in the signed, unencrypted session cookie), so the
    cookie carries nothing derived from the code. The row lives until the vote is confirmed
    or ``expires_at`` passes; only a hash of the token is stored.
    """

    __tablename__ = "vote_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    code_hmac: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
