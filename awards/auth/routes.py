from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from ..access import public
from ..exceptions import InvalidInput
from ..extensions import db, limiter, login
from ..forms import EmptyForm
from ..models import User
from . import bp
from .forms import AcceptInvitationForm, SignInForm
from .services import accept_invitation, authenticate, open_invitation

HOME_BY_ROLE = {
    "organiser": "organisers.index",
    "auditor": "organisers.index",
    "coordinator": "departments.index",
    "judge": "judges.index",
}


@login.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id))


def staff_home() -> str:
    return url_for(HOME_BY_ROLE.get(current_user.role, "public.home"))


def _signin_limit() -> str:
    return current_app.config["STAFF_SIGNIN_LIMIT"]


@bp.route("/signin", methods=["GET", "POST"])
@public
@limiter.limit(_signin_limit, methods=["POST"])
def signin():
    if current_user.is_authenticated:
        return redirect(staff_home())
    form = SignInForm()
    if form.validate_on_submit():
        user = authenticate(form.username.data, form.password.data)
        if user is None:
            form.password.errors.append(_("The username or password is not right."))
        else:
            login_user(user)
            target = request.args.get("next", "")
            if not target.startswith("/") or target.startswith("//"):
                target = staff_home()
            return redirect(target, code=303)
    return render_template("auth/signin.html", form=form)


@bp.route("/signout", methods=["POST"])
@public
def signout():
    if EmptyForm().validate_on_submit():
        logout_user()
        flash(_("You have signed out."), "info")
    return redirect(url_for("public.home"), code=303)


@bp.route("/invite/<token>", methods=["GET", "POST"])
@public
@limiter.limit(_signin_limit, methods=["POST"])
def accept(token: str):
    invitation = open_invitation(token)
    form = AcceptInvitationForm()
    if form.validate_on_submit():
        try:
            user = accept_invitation(token, form.username.data, form.password.data)
        except InvalidInput as exc:
            form.username.errors.append(str(exc))
        else:
            login_user(user)
            flash(_("Welcome. Your account is ready."), "success")
            return redirect(staff_home(), code=303)
    return render_template("auth/accept.html", form=form, invitation=invitation)
