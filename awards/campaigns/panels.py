"""What judges and department coordinators see on their home pages, each in a fixed
number of queries however many campaigns there are."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from awards.extensions import db
from awards.models import Assignment, Campaign, Conflict, Department, Entry, Judge, Scorecard


@dataclass(frozen=True)
class PanelSummary:
    """One campaign a judge sits on, with their assignment and scorecard counts."""

    campaign: Campaign
    assigned: int
    submitted: int
    conflicts: int


def _count(model, *where):
    """A correlated ``COUNT(*)`` subquery for one judge row."""
    return select(func.count()).select_from(model).where(*where).scalar_subquery()


def judge_panels(user_id: int) -> list[PanelSummary]:
    """The panels this user sits on, newest campaign first (one query)."""
    rows = db.session.execute(
        select(Campaign,
               _count(Assignment, Assignment.judge_id == Judge.id),
               _count(Scorecard, Scorecard.judge_id == Judge.id,
                      Scorecard.status == "submitted"),
               _count(Conflict, Conflict.judge_id == Judge.id))
        .join(Judge, Judge.campaign_id == Campaign.id)
        .where(Judge.user_id == user_id)
        .order_by(Campaign.created_at.desc())
    ).all()
    return [PanelSummary(campaign, assigned or 0, submitted or 0, conflicts or 0)
            for campaign, assigned, submitted, conflicts in rows]


def department_campaigns(department_code: str | None
                         ) -> tuple[list[tuple[Campaign, Department]], dict[int, Entry]]:
    """The coordinator's department in each campaign past its draft, newest first, and the
    department's entry by department id; nothing of other departments (two queries)."""
    rows = [tuple(row) for row in db.session.execute(
        select(Campaign, Department)
        .join(Department, Department.campaign_id == Campaign.id)
        .where(Department.code == department_code, Campaign.state != "draft")
        .order_by(Campaign.created_at.desc())
    ).all()]
    ids = [department.id for _campaign, department in rows]
    entries = {entry.department_id: entry for entry in db.session.scalars(
        select(Entry).where(Entry.department_id.in_(ids)))} if ids else {}
    return rows, entries
