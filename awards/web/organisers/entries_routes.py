"""Organiser pages for entries (SPEC 5.1, 5.7): every department's state, eligibility with
reasons, each submitted snapshot, return for amendment, deadline extensions and the entry
deadline itself. Bulk eligibility applies to each entry in turn, one audit event each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from awards.campaigns.services import rollback_use_case
from awards.entries import clock
from awards.entries.overview import entries_overview, state_counts
from awards.entries.pack import eligible_snapshots, pack_jobs
from awards.entries.services import (
    department_of,
    extend_deadline,
    find_entry,
    return_for_amendment,
    set_eligibility,
    set_entry_deadline,
)
from awards.entries.snapshots import entry_snapshot, snapshot_intact
from awards.exceptions import AwardsError
from awards.jobs import waiting_long
from awards.tasks import start_judges_pack
from awards.web.access import campaign_or_404, roles
from awards.web.departments.routes import hong_kong_time as hktime
from awards.web.forms import EmptyForm
from awards.web.messages import describe
from awards.web.organisers import bp

HONG_KONG = timezone(timedelta(hours=8))
ENTRY_STATES = {
    "none": _l("No entry"),
    "draft": _l("Draft"),
    "returned": _l("Returned for amendment"),
    "submitted": _l("Submitted"),
    "grace": _l("Submitted in the grace period"),
}


@bp.app_template_filter("entry_state")
def entry_state_label(state: str) -> str:
    return str(ENTRY_STATES.get(state, state))


def _back(slug: str):
    return redirect(url_for(".entries", slug=slug), code=303)


def _department(campaign, code: str):
    department = department_of(campaign, code)
    if department is None:
        abort(404)
    return department


def _checked() -> None:
    if not EmptyForm().validate_on_submit():
        abort(400)


def _hong_kong_time(value: str) -> datetime | None:
    """A ``datetime-local`` field, typed in Hong Kong time, as UTC; None when empty."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        local = datetime.fromisoformat(value)
    except ValueError:
        return None
    if local.tzinfo is None:
        local = local.replace(tzinfo=HONG_KONG)
    return local.astimezone(UTC)


@bp.route("/c/<slug>/entries")
@roles("organiser", "auditor")
def entries(slug: str):
    campaign = campaign_or_404(slug)
    rows = entries_overview(campaign)
    jobs = pack_jobs(campaign) if current_user.role == "organiser" else []
    return render_template("organisers/entries.html", campaign=campaign, rows=rows,
                           counts=state_counts(rows), form=EmptyForm(), hong_kong=HONG_KONG,
                           jobs=jobs, waiting_long=waiting_long,
                           reopen_default=reopen_default(clock.now()),
                           eligible=sum(1 for row in rows if row.entry is not None
                                        and row.entry.eligibility == "eligible"))


@bp.route("/c/<slug>/entries/pack", methods=["POST"])
@roles("organiser")
def entries_pack(slug: str):
    """Queue the judges' pack of the eligible entries (SPEC 5.1); the entries page shows
    its progress and then the download. Refused, with the reason, when nothing is eligible."""
    campaign = campaign_or_404(slug)
    _checked()
    try:
        count = len(eligible_snapshots(campaign))
    except AwardsError as exc:
        flash(describe(exc), "error")
        return _back(slug)
    name = f"judges-pack-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.pdf"
    start_judges_pack(campaign, name, count, current_user.username)
    flash(ngettext("The judges' pack of %(num)s eligible entry is being prepared.",
                   "The judges' pack of %(num)s eligible entries is being prepared.", count),
          "success")
    return redirect(url_for(".entries", slug=slug, _anchor="judges-pack"), code=303)


@bp.route("/c/<slug>/entries/<code>")
@roles("organiser", "auditor")
def entry_view(slug: str, code: str):
    """The read view of a department's submitted snapshot (never the live draft)."""
    campaign = campaign_or_404(slug)
    department = _department(campaign, code)
    entry = find_entry(campaign, department)
    snapshot = entry_snapshot(entry) if entry else None
    if snapshot is None:
        abort(404)
    return render_template("organisers/entry_snapshot.html", campaign=campaign,
                           department=department, entry=entry, snapshot=snapshot,
                           intact=snapshot_intact(entry))


def _apply(slug: str, action, success: str):
    try:
        action()
    except AwardsError as exc:
        rollback_use_case()
        flash(describe(exc), "error")
    else:
        flash(success, "success")
    return _back(slug)


@bp.route("/c/<slug>/entries/<code>/eligibility", methods=["POST"])
@roles("organiser")
def entry_eligibility(slug: str, code: str):
    campaign = campaign_or_404(slug)
    department = _department(campaign, code)
    _checked()
    return _apply(slug, lambda: set_eligibility(
        campaign, [department], request.form.get("eligibility", ""),
        request.form.get("reason", "")), _("Eligibility recorded."))


@bp.route("/c/<slug>/entries/eligibility", methods=["POST"])
@roles("organiser")
def entries_bulk_eligibility(slug: str):
    """The same eligibility for the ticked departments: one audit event per entry, all or
    nothing."""
    campaign = campaign_or_404(slug)
    _checked()
    departments = [_department(campaign, code) for code in request.form.getlist("department")]
    if not departments:
        flash(_("Tick at least one department."), "error")
        return _back(slug)
    return _apply(slug, lambda: set_eligibility(
        campaign, departments, request.form.get("eligibility", ""),
        request.form.get("reason", "")),
        _("Eligibility recorded for %(n)s entries.", n=len(departments)))


@bp.route("/c/<slug>/entries/<code>/return", methods=["POST"])
@roles("organiser")
def entry_return(slug: str, code: str):
    """Return a submitted entry for amendment. When the department's window is closed the
    form also gives the time until which it reopens (an extension with the same reason)."""
    campaign = campaign_or_404(slug)
    department = _department(campaign, code)
    _checked()
    raw = request.form.get("reopen_until", "")
    reopen_until = _hong_kong_time(raw)
    if raw.strip() and reopen_until is None:
        flash(_("Give the new deadline as a date and time."), "error")
        return _back(slug)
    try:
        return_for_amendment(campaign, department, request.form.get("reason", ""),
                             reopen_until=reopen_until)
    except AwardsError as exc:
        rollback_use_case()
        flash(describe(exc), "error")
        return _back(slug)
    if reopen_until is None:
        flash(_("The entry is returned for amendment."), "success")
    else:
        flash(_("The entry is returned for amendment; %(department)s may amend and submit it "
                "until %(time)s.", department=code, time=hktime(reopen_until)),
              "success")
    return _back(slug)


def reopen_default(now: datetime) -> str:
    """The return form's suggested reopening time: three days on, at 18:00 Hong Kong time,
    as a ``datetime-local`` value."""
    day = (now.astimezone(HONG_KONG) + timedelta(days=3)).date()
    return f"{day.isoformat()}T18:00"


@bp.route("/c/<slug>/entries/<code>/extension", methods=["POST"])
@roles("organiser")
def entry_extension(slug: str, code: str):
    campaign = campaign_or_404(slug)
    department = _department(campaign, code)
    _checked()
    until = _hong_kong_time(request.form.get("until", ""))
    if until is None:
        flash(_("Give the new deadline as a date and time."), "error")
        return _back(slug)
    return _apply(slug, lambda: extend_deadline(campaign, department, until,
                                                request.form.get("reason", "")),
                  _("The deadline is extended."))


@bp.route("/c/<slug>/entries/deadline", methods=["POST"])
@roles("organiser")
def entries_deadline(slug: str):
    campaign = campaign_or_404(slug)
    _checked()
    raw = request.form.get("entries_close_at", "")
    close_at = _hong_kong_time(raw)
    if raw.strip() and close_at is None:
        flash(_("Give the new deadline as a date and time."), "error")
        return _back(slug)
    grace = request.form.get("grace_minutes", "0").strip() or "0"
    if not grace.isdigit():
        flash(_("The grace period is a whole number of minutes."), "error")
        return _back(slug)
    return _apply(slug, lambda: set_entry_deadline(campaign, close_at, int(grace)),
                  _("The entry deadline is saved."))
