"""Access rules. Every view declares who may reach it with :func:`roles` or :func:`public`;
:func:`check_access_rules` makes the application refuse to start when a view has neither
(the idea follows votingworks/arlo's ``auth`` module)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, abort
from flask_login import current_user

from awards.campaigns.visibility import published_campaign, visible_campaign
from awards.extensions import login
from awards.models import Campaign
from awards.web.fragments import wants_fragment, wants_json

ACCESS_ATTR = "_access_rule"
# Endpoints provided by Flask itself.
EXEMPT_ENDPOINTS = {"static"}


class MissingAccessRule(RuntimeError):
    """Raised at start-up naming every view without an access rule."""


def public(view: Callable) -> Callable:
    """Anyone may reach this view, signed in or not."""
    setattr(view, ACCESS_ATTR, "public")
    return view


def roles(*allowed: str) -> Callable[[Callable], Callable]:
    """Only signed-in staff with one of ``allowed`` roles; others are sent to sign in (401)
    or refused (403)."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any):
            if not current_user.is_authenticated:
                return sign_in_needed()
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        setattr(wrapped, ACCESS_ATTR, ("roles", allowed))
        return wrapped

    return decorate


def sign_in_needed():
    """The answer to a staff route without a valid sign-in (never signed in, signed out
    elsewhere, or the session expired): a redirect to the sign-in page for a page, but 401
    for a script's request (htmx or JSON: an autosave, a scorecard save), which would
    otherwise follow the redirect and take the sign-in page's 200 for a successful save."""
    if wants_fragment() or wants_json():
        abort(401)
    return login.unauthorized()


def is_staff_route(view: Callable | None) -> bool:
    """Whether ``view`` is reached only by signed-in staff (declared with :func:`roles`)."""
    rule = getattr(view, ACCESS_ATTR, None)
    return isinstance(rule, tuple) and rule[0] == "roles"


def check_access_rules(app: Flask) -> None:
    """Refuse to start when any route lacks an access rule.

    Raises
    ------
    MissingAccessRule
        Listing the endpoints without a rule.
    """
    missing = sorted(
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint not in EXEMPT_ENDPOINTS and not hasattr(view, ACCESS_ATTR)
    )
    if missing:
        raise MissingAccessRule("routes without an access rule: " + ", ".join(missing))


def campaign_or_404(slug: str, *, results: bool = False) -> Campaign:
    """The campaign named in a staff URL, or 404 unless the signed-in user may see it:
    organisers and auditors every campaign, a coordinator those that list their
    department, a judge those whose panel they sit on; with ``results``, a page of its
    results, which only organisers see before publication
    (:mod:`awards.campaigns.visibility`). A campaign the user may not see answers as one
    that does not exist."""
    campaign = None
    if current_user.is_authenticated:
        campaign = visible_campaign(slug, role=current_user.role, user_id=current_user.id,
                                    department_code=current_user.department_code,
                                    results=results)
    if campaign is None:
        abort(404)
    return campaign


def published_campaign_or_404(slug: str) -> Campaign:
    """The campaign named in a public URL, or 404 until its results are published."""
    campaign = published_campaign(slug)
    if campaign is None:
        abort(404)
    return campaign
