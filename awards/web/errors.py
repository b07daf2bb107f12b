"""One error module: answers in kind (page, htmx fragment or JSON), rolls the session back
on a server error and maps domain exceptions to 4xx with a message in the reader's language
(:func:`awards.web.messages.describe`).

It is also the requests' use-case boundary for refusals: a domain error rolls the request's
work back and records the refused change it carries in a transaction of its own; a refusal
that a view caught and answered itself is recorded the same way when the request ends."""

from __future__ import annotations

from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from awards.campaigns.services import has_pending_refusals, rollback_use_case
from awards.exceptions import AwardsError
from awards.extensions import db
from awards.web.access import is_staff_route
from awards.web.fragments import wants_fragment, wants_json
from awards.web.messages import describe

TITLES = {
    400: _l("The request could not be understood"),
    401: _l("Please sign in"),
    403: _l("You do not have access to this page"),
    404: _l("Page not found"),
    405: _l("This action is not allowed here"),
    409: _l("This change is not possible now"),
    413: _l("The file is too large"),
    415: _l("This type of file is not accepted"),
    429: _l("Too many attempts"),
    500: _l("Something went wrong on our side"),
}
DETAILS = {
    400: _l("Please go back and try again."),
    401: _l("Sign in to continue."),
    403: _l("If you think you should have access, contact the award secretariat."),
    404: _l("Check the address, or start again from the home page."),
    405: _l("Please go back and try again."),
    409: _l("Please go back and try again."),
    413: _l("Please choose a smaller file."),
    415: _l("Please choose a PDF, PNG or JPEG file."),
    429: _l("Please wait a moment before trying again."),
    500: _l("The error has been recorded. Please try again later."),
}


def signed_out_script_request() -> bool:
    """An htmx or JSON request to a staff route from a browser that is no longer signed in.
    Its CSRF token fails when the session cookie is gone, before the route's own sign-in
    check runs; it answers 401 like that check (:func:`awards.web.access.sign_in_needed`)."""
    if not (wants_fragment() or wants_json()) or current_user.is_authenticated:
        return False
    return is_staff_route(current_app.view_functions.get(request.endpoint or ""))


def render_error(status: int, message: str | None = None):
    title = str(TITLES.get(status, TITLES[500]))
    detail = message or str(DETAILS.get(status, DETAILS[500]))
    if wants_json():
        return jsonify(error=title, message=detail, status=status), status
    template = "errors/_error.html" if wants_fragment() else "errors/error.html"
    return render_template(template, status=status, title=title, detail=detail), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(AwardsError)
    def domain_error(exc: AwardsError):
        rollback_use_case()
        return render_error(exc.status, describe(exc))

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        if signed_out_script_request():
            return render_error(401)
        return render_error(400, str(_l("The form had expired. Please reload the page and try again.")))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        if status == 401:
            return render_error(401)
        detail = None
        if status == 429:
            retry = getattr(exc, "retry_after", None)
            detail = str(DETAILS[429])
            if retry:
                detail = str(_l("Please wait %(seconds)s seconds before trying again.", seconds=retry))
        return render_error(status if status in TITLES else 400, detail)

    @app.teardown_request
    def record_caught_refusals(_exc: BaseException | None) -> None:
        """A view that caught a refusal did not commit it: record it now, after the rest
        of the request's uncommitted work is rolled back."""
        if not has_pending_refusals():
            return
        try:
            rollback_use_case()
        except Exception:  # the answer is sent; a failed audit write is logged, not hidden
            db.session.rollback()
            app.logger.exception("a refused change could not be recorded")

    @app.errorhandler(Exception)
    def server_error(exc: Exception):
        db.session.rollback()
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return render_error(500)
