"""Access rules. Every view declares who may reach it with :func:`roles` or :func:`public`;
:func:`check_access_rules` makes the application refuse to start when a view has neither
(the idea follows votingworks/arlo's ``auth`` module)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, abort
from flask_login import current_user
from sqlalchemy import select

from awards.extensions import db, login
from awards.models import Campaign

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
                return login.unauthorized()
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        setattr(wrapped, ACCESS_ATTR, ("roles", allowed))
        return wrapped

    return decorate


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


def campaign_or_404(slug: str) -> Campaign:
    """The campaign named in a URL. Staff other than organisers and auditors see a campaign
    only through their own department or panel, which their blueprints check."""
    campaign = db.session.scalar(select(Campaign).where(Campaign.slug == slug))
    if campaign is None:
        abort(404)
    return campaign
