"""Server-side staff sessions: signing out ends a session for every copy of its cookie.

The signed session cookie holds a random token under :data:`SESSION_KEY`; the database
holds its SHA-256 in ``staff_sessions``. Flask-Login's user loader accepts a cookie only
while its row exists, belongs to that user, is not revoked and was seen within
``STAFF_SESSION_IDLE_HOURS``.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from awards.campaigns.services import as_utc
from awards.extensions import db
from awards.models import User
from awards.models.base import utcnow
from awards.models.users import StaffSession

SESSION_KEY = "staff_session"
# last_seen_at is written at most this often, not on every request.
TOUCH_EVERY = timedelta(minutes=5)
IDLE_HOURS = 12  # default of STAFF_SESSION_IDLE_HOURS


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_staff_session(user: User) -> str:
    """Start a session for ``user`` (commits); returns the token for the cookie."""
    token = secrets.token_urlsafe(32)
    db.session.add(StaffSession(token_hash=_hash(token), user_id=user.id))
    db.session.commit()
    return token


def _live_session(user_id: int, token: str | None) -> tuple[StaffSession, User] | None:
    """The session's row and its user, read together (one statement on every staff
    request), or None."""
    if not token:
        return None
    found = db.session.execute(
        select(StaffSession, User).join(User, User.id == StaffSession.user_id)
        .where(StaffSession.token_hash == _hash(token))).first()
    if found is None:
        return None
    row, user = found
    if row.user_id != user_id or row.revoked_at is not None:
        return None
    idle = timedelta(hours=current_app.config.get("STAFF_SESSION_IDLE_HOURS", IDLE_HOURS))
    if as_utc(row.last_seen_at) + idle < utcnow():
        return None
    return row, user


def user_for_session(user_id: int, token: str | None) -> User | None:
    """The user of a live session, or None (signed out, revoked, idle or forged). Notes
    that the session is in use (it commits when it writes, before the view runs), with the
    one read of the session's row."""
    found = _live_session(user_id, token)
    if found is None:
        return None
    row, user = found
    if as_utc(row.last_seen_at) + TOUCH_EVERY < utcnow():
        row.last_seen_at = utcnow()
        db.session.commit()
    return user


def revoke_staff_session(token: str | None) -> None:
    """End one session (sign-out); the caller commits."""
    if token:
        db.session.execute(update(StaffSession).where(
            StaffSession.token_hash == _hash(token), StaffSession.revoked_at.is_(None))
            .values(revoked_at=utcnow()))


def revoke_user_sessions(user_id: int) -> int:
    """End every session of a user (password set anew); the caller commits."""
    return db.session.execute(update(StaffSession).where(
        StaffSession.user_id == user_id, StaffSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())).rowcount
