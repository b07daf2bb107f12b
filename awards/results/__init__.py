"""Scoring and results (SPEC sections 5, 6 and 8): paper score sheets, computing and storing
numbered result versions, the organiser and public results pages, and the exports.

``bp`` is registered by the application factory without a URL prefix; ``cli.register`` adds
``flask awards scores import`` and ``flask awards results``.
"""

from flask import Blueprint

bp = Blueprint("results", __name__)

from . import routes  # noqa: F401  (registers the views on bp)
