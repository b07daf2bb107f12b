from flask import Blueprint

bp = Blueprint("departments", __name__)

from awards.web.departments import attachment_routes, routes  # noqa: E402,F401
