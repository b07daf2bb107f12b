"""Blueprint for the organiser and public results pages and their exports."""

from flask import Blueprint

bp = Blueprint("results", __name__)

from awards.web.results import routes  # noqa: E402,F401  (registers the views on bp)
