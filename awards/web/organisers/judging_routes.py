"""The organiser's judging page (SPEC 5.5): the progress matrix of a round (judges ×
entries: state and last save), reopen and excuse with reasons, organiser-set conflicts and
closing the round (refused while a scorecard is unsubmitted and unexcused; confirmed first,
without JavaScript too). Comments appear only once the round is closed."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from awards.campaigns.services import rollback_use_case
from awards.exceptions import AwardsError, InvalidInput
from awards.judging.conflicts import set_conflict
from awards.judging.rounds import (
    close_round,
    ensure_final_assignment,
    excuse_scorecard,
    progress,
    reopen_scorecard,
    round_comments,
)
from awards.models.campaign import ROUNDS
from awards.models.judging import CONFLICT_TYPES
from awards.results.scores_import import import_scores
from awards.web.access import campaign_or_404, roles
from awards.web.forms import EmptyForm
from awards.web.messages import describe
from awards.web.organisers import bp
from awards.web.organisers.forms import ScoreSheetForm


def _round(value: str | None, campaign) -> str:
    if value in ROUNDS:
        return value
    return "final" if campaign.state in ("final_judging", "published") else "preliminary"


@bp.route("/c/<slug>/judging")
@roles("organiser", "auditor")
def judging(slug: str):
    campaign = campaign_or_404(slug)
    round_name = _round(request.args.get("round"), campaign)
    if round_name == "final" and current_user.role == "organiser":
        ensure_final_assignment(campaign, actor=current_user.username)
    return _page(campaign, round_name)


def _page(campaign, round_name: str, status: int = 200, error: str | None = None,
          confirm: bool = False):
    matrix = progress(campaign, round_name)
    return render_template(
        "organisers/judging.html", campaign=campaign, round_name=round_name, rounds=ROUNDS,
        matrix=matrix, comments=round_comments(campaign, round_name), form=EmptyForm(),
        conflict_types=CONFLICT_TYPES, error=error, confirm=confirm), status


def _act(slug: str, action) -> tuple:
    campaign = campaign_or_404(slug)
    round_name = _round(request.form.get("round"), campaign)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        message = action(campaign, round_name)
    except AwardsError as exc:
        rollback_use_case()
        return _page(campaign, round_name, exc.status, describe(exc))
    flash(message, "success")
    return redirect(url_for(".judging", slug=slug, round=round_name), code=303)


@bp.route("/c/<slug>/judging/excuse", methods=["POST"])
@roles("organiser")
def judging_excuse(slug: str):
    def excuse(campaign, round_name):
        excuse_scorecard(campaign, round_name, request.form.get("judge", ""),
                         request.form.get("department", ""), request.form.get("reason", ""),
                         actor=current_user.username)
        return _("The scorecard is excused.")
    return _act(slug, excuse)


@bp.route("/c/<slug>/judging/reopen", methods=["POST"])
@roles("organiser")
def judging_reopen(slug: str):
    def reopen(campaign, round_name):
        reopen_scorecard(campaign, round_name, request.form.get("judge", ""),
                         request.form.get("department", ""), request.form.get("reason", ""),
                         actor=current_user.username)
        return _("The scorecard is reopened; the judge can change it and submit it again.")
    return _act(slug, reopen)


@bp.route("/c/<slug>/judging/conflicts", methods=["POST"])
@roles("organiser")
def judging_conflict(slug: str):
    def conflict(campaign, round_name):
        set_conflict(campaign, request.form.get("judge", ""), request.form.get("department", ""),
                     request.form.get("type", ""), request.form.get("reason", ""),
                     actor=current_user.username)
        return _("The conflict is recorded; any scores of the pair are deleted.")
    return _act(slug, conflict)


@bp.route("/c/<slug>/judging/close", methods=["POST"])
@roles("organiser")
def judging_close(slug: str):
    """Close the round: the first post shows what will happen and asks to confirm."""
    campaign = campaign_or_404(slug)
    round_name = _round(request.form.get("round"), campaign)
    if request.form.get("confirm") != "yes":
        if not EmptyForm().validate_on_submit():
            abort(400)
        return _page(campaign, round_name, confirm=True)

    def close(campaign, round_name):
        close_round(campaign, round_name, actor=current_user.username)
        return _("The round is closed. Judges can no longer change their scorecards.")
    return _act(slug, close)


@bp.route("/c/<slug>/judging/sheets", methods=["GET", "POST"])
@roles("organiser")
def score_sheets(slug: str):
    """Paper score sheets (SPEC 5.6), as ``flask awards scores import``: the whole file is
    checked first, every bad line listed, and nothing written unless all of it is good;
    "check only" reports what would happen."""
    campaign = campaign_or_404(slug)
    form = ScoreSheetForm()
    errors: list = []
    report = None
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                report = import_scores(campaign, form.sheet.data.stream,
                                       dry_run=form.dry_run.data,
                                       actor=current_user.username)
            except InvalidInput as exc:
                rollback_use_case()
                errors, status = exc.errors or [(0, describe(exc))], 422
            except AwardsError as exc:
                rollback_use_case()
                errors, status = [(0, describe(exc))], exc.status
        else:
            status = 422
    return render_template("organisers/score_sheets.html", campaign=campaign, form=form,
                           errors=errors, report=report), status
