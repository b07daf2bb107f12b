"""Staff accounts, their signed-in sessions and invitations (SPEC section 1)."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from awards.extensions import db
from awards.models.base import utcnow

ROLES = ("organiser", "coordinator", "judge", "auditor")
# The hash of an account nobody may sign in to yet (a judge created by a campaign config, an
# account whose password reset is pending): no password hashes to it, and storing it costs
# nothing, where hashing a random secret costs a full key derivation.
UNUSABLE_PASSWORD = "!"


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(16))
    # A coordinator's department code (the same code across campaigns); a judge's affiliation.
    department_code: Mapped[str | None] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_signed_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def set_unusable_password(self) -> None:
        """No password opens this account until one is set (invitation, reset, command)."""
        self.password_hash = UNUSABLE_PASSWORD

    @property
    def has_usable_password(self) -> bool:
        return self.password_hash != UNUSABLE_PASSWORD

    def check_password(self, password: str) -> bool:
        return self.has_usable_password and check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


class Invitation(db.Model):
    """A one-time, expiring link: a sign-up for a coordinator, judge or auditor
    (``purpose="signup"``), or a new password for an existing account (``"reset"``, with
    ``username`` naming it).

    Only the SHA-256 of the token is stored; the link is shown once to the organiser.
    """

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    department_code: Mapped[str | None] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200), default="")
    # Set when the account already exists inactive (a judge named in a campaign config).
    username: Mapped[str | None] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    purpose: Mapped[str] = mapped_column(String(8), default="signup", server_default="signup")


class StaffSession(db.Model):
    """One signed-in browser of a staff member.

    The session cookie carries a random token; only its SHA-256 is stored here. Each request
    looks the row up, so signing out (``revoked_at``) ends the session on the server: a copy
    of the cookie taken before stops working.
    """

    __tablename__ = "staff_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
