"""The organiser's assignment page (SPEC 5.4, 5.7): the judges × departments matrix, pins and
forbids, a dry-run preview and Solve. Every form works without JavaScript (303 back to the
page); htmx requests get the matrix fragment back instead. Views are thin: each calls one
service."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from awards.exceptions import AwardsError, InvalidInput
from awards.judging.assign import assign_preliminary
from awards.judging.assignment_rules import set_rule
from awards.judging.assignment_view import assignment_page
from awards.models import Campaign
from awards.web.access import campaign_or_404, roles
from awards.web.forms import EmptyForm
from awards.web.fragments import wants_fragment
from awards.web.messages import describe
from awards.web.organisers import bp


def _page(campaign: Campaign, status: int = 200, *, error: str | None = None,
          notice: str | None = None):
    page = assignment_page(campaign)
    template = ("organisers/_assignment.html" if wants_fragment()
                else "organisers/assignment.html")
    preview_error = page.preview.error if page.preview else None
    return render_template(template, campaign=campaign, page=page, form=EmptyForm(),
                           error=error, notice=notice,
                           preview_error=describe(preview_error) if preview_error else None
                           ), status


def _refused(campaign: Campaign, exc: AwardsError):
    """The page again with the refusal, in the reader's language; nothing was written."""
    status = 422 if isinstance(exc, InvalidInput) else exc.status
    return _page(campaign, status, error=describe(exc))


def _done(campaign: Campaign, message: str):
    if wants_fragment():
        return _page(campaign, notice=message)
    flash(message, "success")
    return redirect(url_for(".assignment", slug=campaign.slug), code=303)


@bp.route("/c/<slug>/assignment")
@roles("organiser")
def assignment(slug: str):
    return _page(campaign_or_404(slug))


@bp.route("/c/<slug>/assignment/solve", methods=["POST"])
@roles("organiser")
def assignment_solve(slug: str):
    campaign = campaign_or_404(slug)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        report = assign_preliminary(campaign,
                                    expect_sha256=request.form.get("expected") or None)
    except AwardsError as exc:
        return _refused(campaign, exc)
    return _done(campaign, _(
        "Assignment solved: %(pairs)s pairs. Kept %(kept)s, added %(added)s, removed "
        "%(removed)s.", pairs=len(report.solution.pairs), kept=report.solution.kept,
        added=report.added, removed=report.removed))


@bp.route("/c/<slug>/assignment/rules", methods=["POST"])
@roles("organiser")
def assignment_rule(slug: str):
    """Pin or forbid a pair, or remove its rule: ``judge``, ``department``, ``kind`` =
    ``pin`` | ``forbid`` | ``none``, optional ``reason``."""
    campaign = campaign_or_404(slug)
    if not EmptyForm().validate_on_submit():
        abort(400)
    judge = request.form.get("judge", "")
    department = request.form.get("department", "")
    kind = request.form.get("kind", "")
    try:
        changed = set_rule(campaign, judge, department, kind,
                           reason=request.form.get("reason", ""))
    except AwardsError as exc:
        return _refused(campaign, exc)
    names = {"judge": judge.strip(), "department": department.strip()}
    if kind == "pin":
        message = _("Pinned: %(judge)s will score %(department)s.", **names)
    elif kind == "forbid":
        message = _("Forbidden: %(judge)s will not score %(department)s.", **names)
    else:
        message = _("Rule removed: %(judge)s and %(department)s are left to the solver.",
                    **names)
    if changed:
        message += " " + _("Solve again to apply it.")
    return _done(campaign, message)
