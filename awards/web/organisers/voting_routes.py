"""Organiser pages for households (frame, sample, codes, letters) and the vote (turnout,
paper returns). Views are thin: each calls one service."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from awards.exceptions import AwardsError, InvalidInput
from awards.jobs import waiting_long
from awards.storage import exports_dir
from awards.tasks import start_frame_import, start_letters_pdf
from awards.voting.ballots import import_paper_ballots, turnout
from awards.voting.households import (
    draw_campaign_sample,
    import_frame,
    issue_codes,
    preview_sample,
    purge_addresses,
    reissue_code,
)
from awards.voting.letter_files import csv_deliverer, write_pdf_file
from awards.voting.letter_outputs import campaign_job, export_file, letter_exports, recent_jobs
from awards.web.access import campaign_or_404, roles
from awards.web.forms import EmptyForm
from awards.web.fragments import wants_fragment
from awards.web.messages import describe
from awards.web.organisers import bp
from awards.web.confirmation import confirmed
from awards.web.organisers.confirm_routes import confirm_codes, confirm_sample
from awards.web.organisers.forms import FrameForm, PaperForm, ReissueForm, SampleForm


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def _households_page(campaign, status: int = 200, errors=None, **forms):
    return render_template(
        "organisers/households.html", campaign=campaign, exports=letter_exports(campaign),
        jobs=recent_jobs(campaign),
        waiting_long=waiting_long,
        errors=errors or [], frame_form=forms.get("frame_form") or FrameForm(),
        sample_form=forms.get("sample_form") or SampleForm(),
        reissue_form=forms.get("reissue_form") or ReissueForm(), form=EmptyForm(),
    ), status


@bp.route("/c/<slug>/households")
@roles("organiser", "auditor")
def households(slug: str):
    return _households_page(campaign_or_404(slug))


@bp.route("/c/<slug>/households/frame", methods=["POST"])
@roles("organiser")
def frame_upload(slug: str):
    campaign = campaign_or_404(slug)
    form = FrameForm()
    if not form.validate_on_submit():
        return _households_page(campaign, 422, frame_form=form)
    if _upload_size(form.frame.data) > current_app.config["FRAME_JOB_BYTES"]:
        start_frame_import(campaign, form.frame.data.stream, current_user.username)
        flash(_("The frame is being imported; its progress is shown below."), "info")
        return redirect(url_for(".households", slug=slug), code=303)
    try:
        digest = import_frame(campaign, form.frame.data.stream)
    except InvalidInput as exc:
        return _households_page(campaign, 422, errors=exc.errors or [(0, describe(exc))],
                                frame_form=form)
    except AwardsError as exc:
        flash(describe(exc), "error")
    else:
        flash(_("Frame imported. Its digest is %(digest)s.", digest=digest), "success")
    return redirect(url_for(".households", slug=slug), code=303)


def _upload_size(upload) -> int:
    stream = upload.stream
    here = stream.tell()
    size = stream.seek(0, 2)
    stream.seek(here)
    return size


@bp.route("/c/<slug>/households/sample", methods=["POST"])
@roles("organiser")
def sample_draw(slug: str):
    campaign = campaign_or_404(slug)
    form = SampleForm()
    if not form.validate_on_submit():
        return _households_page(campaign, 422, sample_form=form)
    if not confirmed():  # the first post shows the allocation and draws nothing
        try:
            preview = preview_sample(campaign, form.size.data, form.seed.data)
        except AwardsError as exc:
            form.seed.errors.append(describe(exc))
            return _households_page(campaign, 422, sample_form=form)
        return confirm_sample(campaign, form.size.data, form.seed.data, preview)
    try:
        allocation = draw_campaign_sample(campaign, form.size.data, form.seed.data)
    except AwardsError as exc:
        form.seed.errors.append(describe(exc))
        return _households_page(campaign, 422, sample_form=form)
    flash(_("Sample of %(n)s households drawn.", n=f"{sum(allocation.values()):,}"), "success")
    return redirect(url_for(".households", slug=slug), code=303)


@bp.route("/c/<slug>/households/codes", methods=["POST"])
@roles("organiser")
def codes_issue(slug: str):
    """Issue codes: letters.csv is written before the codes commit; the PDF follows in a
    background job whose progress the page polls."""
    campaign = campaign_or_404(slug)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if not confirmed():  # the first post shows what will happen and issues nothing
        return confirm_codes(campaign)
    name = f"letters-{_stamp()}.csv"
    path = exports_dir(slug) / name
    try:
        letters = issue_codes(campaign, csv_deliverer(path))
    except AwardsError as exc:
        flash(describe(exc), "error")
        return redirect(url_for(".households", slug=slug), code=303)
    _start_pdf_job(campaign, path, len(letters))
    flash(_("%(n)s codes issued. Download letters.csv now; the PDF is being prepared.",
            n=f"{len(letters):,}"), "success")
    return redirect(url_for(".households", slug=slug), code=303)


def _start_pdf_job(campaign, csv_path, total: int) -> int:
    return start_letters_pdf(campaign, csv_path.name, total, current_user.username)


@bp.route("/c/<slug>/jobs/<int:job_id>")
@roles("organiser")
def job_status(slug: str, job_id: int):
    """One job's progress (the fragment htmx polls); a job whose worker stopped is handed
    on or failed here, so the page never waits on it for ever."""
    campaign = campaign_or_404(slug)
    job = campaign_job(campaign, job_id)
    if job is None:
        abort(404)
    return render_template("organisers/_job.html", campaign=campaign, job=job,
                           waiting_long=waiting_long)


@bp.route("/c/<slug>/exports/<name>")
@roles("organiser")
def export_download(slug: str, name: str):
    path = export_file(campaign_or_404(slug), name)
    if path is None:
        abort(404)
    mimetype = "application/pdf" if name.endswith(".pdf") else "text/csv"
    return send_file(path, mimetype=mimetype, as_attachment=True, download_name=name)


@bp.route("/c/<slug>/households/reissue", methods=["POST"])
@roles("organiser")
def codes_reissue(slug: str):
    campaign = campaign_or_404(slug)
    form = ReissueForm()
    if not form.validate_on_submit():
        return _households_page(campaign, 422, reissue_form=form)
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", form.household_id.data)[:40]
    path = exports_dir(slug) / f"letter-reissue-{safe}-{_stamp()}.csv"
    try:
        letter = reissue_code(campaign, form.household_id.data.strip(), csv_deliverer(path))
    except AwardsError as exc:
        form.household_id.errors.append(describe(exc))
        return _households_page(campaign, 422, reissue_form=form)
    write_pdf_file(campaign, [letter], path.with_suffix(".pdf"))
    flash(_("The old code is void. Print the new letter: %(name)s",
            name=path.with_suffix(".pdf").name), "success")
    return redirect(url_for(".households", slug=slug), code=303)


@bp.route("/c/<slug>/households/purge", methods=["POST"])
@roles("organiser")
def addresses_purge(slug: str):
    campaign = campaign_or_404(slug)
    if EmptyForm().validate_on_submit() and request.form.get("confirm") == "purge":
        count = purge_addresses(campaign)
        flash(_("%(n)s addresses deleted.", n=f"{count:,}"), "success")
    else:
        flash(_("Tick the box to confirm: addresses cannot be recovered."), "error")
    return redirect(url_for(".households", slug=slug), code=303)


@bp.route("/c/<slug>/turnout")
@roles("organiser", "auditor")
def turnout_page(slug: str):
    """Turnout in bands while voting is open; the fragment is polled by htmx."""
    campaign = campaign_or_404(slug)
    data = turnout(campaign)
    template = "organisers/_turnout.html" if wants_fragment() else "organisers/turnout.html"
    return render_template(template, campaign=campaign, turnout=data, form=PaperForm())


@bp.route("/c/<slug>/turnout/paper", methods=["POST"])
@roles("organiser")
def paper_upload(slug: str):
    campaign = campaign_or_404(slug)
    form = PaperForm()
    errors: list = []
    summary = None
    status = 200
    if form.validate_on_submit():
        try:
            summary = import_paper_ballots(campaign, form.returns.data.stream,
                                           dry_run=form.dry_run.data)
        except InvalidInput as exc:
            errors, status = exc.errors or [(0, describe(exc))], 422
        except AwardsError as exc:
            errors, status = [(0, describe(exc))], 422
    else:
        status = 422
    return render_template("organisers/turnout.html", campaign=campaign,
                           turnout=turnout(campaign), form=form, errors=errors,
                           summary=summary), status
