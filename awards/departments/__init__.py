from flask import Blueprint

bp = Blueprint("departments", __name__)

from . import routes  # noqa: E402,F401
