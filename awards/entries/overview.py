"""The organiser's view of every department's entry (SPEC 5.1, 5.7)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from awards.entries import clock
from awards.entries.deadline import Deadline, department_deadline, extensions_by_department
from awards.extensions import db
from awards.models import Campaign, Department, Entry

# Entry states as the organiser sees them.
STATES = ("none", "draft", "returned", "submitted", "grace")


@dataclass(frozen=True)
class EntryRow:
    department: Department
    entry: Entry | None
    state: str
    deadline: Deadline
    window: str


def entry_state(entry: Entry | None) -> str:
    """``none``, ``draft``, ``returned`` (a draft sent back), ``submitted`` or ``grace``
    (submitted in the grace period)."""
    if entry is None:
        return "none"
    if entry.status == "submitted":
        return "grace" if entry.submitted_in_grace else "submitted"
    return "returned" if entry.returned_reason else "draft"


def entries_overview(campaign: Campaign) -> list[EntryRow]:
    """One row per department of the campaign, in code order (two queries)."""
    entries = {e.department_id: e for e in db.session.scalars(
        select(Entry).where(Entry.campaign_id == campaign.id))}
    extensions = extensions_by_department(campaign)
    now = clock.now()
    rows = []
    for department in campaign.departments:
        entry = entries.get(department.id)
        deadline = department_deadline(campaign, department,
                                       extension=extensions.get(department.id))
        rows.append(EntryRow(department, entry, entry_state(entry), deadline,
                             deadline.state(campaign, now)))
    return rows


def state_counts(rows: list[EntryRow]) -> dict[str, int]:
    counts = dict.fromkeys(STATES, 0)
    for row in rows:
        counts[row.state] += 1
    return counts
