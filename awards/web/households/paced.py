"""A paced browser session's refusals, answered before the application runs (SPEC section 4:
a flood of guessed codes must not slow real voters).

A browser session that failed too many codes within the pacing window is refused (429)
until its oldest failure leaves the window, whatever well-formed code it sends: the refusal
checks no code and changes nothing. Under a flood from clients that keep their session,
these refusals are nearly all of the server's work, and the application's full request
cycle (the session cookie, the CSRF check, the hooks, the rate-limit store's round trip,
the page) costs several times what the answer needs. So the application hands its first
such refusal to this middleware, which remembers it for that session cookie until the
session may try again, and answers later posts of the code form that carry the same cookie
from it: the same status, headers and page (with the session's CSRF token), with this
post's typed code and the seconds left. The post's own token is not checked: the answer
changes nothing, and only the cookie's holder receives it.

Only a wait the session's own failures impose in full is remembered (not one its address
or network imposes, or lengthens: the same browser may try at once from elsewhere, and the
seconds it is told are the application's). A remembered session that then moves to an
address whose wait ends later is told its own wait first, and the rest by the application
once that has passed: never a longer wait than the application's. A refusal is replayed
only to the languages the browser asked for when it was given (``Accept-Language``; a
language chosen on the site is in the cookie). Answers that set a cookie are not
remembered: a session made permanent by choosing a language gets a fresh cookie with every
answer, so its refusals always take the full path. Only a plain post of the code form with
a well-formed code is answered (no query string, a small ASCII form body without NUL; a
typo is told so, paced or not). Each process remembers its own refusals: the first post
after a restart, or to another worker, takes the full path.
"""

from __future__ import annotations

import io
import math
import time
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import request
from markupsafe import escape
from werkzeug.http import parse_cookie

from awards.voting.codes import CodeTypo, parse_code

CODE_HOLE = "\ue000code\ue000"
SECONDS_HOLE = "\ue000seconds\ue000"
_PATH = "/vote"
_REFUSAL = "awards.paced_refusal"  # the WSGI environ key the view leaves its refusal under
_MOST_BODY_BYTES = 4096  # a code form's post is a few hundred bytes
# Each refusal holds its page (about 8 kB); a flood keeping its sessions needs one per
# flood client that reaches this process. Past the bound the expired ones go, or all.
_MOST_REMEMBERED = 1024
_FORM = "application/x-www-form-urlencoded"


def fill(page: str, code: str | None, seconds: int | None = None) -> str:
    """The code page with its holes filled: the typed code (escaped as the form field
    would), and the seconds to wait where a refusal says them."""
    page = page.replace(CODE_HOLE, str(escape(code or "")))
    return page if seconds is None else page.replace(SECONDS_HOLE, str(seconds))


def remember_refusal(page: str, until: float) -> None:
    """Offer this request's refusal (the code page with its holes for the code and the
    seconds) to the middleware, until the ``time.monotonic()`` its session's wait ends."""
    request.environ[_REFUSAL] = (until, page)


@dataclass(frozen=True)
class _Refusal:
    until: float  # time.monotonic() when the session may try again
    languages: str  # the Accept-Language it was answered for
    status: str
    headers: tuple[tuple[str, str], ...]  # all but Content-Length
    page: str


class PacedSessions:
    """WSGI middleware answering a paced session's posts of the code form from the
    refusal the application gave it first."""

    def __init__(self, app: Callable[..., Iterable[bytes]], cookie_name: str):
        self.app = app
        self.cookie_name = cookie_name
        self.refusals: dict[str, _Refusal] = {}

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        """A remembered refusal for this post's session, or the application's answer
        (remembered when the application offers it)."""
        if (environ.get("REQUEST_METHOD") != "POST" or environ.get("PATH_INFO") != _PATH
                or environ.get("QUERY_STRING")):
            return self.app(environ, start_response)
        cookie = parse_cookie(environ).get(self.cookie_name)
        if not cookie:
            return self.app(environ, start_response)
        refusal = self.refusals.get(cookie)
        if refusal is not None:
            left = refusal.until - time.monotonic()
            if left <= 0:
                self.refusals.pop(cookie, None)
            elif refusal.languages == environ.get("HTTP_ACCEPT_LANGUAGE", ""):
                code = _typed_code(environ)
                if code is not None:
                    body = fill(refusal.page, code, max(1, math.ceil(left))).encode()
                    start_response(refusal.status, [
                        *refusal.headers, ("Content-Length", str(len(body)))])
                    return [body]
        return self._answer_and_remember(cookie, environ, start_response)

    def _answer_and_remember(self, cookie: str, environ: dict[str, Any],
                             start_response: Callable[..., Any]) -> Iterable[bytes]:
        """The application's answer, unchanged; a refusal it offers (a 429 that sets no
        cookie) is remembered under ``cookie``."""
        answered: list[Any] = []

        def capture(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            answered[:] = [status, headers]
            return start_response(status, headers, *exc_info)

        body = self.app(environ, capture)
        offered = environ.get(_REFUSAL)
        if offered is not None and answered and answered[0].startswith("429 "):
            status, headers = answered
            if not any(name.lower() == "set-cookie" for name, _value in headers):
                self._remember(cookie, _Refusal(
                    offered[0], environ.get("HTTP_ACCEPT_LANGUAGE", ""), status,
                    tuple((n, v) for n, v in headers if n.lower() != "content-length"),
                    offered[1]))
        return body

    def _remember(self, cookie: str, refusal: _Refusal) -> None:
        if len(self.refusals) >= _MOST_REMEMBERED:
            now = time.monotonic()
            for key, old in list(self.refusals.items()):
                if old.until <= now:
                    self.refusals.pop(key, None)
            if len(self.refusals) >= _MOST_REMEMBERED:
                self.refusals.clear()
        self.refusals[cookie] = refusal


def _typed_code(environ: dict[str, Any]) -> str | None:
    """The ``code`` field of a small url-encoded form post when it holds a well-formed code
    (the only kind the application paces), else None. The body, once read, is put back for
    the application."""
    if not environ.get("CONTENT_TYPE", "").startswith(_FORM):
        return None
    length = environ.get("CONTENT_LENGTH", "")
    if not (length.isascii() and length.isdigit()) or int(length) > _MOST_BODY_BYTES:
        return None
    body = environ["wsgi.input"].read(int(length))
    environ["wsgi.input"] = io.BytesIO(body)
    if not body.isascii():
        return None  # browsers percent-encode a form: the application answers the rest
    text = body.decode("ascii")
    if "%00" in text or "\x00" in text:
        return None  # the application's guard answers it
    fields = urllib.parse.parse_qs(text, keep_blank_values=True, encoding="utf-8",
                                   errors="replace")
    code = fields.get("code", [""])[0]
    try:
        parse_code(code)
    except CodeTypo:
        return None  # a typo is told so, paced or not (and never counts)
    return code
