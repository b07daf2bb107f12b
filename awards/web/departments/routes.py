"""The department coordinator's pages: home and the department's entry (SPEC 5.1, 5.7).

The entry page is a plain form that saves with a Save button; htmx saves it while the
coordinator types (``hx-swap="none"``: only the save status and the hidden ``version`` are
replaced, out of band, so nothing typed during a save is overwritten; an error answer goes
to the ``#save-problem`` region, never over the fields). A stale ``version`` answers 409
with both texts on the page; an expired sign-in answers 401 (``sign_in_needed``)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from awards.campaigns.panels import department_campaigns
from awards.campaigns.services import as_utc, rollback_use_case
from awards.entries import clock
from awards.entries.deadline import CLOSED, window
from awards.entries.attachments import MAX_BYTES
from awards.entries.drafts import apply_row_action, parse_entry_form
from awards.entries.services import (
    department_of,
    entry_texts,
    find_entry,
    preliminary_criteria,
    save_draft,
    submit_entry,
)
from awards.entries.snapshots import entry_snapshot
from awards.entries.uploads import max_attachments
from awards.exceptions import AwardsError, EntryConflict, EntryIncomplete, EntryInputError
from awards.web.access import campaign_or_404, roles
from awards.web.departments import bp
from awards.web.fragments import wants_fragment
from awards.web.messages import describe, field_label, missing_part

HONG_KONG = timezone(timedelta(hours=8))
MAX_BLANK_ROWS = 10


@bp.app_template_filter("hktime")
def hong_kong_time(value: datetime | None) -> str:
    """A UTC time as Hong Kong time (UTC+8, no daylight saving), to the minute."""
    if value is None:
        return ""
    return _("%(time)s Hong Kong time",
             time=as_utc(value).astimezone(HONG_KONG).strftime("%Y-%m-%d %H:%M"))


@bp.app_template_filter("time_left")
def time_left(seconds: int) -> str:
    minutes = max(0, seconds) // 60
    days, hours, minutes = minutes // 1440, minutes % 1440 // 60, minutes % 60
    if days:
        return _("%(days)s d %(hours)s h left", days=days, hours=hours)
    return _("%(hours)s h %(minutes)s min left", hours=hours, minutes=minutes)


@bp.route("/")
@roles("coordinator")
def index():
    """The coordinator's department in each campaign and its entries; nothing of others."""
    rows, entries = department_campaigns(current_user.department_code)
    return render_template("departments/index.html", rows=rows, entries=entries)


def _scope(slug: str):
    """The campaign and the signed-in coordinator's department in it, or 404."""
    campaign = campaign_or_404(slug)
    department = department_of(campaign, current_user.department_code)
    if department is None:
        abort(404)
    return campaign, department


def attachments_context(campaign, department, entry=None, state=None) -> dict:
    """What ``departments/_attachments.html`` shows: the draft's files in upload order,
    whether they can change, and the limits."""
    entry = entry if entry is not None else find_entry(campaign, department)
    if state is None:
        _deadline, state = window(campaign, department)
    submitted = entry is not None and entry.status == "submitted"
    return {"campaign": campaign, "attachments": list(entry.attachments) if entry else [],
            "attachments_readonly": submitted or state == CLOSED,
            "max_attachments": max_attachments(), "max_mib": MAX_BYTES // 2**20}


def _page(campaign, department, *, texts=None, version=None, status=200, message=None,
          conflict=None, missing=None, blank=1):
    criteria = preliminary_criteria(campaign)
    entry = find_entry(campaign, department)
    deadline, state = window(campaign, department)
    submitted = entry is not None and entry.status == "submitted"
    return render_template(
        "departments/entry.html", **attachments_context(campaign, department, entry, state),
        department=department, entry=entry,
        criteria=criteria, texts=texts or entry_texts(entry, criteria),
        version=entry.version if version is None and entry else (version or 0),
        deadline=deadline, window=state, now=clock.now(),
        readonly=submitted or state == CLOSED, submitted=submitted, message=message,
        conflict=conflict, missing=missing or [],
        differences=_differences(texts, conflict, criteria) if conflict else [],
        blank=min(max(blank, 1), MAX_BLANK_ROWS),
        snapshot=entry_snapshot(entry) if entry else None,
    ), status


def _differences(mine, current: dict, criteria) -> list[tuple[str, str, str]]:
    """The fields where the page's text and the saved text differ: (label, yours, saved)."""
    if mine is None:
        return []
    rows = []

    def pledges(rows_):
        return "\n".join(" | ".join(row) for row in rows_)

    pairs = [("title", mine.title, current.get("title", "")),
             ("summary", mine.summary, current.get("summary", ""))]
    pairs += [(f"section-{c.code}", mine.sections.get(c.code, ""),
               current.get("sections", {}).get(c.code, "")) for c in criteria]
    pairs.append((_("Performance pledges"), pledges(mine.pledges),
                  pledges(tuple(p) for p in current.get("pledges", []))))
    pairs += [(name, getattr(mine, name), current.get(name, ""))
              for name in ("contact_name", "contact_email", "contact_phone")]
    for name, yours, saved in pairs:
        if yours != saved:
            rows.append((field_label(name), yours, saved))
    return rows


def _version() -> int:
    try:
        return int(request.form.get("version", ""))
    except ValueError:
        abort(400)


def _missing_lines(exc: EntryIncomplete) -> list[str]:
    from flask_babel import get_locale

    chinese = str(get_locale() or "en").startswith("zh")
    return [missing_part(code, params, chinese=chinese) for code, params in exc.missing]


@bp.route("/c/<slug>/entry", methods=["GET", "POST"])
@roles("coordinator")
def entry(slug: str):
    """The department's entry: GET shows it; POST saves the draft (``version`` checked)."""
    campaign, department = _scope(slug)
    if request.method == "GET":
        return _page(campaign, department, blank=request.args.get("blank", 1, type=int))
    codes = [c.code for c in preliminary_criteria(campaign)]
    action = request.form.get("action", "save")
    overwrite = request.form.get("overwrite_version", type=int)
    version = overwrite if overwrite is not None else _version()
    autosave = wants_fragment() and action == "save"
    try:
        texts = apply_row_action(parse_entry_form(request.form, codes), action)
        saved = save_draft(campaign, department, texts, version)
    except EntryInputError as exc:
        rollback_use_case()
        return _refused(campaign, department, codes, version, 422, describe(exc), autosave)
    except EntryConflict as exc:
        rollback_use_case()
        return _conflict(campaign, department, codes, version, exc, autosave)
    except AwardsError as exc:
        rollback_use_case()
        return _refused(campaign, department, codes, version, exc.status, describe(exc),
                        autosave)
    if autosave:
        response = make_response(render_template("departments/_entry_saved.html", entry=saved))
        # entry.js forgets the device's copy only on this header: a 200 from anything else
        # (a sign-in page reached through a redirect, a proxy's page) is not a save.
        response.headers["X-Entry-Saved"] = str(saved.version)
        return response
    blank = request.form.get("blank", 1, type=int) + (action == "add-pledge")
    if wants_fragment():  # a pledge-table button under htmx: the page, for hx-select
        return _page(campaign, department, blank=blank)
    flash(_("Saved."), "success")
    anchor = "pledges" if action != "save" else "entry-form"
    return redirect(url_for(".entry", slug=slug, blank=blank if blank > 1 else None,
                            _anchor=anchor), code=303)


def _refused(campaign, department, codes, version, status, message, autosave):
    if autosave:
        return render_template("departments/_entry_saved.html", entry=None,
                               message=message), status
    return _page(campaign, department, texts=parse_entry_form(request.form, codes, check=False),
                 version=version, status=status, message=message)


def _conflict(campaign, department, codes, version, exc: EntryConflict, autosave):
    mine = parse_entry_form(request.form, codes, check=False)
    if autosave:
        return render_template("departments/_entry_saved.html", entry=None,
                               message=describe(exc), conflict=exc.current, campaign=campaign,
                               differences=_differences(mine, exc.current,
                                                        preliminary_criteria(campaign))), 409
    return _page(campaign, department, texts=mine, version=version, status=409,
                 message=describe(exc), conflict=exc.current)


@bp.route("/c/<slug>/entry/submit", methods=["POST"])
@roles("coordinator")
def entry_submit(slug: str):
    """Submit: saves what the page holds first (when it sends ``version``), then freezes the
    snapshot; the answer is the receipt with the snapshot's SHA-256. 422 lists what is
    missing (the draft stays saved)."""
    campaign, department = _scope(slug)
    codes = [c.code for c in preliminary_criteria(campaign)]
    version = None
    try:
        if "version" in request.form:
            texts = parse_entry_form(request.form, codes)
            version = save_draft(campaign, department, texts, _version()).version
        entry = submit_entry(campaign, department, version=version)
    except EntryIncomplete as exc:
        rollback_use_case()
        return _page(campaign, department, status=422, message=describe(exc),
                     missing=_missing_lines(exc))
    except EntryInputError as exc:
        rollback_use_case()
        return _refused(campaign, department, codes, request.form.get("version", 0, type=int),
                        422, describe(exc), False)
    except EntryConflict as exc:
        rollback_use_case()
        return _conflict(campaign, department, codes,
                         request.form.get("version", 0, type=int), exc, False)
    except AwardsError as exc:
        rollback_use_case()
        return _page(campaign, department, status=exc.status, message=describe(exc))
    return render_template("departments/receipt.html", campaign=campaign,
                           department=department, entry=entry, just_submitted=True)


@bp.route("/c/<slug>/entry/receipt")
@roles("coordinator")
def entry_receipt(slug: str):
    """The printable receipt of the submitted entry."""
    campaign, department = _scope(slug)
    entry = find_entry(campaign, department)
    if entry is None or entry.status != "submitted":
        abort(404)
    return render_template("departments/receipt.html", campaign=campaign,
                           department=department, entry=entry, just_submitted=False)
