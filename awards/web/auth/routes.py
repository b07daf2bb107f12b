from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_user, logout_user

from awards.accounts.services import (
    SignInThrottled,
    accept_invitation,
    open_invitation,
    reset_password,
    sign_in,
    sign_out,
    staff_signin_events,
)
from awards.accounts.invitation_targets import invitation_target
from awards.accounts.sessions import (
    SESSION_KEY,
    open_staff_session,
    user_for_session,
)
from awards.exceptions import InvalidInput
from awards.extensions import client_address, limiter, login
from awards.models import User
from awards.web.access import public, roles
from awards.web.auth import bp
from awards.web.auth.forms import AcceptInvitationForm, ResetPasswordForm, SignInForm
from awards.web.forms import EmptyForm
from awards.web.fragments import wants_fragment
from awards.web.messages import describe
from awards.web.safe_urls import same_site_path

HOME_BY_ROLE = {
    "organiser": "organisers.index",
    "auditor": "organisers.index",
    "coordinator": "departments.index",
    "judge": "judges.index",
}


@login.user_loader
def load_user(user_id: str) -> User | None:
    return user_for_session(int(user_id), session.get(SESSION_KEY))


@bp.before_app_request
def note_staff_activity() -> None:
    """Load the signed-in user before the view runs: loading notes the session's use
    (:func:`user_for_session`), so an idle session expires by the clock, not by chance."""
    _ = current_user.is_authenticated


def staff_home() -> str:
    return url_for(HOME_BY_ROLE.get(current_user.role, "public.home"))


def _signin_limit() -> str:
    return current_app.config["STAFF_SIGNIN_LIMIT"]


def start_session(user: User) -> None:
    """Sign ``user`` in on this browser with a fresh server-side session."""
    login_user(user)
    session[SESSION_KEY] = open_staff_session(user)


@bp.route("/signin", methods=["GET", "POST"])
@public
@limiter.limit(_signin_limit, methods=["POST"])
def signin():
    if current_user.is_authenticated:
        return redirect(staff_home())
    form = SignInForm()
    if form.validate_on_submit():
        try:
            user = sign_in(form.username.data, form.password.data, address=client_address())
        except SignInThrottled as exc:
            form.password.errors.append(ngettext(
                "Too many failed sign-ins for this username. Please wait %(num)s second "
                "before trying again.",
                "Too many failed sign-ins for this username. Please wait %(num)s seconds "
                "before trying again.", exc.seconds))
            response = current_app.make_response(
                (render_template("auth/signin.html", form=form), 429))
            response.headers["Retry-After"] = str(exc.seconds)
            return response
        if user is None:
            form.password.errors.append(_("The username or password is not right."))
        else:
            start_session(user)
            return redirect(same_site_path(request.args.get("next"), staff_home()), code=303)
    return render_template("auth/signin.html", form=form)


@bp.route("/signout", methods=["POST"])
@public
def signout():
    if EmptyForm().validate_on_submit():
        if current_user.is_authenticated:
            sign_out(session.get(SESSION_KEY), current_user.username)
        logout_user()
        session.pop(SESSION_KEY, None)
        flash(_("You have signed out."), "info")
    return redirect(url_for("public.home"), code=303)


@bp.route("/organiser/sign-ins")
@roles("organiser", "auditor")
def signins():
    """Staff sign-ins, failed sign-ins and sign-outs, newest first; ``?failed=1`` keeps only
    the failures. One route serves the page and, for htmx, the table."""
    failed_only = request.args.get("failed") == "1"
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    listing = staff_signin_events(failed_only=failed_only, page=page)
    template = "auth/_signins.html" if wants_fragment() else "auth/signins.html"
    return render_template(template, listing=listing, failed_only=failed_only)


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
            form.username.errors.append(describe(exc))
        else:
            start_session(user)
            flash(_("Welcome. Your account is ready."), "success")
            return redirect(staff_home(), code=303)
    return render_template("auth/accept.html", form=form, invitation=invitation,
                           target=invitation_target(invitation.department_code,
                                                    invitation.username))


@bp.route("/reset/<token>", methods=["GET", "POST"])
@public
@limiter.limit(_signin_limit, methods=["POST"])
def reset(token: str):
    """A password reset link issued from the people page: set a new password once."""
    invitation = open_invitation(token, purpose="reset")
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            user = reset_password(token, form.password.data, address=client_address())
        except InvalidInput as exc:
            form.password.errors.append(describe(exc))
        else:
            if current_user.is_authenticated:  # whoever was signed in on this browser
                sign_out(session.get(SESSION_KEY), current_user.username)
            logout_user()
            start_session(user)
            flash(_("Your new password is set. You are signed in."), "success")
            return redirect(staff_home(), code=303)
    status = 422 if form.errors else 200
    return render_template("auth/reset.html", form=form, invitation=invitation), status
