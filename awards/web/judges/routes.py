"""Judges' pages (SPEC 5.5, 5.7): home, scorecard, conflict declaration. Thin: parse, call
one service, answer as a page (303 after a POST) or, for the tablet script, as JSON."""

from __future__ import annotations

import json
import secrets

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from awards.campaigns.panels import judge_panels
from awards.campaigns.services import rollback_use_case
from awards.exceptions import AwardsError
from awards.judging.conflicts import declare_conflict
from awards.judging.entry_view import department_snapshots
from awards.judging.errors import ScorecardIncomplete, ScorecardInvalid, ScorecardRefused
from awards.judging.home import declared_conflicts, judge_rounds, own_distribution
from awards.judging.rounds import ensure_final_assignment
from awards.judging.scorecards import (
    REFUSALS,
    ScorecardContext,
    card_state,
    editable,
    judge_of,
    parse_scorecard_form,
    reread_card,
    save_scorecard,
    scorecard_context,
)
from awards.models.judging import CONFLICT_TYPES
from awards.web.access import campaign_or_404, roles
from awards.web.forms import EmptyForm
from awards.web.fragments import wants_json
from awards.web.judges import bp
from awards.web.messages import describe


@bp.route("/")
@roles("judge")
def index():
    """The panels this judge sits on, with assignment and scorecard counts."""
    return render_template("judges/index.html", summary=judge_panels(current_user.id))


def _judge_or_404(campaign):
    judge = judge_of(campaign, current_user.id)
    if judge is None:
        abort(404)
    return judge


@bp.route("/c/<slug>/")
@roles("judge")
def home(slug: str):
    """Assignments with their state, progress, next unscored, own score distribution and
    the conflict declaration."""
    campaign = campaign_or_404(slug)
    judge = _judge_or_404(campaign)
    ensure_final_assignment(campaign, actor="system")
    rounds = judge_rounds(campaign, judge)
    distributions = {r.round: own_distribution(campaign, judge, r.round) for r in rounds}
    return render_template("judges/home.html", campaign=campaign, judge=judge, rounds=rounds,
                           distributions=distributions, conflicts=declared_conflicts(judge),
                           conflict_types=CONFLICT_TYPES, form=EmptyForm(),
                           conflict_error=None), 200


@bp.route("/c/<slug>/conflicts", methods=["POST"])
@roles("judge")
def conflicts(slug: str):
    campaign = campaign_or_404(slug)
    judge = _judge_or_404(campaign)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        declare_conflict(campaign, judge, request.form.get("department", ""),
                         request.form.get("type", ""), request.form.get("reason", ""),
                         actor=current_user.username)
    except ScorecardInvalid as exc:
        rollback_use_case()
        rounds = judge_rounds(campaign, judge)
        return render_template(
            "judges/home.html", campaign=campaign, judge=judge, rounds=rounds,
            distributions={r.round: own_distribution(campaign, judge, r.round) for r in rounds},
            conflicts=declared_conflicts(judge), conflict_types=CONFLICT_TYPES,
            form=EmptyForm(), conflict_error=describe(exc)), 422
    flash(_("Your conflict of interest is recorded. You will not score this department."),
          "success")
    return redirect(url_for(".home", slug=slug), code=303)


def criterion_anchors(criterion) -> list[str]:
    """The criterion's band anchors in the reader's language (English when none)."""
    chinese = str(get_locale() or "en").startswith("zh")
    texts = [criterion.anchors_zh, criterion.anchors_en] if chinese else [criterion.anchors_en]
    for text in texts:
        try:
            anchors = json.loads(text or "[]")
        except ValueError:
            continue
        if anchors:
            return [str(a) for a in anchors]
    return []


def _page(ctx: ScorecardContext, status: int = 200, *, posted=None, error: str | None = None,
          theirs=None, missing=(), device: str | None = None, seq: int = 1):
    state = card_state(ctx.card, ctx.criteria)
    values = posted or state
    if theirs is not None:  # 409: the form keeps the judge's values on the current version
        values = {**values, "version": theirs["version"]}
    locked = editable(ctx)
    return render_template(
        "judges/scorecard.html", ctx=ctx, campaign=ctx.campaign, state=state, values=values,
        theirs=theirs, error=error, missing=list(missing), locked=locked,
        locked_message=describe(ScorecardRefused(REFUSALS[locked], code=locked)) if locked
        else "", anchors_by_code={c.code: criterion_anchors(c) for c in ctx.criteria},
        snapshots=department_snapshots(ctx.department),
        device=device or "form-" + secrets.token_hex(8), seq=seq, form=EmptyForm(),
    ), status


@bp.route("/c/<slug>/<round_name>/<code>", methods=["GET", "POST"])
@roles("judge")
def scorecard(slug: str, round_name: str, code: str):
    """The scorecard of one assigned entry (404 when not assigned or conflicted)."""
    ctx = scorecard_context(slug, current_user.id, round_name, code,
                            for_update=request.method == "POST")
    if request.method == "GET":
        return _page(ctx)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        data = parse_scorecard_form(request.form, ctx.criteria)
        result = save_scorecard(ctx, data, current_user.username)
    except (ScorecardInvalid, ScorecardRefused, ScorecardIncomplete) as exc:
        rollback_use_case()
        return _refused(ctx, exc)
    if wants_json():
        return jsonify(ok=True, applied=result.applied, state=result.state)
    if data.action == "save":
        flash(_("Saved."), "success")
        return redirect(request.path, code=303)
    flash(_("Scorecard submitted.") if data.action == "submit" else _("Amendment saved."),
          "success")
    return redirect(url_for(".home", slug=slug), code=303)


def _refused(ctx: ScorecardContext, exc: AwardsError):
    reread_card(ctx)
    message = describe(exc)
    missing = getattr(exc, "missing", [])
    state = card_state(ctx.card, ctx.criteria)
    if wants_json():
        return jsonify(ok=False, error=exc.code, message=message, missing=missing,
                       state=state), exc.status
    posted = _posted(ctx)
    theirs = state if exc.code == "scorecard.stale" else None
    device = request.form.get("device", "")[:64] or None
    seq = request.form.get("seq", "")
    seq = int(seq) + 1 if seq.isascii() and seq.isdigit() and len(seq) < 10 else 1
    return _page(ctx, exc.status, posted=posted, error=message, theirs=theirs,
                 missing=missing, device=device, seq=seq)


def _posted(ctx: ScorecardContext) -> dict:
    """What the judge sent, to show again (nothing typed is lost), NULs dropped."""
    form = request.form
    clean = lambda text: text.replace("\x00", "")  # noqa: E731
    return {
        "version": clean(form.get("version", "0"))[:10],
        "scores": {c.code: clean(form.get(f"score-{c.code}", "")).strip()[:10] or None
                   for c in ctx.criteria},
        "comments": {c.code: clean(form.get(f"comment-{c.code}", ""))
                     for c in ctx.criteria},
        "reason": clean(form.get("reason", "")),
    }
