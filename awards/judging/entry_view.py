"""What a judge reads beside the scorecard: the department's submitted entry snapshots
(SPEC 5.1: judges read the snapshot, never the live draft), and which departments' entries a
judge may read at all. Without an entry (a campaign with ``entries_required = false``, or
none submitted) there is nothing to show."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from awards.campaigns.eligibility import eligible_departments
from awards.entries.snapshots import entry_snapshot
from awards.extensions import db
from awards.judging.scorecards import judge_of
from awards.models import Assignment, Campaign, Conflict, Department, Entry


def department_snapshots(department: Department) -> list[dict[str, Any]]:
    """The parsed snapshots of the department's submitted entries, one per category."""
    entries = db.session.scalars(select(Entry).where(
        Entry.department_id == department.id, Entry.status == "submitted")
        .order_by(Entry.category_id)).all()
    snapshots = []
    for entry in entries:
        try:
            snapshot = entry_snapshot(entry)
        except ValueError:  # a damaged snapshot is shown as none, never as a draft
            snapshot = None
        if snapshot is not None:
            snapshots.append(snapshot)
    return snapshots


def readable_departments(campaign: Campaign, user_id: int) -> list[Department]:
    """The departments whose entries the judge ``user_id`` may read (SPEC 5.1 "Who sees an
    entry"): competing (eligible), assigned to the judge in some round, and not
    conflicted. Empty for anyone not on the campaign's panel."""
    judge = judge_of(campaign, user_id)
    if judge is None:
        return []
    assigned = set(db.session.scalars(select(Assignment.department_id).where(
        Assignment.campaign_id == campaign.id, Assignment.judge_id == judge.id)))
    conflicted = set(db.session.scalars(select(Conflict.department_id).where(
        Conflict.judge_id == judge.id)))
    return [d for d in eligible_departments(campaign)
            if d.id in assigned and d.id not in conflicted]
