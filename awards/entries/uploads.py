"""Attachments of a department's entry (SPEC 5.1, 5.7): add one to a draft, remove one, and
find a file someone may download.

Adding checks the entry's own rules first (a draft, before its deadline, fewer than
``ENTRY_MAX_ATTACHMENTS``), then the file (:func:`awards.entries.attachments.inspect_upload`),
and only then stores it and writes its row and audit event, so a refusal leaves nothing
behind: no file on disk, no row. The bytes are kept once per SHA-256 and never deleted when
a row is removed: the same file may belong to another entry, and the audit log (and any
snapshot that listed it) names it by its hash.

Downloads are found by hash only among the files that belong to the departments the reader
may see (the caller decides which, :mod:`awards.web.departments.attachment_routes`): never
just because a file with that hash exists on disk.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select, update

from awards.audit.service import current_actor, record
from awards.entries import clock
from awards.entries.attachments import inspect_upload, store, stored_path
from awards.entries.deadline import CLOSED, window
from awards.entries.services import entry_category, find_entry
from awards.entries.snapshots import entry_snapshot
from awards.exceptions import AttachmentRefused, EntryConflict, LifecycleError, NotFound
from awards.extensions import db
from awards.models import AuditEvent, Attachment, Campaign, Department, Entry

DEFAULT_MAX_ATTACHMENTS = 10
ADDED_ACTION = "attachment_added"
REMOVED_ACTION = "attachment_removed"


def max_attachments() -> int:
    """Attachments allowed per entry: ``ENTRY_MAX_ATTACHMENTS`` (default 10, SPEC 5.1)."""
    return int(current_app.config.get("ENTRY_MAX_ATTACHMENTS", DEFAULT_MAX_ATTACHMENTS))


def _writable_draft(campaign: Campaign, department: Department) -> Entry | None:
    """The department's draft while it may change, or None when there is no entry yet.

    Raises
    ------
    EntryConflict
        409 ``entry.submitted`` once the entry is submitted.
    LifecycleError
        409 ``entry.closed`` after the deadline and its grace period.
    """
    entry = find_entry(campaign, department)
    if entry is not None and entry.status != "draft":
        raise EntryConflict("the entry has been submitted; it can no longer change",
                            code="entry.submitted")
    _deadline, state = window(campaign, department)
    if state == CLOSED:
        raise LifecycleError(f"entries for '{campaign.slug}' are closed for {department.code}: "
                             "the entry can no longer change", code="entry.closed",
                             department=department.code)
    return entry


def _hold_draft(entry: Entry) -> None:
    """Lock the entry's row while it is still a draft (a submit in between wins, and this
    answers 409). The version is left alone: attachments are not part of the texts an
    autosave compares, so an open page keeps saving."""
    held = db.session.execute(
        update(Entry).where(Entry.id == entry.id, Entry.status == "draft")
        .values(updated_at=clock.now()).execution_options(synchronize_session=False)).rowcount
    if held != 1:
        raise EntryConflict("the entry has been submitted; it can no longer change",
                            code="entry.submitted")


def _new_entry(campaign: Campaign, department: Department, actor: str) -> Entry:
    """A first attachment before any text was saved starts the entry (version 0, as a page
    that has never saved holds)."""
    entry = Entry(campaign_id=campaign.id, department_id=department.id,
                  category_id=entry_category(campaign).id, version=0, updated_by=actor)
    db.session.add(entry)
    db.session.flush()
    record("entry_started", department.code, {"category": entry_category(campaign).code},
           chain=campaign.slug, actor=actor)
    return entry


def add_attachment(campaign: Campaign, department: Department, data: bytes, filename: str,
                   *, actor: str | None = None) -> Attachment:
    """Check and attach one uploaded file to the department's draft, at the end.

    Raises
    ------
    EntryConflict, LifecycleError
        409: the entry is submitted, or its deadline has passed.
    AttachmentRefused
        ``attachment.too_many`` (422, params ``limit``); ``attachment.duplicate`` (422,
        param ``name``); and every refusal of :func:`inspect_upload`.

    Nothing is stored when any of these is raised.
    """
    actor = actor or current_actor()
    entry = _writable_draft(campaign, department)
    rows = list(entry.attachments) if entry is not None else []
    limit = max_attachments()
    if len(rows) >= limit:
        raise AttachmentRefused(f"an entry has at most {limit} attachments; remove one "
                                "before adding another", code="attachment.too_many",
                                status=422, limit=limit)
    checked = inspect_upload(data, filename)
    same = next((row for row in rows if row.sha256 == checked.sha256), None)
    if same is not None:
        raise AttachmentRefused(f"this file is already attached, as {same.filename}",
                                code="attachment.duplicate", status=422, name=same.filename)
    if entry is None:
        entry = _new_entry(campaign, department, actor)
    _hold_draft(entry)
    position = db.session.scalar(select(func.coalesce(func.max(Attachment.position), -1))
                                 .where(Attachment.entry_id == entry.id)) + 1
    path = stored_path_if_any(checked.sha256)
    written = store(checked)
    try:
        row = Attachment(entry_id=entry.id, filename=checked.filename,
                         content_type=checked.content_type, size=checked.size,
                         sha256=checked.sha256, position=position, uploaded_by=actor,
                         uploaded_at=clock.now())
        db.session.add(row)
        record(ADDED_ACTION, department.code,
               {"filename": checked.filename, "sha256": checked.sha256,
                "content_type": checked.content_type, "size": checked.size,
                "category": entry_category(campaign).code}, chain=campaign.slug, actor=actor)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        if path is None:  # this upload wrote the file: leave nothing behind
            written.unlink(missing_ok=True)
        raise
    return row


def stored_path_if_any(sha256: str) -> Path | None:
    try:
        return stored_path(sha256)
    except NotFound:
        return None


def remove_attachment(campaign: Campaign, department: Department, sha256: str, *,
                      actor: str | None = None) -> Attachment:
    """Remove one attachment from the department's draft (its file stays stored: see the
    module's notes).

    Raises
    ------
    EntryConflict, LifecycleError
        409: the entry is submitted, or its deadline has passed.
    NotFound
        ``attachment.not_found``: the draft has no attachment with that hash.
    """
    actor = actor or current_actor()
    entry = _writable_draft(campaign, department)
    row = next((a for a in entry.attachments if a.sha256 == sha256), None) if entry else None
    if row is None:
        raise NotFound("no such attachment", code="attachment.not_found")
    _hold_draft(entry)
    db.session.delete(row)
    record(REMOVED_ACTION, department.code,
           {"filename": row.filename, "sha256": row.sha256,
            "category": entry_category(campaign).code}, chain=campaign.slug, actor=actor)
    db.session.commit()
    return row


# --------------------------------------------------------------------------- downloads


@dataclass(frozen=True)
class Download:
    """A file someone may download: where it is stored and how to name and type it."""

    path: Path
    filename: str
    content_type: str


def find_download(campaign: Campaign, departments: list[Department], sha256: str, *,
                  snapshots_only: bool = False) -> Download:
    """The file ``sha256`` if it belongs to an entry of one of ``departments`` in
    ``campaign``: listed in its submitted snapshot, attached to its draft now, or (unless
    ``snapshots_only``, the judges' rule: they read snapshots only) ever attached to it
    according to the campaign's audit log, so that a file a withdrawn snapshot listed stays
    readable to its department and the secretariat.

    Raises
    ------
    NotFound
        ``attachment.not_found`` for anything else, including a file that is stored for
        another department or campaign only.
    """
    path = stored_path(sha256)  # NotFound for a malformed hash or no stored file
    if not departments:
        raise _not_found()
    ids = {d.id: d for d in departments}
    entries = db.session.scalars(select(Entry).where(
        Entry.campaign_id == campaign.id, Entry.department_id.in_(ids))
        .order_by(Entry.department_id, Entry.category_id)).all()
    for entry in entries:
        for item in (entry_snapshot(entry) or {}).get("attachments", []):
            if item.get("sha256") == sha256:
                return Download(path, item["filename"], item["content_type"])
    if snapshots_only:
        raise _not_found()
    row = db.session.scalar(select(Attachment).where(
        Attachment.entry_id.in_([e.id for e in entries]), Attachment.sha256 == sha256)
        .order_by(Attachment.id).limit(1)) if entries else None
    if row is not None:
        return Download(path, row.filename, row.content_type)
    codes = [d.code for d in departments]
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.chain == campaign.slug, AuditEvent.action == ADDED_ACTION,
        AuditEvent.subject.in_(codes), AuditEvent.data.contains(sha256))
        .order_by(AuditEvent.seq)).all()
    for event in events:
        data = json.loads(event.data)
        if data.get("sha256") == sha256:
            return Download(path, data["filename"], data["content_type"])
    raise _not_found()


def _not_found() -> NotFound:
    return NotFound("no such attachment", code="attachment.not_found")
