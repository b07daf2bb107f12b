"""One page of a chain's audit log for reading: filtered by action, actor and day, newest
first, with the choices for the filters and the chain's check."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

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


def log_page(chain: str, *, action: str = "", actor: str = "", since: date | None = None,
             until: date | None = None, page: int = 1,
             page_size: int = PAGE_SIZE) -> LogPage:
    """Page ``page`` (clamped to 1..last) of ``chain``'s events matching ``action`` and
    ``actor`` (each ignored when empty) recorded from day ``since`` to day ``until``
    inclusive (UTC; each ignored when None), newest first."""
    query = select(AuditEvent).where(AuditEvent.chain == chain)
    if action:
        query = query.where(AuditEvent.action == action)
    if actor:
        query = query.where(AuditEvent.actor == actor)
    # ``at`` is ISO 8601 text in UTC (2026-11-23T08:00:00.123456Z): text order is time order.
    if since is not None:
        query = query.where(AuditEvent.at >= since.isoformat())
    if until is not None:
        query = query.where(AuditEvent.at < (until + timedelta(days=1)).isoformat())
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max((total + page_size - 1) // page_size, 1)
    page = min(max(page, 1), pages)
    events = list(db.session.scalars(query.order_by(AuditEvent.seq.desc())
                                     .offset((page - 1) * page_size).limit(page_size)))
    days = (("from", since.isoformat() if since else ""),
            ("to", until.isoformat() if until else ""))
    return LogPage(events=events, page=page, pages=pages, total=total,
                   actions=_distinct(AuditEvent.action, chain),
                   actors=_distinct(AuditEvent.actor, chain),
                   chain=verify_stored_chain(chain),
                   filters={k: v for k, v in (("action", action), ("actor", actor), *days)
                            if v})
