from flask import render_template
from flask_login import current_user
from sqlalchemy import func, select

from awards.extensions import db
from awards.models import Assignment, Campaign, Conflict, Judge, Scorecard
from awards.web.access import roles
from awards.web.judges import bp


@bp.route("/")
@roles("judge")
def index():
    """The panels this judge sits on, with assignment and scorecard counts."""
    judges = db.session.execute(
        select(Judge, Campaign).join(Campaign, Campaign.id == Judge.campaign_id)
        .where(Judge.user_id == current_user.id).order_by(Campaign.created_at.desc())
    ).all()
    summary = []
    for judge, campaign in judges:
        def count(model, *where):
            return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0

        summary.append({
            "campaign": campaign,
            "assigned": count(Assignment, Assignment.judge_id == judge.id),
            "submitted": count(Scorecard, Scorecard.judge_id == judge.id,
                               Scorecard.status == "submitted"),
            "conflicts": count(Conflict, Conflict.judge_id == judge.id),
        })
    return render_template("judges/index.html", summary=summary)
