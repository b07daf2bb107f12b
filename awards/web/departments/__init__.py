from flask import Blueprint

bp = Blueprint("departments", __name__)

from awards.web.departments import routes  # noqa: E402,F401
