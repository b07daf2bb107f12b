from flask import redirect, render_template, request, session, url_for

from awards.campaigns.visibility import announced_campaigns
from awards.overview import database_answers
from awards.web.access import public
from awards.web.forms import EmptyForm
from awards.web.i18n import LANGUAGES
from awards.web.public import bp
from awards.web.safe_urls import same_site_path


@bp.route("/")
@public
def home():
    return render_template("public/home.html", campaigns=announced_campaigns())


@bp.route("/language", methods=["POST"])
@public
def set_language():
    """Store the language choice in the session (a form, so it works without JavaScript)."""

    form = EmptyForm()
    lang = request.form.get("lang", "")
    if form.validate_on_submit() and lang in LANGUAGES:
        session["lang"] = lang
        session.permanent = True
    return redirect(same_site_path(request.form.get("next"), url_for("public.home")), code=303)


@bp.route("/healthz")
@public
def healthz():
    database_answers()
    return {"status": "ok"}
