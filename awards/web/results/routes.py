"""Results pages: the organiser's full view, the compute button, the exports and the public
page of a published campaign. One route serves the page and, for htmx, its fragment.

Organisers see the results at any time; auditors only once the campaign is published, and
then only published versions (SPEC 9: results hidden before publication). Exports are POST forms because each one is recorded
in the audit log (SPEC 7) and a GET must not write.
"""

from __future__ import annotations

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from awards.campaigns.services import voting_is_open
from awards.exceptions import AwardsError
from awards.extensions import db
from awards.models import Campaign
from awards.results.exports import EXPORTS, export_version
from awards.results.services import compute_campaign_results, version_results
from awards.results.versions import find_version, public_versions, result_versions
from awards.results.view import build_view, chart_sentences, percent
from awards.web.access import campaign_or_404, public, published_campaign_or_404, roles
from awards.web.fragments import wants_fragment
from awards.web.messages import describe
from awards.web.results import bp
from awards.web.results.forms import ComputeForm


@bp.app_template_filter("pct")
def pct(value: float | None, digits: int = 1) -> str:
    """A proportion as a percentage (``0.4263`` → ``42.6%``); ``–`` for none."""
    return percent(value, digits)


@bp.app_context_processor
def results_helpers() -> dict:
    return {"chart_sentences": chart_sentences}


@bp.route("/organiser/c/<slug>/results")
@roles("organiser", "auditor")
def organiser_results(slug: str):
    """The latest (or ``?version=N``) result with every diagnostic, and the compute form."""
    return _organiser_page(campaign_or_404(slug, results=True), ComputeForm())


@bp.route("/organiser/c/<slug>/results/compute", methods=["POST"])
@roles("organiser")
def compute(slug: str):
    """Compute and store a new result version; 303 to the results page."""
    campaign = campaign_or_404(slug)
    form = ComputeForm()
    if not form.validate_on_submit():
        return _organiser_page(campaign, form, status=422)
    try:
        version = compute_campaign_results(campaign, actor=current_user.username,
                                           reason=form.reason.data or "")
    except AwardsError as exc:
        db.session.rollback()
        return _organiser_page(campaign, form, status=exc.status if exc.status != 400 else 422,
                               error=describe(exc))
    flash(_("Results version %(version)s computed.", version=version.version), "success")
    return redirect(url_for(".organiser_results", slug=slug), code=303)


def _visible_versions(campaign: Campaign):
    """Every version for an organiser; for an auditor only the published ones (a correction
    computed after publication stays with the organisers until it is published)."""
    if current_user.role == "organiser":
        return result_versions(campaign)
    return public_versions(campaign)


def _organiser_page(campaign: Campaign, form: ComputeForm, *, status: int = 200,
                    error: str | None = None):
    versions = _visible_versions(campaign)
    number = request.args.get("version", type=int)
    version = find_version(versions, number)
    if number is not None and version is None:
        abort(404)
    view = build_view(campaign, version_results(version)) if version else None
    fragment = wants_fragment()
    template = "results/_organiser.html" if fragment else "results/organiser.html"
    return render_template(template, campaign=campaign, versions=versions, version=version,
                           view=view, form=form, error=error, fragment=fragment,
                           can_compute=current_user.role == "organiser",
                           voting_open=voting_is_open(campaign)), status


@bp.route("/organiser/c/<slug>/results/export.<fmt>", methods=["POST"])
@roles("organiser", "auditor")
def export(slug: str, fmt: str):
    """The result as a download (a CSRF-checked form, recorded as ``results_exported``):
    ``csv`` (ranking and public shares), ``xlsx`` (four sheets) or ``pdf`` (report with
    charts). ``?version=N`` picks an earlier version."""
    if fmt not in EXPORTS:
        abort(404)
    campaign = campaign_or_404(slug, results=True)
    version = find_version(_visible_versions(campaign), request.args.get("version", type=int))
    if version is None:
        abort(404)
    mimetype, body = export_version(campaign, version, fmt)
    filename = f"{campaign.slug}-results-v{version.version}.{fmt}"
    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "X-Content-Type-Options": "nosniff",
    })


@bp.route("/results/<slug>")
@public
def public_results(slug: str):
    """The published result (``?version=N`` for an earlier one); 404 until publication."""
    campaign = published_campaign_or_404(slug)
    versions = public_versions(campaign)
    version = find_version(versions, request.args.get("version", type=int))
    if version is None:
        abort(404)
    view = build_view(campaign, version_results(version))
    template = "results/_public_page.html" if wants_fragment() else "results/public.html"
    return render_template(template, campaign=campaign, versions=versions, version=version,
                           view=view, latest=versions[0])

