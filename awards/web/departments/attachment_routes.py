"""Entry attachments (SPEC 5.1, 5.7): the coordinator uploads and removes files on the draft;
the department's coordinators, organisers, auditors and the judges who may read the entry
download them.

Uploads are plain multipart forms (htmx swaps only the attachments box when JavaScript
runs). The request size and form limits of the upload route are set per request, before
anything reads the body (Flask 3.1's ``request.max_content_length``, ``max_form_memory_size``
and ``max_form_parts``), so an oversized request is refused with 413 and nothing is read
into memory or stored; other routes keep the application's limits."""

from __future__ import annotations

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
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from awards.campaigns.services import rollback_use_case
from awards.entries.attachments import ACCEPTED_TYPES, MAX_BYTES, download_headers
from awards.entries.uploads import add_attachment, find_download, remove_attachment
from awards.exceptions import AttachmentRefused, AwardsError, NotFound
from awards.judging.entry_view import readable_departments
from awards.web.access import campaign_or_404, roles
from awards.web.departments import bp
from awards.web.departments.routes import _page, _scope, attachments_context
from awards.web.errors import render_error
from awards.web.fragments import wants_fragment
from awards.web.messages import describe

UPLOAD_ENDPOINT = "departments.entry_attachments"
# Defaults of the upload route's limits (app config overrides each): the largest accepted
# file plus room for the multipart headers and the CSRF token; the form's other fields are
# tiny (Werkzeug's multipart parser holds up to one 64 KiB read of the body at a time, so
# the form memory limit must stay above that), and it has two parts (the token and the
# file).
UPLOAD_LIMITS = {
    "ENTRY_UPLOAD_MAX_CONTENT_LENGTH": MAX_BYTES + 64 * 1024,
    "ENTRY_UPLOAD_MAX_FORM_MEMORY_SIZE": 256 * 1024,
    "ENTRY_UPLOAD_MAX_FORM_PARTS": 8,
}


@bp.url_value_preprocessor
def upload_limits(endpoint: str | None, _values: dict | None) -> None:
    """Runs before every ``before_request`` (the CSRF check reads the form first)."""
    if endpoint != UPLOAD_ENDPOINT:
        return
    config = current_app.config
    limit = lambda name: int(config.get(name, UPLOAD_LIMITS[name]))  # noqa: E731
    request.max_content_length = limit("ENTRY_UPLOAD_MAX_CONTENT_LENGTH")
    request.max_form_memory_size = limit("ENTRY_UPLOAD_MAX_FORM_MEMORY_SIZE")
    request.max_form_parts = limit("ENTRY_UPLOAD_MAX_FORM_PARTS")


@bp.app_template_filter("filesize")
def file_size(size: int) -> str:
    if size < 1024:
        return _("%(n)s bytes", n=f"{size:,}")
    if size < 2**20:
        return f"{size / 1024:.1f} KiB"
    return f"{size / 2**20:.1f} MiB"


@bp.app_template_filter("filekind")
def file_kind(content_type: str) -> str:
    """``PDF``, ``PNG`` or ``JPEG``."""
    return ACCEPTED_TYPES.get(content_type, (content_type,))[0]


def _answer(campaign, department, status: int, message: str):
    """A refusal: the attachments box (htmx) or the entry page, with the reason."""
    if wants_fragment():
        return render_template("departments/_attachments.html",
                               **attachments_context(campaign, department),
                               attachment_message=message), status
    return _page(campaign, department, status=status, message=message)


def _done(campaign, department, notice: str):
    """A change made: the attachments box (htmx) with the notice, or back to the entry
    page's attachments (303) with it as a message."""
    if wants_fragment():
        return render_template("departments/_attachments.html",
                               **attachments_context(campaign, department),
                               attachment_notice=notice)
    flash(notice, "success")
    return redirect(url_for(".entry", slug=campaign.slug, _anchor="attachments"), code=303)


@bp.route("/c/<slug>/entry/attachments", methods=["POST"])
@roles("coordinator")
def entry_attachments(slug: str):
    """Upload one file (field ``file``) to the draft; refused with 4xx and nothing stored."""
    campaign, department = _scope(slug)
    upload = request.files.get("file")
    try:
        if upload is None or not (upload.filename or "").strip():
            raise AttachmentRefused("choose a file to upload", code="attachment.no_file",
                                    status=422)
        data = upload.read(MAX_BYTES + 1)  # the request limit bounds it; one byte over is enough
        row = add_attachment(campaign, department, data, upload.filename)
    except AwardsError as exc:
        rollback_use_case()
        return _answer(campaign, department, exc.status, describe(exc))
    return _done(campaign, department, _("Attached: %(name)s", name=row.filename))


@bp.route("/c/<slug>/entry/attachments/<sha256>/remove", methods=["POST"])
@roles("coordinator")
def entry_attachment_remove(slug: str, sha256: str):
    """Remove one attachment from the draft (its row; the stored file stays)."""
    campaign, department = _scope(slug)
    try:
        row = remove_attachment(campaign, department, sha256)
    except AwardsError as exc:
        rollback_use_case()
        return _answer(campaign, department, exc.status, describe(exc))
    return _done(campaign, department, _("Removed: %(name)s", name=row.filename))


def _readable_departments(campaign) -> tuple[list, bool]:
    """The departments whose files the signed-in user may download, and whether only the
    submitted snapshots count (judges)."""
    if current_user.role in ("organiser", "auditor"):
        return list(campaign.departments), False
    if current_user.role == "coordinator":
        return [d for d in campaign.departments
                if d.code == current_user.department_code], False
    return readable_departments(campaign, current_user.id), True


@bp.route("/c/<slug>/entry/attachments/<sha256>")
@roles("coordinator", "organiser", "auditor", "judge")
def entry_attachment(slug: str, sha256: str):
    """The file, only ever as a download (SPEC 5.1). 404 for anyone who may not read the
    entry it belongs to, and for a hash that belongs to no entry they may read."""
    campaign = campaign_or_404(slug)
    departments, snapshots_only = _readable_departments(campaign)
    try:
        found = find_download(campaign, departments, sha256, snapshots_only=snapshots_only)
    except NotFound:
        abort(404)
    response = send_file(found.path, mimetype=found.content_type, as_attachment=True,
                         download_name=found.filename, max_age=0, conditional=False,
                         etag=False)
    response.headers.update(download_headers(found.filename, found.content_type))
    return response


@bp.errorhandler(RequestEntityTooLarge)
def upload_too_large(_exc: RequestEntityTooLarge):
    """413 before the body was read: the reason in the reader's language, nothing stored."""
    limit = f"{MAX_BYTES // 2**20} MiB"
    message = describe(AttachmentRefused(
        f"the upload is larger than {limit}; nothing was stored",
        code="attachment.request_too_large", status=413, limit=limit))
    if (request.endpoint == UPLOAD_ENDPOINT and current_user.is_authenticated
            and current_user.role == "coordinator"):
        try:
            campaign, department = _scope((request.view_args or {}).get("slug", ""))
        except HTTPException:
            return render_error(404)
        return _answer(campaign, department, 413, message)
    return render_error(413, message)
