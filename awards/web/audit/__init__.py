"""Blueprint for publication and audit pages (verification page, audit log viewer)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("audit", __name__)

from awards.web.audit import routes  # noqa: E402,F401  (registers views on bp)
