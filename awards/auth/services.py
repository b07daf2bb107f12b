"""Staff accounts, sign-in and invitations."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select, update
from werkzeug.security import check_password_hash, generate_password_hash

from ..audit.service import record
from ..exceptions import InvalidInput, NotFound
from ..extensions import db
from ..models import Invitation, User
from ..models.base import utcnow
from ..models.users import ROLES
from ..campaigns.config_file import USERNAME
from ..campaigns.services import as_utc

MIN_PASSWORD = 12


def create_user(role: str, username: str, password: str, *, name: str = "",
                department_code: str | None = None, actor: str = "system",
                reactivate: bool = True, commit: bool = True) -> User:
    """Create a staff account (``flask awards users create``).

    An inactive account of the same role (a judge named in a campaign config) is activated
    when ``reactivate`` is true: the organiser's command line may, an invitation only when
    it names that account.

    Raises
    ------
    InvalidInput
        Unknown role, malformed or taken username, short password, coordinator without a
        department.
    """
    if role not in ROLES:
        raise InvalidInput(f"unknown role '{role}' (roles: {', '.join(ROLES)})")
    if not USERNAME.match(username or ""):
        raise InvalidInput("username must be 2-64 lower-case letters, digits, '.', '_' or '-'")
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"password must have at least {MIN_PASSWORD} characters")
    if role == "coordinator" and not department_code:
        raise InvalidInput("a department coordinator needs --department CODE")
    existing = db.session.scalar(select(User).where(User.username == username))
    if existing is not None and (existing.active or existing.role != role or not reactivate):
        raise InvalidInput(f"username '{username}' is taken")
    user = existing or User(username=username, role=role)
    user.name = name or user.name or username
    user.department_code = department_code or user.department_code
    user.active = True
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    record("user_created", username, {"role": role, "department": department_code},
           actor=actor)
    if commit:
        db.session.commit()
    return user


def authenticate(username: str, password: str) -> User | None:
    """The active user with these credentials, or None. The password hash is checked even
    for unknown users so that timing does not reveal which usernames exist."""
    user = db.session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    user.last_signed_in_at = utcnow()
    record("staff_signed_in", user.username, {"role": user.role}, actor=user.username)
    db.session.commit()
    return user




_DUMMY: list[str] = []


def _dummy_hash() -> str:
    if not _DUMMY:
        _DUMMY.append(generate_password_hash(secrets.token_hex(16)))
    return _DUMMY[0]


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_invitation(role: str, *, name: str = "", department_code: str | None = None,
                      username: str | None = None, actor: str, days: int = 7) -> str:
    """Create a one-time invitation; returns the token to put in the link (shown once)."""
    if role not in ("coordinator", "judge", "auditor", "organiser"):
        raise InvalidInput(f"unknown role '{role}'")
    if role == "coordinator" and not department_code:
        raise InvalidInput("a coordinator invitation needs a department")
    token = secrets.token_urlsafe(24)
    invitation = Invitation(token_hash=_token_hash(token), role=role, name=name,
                            department_code=department_code, username=username,
                            expires_at=utcnow() + timedelta(days=days))
    db.session.add(invitation)
    db.session.flush()
    record("invitation_created", f"invitation/{invitation.id}",
           {"role": role, "department": department_code, "expires_at":
            invitation.expires_at.isoformat()}, actor=actor)
    db.session.commit()
    return token


def open_invitation(token: str) -> Invitation:
    """The unused, unexpired invitation for ``token``.

    Raises
    ------
    NotFound
        For an unknown, used or expired token (one answer for all three).
    """
    invitation = db.session.scalar(select(Invitation).where(
        Invitation.token_hash == _token_hash(token)))
    if invitation is None or invitation.used_at is not None or \
            as_utc(invitation.expires_at) < utcnow():
        raise NotFound("This invitation link is not valid any more. Ask the award "
                       "secretariat for a new one.")
    return invitation


def accept_invitation(token: str, username: str, password: str) -> User:
    """Use an invitation once: the token is claimed and the account created in one
    transaction, so two simultaneous uses cannot both succeed.

    Raises
    ------
    NotFound
        Unknown, used or expired token.
    InvalidInput
        Bad or taken username, short password.
    """
    invitation = open_invitation(token)
    claimed = db.session.execute(
        update(Invitation).where(Invitation.id == invitation.id, Invitation.used_at.is_(None))
        .values(used_at=utcnow())).rowcount
    if claimed != 1:
        db.session.rollback()
        raise NotFound("This invitation link is not valid any more. Ask the award "
                       "secretariat for a new one.")
    username = invitation.username or username
    try:
        user = create_user(invitation.role, username, password, name=invitation.name,
                           department_code=invitation.department_code, actor=username,
                           reactivate=invitation.username is not None, commit=False)
    except InvalidInput:
        db.session.rollback()
        raise
    invitation.user_id = user.id
    record("invitation_accepted", f"invitation/{invitation.id}", {"username": username},
           actor=username)
    db.session.commit()
    return user
