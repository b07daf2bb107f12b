from flask import Blueprint

bp = Blueprint("organisers", __name__)

from awards.web.organisers import routes, voting_routes  # noqa: E402,F401
from awards.web.organisers import entries_routes  # noqa: E402,F401
from awards.web.organisers import judging_routes  # noqa: E402,F401
from awards.web.organisers import assignment_routes  # noqa: E402,F401
from awards.web.organisers import setup_routes  # noqa: E402,F401
from awards.web.organisers import confirm_routes  # noqa: E402,F401
