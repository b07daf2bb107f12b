from flask import Blueprint

bp = Blueprint("judges", __name__)

from awards.web.judges import routes  # noqa: E402,F401
