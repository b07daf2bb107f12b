from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from awards.accounts.services import create_invitation, people_listing
from awards.campaigns.services import next_state, voting_is_open
from awards.campaigns.visibility import all_campaigns
from awards.exceptions import AwardsError
from awards.extensions import db
from awards.overview import campaign_counts, chain_status, next_step
from awards.phases import move_phase
from awards.web.access import campaign_or_404, roles
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
    campaign = campaign_or_404(slug)
    form = PhaseForm()
    if form.validate_on_submit():
        try:
            move_phase(campaign, form.target.data)
        except AwardsError as exc:
            db.session.rollback()
            flash(describe(exc), "error")
        else:
            flash(_("The campaign moved to the next phase."), "success")
    return redirect(url_for(".campaign", slug=slug), code=303)


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
            form.role.errors.append(str(exc))
        else:
            link = url_for("auth.accept", token=token, _external=True)
    listing = people_listing()
    status = 200 if request.method == "GET" or link or not form.errors else 422
    return render_template("organisers/people.html", form=form, link=link,
                           users=listing.users, invitations=listing.invitations), status
