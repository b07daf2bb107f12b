"""Entry deadlines (SPEC 5.1): ``entries_close_at`` plus ``grace_minutes``, or one
department's extension, decided by the server clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from awards.campaigns.services import as_utc
from awards.entries import clock
from awards.extensions import db
from awards.models import Campaign, DeadlineExtension, Department

# Window states: entries written normally, in the grace period (accepted and marked), or not.
OPEN, GRACE, CLOSED = "open", "grace", "closed"


@dataclass(frozen=True)
class Deadline:
    """When a department's entry closes. ``close_at`` None: no deadline is set, entries stay
    open for as long as the campaign is in ``entries_open``."""

    close_at: datetime | None
    grace_ends_at: datetime | None
    extension: DeadlineExtension | None

    def state(self, campaign: Campaign, at: datetime) -> str:
        """``open``, ``grace`` or ``closed`` at ``at``."""
        if campaign.state != "entries_open" and not (
            campaign.state == "entries_closed" and self.extension is not None
        ):
            return CLOSED
        if self.close_at is None:
            return OPEN
        if at < self.close_at:
            return OPEN
        return GRACE if at < self.grace_ends_at else CLOSED

    def seconds_left(self, at: datetime) -> int | None:
        """Seconds from ``at`` to the deadline (0 once passed); None without a deadline."""
        if self.grace_ends_at is None:
            return None
        return max(0, int((self.close_at - at).total_seconds()))

    def grace_seconds_left(self, at: datetime) -> int | None:
        """Seconds from ``at`` to the end of the grace period (0 once passed)."""
        if self.grace_ends_at is None:
            return None
        return max(0, int((self.grace_ends_at - at).total_seconds()))


def latest_extension(campaign: Campaign, department: Department) -> DeadlineExtension | None:
    return db.session.scalar(
        select(DeadlineExtension)
        .where(DeadlineExtension.campaign_id == campaign.id,
               DeadlineExtension.department_id == department.id)
        .order_by(DeadlineExtension.id.desc()).limit(1))


def extensions_by_department(campaign: Campaign) -> dict[int, DeadlineExtension]:
    """The extension in force for each department that has one (one query)."""
    rows = db.session.scalars(select(DeadlineExtension)
                              .where(DeadlineExtension.campaign_id == campaign.id)
                              .order_by(DeadlineExtension.id))
    return {row.department_id: row for row in rows}


def department_deadline(campaign: Campaign, department: Department, *,
                        extension: DeadlineExtension | None | bool = False) -> Deadline:
    """The deadline that applies to ``department``: its newest extension, else the
    campaign's. The grace period applies to either. Pass ``extension`` when it is known."""
    if extension is False:
        extension = latest_extension(campaign, department)
    grace = timedelta(minutes=campaign.grace_minutes or 0)
    close_at = as_utc(extension.close_at) if extension else as_utc(campaign.entries_close_at)
    if close_at is None:
        return Deadline(None, None, extension)
    return Deadline(close_at, close_at + grace, extension)


def window(campaign: Campaign, department: Department) -> tuple[Deadline, str]:
    """The department's deadline and the window state now."""
    deadline = department_deadline(campaign, department)
    return deadline, deadline.state(campaign, clock.now())
