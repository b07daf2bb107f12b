"""Confirmation pages for the irreversible steps (SPEC section 8): draw the sample, issue
codes, open voting, close voting, publish.

The action's button posts to the action's route; that first post only shows what will
happen and what will be frozen, and changes nothing. The confirmation page's form posts
the same fields again with ``confirm=yes``, which performs the step. Plain forms: it works
without JavaScript. Nothing is offered when the step cannot be done: the page says why.
"""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _

from awards.campaigns.eligibility import eligible_departments
from awards.campaigns.readiness import voting_open_refusals
from awards.campaigns.services import voting_window_is_open
from awards.exceptions import AwardsError
from awards.extensions import db
from awards.phases import close_voting, open_voting
from awards.results.view import METHOD_NAMES
from awards.voting.households import codes_issue_refusal
from awards.web.access import campaign_or_404, roles
from awards.web.confirmation import confirmation_page, confirmed
from awards.web.forms import EmptyForm
from awards.web.messages import describe
from awards.web.organisers import bp


def frozen_when_voting_opens(campaign) -> list[str]:
    """SPEC section 2: what opening the vote freezes, with this campaign's values."""
    competing = eligible_departments(campaign)
    return [
        _("the competing departments (%(n)s): %(codes)s", n=len(competing),
          codes=", ".join(d.code for d in competing) or "—"),
        _("the districts (%(n)s) and their household totals", n=len(campaign.districts)),
        _("the criteria weights and scales"),
        _("the judge method (%(method)s), public weight %(weight)s",
          method=METHOD_NAMES.get(campaign.judge_method, campaign.judge_method),
          weight=campaign.public_weight),
        _("choices per household (%(n)s) and finalists (%(f)s)", n=campaign.max_choices,
          f=campaign.finalists),
        _("the code set and the seed"),
    ]


@bp.route("/c/<slug>/voting/open", methods=["POST"])
@roles("organiser")
def voting_open(slug: str):
    campaign = campaign_or_404(slug)
    if not EmptyForm().validate_on_submit():
        abort(400)
    back = url_for(".campaign", slug=slug)
    if not confirmed():
        return confirmation_page(
            campaign, title=_("Open voting"), action=url_for(".voting_open", slug=slug),
            button=_("Open voting now"), back=back,
            happens=[_("Households can vote with their codes from now on, on the web and on "
                       "paper, until you close voting."),
                     _("Counts are shown only in bands while voting is open.")],
            freezes=frozen_when_voting_opens(campaign) if not campaign.is_frozen else [],
            refusals=[describe(e) for e in voting_open_refusals(campaign)])
    try:
        open_voting(campaign)
    except AwardsError as exc:
        db.session.rollback()
        flash(describe(exc), "error")
    else:
        flash(_("Voting is open."), "success")
    return redirect(back, code=303)


@bp.route("/c/<slug>/voting/close", methods=["POST"])
@roles("organiser")
def voting_close(slug: str):
    campaign = campaign_or_404(slug)
    if not EmptyForm().validate_on_submit():
        abort(400)
    back = url_for(".campaign", slug=slug)
    if not confirmed():
        refusals = [] if voting_window_is_open(campaign) else [_("voting is not open")]
        return confirmation_page(
            campaign, title=_("Close voting"), action=url_for(".voting_close", slug=slug),
            button=_("Close voting now"), back=back, danger=True,
            happens=[_("No code can vote any more, on the web or on paper."),
                     _("Ballots still waiting in the inbox are mixed into the tally now."),
                     _("Exact counts become visible; results can then be computed.")],
            refusals=refusals)
    try:
        close_voting(campaign)
    except AwardsError as exc:
        db.session.rollback()
        flash(describe(exc), "error")
    else:
        flash(_("Voting is closed."), "success")
    return redirect(back, code=303)


def confirm_sample(campaign, size: int, seed: str, allocation: dict[str, int]):
    """The draw's confirmation: the allocation per district (S1) and the seed."""
    return confirmation_page(
        campaign, title=_("Draw the sample"),
        action=url_for(".sample_draw", slug=campaign.slug), button=_("Draw the sample now"),
        back=url_for(".households", slug=campaign.slug),
        happens=[_("The seed “%(seed)s” is recorded in the audit log after the frame digest.",
                   seed=seed),
                 _("%(n)s households are drawn, allocated to districts as below.",
                   n=f"{size:,}")],
        freezes=[_("the sample: it cannot be drawn again"),
                 _("the household frame: it can no longer be replaced")],
        fields={"size": size, "seed": seed}, allocation=allocation)


def confirm_codes(campaign):
    """The code issue's confirmation: how many letters, and what cannot be undone."""
    refusal = codes_issue_refusal(campaign)
    sampled = sum(d.sample_size for d in campaign.districts)
    return confirmation_page(
        campaign, title=_("Issue codes"), action=url_for(".codes_issue", slug=campaign.slug),
        button=_("Issue %(n)s codes now", n=f"{sampled:,}"),
        back=url_for(".households", slug=campaign.slug),
        happens=[_("One code is issued for each of the %(n)s sampled households.",
                   n=f"{sampled:,}"),
                 _("letters.csv is written now and the printable PDF is prepared: they are "
                   "the only copy of the codes.")],
        freezes=[_("the code set: codes are issued once; a lost letter gets a reissue")],
        refusals=[describe(refusal)] if refusal is not None else [],
        allocation={d.code: d.sample_size for d in campaign.districts})
