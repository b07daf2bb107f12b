from flask import Blueprint

bp = Blueprint("auth", __name__)

from awards.web.auth import routes  # noqa: E402,F401
