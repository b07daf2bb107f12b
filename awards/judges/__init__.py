from flask import Blueprint

bp = Blueprint("judges", __name__)

from . import routes  # noqa: E402,F401
