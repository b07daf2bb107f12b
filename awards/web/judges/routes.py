from flask import render_template
from flask_login import current_user

from awards.campaigns.panels import judge_panels
from awards.web.access import roles
from awards.web.judges import bp


@bp.route("/")
@roles("judge")
def index():
    """The panels this judge sits on, with assignment and scorecard counts."""
    return render_template("judges/index.html", summary=judge_panels(current_user.id))
