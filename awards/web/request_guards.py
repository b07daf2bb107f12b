"""Checks every request passes before its view runs.

* **NUL bytes.** No field of this application may hold U+0000: PostgreSQL refuses it in
  text, and a name or identifier containing it was not typed by a person. One guard answers
  400 with a readable message for any query argument, form field or path that carries one,
  before any view reads it.
* **Cross-site form posts.** The CSRF token is the main defence. Flask-WTF's extra check
  behind TLS wants a ``Referer`` naming this site, but the application sends
  ``Referrer-Policy: no-referrer`` (codes and receipts must not leak in referrers), so
  browsers send none and every form failed. In its place, the request's own provenance
  headers are checked, as Go's ``http.CrossOriginProtection`` and Django 4's CSRF
  middleware do: ``Sec-Fetch-Site`` when the browser sends it (every current browser does
  over HTTPS), else ``Origin`` when it names an origin. Under ``no-referrer`` browsers send
  ``Origin: null`` even for same-origin posts, so ``null`` alone proves nothing and the
  token decides.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import Flask, current_app, request
from flask_babel import gettext as _

from awards.web.errors import render_error

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Sec-Fetch-Site values a form on this site (or the user typing an address) produces.
SAME_ORIGIN_FETCH = frozenset({"same-origin", "none"})


def has_nul(values: Iterable[str]) -> bool:
    return any("\x00" in value for value in values)


def request_has_nul() -> bool:
    """True when the path, a query argument or a form field (name or value) holds U+0000."""
    if "\x00" in request.path:
        return True
    for pairs in (request.args, request.form):
        for key, values in pairs.lists():
            if "\x00" in key or has_nul(values):
                return True
    return any(has_nul([f.filename or ""]) for f in request.files.values())


def is_cross_site(method: str, sec_fetch_site: str | None, origin: str | None,
                  own_origin: str) -> bool:
    """Whether a request must be refused as coming from another site.

    Parameters
    ----------
    method
        The HTTP method; safe methods are never refused.
    sec_fetch_site
        The ``Sec-Fetch-Site`` header, if any (authoritative when present).
    origin
        The ``Origin`` header, if any; ``null`` carries no information.
    own_origin
        ``scheme://host[:port]`` of this request as the client sees it (behind a trusted
        proxy, after ``X-Forwarded-Proto``/``-Host``).
    """
    if method not in UNSAFE_METHODS:
        return False
    if sec_fetch_site:
        return sec_fetch_site.strip().lower() not in SAME_ORIGIN_FETCH
    if origin and origin.strip().lower() != "null":
        return origin.strip().rstrip("/").lower() != own_origin.lower()
    return False


def own_origin() -> str:
    return f"{request.scheme}://{request.host}"


def register_request_guards(app: Flask) -> None:
    """Install the guards; they run after Flask-WTF's token check, before any view."""

    @app.before_request
    def refuse_nul_bytes():
        if request_has_nul():
            return render_error(400, _("What was sent contains a character that is not "
                                       "allowed (a null character). Please check what you "
                                       "typed or pasted and try again."))
        return None

    @app.before_request
    def refuse_cross_site_posts():
        if not current_app.config.get("WTF_CSRF_ENABLED", True):
            return None
        if is_cross_site(request.method, request.headers.get("Sec-Fetch-Site"),
                         request.headers.get("Origin"), own_origin()):
            return render_error(403, _("This form was sent from another website, so it "
                                       "was refused. Open the page on this site and try "
                                       "again."))
        return None
