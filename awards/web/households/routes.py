"""Household pages: code → ballot → review → confirm → receipt; and the receipt check.

Nothing here logs a code or a choice. Choices travel in POST bodies only, never in URLs.
"""

from __future__ import annotations

import time

from flask import (
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from flask_babel import gettext as _

from awards.campaigns.visibility import campaign_by_id
from awards.extensions import limiter
from awards.models import Campaign
from awards.strokes import stroke_key
from awards.voting import abuse
from awards.voting.ballots import (
    BadChoices,
    CodeNotAccepted,
    NoChoice,
    TooManyChoices,
    VotingClosed,
    burn_code_and_store_ballot,
    check_choices,
    eligible_departments,
    find_open_code,
    find_receipt,
)
from awards.voting.codes import BallotIdTypo, CodeTypo, parse_code
from awards.voting.vote_sessions import SESSION_SECONDS, claim_vote_session, open_vote_session
from awards.web.access import public
from awards.web.forms import EmptyForm
from awards.web.households import bp
from awards.web.households.forms import CodeForm, ReceiptForm
from awards.web.households.paced import CODE_HOLE, SECONDS_HOLE, fill, remember_refusal

SESSION_KEY = "vote"


@bp.app_template_global("failed_code_attempts")
def failed_code_attempts(campaign: Campaign) -> int:
    """For the organiser's alarm banner: failed codes since the campaign's voting opened."""
    return abuse.failed_guesses(campaign)


def _vote_session() -> dict | None:
    data = session.get(SESSION_KEY)
    if (not data or "token" not in data
            or time.time() - data.get("at", 0) > SESSION_SECONDS):
        session.pop(SESSION_KEY, None)
        return None
    return data


def _campaign_for(data: dict) -> Campaign | None:
    return campaign_by_id(data["campaign"])


def _sorted_departments(campaign: Campaign):
    """English names in alphabetical order; Chinese names in stroke order, as Hong Kong
    lists them (a Chinese reader looks for a name by its first character's strokes)."""
    departments = eligible_departments(campaign)
    if get_locale().language == "zh":
        return sorted(departments, key=lambda d: (stroke_key(d.name_zh), d.code))
    return sorted(departments, key=lambda d: (d.name_en.lower(), d.code))


@bp.route("/vote", methods=["GET", "POST"])
@public
def start():
    """Code entry. Typos are reported as typos and never touch the database; unknown, used
    and void codes get one answer; repeated failures are slowed down, for seconds."""
    form = CodeForm()
    if request.method == "POST" and form.validate_on_submit():
        status, pace = _enter_code(form)
        if status == 303:
            return redirect(url_for(".ballot"), code=303)
        page = _code_page(form)
        if pace is not None and pace.session_until is not None:
            remember_refusal(page, pace.session_until)
        return fill(page, form.code.data, pace.seconds if pace else None), status
    return fill(_code_page(form), form.code.data)


# The code page, and a refused code's answer (the page with its message). Under a flood of
# guessed codes these pages are most of the work the server does, and each is the same
# page every time for a household (no one signed in, no message waiting, no query) in one
# language: it is rendered once per process with holes where the form's CSRF token, the
# typed code and a wait's seconds go; the token is filled in here, the code and the seconds
# by the caller (and by the middleware that answers a paced session's later posts).
_TOKEN_HOLE = "\ue000token\ue000"
_REFUSALS = "awards.refused_code_pages"
_MOST_REFUSALS_KEPT = 64


def _code_page(form: CodeForm) -> str:
    """The code page with the form's errors, as ``render_template`` would give it but for
    the holes left for the typed code and the seconds (see :func:`paced.fill`)."""
    shared = not (current_user.is_authenticated or "_flashes" in session
                  or request.query_string or current_app.debug
                  or current_app.config.get("TEMPLATES_AUTO_RELOAD"))
    typed, form.code.data = form.code.data, CODE_HOLE
    try:
        if not shared:
            return render_template("voting/start.html", form=form)
        pages = current_app.extensions.setdefault(_REFUSALS, {})
        key = (str(get_locale()), tuple(str(e) for e in form.code.errors))
        page = pages.get(key)
        token = generate_csrf()
        if page is None:
            # The token is in the page three times: from csrf_token() (which reads it from
            # g) and from the form's hidden field (which read it when the form was made).
            token_name = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
            hidden = getattr(form, token_name, None)  # none when CSRF is switched off
            setattr(g, token_name, _TOKEN_HOLE)
            if hidden is not None:
                hidden.current_token = _TOKEN_HOLE
            try:
                page = render_template("voting/start.html", form=form)
            finally:
                setattr(g, token_name, token)
                if hidden is not None:
                    hidden.current_token = token
            if len(pages) >= _MOST_REFUSALS_KEPT:
                pages.clear()
            pages[key] = page
        return page.replace(_TOKEN_HOLE, token)
    finally:
        form.code.data = typed


def _enter_code(form: CodeForm) -> tuple[int, abuse.Pacing | None]:
    """Check the typed code; on success open the vote session. Returns the HTTP status,
    and the client's pacing when it must wait."""
    code = form.code.data or ""
    try:
        parse_code(code)
        pace = abuse.pacing()
        if pace.seconds:
            form.code.errors.append(_("Too many codes were tried from your connection. "
                                      "Please wait %(seconds)s seconds and try again.",
                                      seconds=SECONDS_HOLE))
            return 429, pace
        campaign, digest = find_open_code(code)
    except CodeTypo:
        form.code.errors.append(_("Please check the code. It has 14 letters and numbers, "
                                  "as printed on your letter, for example "
                                  "ABCD-EFGH-JKMN-PQ."))
        return 422, None
    except CodeNotAccepted:
        abuse.note_failed_guess()
        form.code.errors.append(_("This code cannot be used. Check it against your "
                                  "letter. Each code can be used once only."))
        return 422, None
    except VotingClosed:
        form.code.errors.append(_("Voting is not open at the moment."))
        return 403, None
    session[SESSION_KEY] = {"token": open_vote_session(campaign, digest),
                            "campaign": campaign.id, "at": time.time()}
    return 303, None


@bp.route("/vote/ballot", methods=["GET", "POST"])
@public
def ballot():
    """The ballot. A POST comes back from the review page to change the choices."""
    data = _vote_session()
    if data is None:
        flash(_("Please enter your code to vote."), "info")
        return redirect(url_for(".start"), code=303)
    campaign = _campaign_for(data)
    chosen = set(request.form.getlist("choice")) if request.method == "POST" else set()
    if request.method == "POST" and not EmptyForm().validate_on_submit():
        chosen = set()
    return render_template("voting/ballot.html", campaign=campaign, chosen=chosen,
                           departments=_sorted_departments(campaign), form=EmptyForm())


def _choice_error(exc: BadChoices, campaign: Campaign) -> str:
    """The household's message for choices the voting service refused."""
    if isinstance(exc, NoChoice):
        return _("Please choose at least one department.")
    if isinstance(exc, TooManyChoices):
        return _("Please choose no more than %(n)s departments.", n=campaign.max_choices)
    return _("Please choose from the departments listed.")


@bp.route("/vote/review", methods=["GET", "POST"])
@public
def review():
    data = _vote_session()
    if data is None:
        return redirect(url_for(".start"), code=303)
    if request.method == "GET":  # a reloaded or restored page: the choices were in the POST
        return redirect(url_for(".ballot"), code=303)
    campaign = _campaign_for(data)
    form = EmptyForm()
    choices = request.form.getlist("choice")
    error = None
    if not form.validate_on_submit():
        error = _("The page had expired. Please choose again.")
    else:
        try:
            choices = check_choices(campaign, choices)
        except BadChoices as exc:
            error = _choice_error(exc, campaign)
    if error:
        return render_template("voting/ballot.html", campaign=campaign, chosen=set(choices),
                               departments=_sorted_departments(campaign), form=form,
                               error=error), 422
    picked = [d for d in _sorted_departments(campaign) if d.code in choices]
    return render_template("voting/review.html", campaign=campaign, picked=picked, form=form)


@bp.route("/vote/confirm", methods=["GET", "POST"])
@public
def confirm():
    data = _vote_session()
    if data is None:
        return redirect(url_for(".start"), code=303)
    if request.method == "GET":
        return redirect(url_for(".ballot"), code=303)
    campaign = _campaign_for(data)
    form = EmptyForm()
    if not form.validate_on_submit():
        return redirect(url_for(".ballot"), code=303)
    try:
        choices = check_choices(campaign, request.form.getlist("choice"))
        digest = claim_vote_session(data["token"])
        if digest is None:
            raise CodeNotAccepted("the vote session is over")
        receipt = burn_code_and_store_ballot(campaign, digest, choices)
    except BadChoices:
        return redirect(url_for(".ballot"), code=303)
    except CodeNotAccepted:
        session.pop(SESSION_KEY, None)
        return render_template("voting/done.html", already=True), 409
    except VotingClosed:
        session.pop(SESSION_KEY, None)
        return render_template("voting/done.html", closed=True), 403
    session.pop(SESSION_KEY, None)
    session["receipt"] = receipt
    return redirect(url_for(".receipt"), code=303)


@bp.route("/vote/receipt")
@public
def receipt():
    receipt = session.get("receipt")
    if not receipt:
        return redirect(url_for(".start"), code=303)
    grouped = "-".join(receipt[i:i + 4] for i in range(0, len(receipt), 4))
    return render_template("voting/receipt.html", receipt=grouped)


@bp.route("/receipt", methods=["GET", "POST"])
@public
@limiter.limit("30/minute", methods=["POST"])
def check_receipt():
    """Anyone can check that a ballot is recorded, and in the tally once mixed (POST, so
    ids stay out of logs)."""
    form = ReceiptForm()
    result = None
    status = 200
    if request.method == "POST" and form.validate_on_submit():
        try:
            found = find_receipt(form.ballot.data or "")
        except BallotIdTypo:
            form.ballot.errors.append(_("Please check the number. It has 16 letters and "
                                        "numbers, as shown on your receipt."))
            status = 422
        else:
            result = {"found": found is not None,
                      "in_tally": found is not None and found.in_tally,
                      "spoilt": found is not None and found.spoilt,
                      "number": "-".join((form.ballot.data or "").upper().replace("-", "")
                                         .replace(" ", "")[i:i + 4] for i in range(0, 16, 4))}
    return render_template("voting/check_receipt.html", form=form, result=result), status

