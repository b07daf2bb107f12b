"""The immutable snapshot an entry freezes when it is submitted (SPEC 5.1), in the format
``awards-entry/1`` shared with the judges' pack and judging: a dict serialised as canonical
JSON (SPEC 7), stored with its SHA-256. Readers use :func:`entry_snapshot`, never the live
draft."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from awards.audit.chain import canonical_json
from awards.models import Campaign, Category, Criterion, Department, Entry

FORMAT = "awards-entry/1"


def snapshot_time(at: datetime) -> str:
    """``2026-10-01T08:00:00Z``: UTC to the second, as in the snapshot."""
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def build_snapshot(entry: Entry, *, campaign: Campaign, department: Department,
                   category: Category, criteria: list[Criterion], submitted_at: datetime,
                   grace: bool) -> dict[str, Any]:
    """The snapshot dict of ``entry`` as it stands: sections in the criteria's display order,
    pledges in table order, attachments in upload order. Texts are plain text."""
    bodies = {section.criterion_id: section.body for section in entry.sections}
    return {
        "format": FORMAT,
        "campaign": campaign.slug,
        "department": {"code": department.code, "name_en": department.name_en,
                       "name_zh": department.name_zh},
        "category": category.code,
        "title": entry.title,
        "summary": entry.summary,
        "sections": [{"criterion": c.code, "name_en": c.name_en, "name_zh": c.name_zh,
                      "body": bodies.get(c.id, "")} for c in criteria],
        "pledges": [{"service": p.service, "target": p.target, "achieved": p.achieved}
                    for p in sorted(entry.pledges, key=lambda p: p.position)],
        "contact": {"name": entry.contact_name, "email": entry.contact_email,
                    "phone": entry.contact_phone},
        "attachments": [{"filename": a.filename, "sha256": a.sha256,
                         "content_type": a.content_type, "size": a.size}
                        for a in sorted(entry.attachments, key=lambda a: (a.position, a.id))],
        "submitted_at": snapshot_time(submitted_at),
        "grace": bool(grace),
    }


def serialise(snapshot: dict[str, Any]) -> tuple[str, str]:
    """``(canonical JSON, SHA-256 hex of its UTF-8 bytes)``."""
    text = canonical_json(snapshot)
    return text, hashlib.sha256(text.encode("utf-8")).hexdigest()


def entry_snapshot(entry: Entry) -> dict[str, Any] | None:
    """The entry's submitted snapshot, parsed; None when it has none (a draft)."""
    if not entry.snapshot:
        return None
    return json.loads(entry.snapshot)


def snapshot_intact(entry: Entry) -> bool:
    """Whether the stored snapshot still hashes to the stored SHA-256."""
    if not entry.snapshot or not entry.snapshot_sha256:
        return False
    return hashlib.sha256(entry.snapshot.encode("utf-8")).hexdigest() == entry.snapshot_sha256
