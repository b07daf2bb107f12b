"""Recording and checking audit events. Every state change in the application calls
:func:`record`; nothing updates or deletes an event."""

from __future__ import annotations

import json
from typing import Any

from flask import has_request_context
from flask_login import current_user
from sqlalchemy import select, text

from ..extensions import db
from ..models import AuditEvent
from ..models.audit import SYSTEM_CHAIN
from ..models.base import utcnow
from .chain import GENESIS, ChainCheck, canonical_json, check_chain, event_hash


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


# --------------------------------------------------------------------------- who sees what

#: Events whose data speaks of a result version (its finalists, best public image, inputs
#: digest, or that it was exported). Before that version is public, only organisers read it.
RESULTS_ACTIONS = frozenset({"results_computed", "results_exported"})


def disclosed_version(campaign) -> int:
    """The newest result version the public may know of: the current published version's
    number, or 0 before publication (SPEC 9: results hidden before publication). Versions
    up to it are in the published bundle's audit log; later ones are pending corrections."""
    from .publish import current_published

    version = current_published(campaign)
    return version.version if version is not None else 0


def withholds_data(action: str, data: str, disclosed: int) -> bool:
    """Whether a non-organiser must not read this event's data: a results event about a
    version newer than ``disclosed`` (or one that does not say which version).

    The event itself (its number, time, actor, action and hash) stays visible, so the chain
    can still be followed; its data could reveal results before they are published.
    """
    if action not in RESULTS_ACTIONS:
        return False
    try:
        version = json.loads(data).get("version")
    except (ValueError, AttributeError):
        return True
    return not isinstance(version, int) or isinstance(version, bool) or version > disclosed


def withheld_seqs(events, campaign, *, sees_everything: bool) -> set[int]:
    """Sequence numbers among ``events`` whose data is withheld from the viewer
    (none for organisers)."""
    if sees_everything:
        return set()
    disclosed = disclosed_version(campaign)
    return {e.seq for e in events if withholds_data(e.action, e.data, disclosed)}


def published_chain_events(chain: str, disclosed: int) -> list[AuditEvent]:
    """The chain as far as it may be published with result version ``disclosed``: every
    event before the first results event about a later, unpublished version (a pending
    correction). A prefix of a chain is still a whole chain from the genesis, so the bundle
    verifies; the rest is published with the correction."""
    events = chain_events(chain)
    for index, event in enumerate(events):
        if withholds_data(event.action, event.data, disclosed):
            return events[:index]
    return events
