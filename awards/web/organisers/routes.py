from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from awards.accounts.services import (
    RESET_DAYS,
    create_invitation,
    create_password_reset,
    password_reset_refusals,
    people_listing,
)
from awards.campaigns.services import next_state, voting_is_open
from awards.campaigns.visibility import all_campaigns
from awards.exceptions import AwardsError
from awards.extensions import db
from awards.models import User
from awards.overview import campaign_counts, chain_status, next_step
from awards.judging.rounds import round_row_state
from awards.labels import label
from awards.phases import ROUND_CLOSED_BY, move_phase, phase_move_refusals
from awards.web.access import campaign_or_404, roles
from awards.web.confirmation import confirmation_page, confirmed
from awards.web.forms import EmptyForm
from awards.web.messages import describe
from awards.web.organisers import bp
from awards.web.organisers.forms import InvitationForm, PhaseForm


@bp.route("/")
@roles("organiser", "auditor")
def index():
    campaigns = all_campaigns()
    counts = {c.id: campaign_counts(c) for c in campaigns}
    return render_template("organisers/index.html", campaigns=campaigns, counts=counts)


@bp.route("/c/<slug>")
@roles("organiser", "auditor")
def campaign(slug: str):
    campaign = campaign_or_404(slug)
    form = PhaseForm(target=next_state(campaign) or "")
    return render_template(
        "organisers/campaign.html",
        campaign=campaign,
        counts=campaign_counts(campaign),
        chain=chain_status(campaign),
        next_state=next_state(campaign),
        voting_open=voting_is_open(campaign),
        form=form,
        step=next_step(campaign) if current_user.role == "organiser" else None,
        describe=describe,
    )


@bp.route("/c/<slug>/phase", methods=["POST"])
@roles("organiser")
def phase(slug: str):
    """Move to the next phase. A move that closes a judging round is irreversible: its
    first post shows what will happen (or why it cannot) and changes nothing."""
    campaign = campaign_or_404(slug)
    form = PhaseForm()
    if form.validate_on_submit():
        target = form.target.data
        if ROUND_CLOSED_BY.get(target) and not confirmed():
            return confirm_round_closing_move(campaign, target)
        try:
            move_phase(campaign, target)
        except AwardsError as exc:
            db.session.rollback()
            flash(describe(exc), "error")
        else:
            flash(_("The campaign moved to the next phase."), "success")
    return redirect(url_for(".campaign", slug=slug), code=303)


def confirm_round_closing_move(campaign, target: str):
    """The confirmation of a phase move that closes a round (SPEC 8)."""
    round_name = ROUND_CLOSED_BY[target]
    happens = [_("The campaign moves to “%(state)s”; it cannot move back.",
                 state=label(target))]
    if round_row_state(campaign, round_name) != "closed":
        happens.append(_("%(round)s closes: judges can no longer change its scorecards; "
                         "only a reopen with a reason allows a change.",
                         round=label(round_name)))
    if target == "finalists_announced":
        happens.append(_("The finalists are those of the latest computed results."))
    return confirmation_page(
        campaign, title=_("Move to “%(state)s”", state=label(target)),
        action=url_for(".phase", slug=campaign.slug),
        button=_("Move to “%(state)s” now", state=label(target)),
        back=url_for(".campaign", slug=campaign.slug), happens=happens,
        freezes=[_("the scorecards of the %(round)s", round=label(round_name))],
        refusals=[describe(e) for e in phase_move_refusals(campaign, target)],
        fields={"target": target}, danger=True)


@bp.route("/people", methods=["GET", "POST"])
@roles("organiser")
def people():
    form = InvitationForm()
    link = None
    if form.validate_on_submit():
        try:
            token = create_invitation(
                form.role.data, name=form.name.data,
                department_code=form.department_code.data or None,
                username=form.username.data or None, actor=current_user.username)
        except AwardsError as exc:
            form.role.errors.append(describe(exc))
        else:
            link = url_for("auth.accept", token=token, _external=True)
    status = 200 if request.method == "GET" or link or not form.errors else 422
    return people_page(form, link=link), status


def people_page(form: InvitationForm, **shown):
    listing = people_listing()
    return render_template("organisers/people.html", form=form, users=listing.users,
                           invitations=listing.invitations, reset_form=EmptyForm(),
                           reset_days=RESET_DAYS, **shown)


@bp.route("/people/<username>/reset", methods=["POST"])
@roles("organiser")
def reset_signin(username: str):
    """Reset a staff member's sign-in: the first post shows what will happen, the
    confirmed one ends the password and sessions and shows the one-time link, once."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        abort(404)
    back = url_for(".people")
    if not confirmed():
        return confirmation_page(
            None, title=_("Reset the sign-in of %(username)s", username=user.username),
            action=url_for(".reset_signin", username=user.username),
            button=_("Reset the sign-in now"), back=back, danger=True,
            happens=[_("The present password of %(username)s stops working now.",
                       username=user.username),
                     _("Every signed-in session of the account ends now."),
                     _("A one-time link is shown to you once: the person opens it to set a "
                       "new password. It expires in %(days)s days.", days=RESET_DAYS)],
            refusals=[describe(e) for e in password_reset_refusals(user,
                                                                    current_user.username)])
    try:
        token = create_password_reset(user.username, actor=current_user.username)
    except AwardsError as exc:
        db.session.rollback()
        flash(describe(exc), "error")
        return redirect(back, code=303)
    return people_page(InvitationForm(formdata=None), reset_for=user.username,
                       reset_link=url_for("auth.reset", token=token, _external=True))
