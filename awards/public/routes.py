from flask import redirect, render_template, request, session, url_for
from sqlalchemy import select

from ..access import public
from ..extensions import db
from ..i18n import LANGUAGES
from ..models import Campaign
from . import bp


@bp.route("/")
@public
def home():
    campaigns = db.session.scalars(
        select(Campaign).where(Campaign.state != "draft").order_by(Campaign.created_at.desc())
    ).all()
    return render_template("public/home.html", campaigns=campaigns)


@bp.route("/language", methods=["POST"])
@public
def set_language():
    """Store the language choice in the session (a form, so it works without JavaScript)."""
    from ..forms import EmptyForm

    form = EmptyForm()
    lang = request.form.get("lang", "")
    if form.validate_on_submit() and lang in LANGUAGES:
        session["lang"] = lang
        session.permanent = True
    target = request.form.get("next", "")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("public.home")
    return redirect(target, code=303)


@bp.route("/healthz")
@public
def healthz():
    db.session.execute(select(1))
    return {"status": "ok"}
