from flask import render_template
from flask_login import current_user
from sqlalchemy import select

from awards.extensions import db
from awards.models import Campaign, Department, Entry
from awards.web.access import roles
from awards.web.departments import bp


@bp.route("/")
@roles("coordinator")
def index():
    """The coordinator's department in each campaign and its entries; nothing of others."""
    rows = db.session.execute(
        select(Campaign, Department)
        .join(Department, Department.campaign_id == Campaign.id)
        .where(Department.code == current_user.department_code, Campaign.state != "draft")
        .order_by(Campaign.created_at.desc())
    ).all()
    entries = {
        e.department_id: e
        for e in db.session.scalars(
            select(Entry).where(Entry.department_id.in_([d.id for _c, d in rows]))
        )
    }
    return render_template("departments/index.html", rows=rows, entries=entries)
