"""Recording and checking audit events. Every state change in the application calls
:func:`record`; nothing updates or deletes an event."""

from __future__ import annotations

import json
from typing import Any

from flask import has_request_context
from flask_login import current_user
from sqlalchemy import select, text

from awards.audit.chain import GENESIS, ChainCheck, canonical_json, check_chain, event_hash
from awards.extensions import db
from awards.models import AuditEvent
from awards.models.audit import SYSTEM_CHAIN
from awards.models.base import utcnow


def current_actor() -> str:
    """The signed-in username, or ``system`` for the command line and background work."""
    if has_request_context() and getattr(current_user, "is_authenticated", False):
        return current_user.username
    return "system"


def record(
    action: str,
    subject: str = "",
    data: dict[str, Any] | None = None,
    *,
    chain: str = SYSTEM_CHAIN,
    actor: str | None = None,
) -> AuditEvent:
    """Append one event to ``chain`` inside the current transaction (the caller commits).

    Appends to one chain are serialised: on PostgreSQL by a transaction-scoped advisory
    lock on the chain's name (row locks cannot cover an empty chain, and the old head row
    still qualifies after a concurrent append), on SQLite by the write lock every
    transaction takes when it begins. The ``(chain, seq)`` unique constraint stays as the
    last guard against a fork.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:chain))"),
                           {"chain": chain})
    head = db.session.execute(
        select(AuditEvent.seq, AuditEvent.hash)
        .where(AuditEvent.chain == chain)
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    ).first()
    seq, prev = (head.seq + 1, head.hash) if head else (1, GENESIS)
    body = {
        "seq": seq,
        "at": utcnow().strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor": actor or current_actor(),
        "action": action,
        "subject": subject,
        "data": json.loads(canonical_json(data or {})),
        "prev": prev,
    }
    event = AuditEvent(
        chain=chain,
        seq=seq,
        at=body["at"],
        actor=body["actor"],
        action=action,
        subject=subject,
        data=canonical_json(body["data"]),
        prev=prev,
        hash=event_hash(body),
    )
    db.session.add(event)
    db.session.flush()
    return event


def event_as_dict(event: AuditEvent) -> dict[str, Any]:
    """The event as published in ``audit_log.jsonl``: the seven fields plus ``hash``."""
    return {
        "seq": event.seq,
        "at": event.at,
        "actor": event.actor,
        "action": event.action,
        "subject": event.subject,
        "data": json.loads(event.data),
        "prev": event.prev,
        "hash": event.hash,
    }


def chain_events(chain: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.chain == chain).order_by(AuditEvent.seq)
        )
    )


def verify_stored_chain(chain: str) -> ChainCheck:
    """Check a stored chain; the result names the first altered, missing or reordered event."""
    return check_chain(event_as_dict(e) for e in chain_events(chain))
