"""Entry use cases (SPEC 5.1): save a draft, submit, return for amendment, eligibility,
deadlines and extensions. Each raises a domain exception with a code
(:mod:`awards.exceptions`) and records every transition in the campaign's audit chain; the
caller's transaction is committed here when the use case succeeds."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from awards.audit.service import current_actor, record
from awards.campaigns.services import refuse
from awards.entries import clock
from awards.entries.deadline import CLOSED, GRACE, window
from awards.entries.drafts import EntryTexts
from awards.entries.snapshots import build_snapshot, serialise, snapshot_time
from awards.exceptions import EntryConflict, EntryIncomplete, EntryInputError, LifecycleError
from awards.extensions import db
from awards.models import (
    Campaign,
    Category,
    Criterion,
    DeadlineExtension,
    Department,
    Entry,
    EntrySection,
    Pledge,
)

REASON_LIMIT = 2000
MAX_GRACE_MINUTES = 7 * 24 * 60


def preliminary_criteria(campaign: Campaign) -> list[Criterion]:
    """The criteria an entry writes one narrative for, in display order."""
    return [c for c in campaign.criteria if c.round == "preliminary"]


def department_of(campaign: Campaign, code: str | None) -> Department | None:
    return next((d for d in campaign.departments if d.code == code), None)


def entry_category(campaign: Campaign) -> Category:
    """The category entries are written in (SPEC 5.1: one by default, "overall service")."""
    return campaign.categories[0]


def find_entry(campaign: Campaign, department: Department) -> Entry | None:
    return db.session.scalar(select(Entry).where(
        Entry.campaign_id == campaign.id, Entry.department_id == department.id,
        Entry.category_id == entry_category(campaign).id))


def entry_texts(entry: Entry | None, criteria: list[Criterion]) -> EntryTexts:
    """The texts stored now (empty for no entry)."""
    if entry is None:
        return EntryTexts(sections={c.code: "" for c in criteria})
    bodies = {s.criterion_id: s.body for s in entry.sections}
    return EntryTexts(
        title=entry.title, summary=entry.summary,
        sections={c.code: bodies.get(c.id, "") for c in criteria},
        pledges=[(p.service, p.target, p.achieved)
                 for p in sorted(entry.pledges, key=lambda p: p.position)],
        contact_name=entry.contact_name, contact_email=entry.contact_email,
        contact_phone=entry.contact_phone)


def _current(entry: Entry, criteria: list[Criterion]) -> dict[str, Any]:
    """The server's copy for a 409 answer, read afresh from the database."""
    db.session.expire(entry)
    current = entry_texts(entry, criteria).as_dict()
    current.update(version=entry.version, status=entry.status, updated_by=entry.updated_by,
                   updated_at=entry.updated_at)
    return current


def _closed(campaign: Campaign, department: Department) -> LifecycleError:
    return LifecycleError(f"entries for '{campaign.slug}' are closed for {department.code}: "
                          "the entry can no longer change", code="entry.closed",
                          department=department.code)


def _stale(entry: Entry, criteria: list[Criterion]) -> EntryConflict:
    current = _current(entry, criteria)
    if current["status"] == "submitted":
        return EntryConflict("the entry has been submitted; it can no longer change",
                             code="entry.submitted", current=current)
    return EntryConflict("the entry was saved by someone else meanwhile (version "
                         f"{current['version']}); nothing of yours was saved",
                         code="entry.stale", current=current, version=current["version"],
                         by=current["updated_by"] or "")


def _write_draft(campaign: Campaign, department: Department, texts: EntryTexts,
                 version: int, actor: str) -> Entry:
    """Compare-and-swap the draft (``UPDATE … WHERE version = :v``) without committing."""
    criteria = preliminary_criteria(campaign)
    _deadline, state = window(campaign, department)
    entry = find_entry(campaign, department)
    if entry is not None and entry.status != "draft":
        raise _stale(entry, criteria)
    if state == CLOSED:
        raise _closed(campaign, department)
    if entry is None:
        if version != 0:
            raise EntryConflict("the entry no longer exists; reload the page",
                                code="entry.gone")
        entry = Entry(campaign_id=campaign.id, department_id=department.id,
                      category_id=entry_category(campaign).id, version=0, updated_by=actor)
        db.session.add(entry)
        try:
            db.session.flush()
        except IntegrityError:  # another first save of this entry won the race
            db.session.rollback()
            entry = find_entry(campaign, department)
            raise _stale(entry, criteria) from None
        record("entry_started", department.code, {"category": entry_category(campaign).code},
               chain=campaign.slug, actor=actor)
    now = clock.now()
    changed = db.session.execute(
        update(Entry)
        .where(Entry.id == entry.id, Entry.version == version, Entry.status == "draft")
        .values(title=texts.title, summary=texts.summary, contact_name=texts.contact_name,
                contact_email=texts.contact_email, contact_phone=texts.contact_phone,
                version=Entry.version + 1, updated_by=actor, updated_at=now)
        .execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        raise _stale(entry, criteria)
    by_code = {c.code: c.id for c in criteria}
    db.session.execute(delete(EntrySection).where(EntrySection.entry_id == entry.id))
    db.session.execute(delete(Pledge).where(Pledge.entry_id == entry.id))
    db.session.add_all(EntrySection(entry_id=entry.id, criterion_id=by_code[code], body=body)
                       for code, body in texts.sections.items() if code in by_code)
    db.session.add_all(Pledge(entry_id=entry.id, position=i, service=s, target=t, achieved=a)
                       for i, (s, t, a) in enumerate(texts.pledges))
    db.session.flush()
    db.session.expire(entry)
    return entry


def save_draft(campaign: Campaign, department: Department, texts: EntryTexts, version: int,
               *, actor: str | None = None) -> Entry:
    """Save the department's draft if nobody saved it since ``version`` (0: no entry yet).

    Raises
    ------
    EntryConflict
        409: another save came first (``current`` carries the server's texts), or the entry
        is submitted. Nothing is written.
    LifecycleError
        409: the deadline and its grace period have passed (``entry.closed``).
    """
    entry = _write_draft(campaign, department, texts, version, actor or current_actor())
    db.session.commit()
    return entry


def missing_parts(entry: Entry | None, criteria: list[Criterion]
                  ) -> list[tuple[str, dict[str, Any]]]:
    """What a submission still lacks (SPEC 5.1), as ``(code, params)`` in page order."""
    texts = entry_texts(entry, criteria)
    missing: list[tuple[str, dict[str, Any]]] = []
    if not texts.title.strip():
        missing.append(("missing.title", {}))
    if not texts.summary.strip():
        missing.append(("missing.summary", {}))
    for criterion in criteria:
        if not texts.sections.get(criterion.code, "").strip():
            missing.append(("missing.section", {"criterion": criterion.code,
                                                "name_en": criterion.name_en,
                                                "name_zh": criterion.name_zh}))
    if not any(service.strip() and target.strip() and achieved.strip()
               for service, target, achieved in texts.pledges):
        missing.append(("missing.pledge", {}))
    for part in ("contact_name", "contact_email", "contact_phone"):
        if not getattr(texts, part).strip():
            missing.append((f"missing.{part}", {}))
    return missing


def submit_entry(campaign: Campaign, department: Department, *,
                 texts: EntryTexts | None = None, version: int | None = None,
                 actor: str | None = None) -> Entry:
    """Submit the department's entry and freeze its snapshot (SPEC 5.1). With ``texts``
    and ``version`` (the page's submit button) the draft is saved first, in the same
    transaction. Inside the grace period the submission is accepted and marked.

    Raises
    ------
    EntryIncomplete
        422 listing what is missing; nothing is submitted (a draft save with it is kept
        back too, as the whole use case is rolled back).
    EntryConflict
        409 for a stale ``version`` or an entry already submitted.
    LifecycleError
        409 after the deadline and its grace period.
    """
    actor = actor or current_actor()
    criteria = preliminary_criteria(campaign)
    if texts is not None and version is not None:
        _write_draft(campaign, department, texts, version, actor)
    entry = find_entry(campaign, department)
    if entry is not None and entry.status != "draft":
        raise _stale(entry, criteria)
    _deadline, state = window(campaign, department)
    if state == CLOSED:
        raise _closed(campaign, department)
    if version is not None and entry is not None and texts is None and entry.version != version:
        raise _stale(entry, criteria)
    missing = missing_parts(entry, criteria)
    if missing:
        raise EntryIncomplete(f"the entry is incomplete: {len(missing)} part(s) missing",
                              missing, code="entry.incomplete", count=len(missing))
    submitted_at = clock.now().replace(microsecond=0)
    grace = state == GRACE
    snapshot = build_snapshot(entry, campaign=campaign, department=department,
                              category=entry_category(campaign), criteria=criteria,
                              submitted_at=submitted_at, grace=grace)
    text, sha256 = serialise(snapshot)
    changed = db.session.execute(
        update(Entry)
        .where(Entry.id == entry.id, Entry.version == entry.version, Entry.status == "draft")
        .values(status="submitted", submitted_at=submitted_at, submitted_in_grace=grace,
                snapshot=text, snapshot_sha256=sha256, returned_reason="",
                version=Entry.version + 1, updated_by=actor, updated_at=submitted_at)
        .execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        raise _stale(entry, criteria)
    record("entry_submitted", department.code,
           {"sha256": sha256, "submitted_at": snapshot["submitted_at"], "grace": grace,
            "category": snapshot["category"]}, chain=campaign.slug, actor=actor)
    db.session.commit()
    db.session.refresh(entry)
    return entry


def _reason(reason: str | None, *, required: bool = True) -> str:
    text = (reason or "").replace("\r\n", "\n").strip()
    if required and not text:
        raise EntryInputError("give the reason", code="entry.reason_needed")
    if len(text) > REASON_LIMIT:
        raise EntryInputError(f"the reason is too long: {len(text):,} characters, at most "
                              f"{REASON_LIMIT:,}", code="entry.reason_too_long",
                              length=f"{len(text):,}", limit=f"{REASON_LIMIT:,}")
    if any(ord(c) < 32 and c not in "\n\t" or ord(c) == 127 for c in text):
        raise EntryInputError("the reason contains a character that is not allowed",
                              code="entry.reason_control")
    return text


def _submitted_entry(campaign: Campaign, department: Department) -> Entry:
    entry = find_entry(campaign, department)
    if entry is None or entry.status != "submitted":
        raise LifecycleError(f"{department.code} has no submitted entry",
                             code="entry.not_submitted", department=department.code)
    return entry


def return_for_amendment(campaign: Campaign, department: Department, reason: str, *,
                         reopen_until: datetime | None = None,
                         actor: str | None = None) -> Entry:
    """An organiser sends a submitted entry back to draft, with a reason. Its snapshot is
    withdrawn (the audit event keeps its SHA-256) and its eligibility is pending again.

    When the department's window is closed (entries closed, or its deadline and grace have
    passed) a returned draft could never be saved or submitted again, so the return also
    reopens the window until ``reopen_until`` (UTC): an extension with the return's reason,
    in the same transaction, audited as ``deadline_extended``. ``reopen_until`` given while
    the window is still open extends it the same way.

    Raises
    ------
    EntryInputError
        Without a reason; the window is closed and no ``reopen_until`` is given; or
        ``reopen_until`` is not in the future. LifecycleError: no submitted entry, or
        judging has begun. Nothing is changed in any of these cases.
    """
    reason = _reason(reason)
    if campaign.state not in ("entries_open", "entries_closed") or campaign.is_frozen:
        raise LifecycleError("entries can be returned for amendment only while entries are "
                             "open or just closed", code="entry.return_phase",
                             state=campaign.state)
    entry = _submitted_entry(campaign, department)
    _deadline, state = window(campaign, department)
    if state == CLOSED and reopen_until is None:
        raise EntryInputError(f"entries are closed for {department.code}: give the time until "
                              "which the department may amend and submit the entry again",
                              code="entry.reopen_needed", department=department.code)
    if reopen_until is not None and reopen_until <= clock.now():
        raise EntryInputError("the new deadline must be in the future",
                              code="entry.extension_past")
    actor = actor or current_actor()
    withdrawn = entry.snapshot_sha256
    entry.status = "draft"
    entry.returned_reason = reason
    entry.snapshot = entry.snapshot_sha256 = entry.submitted_at = None
    entry.submitted_in_grace = False
    entry.eligibility, entry.eligibility_reason = "pending", ""
    entry.version += 1
    entry.updated_by = actor
    record("entry_returned", department.code, {"reason": reason, "sha256": withdrawn},
           chain=campaign.slug, actor=actor)
    if reopen_until is not None:
        _add_extension(campaign, department, reopen_until, reason, actor)
    db.session.commit()
    return entry


def _check_eligibility_allowed(campaign: Campaign, department: Department) -> None:
    if campaign.is_frozen:
        raise refuse(campaign, "eligibility", f"voting has opened: the eligibility of "
                     f"{department.code} is frozen", code="frozen.eligibility",
                     department=department.code)
    if campaign.state not in ("entries_closed", "adjudication"):
        raise LifecycleError("eligibility is set once entries have closed (phase 'Entries "
                             f"closed'); '{campaign.slug}' is in '{campaign.state}'",
                             code="entry.eligibility_phase", slug=campaign.slug,
                             state=campaign.state)


def set_eligibility(campaign: Campaign, departments: list[Department], eligibility: str,
                    reason: str | None, *, actor: str | None = None) -> list[Entry]:
    """Mark the submitted entries of ``departments`` eligible or ineligible (a reason is
    required for ineligible), one audit event per entry, all or nothing.

    Raises
    ------
    EntryInputError
        An unknown value, or no reason for ``ineligible``.
    FrozenError
        Once voting has opened (recorded as a refused change).
    LifecycleError
        Before entries close, or for a department without a submitted entry.
    """
    if eligibility not in ("eligible", "ineligible"):
        raise EntryInputError("choose eligible or ineligible", code="entry.eligibility_value")
    reason = _reason(reason, required=eligibility == "ineligible")
    entries = []
    for department in departments:
        _check_eligibility_allowed(campaign, department)
        entry = (_submitted_entry(campaign, department) if eligibility == "eligible"
                 else find_entry(campaign, department))
        if entry is None:
            raise LifecycleError(f"{department.code} has no entry", code="entry.no_entry",
                                 department=department.code)
        before = entry.eligibility
        entry.eligibility, entry.eligibility_reason = eligibility, reason
        record("eligibility_set", department.code,
               {"from": before, "to": eligibility, "reason": reason,
                "sha256": entry.snapshot_sha256}, chain=campaign.slug, actor=actor)
        entries.append(entry)
    db.session.commit()
    return entries


def extend_deadline(campaign: Campaign, department: Department, close_at: datetime,
                    reason: str, *, actor: str | None = None) -> DeadlineExtension:
    """Extend one department's deadline to ``close_at`` (UTC), with a reason.

    Raises
    ------
    EntryInputError
        Without a reason, or for a time already past.
    LifecycleError
        Outside ``entries_open`` and ``entries_closed``.
    """
    reason = _reason(reason)
    if campaign.state not in ("entries_open", "entries_closed"):
        raise LifecycleError("a deadline can be extended only while entries are open or "
                             "just closed", code="entry.extension_phase", state=campaign.state)
    if close_at <= clock.now():
        raise EntryInputError("the new deadline must be in the future",
                              code="entry.extension_past")
    extension = _add_extension(campaign, department, close_at, reason,
                               actor or current_actor())
    db.session.commit()
    return extension


def _add_extension(campaign: Campaign, department: Department, close_at: datetime,
                   reason: str, actor: str) -> DeadlineExtension:
    """Add the extension and its audit event, without committing."""
    extension = DeadlineExtension(campaign_id=campaign.id, department_id=department.id,
                                  close_at=close_at, reason=reason, created_by=actor)
    db.session.add(extension)
    record("deadline_extended", department.code,
           {"until": snapshot_time(close_at), "reason": reason}, chain=campaign.slug,
           actor=actor)
    return extension


def set_entry_deadline(campaign: Campaign, close_at: datetime | None, grace_minutes: int, *,
                       actor: str | None = None) -> Campaign:
    """Set the campaign's ``entries_close_at`` (UTC) and ``grace_minutes``.

    Raises
    ------
    EntryInputError
        A grace period outside 0..7 days. LifecycleError: once entries have closed.
    """
    if not 0 <= grace_minutes <= MAX_GRACE_MINUTES:
        raise EntryInputError(f"the grace period must be 0 to {MAX_GRACE_MINUTES:,} minutes",
                              code="entry.grace_range", limit=f"{MAX_GRACE_MINUTES:,}")
    if campaign.state not in ("draft", "entries_open"):
        raise LifecycleError("the entry deadline can change only before entries close",
                             code="entry.deadline_phase", state=campaign.state)
    campaign.entries_close_at = close_at
    campaign.grace_minutes = grace_minutes
    record("entry_deadline_set", campaign.slug,
           {"entries_close_at": snapshot_time(close_at) if close_at else None,
            "grace_minutes": grace_minutes}, chain=campaign.slug, actor=actor)
    db.session.commit()
    return campaign


def grace_end(close_at: datetime, grace_minutes: int) -> datetime:
    return close_at + timedelta(minutes=grace_minutes)
