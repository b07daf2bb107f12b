"""One page of a chain's audit log for reading: filtered by action and actor, newest
first, with the choices for the filters and the chain's check."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from awards.audit.chain import ChainCheck
from awards.audit.service import verify_stored_chain
from awards.extensions import db
from awards.models import AuditEvent

PAGE_SIZE = 50


@dataclass(frozen=True)
class LogPage:
    """The events of one page and what the page shows around them."""

    events: list[AuditEvent]
    page: int
    pages: int
    total: int
    actions: list[str]
    actors: list[str]
    chain: ChainCheck
    filters: dict[str, str] = field(default_factory=dict)


def _distinct(column, chain: str) -> list[str]:
    return list(db.session.scalars(select(column).where(AuditEvent.chain == chain)
                                   .distinct().order_by(column)))


def log_page(chain: str, *, action: str = "", actor: str = "", page: int = 1,
             page_size: int = PAGE_SIZE) -> LogPage:
    """Page ``page`` (clamped to 1..last) of ``chain``'s events matching ``action`` and
    ``actor`` (each ignored when empty), newest first."""
    query = select(AuditEvent).where(AuditEvent.chain == chain)
    if action:
        query = query.where(AuditEvent.action == action)
    if actor:
        query = query.where(AuditEvent.actor == actor)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max((total + page_size - 1) // page_size, 1)
    page = min(max(page, 1), pages)
    events = list(db.session.scalars(query.order_by(AuditEvent.seq.desc())
                                     .offset((page - 1) * page_size).limit(page_size)))
    return LogPage(events=events, page=page, pages=pages, total=total,
                   actions=_distinct(AuditEvent.action, chain),
                   actors=_distinct(AuditEvent.actor, chain),
                   chain=verify_stored_chain(chain),
                   filters={k: v for k, v in (("action", action), ("actor", actor)) if v})
