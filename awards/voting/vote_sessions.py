"""The server-side half of a household's vote session (code entry → confirmation).

The session cookie is signed, not encrypted: whoever sees it can read it. So it carries a
random token only; the token's SHA-256 keys a ``vote_sessions`` row that holds the code's
HMAC for a short while. Nothing in the cookie is derived from the code.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import bindparam, delete

from awards.extensions import db
from awards.models import Campaign, VoteSession
from awards.models.base import utcnow

SESSION_SECONDS = 30 * 60
_CLAIM = (delete(VoteSession)  # built once: it runs with every vote
          .where(VoteSession.token_hash == bindparam("token_hash"),
                 VoteSession.expires_at > bindparam("now"))
          .returning(VoteSession.code_hmac))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_vote_session(campaign: Campaign, digest: str) -> str:
    """Store the code's HMAC under a new random token (removing expired sessions) and
    return the token for the browser."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.execute(delete(VoteSession).where(VoteSession.expires_at < now))
    db.session.add(VoteSession(token_hash=_token_hash(token), campaign_id=campaign.id,
                               code_hmac=digest,
                               expires_at=now + timedelta(seconds=SESSION_SECONDS)))
    db.session.commit()
    return token


def claim_vote_session(token: str) -> str | None:
    """Remove the session and return its code's HMAC, or None when it is unknown or
    expired. The removal is part of the current transaction: the ballot's commit makes it
    final, a rollback restores it; of two simultaneous claims only one gets the HMAC."""
    return db.session.connection().execute(
        _CLAIM, {"token_hash": _token_hash(token), "now": utcnow()}).scalar()
