"""Publication and audit pages.

* ``/verify/<slug>`` (public, after publication only): what is published, the bundle, the
  public key, how to verify offline and a receipt check.
* ``/verify/<slug>/bundle.zip`` (public, after publication only): the signed audit bundle,
  served from the on-disk cache; the download writes nothing.
* ``/organiser/c/<slug>/audit`` (organisers, auditors): the audit log, filterable by action
  and actor, paginated, with the hash-chain check. One route serves the page and, for htmx,
  the log fragment. Auditors do not read the data of results events about a version that
  is not published yet (SPEC 9: results hidden before publication).
* ``/organiser/c/<slug>/audit/bundle.zip`` (organisers, auditors; POST with CSRF): the
  bundle, recorded as an export (a GET must not write to the audit log).
* ``/organiser/c/<slug>/publish`` (organisers, POST): publish, or publish a correction.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy
from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length, Optional

from awards.audit import verify as verify_module
from awards.audit.log import log_page
from awards.exceptions import AwardsError
from awards.extensions import db
from awards.jobs import latest_job, waiting_long
from awards.publication.bundle import cached_bundle, record_export
from awards.publication.disclosure import withheld_seqs
from awards.publication.publish import publish, republish
from awards.results.versions import latest_result, published_versions
from awards.tasks import start_audit_bundle
from awards.web.access import campaign_or_404, public, published_campaign_or_404, roles
from awards.web.audit import bp
from awards.web.forms import EmptyForm
from awards.web.fragments import wants_fragment
from awards.web.households.forms import ReceiptForm
from awards.web.messages import describe


class PublishForm(FlaskForm):
    """Publish (no reason) or, once published, publish a correction (reason required)."""

    reason = StringField(_l("Reason for the correction"),
                         validators=[Optional(), Length(max=500)])


def _bundle_response(bundle) -> Response:
    return Response(bundle.data, mimetype="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{bundle.filename}"',
        "X-Content-Type-Options": "nosniff",
    })


def _receipt_url() -> str:
    if "voting.check_receipt" in current_app.view_functions:
        return url_for("voting.check_receipt")
    return "/receipt"


@bp.route("/verify/<slug>")
@public
def verification(slug: str):
    """The public verification page of a published campaign (404 before publication)."""

    campaign = published_campaign_or_404(slug)
    versions = published_versions(campaign)
    if not versions:
        abort(404)
    current = versions[-1]
    results = json.loads(current.results_json)
    return render_template(
        "audit/verification.html", campaign=campaign, versions=versions, current=current,
        results=results, form=ReceiptForm(), receipt_url=_receipt_url(),
        bundle_name=f"{campaign.slug}-audit-v{current.version}.zip",
        public_key=campaign.signing_public_key or "", numpy_version=numpy.__version__,
        results_url=(url_for("results.public_results", slug=campaign.slug)
                     if "results.public_results" in current_app.view_functions else None))


@bp.route("/verify/<slug>/verify.py")
@public
def verifier_source(slug: str):
    """The offline verifier, one file (standard library and numpy only)."""
    published_campaign_or_404(slug)
    source = Path(verify_module.__file__).read_bytes()
    return Response(source, mimetype="text/x-python", headers={
        "Content-Disposition": 'attachment; filename="verify.py"',
        "X-Content-Type-Options": "nosniff",
    })


@bp.route("/verify/<slug>/bundle.zip")
@public
def public_bundle(slug: str):
    """The signed audit bundle of the current published version (cached; writes nothing)."""

    return _bundle_response(cached_bundle(published_campaign_or_404(slug)))


@bp.route("/organiser/c/<slug>/audit")
@roles("organiser", "auditor")
def audit_log(slug: str):
    """The campaign's audit log: ``?action=…&actor=…&page=N``, newest first."""

    campaign = campaign_or_404(slug)
    action = request.args.get("action", "").strip()
    actor = request.args.get("actor", "").strip()
    listing = log_page(campaign.slug, action=action, actor=actor,
                       page=request.args.get("page", 1, type=int) or 1)
    context = {
        "campaign": campaign, "events": listing.events, "action": action, "actor": actor,
        "page": listing.page, "pages": listing.pages, "total": listing.total,
        "actions": listing.actions, "actors": listing.actors, "chain": listing.chain,
        "withheld": withheld_seqs(listing.events, campaign,
                                  sees_everything=current_user.role == "organiser"),
        "filters": listing.filters,
    }
    if wants_fragment():
        return render_template("audit/_log.html", **context)
    latest = latest_result(campaign)
    bundle_job = (latest_job(campaign.id, "audit_bundle")
                  if current_user.role == "organiser" else None)
    return render_template(
        "audit/log.html", **context, latest=latest, form=PublishForm(),
        bundle_job=bundle_job, waiting_long=waiting_long,
        can_publish=current_user.role == "organiser" and (
            campaign.state == "published" or (campaign.state == "final_judging"
                                              and latest is not None)))


@bp.route("/organiser/c/<slug>/audit/bundle.zip", methods=["POST"])
@roles("organiser", "auditor")
def organiser_bundle(slug: str):
    """The audit bundle for staff (a CSRF-checked form); the export is recorded in the
    audit log with the SHA-256 of the manifest that leaves."""

    campaign = campaign_or_404(slug)
    bundle = cached_bundle(campaign)
    record_export(campaign, bundle, current_user.username)
    return _bundle_response(bundle)


@bp.route("/organiser/c/<slug>/audit/bundle-job", methods=["POST"])
@roles("organiser")
def bundle_job(slug: str):
    """Build the audit bundle on the job queue; the audit page shows its progress, then the
    download form (which reads the built bundle and records the export)."""
    campaign = campaign_or_404(slug)
    if EmptyForm().validate_on_submit():
        start_audit_bundle(campaign, current_user.username)
    else:
        flash(_("The form had expired. Please reload the page and try again."), "error")
    return redirect(url_for(".audit_log", slug=slug), code=303)


@bp.route("/organiser/c/<slug>/publish", methods=["POST"])
@roles("organiser")
def publish_results(slug: str):
    """Publish the latest result, or (published campaign, with a reason) a correction."""

    campaign = campaign_or_404(slug)
    form = PublishForm()
    if form.validate_on_submit():
        try:
            if campaign.state == "published":
                version = republish(campaign, form.reason.data or "", current_user.username)
            else:
                version = publish(campaign, current_user.username)
        except AwardsError as exc:
            db.session.rollback()
            flash(describe(exc), "error")
        else:
            flash(_("Results version %(version)s is published and signed.",
                    version=version.version), "success")
    else:
        flash(_("The form had expired. Please reload the page and try again."), "error")
    return redirect(url_for(".audit_log", slug=slug), code=303)
