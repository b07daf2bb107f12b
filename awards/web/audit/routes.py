"""Publication and audit pages.

* ``/verify/<slug>`` (public, after publication only): what is published, the bundle, the
  public key, how to verify offline and a receipt check.
* ``/verify/<slug>/bundle.zip`` (public, after publication only): the signed audit bundle,
  served from the on-disk cache; the download writes nothing.
* ``/organiser/c/<slug>/audit`` (organisers, auditors): the audit log (the campaign's chain,
  or the staff accounts' chain), filterable by action, actor and days, paginated (50 a
  page, links that work without JavaScript), with the hash-chain check. One route serves the page and, for htmx,
  the log fragment. Auditors do not read the data of results events about a version that
  is not published yet (SPEC 9: results hidden before publication).
* ``/organiser/c/<slug>/audit/bundle.zip`` (organisers, auditors; POST with CSRF): the
  bundle, recorded as an export (a GET must not write to the audit log).
* ``/organiser/c/<slug>/publish`` (organisers, POST): publish, or publish a correction.
"""

from __future__ import annotations

import json
from datetime import date
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
from awards.labels import action_label, label
from awards.models.audit import SYSTEM_CHAIN
from awards.jobs import latest_job, waiting_long
from awards.publication.bundle import cached_bundle, record_export
from awards.publication.disclosure import withheld_seqs
from awards.judging.rounds import round_close_refusal, round_row_state
from awards.publication.publish import publish, publishable_version, republish
from awards.results.versions import latest_result, published_versions
from awards.tasks import start_audit_bundle
from awards.web.access import campaign_or_404, public, published_campaign_or_404, roles
from awards.web.audit import bp
from awards.web.confirmation import confirmation_page, confirmed
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


@bp.app_template_filter("action_label")
def _action_label(code: str) -> str:
    return action_label(code)


def _day(name: str, errors: dict[str, str]) -> date | None:
    """The ``YYYY-MM-DD`` query argument ``name``, or None (an error noted when unreadable)."""
    text = request.args.get(name, "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[name] = _("Write the date as YYYY-MM-DD, for example 2026-11-23.")
        return None


@bp.route("/organiser/c/<slug>/audit")
@roles("organiser", "auditor")
def audit_log(slug: str):
    """The audit log: ``?action=…&actor=…&from=YYYY-MM-DD&to=YYYY-MM-DD&chain=…&page=N``,
    newest first. ``chain`` is the campaign's (default) or the staff accounts' chain."""

    campaign = campaign_or_404(slug)
    action = request.args.get("action", "").strip()
    actor = request.args.get("actor", "").strip()
    chain = request.args.get("chain", "").strip()
    if chain != SYSTEM_CHAIN:
        chain = ""
    errors: dict[str, str] = {}
    since, until = _day("from", errors), _day("to", errors)
    if since and until and since > until:
        errors["to"] = _("The last day comes before the first day.")
        since = until = None
    listing = log_page(chain or campaign.slug, action=action, actor=actor, since=since,
                       until=until, page=request.args.get("page", 1, type=int) or 1)
    filters = {**({"chain": chain} if chain else {}), **listing.filters}
    context = {
        "campaign": campaign, "events": listing.events, "action": action, "actor": actor,
        "page": listing.page, "pages": listing.pages, "total": listing.total,
        "actions": sorted(listing.actions, key=lambda a: action_label(a).lower()),
        "actors": listing.actors, "chain": listing.chain, "chain_name": chain,
        "system_chain": SYSTEM_CHAIN, "errors": errors,
        "since": request.args.get("from", "").strip(),
        "until": request.args.get("to", "").strip(),
        "withheld": withheld_seqs(listing.events, campaign,
                                  sees_everything=current_user.role == "organiser"),
        "filters": filters,
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


def _confirm_publication(campaign, reason: str):
    """The first post shows what publishing does and freezes, and publishes nothing."""
    back = url_for(".audit_log", slug=campaign.slug)
    action = url_for(".publish_results", slug=campaign.slug)
    if campaign.state == "published":
        latest = latest_result(campaign)
        refusals = [] if reason.strip() else [_("give the reason for the corrected version")]
        return confirmation_page(
            campaign, title=_("Publish a correction"), action=action, back=back,
            button=_("Publish the correction now"), fields={"reason": reason},
            happens=[_("A corrected version is published and signed with the reason “%(r)s”;"
                       " earlier versions stay visible.", r=reason),
                     _("Latest computed version: %(v)s.", v=latest.version if latest else "—")],
            refusals=refusals)
    try:
        version = publishable_version(campaign)
        refusals = []
    except AwardsError as exc:
        version, refusals = None, [describe(exc)]
    unfinished = round_close_refusal(campaign, "final")
    if unfinished is not None:
        refusals.append(describe(unfinished))
    happens = [_("Results version %(v)s becomes the published result, signed with the "
                 "campaign's key, and the campaign moves to “Published”.",
                 v=version.version if version else "—"),
               _("The public results page, the verification page and the audit bundle "
                 "become available to everyone.")]
    if round_row_state(campaign, "final") != "closed":
        happens.insert(0, _("%(round)s closes: judges can no longer change its scorecards; "
                            "only a reopen with a reason allows a change.",
                            round=label("final")))
    return confirmation_page(
        campaign, title=_("Publish the results"), action=action, back=back,
        button=_("Publish and sign now"),
        happens=happens,
        freezes=[_("ballots"), _("scores"), _("results: a later correction is a new "
                                              "numbered version with a reason")],
        refusals=refusals)


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
    if form.validate_on_submit() and not confirmed():
        return _confirm_publication(campaign, form.reason.data or "")
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
