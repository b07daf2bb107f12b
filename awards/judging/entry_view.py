"""What a judge reads beside the scorecard: the department's submitted entry snapshots
(SPEC 5.1: judges read the snapshot, never the live draft). Without an entry (a campaign
with ``entries_required = false``, or none submitted) there is nothing to show."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from awards.extensions import db
from awards.models import Department, Entry


def department_snapshots(department: Department) -> list[dict[str, Any]]:
    """The parsed snapshots of the department's submitted entries, one per category."""
    entries = db.session.scalars(select(Entry).where(
        Entry.department_id == department.id, Entry.status == "submitted")
        .order_by(Entry.category_id)).all()
    snapshots = []
    for entry in entries:
        snapshot = _snapshot(entry)
        if snapshot is not None:
            snapshots.append(snapshot)
    return snapshots


def _snapshot(entry: Entry) -> dict[str, Any] | None:
    """The entry's frozen snapshot: the canonical JSON stored at submission (SPEC 5.1;
    the same text ``awards.entries.snapshots.entry_snapshot`` parses)."""
    text = getattr(entry, "snapshot", None)
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None
