"""Whether to answer with a fragment or a whole page.

htmx sends ``HX-Request: true`` with every request it makes, including boosted links and
forms (``hx-boost``) and history restores after a cache miss; those swap the whole
``<body>`` and need a full page. Only a targeted htmx request (a filter, a poll) gets a
fragment. Every view and the error handlers ask :func:`wants_fragment`, nothing else.
A script that asks for JSON (the scorecard's saves) gets JSON: :func:`wants_json`.
"""

from __future__ import annotations

from flask import request

from awards.extensions import htmx


def wants_fragment() -> bool:
    """True for an htmx request that is neither boosted nor a history restore."""
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def wants_json() -> bool:
    """True when the request prefers JSON to HTML (its ``Accept`` header says so)."""
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return (best == "application/json"
            and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"])
