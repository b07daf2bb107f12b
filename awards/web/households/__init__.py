"""The household voting blueprint (``/vote``, ``/receipt``)."""

from flask import Blueprint

bp = Blueprint("voting", __name__)

from awards.web.households import routes  # noqa: E402,F401
