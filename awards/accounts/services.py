"""Staff accounts, sign-in and invitations."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from awards.accounts import throttle
from awards.accounts.invitation_targets import check_invitation_target
from awards.accounts.sessions import revoke_staff_session, revoke_user_sessions
from awards.audit.service import record
from awards.campaigns.config_file import USERNAME
from awards.campaigns.services import as_utc
from awards.exceptions import AwardsError, InvalidInput, NotFound
from awards.extensions import db
from awards.models import AuditEvent, Invitation, User
from awards.models.audit import SYSTEM_CHAIN
from awards.models.base import utcnow
from awards.models.users import ROLES

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
        raise InvalidInput(f"unknown role '{role}' (roles: {', '.join(ROLES)})",
                           code="account.unknown_role", role=role)
    if not USERNAME.match(username or ""):
        raise InvalidInput("username must be 2-64 lower-case letters, digits, '.', '_' or '-'",
                           code="account.bad_username")
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"password must have at least {MIN_PASSWORD} characters",
                           code="password.too_short", minimum=MIN_PASSWORD)
    if role == "coordinator" and not department_code:
        raise InvalidInput("a department coordinator needs --department CODE",
                           code="invitation.needs_department")
    existing = db.session.scalar(select(User).where(User.username == username))
    if existing is not None and (existing.active or existing.role != role or not reactivate):
        raise InvalidInput(f"username '{username}' is taken", code="account.username_taken",
                           username=username)
    user = existing or User(username=username, role=role)
    user.name = name or user.name or username
    user.department_code = department_code or user.department_code
    user.active = True
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    if existing is not None:
        revoke_user_sessions(user.id)  # a new password ends every earlier session
    record("user_created", username, {"role": role, "department": department_code},
           actor=actor)
    if commit:
        db.session.commit()
    return user


def set_user_password(username: str, password: str, *, actor: str = "system") -> User:
    """Set a staff account's password and activate it (``flask awards users password``),
    e.g. a judge created inactive by a campaign config. Every earlier session ends.

    Raises
    ------
    NotFound
        No such account.
    InvalidInput
        A password shorter than :data:`MIN_PASSWORD`.
    """
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"no account '{username}'", code="account.unknown", username=username)
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"password must have at least {MIN_PASSWORD} characters",
                           code="password.too_short", minimum=MIN_PASSWORD)
    activated = not user.active
    user.set_password(password)
    user.active = True
    db.session.flush()
    revoke_user_sessions(user.id)
    record("password_set", username, {"activated": activated}, actor=actor)
    db.session.commit()
    return user


class SignInThrottled(AwardsError):
    """Too many failed sign-ins for this username: wait ``seconds`` before the next try."""

    status = 429
    code = "signin.throttled"

    def __init__(self, seconds: int):
        super().__init__(f"too many failed sign-ins: wait {seconds} seconds",
                         seconds=seconds)
        self.seconds = seconds


def sign_in(username: str, password: str, *, address: str) -> User | None:
    """Check a staff sign-in; returns the user, or None for wrong credentials.

    Both outcomes are audit events on the system chain: ``staff_signed_in``, or
    ``staff_signin_failed`` with the reason, the client address and the wait it triggers
    (never the password). A failure counts towards the username's throttle.

    Raises
    ------
    SignInThrottled
        While the username must wait; the password is then not checked at all.
    """
    name = username.strip().lower()
    wait = throttle.seconds_to_wait(name)
    if wait:
        raise SignInThrottled(wait)
    user, reason = _check_credentials(name, password)
    if user is None:
        delay = throttle.note_failure(name)
        record("staff_signin_failed", _attempted_name(name),
               {"reason": reason, "address": address, "wait_seconds": delay},
               actor="anonymous")
        db.session.commit()
        return None
    throttle.note_success(name)
    user.last_signed_in_at = utcnow()
    record("staff_signed_in", user.username, {"role": user.role, "address": address},
           actor=user.username)
    db.session.commit()
    return user


def _check_credentials(name: str, password: str) -> tuple[User | None, str]:
    """The active user with these credentials, or None and why. The password hash is
    checked even for unknown users so that timing does not reveal which usernames exist."""
    user = db.session.scalar(select(User).where(User.username == name))
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return None, "unknown_user"
    if not user.has_usable_password:
        check_password_hash(_dummy_hash(), password)  # as long as a real check takes
        return None, "wrong_password"
    if not user.check_password(password):
        return None, "wrong_password"
    if not user.active:
        return None, "inactive_account"
    return user, ""


def _attempted_name(name: str) -> str:
    """What the audit log shows of a failed name: the name when it could be a username,
    else a placeholder (people sometimes type their password into the username box)."""
    return name if USERNAME.match(name) else "(not a valid username)"


def sign_out(token: str | None, username: str) -> None:
    """End this session on the server (commits)."""
    revoke_staff_session(token)
    record("staff_signed_out", username, {}, actor=username)
    db.session.commit()


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
        raise InvalidInput(f"unknown role '{role}'", code="account.unknown_role", role=role)
    if role == "coordinator" and not department_code:
        raise InvalidInput("a coordinator invitation needs a department",
                           code="invitation.needs_department")
    check_invitation_target(role, department_code, username)
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


INVITATION_GONE = ("This invitation link is not valid any more. Ask the award secretariat "
                   "for a new one.")
RESET_GONE = ("This reset link is not valid any more. Ask the award secretariat for a new "
              "one.")


def open_invitation(token: str, *, purpose: str = "signup") -> Invitation:
    """The unused, unexpired link of this ``purpose`` (``"signup"`` or ``"reset"``) for
    ``token``.

    Raises
    ------
    NotFound
        For an unknown, used or expired token, or one of the other purpose (one answer for
        all four).
    """
    invitation = db.session.scalar(select(Invitation).where(
        Invitation.token_hash == _token_hash(token)))
    if invitation is None or invitation.purpose != purpose or \
            invitation.used_at is not None or as_utc(invitation.expires_at) < utcnow():
        raise _link_gone(purpose)
    return invitation


def _link_gone(purpose: str) -> NotFound:
    if purpose == "reset":
        return NotFound(RESET_GONE, code="reset.link_gone")
    return NotFound(INVITATION_GONE, code="invitation.link_gone")


def _claim(invitation: Invitation) -> None:
    """Mark the link used in this transaction; a second, simultaneous use finds it taken.

    Raises
    ------
    NotFound
        Someone used it first.
    """
    claimed = db.session.execute(
        update(Invitation).where(Invitation.id == invitation.id, Invitation.used_at.is_(None))
        .values(used_at=utcnow())).rowcount
    if claimed != 1:
        db.session.rollback()
        raise _link_gone(invitation.purpose)


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
    _claim(invitation)
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


RESET_DAYS = 3


def password_reset_refusals(user: User, actor: str) -> list[AwardsError]:
    """Why ``actor`` (an organiser) cannot reset ``user``'s sign-in now, if anything: not
    their own account (the reset ends their password and sessions at once, so they would
    lock themselves out; another organiser or ``flask awards users password`` does it), and
    not an account that has never been activated (that one needs an invitation)."""
    refusals: list[AwardsError] = []
    if user.username == actor:
        refusals.append(InvalidInput(
            "you cannot reset your own sign-in here: it would sign you out with no "
            "password; ask another organiser", code="reset.own_account"))
    elif not user.active:
        refusals.append(InvalidInput(
            f"'{user.username}' has no active account yet: send an invitation instead",
            code="reset.inactive", username=user.username))
    return refusals


def create_password_reset(username: str, *, actor: str, days: int = RESET_DAYS) -> str:
    """Reset a staff member's sign-in; returns the token of the one-time link that sets a
    new password (shown once, like an invitation's).

    The old password stops working now, not when the new one is set: a reset is asked for
    when a password is lost or may be known to someone else. Every session of the account
    ends now too, and an earlier reset link of the account stops working. Audited as
    ``password_reset_issued`` on the system chain (commits).

    Raises
    ------
    NotFound
        No such account.
    InvalidInput
        One of :func:`password_reset_refusals`.
    """
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"no account '{username}'", code="account.unknown", username=username)
    refusals = password_reset_refusals(user, actor)
    if refusals:
        raise refusals[0]
    now = utcnow()
    db.session.execute(update(Invitation).where(
        Invitation.purpose == "reset", Invitation.username == user.username,
        Invitation.used_at.is_(None)).values(used_at=now))
    user.set_unusable_password()  # the old password is void until the link is used
    ended = revoke_user_sessions(user.id)
    token = secrets.token_urlsafe(24)
    issuer = db.session.scalar(select(User.id).where(User.username == actor))
    invitation = Invitation(token_hash=_token_hash(token), role=user.role, name=user.name,
                            department_code=user.department_code, username=user.username,
                            purpose="reset", expires_at=now + timedelta(days=days),
                            created_by_id=issuer)
    db.session.add(invitation)
    db.session.flush()
    record("password_reset_issued", user.username,
           {"link": f"invitation/{invitation.id}", "expires_at":
            invitation.expires_at.isoformat(), "sessions_ended": ended}, actor=actor)
    db.session.commit()
    return token


def reset_password(token: str, password: str, *, address: str) -> User:
    """Use a reset link once: set the account's new password, end its sessions and sign
    the person in (commits). Audited as ``password_reset`` with who issued the link and
    the client address (an organiser who opened the link themselves shows there), then as
    ``staff_signed_in`` like any sign-in.

    Raises
    ------
    NotFound
        Unknown, used, expired or sign-up token, or the account has gone.
    InvalidInput
        A password shorter than :data:`MIN_PASSWORD`.
    """
    invitation = open_invitation(token, purpose="reset")
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"password must have at least {MIN_PASSWORD} characters",
                           code="password.too_short", minimum=MIN_PASSWORD)
    _claim(invitation)
    user = db.session.scalar(select(User).where(User.username == invitation.username))
    if user is None or not user.active:
        db.session.rollback()
        raise _link_gone("reset")
    user.set_password(password)
    revoke_user_sessions(user.id)
    issuer = (db.session.scalar(select(User.username).where(
        User.id == invitation.created_by_id)) if invitation.created_by_id else None)
    record("password_reset", user.username,
           {"link": f"invitation/{invitation.id}", "issued_by": issuer, "address": address},
           actor=user.username)
    user.last_signed_in_at = utcnow()
    record("staff_signed_in", user.username,
           {"role": user.role, "address": address, "via": "reset link"},
           actor=user.username)
    db.session.commit()
    return user


SIGNIN_ACTIONS = ("staff_signed_in", "staff_signin_failed", "staff_signed_out")
SIGNIN_PAGE_SIZE = 50


@dataclass
class SignInListing:
    events: list[dict]
    page: int
    pages: int
    total: int


def staff_signin_events(*, failed_only: bool = False, page: int = 1) -> SignInListing:
    """Sign-in events of the system audit chain, newest first, one page of them, each as
    ``{seq, at, actor, action, subject, data}`` with ``data`` decoded."""
    actions = ("staff_signin_failed",) if failed_only else SIGNIN_ACTIONS
    query = select(AuditEvent).where(AuditEvent.chain == SYSTEM_CHAIN,
                                     AuditEvent.action.in_(actions))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max((total + SIGNIN_PAGE_SIZE - 1) // SIGNIN_PAGE_SIZE, 1)
    page = min(max(page, 1), pages)
    rows = db.session.scalars(query.order_by(AuditEvent.seq.desc())
                              .offset((page - 1) * SIGNIN_PAGE_SIZE)
                              .limit(SIGNIN_PAGE_SIZE)).all()
    events = [{"seq": e.seq, "at": e.at, "actor": e.actor, "action": e.action,
               "subject": e.subject, "data": json.loads(e.data)} for e in rows]
    return SignInListing(events, page, pages, total)


@dataclass
class PeopleListing:
    """The organisers' people page: every account, and the latest invitations."""

    users: list[User]
    invitations: list[Invitation]


def people_listing(*, invitations: int = 50) -> PeopleListing:
    """Every staff account by role then username, and the ``invitations`` latest
    invitations, newest first."""
    users = db.session.scalars(select(User).order_by(User.role, User.username)).all()
    latest = db.session.scalars(select(Invitation).order_by(Invitation.created_at.desc())
                                .limit(invitations)).all()
    return PeopleListing(list(users), list(latest))
