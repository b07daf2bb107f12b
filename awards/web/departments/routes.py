from flask import render_template
from flask_login import current_user

from awards.campaigns.panels import department_campaigns
from awards.web.access import roles
from awards.web.departments import bp


@bp.route("/")
@roles("coordinator")
def index():
    """The coordinator's department in each campaign and its entries; nothing of others."""
    rows, entries = department_campaigns(current_user.department_code)
    return render_template("departments/index.html", rows=rows, entries=entries)
