"""The overview's next step covers judging (SPEC 8: the overview says what the next step
is and what blocks it): the assignment, the scorecards outstanding, closing the round,
then results and the phase move, which offers no button while it would be refused."""

from __future__ import annotations

from datetime import timedelta

from awards.extensions import db
from awards.judging.rounds import close_round
from awards.models import Campaign
from awards.models.base import utcnow
from awards.overview import next_step

from .conftest import signed_in
from .test_rounds_and_conflicts import submit_all

PAGE = "/organiser/c/csea-test"


def vote_over(campaign: Campaign) -> Campaign:
    """The vote held and closed (as the voting pages leave it), so judging comes next."""
    now = utcnow()
    campaign.frame_digest, campaign.codes_commitment = "f" * 64, "c" * 64
    campaign.sample_drawn_at = campaign.frozen_at = now - timedelta(hours=3)
    campaign.voting_opens_at = now - timedelta(hours=2)
    campaign.voting_closes_at = now - timedelta(hours=1)
    db.session.commit()
    return campaign


def test_outstanding_scorecards_then_the_close_then_the_results(app, judging, organiser):
    campaign = vote_over(judging)
    step = next_step(campaign)
    assert (step.action, step.round, step.count) == ("scoring", "preliminary", 8)
    olivia = signed_in(app, "olivia")
    html = olivia.get(PAGE).get_data(as_text=True)
    assert "8 scorecards outstanding in the Preliminary round" in html
    assert f"{PAGE}/judging?round=preliminary" in html
    assert "Preliminary round: 8 scorecards outstanding of 8" in html

    submit_all(app)
    campaign = db.session.get(Campaign, judging.id)
    assert (next_step(campaign).action, next_step(campaign).round) == ("round_close",
                                                                       "preliminary")
    html = olivia.get(PAGE).get_data(as_text=True)
    assert "Every scorecard of the Preliminary round is submitted or excused" in html
    assert f'action="{PAGE}/judging/close"' in html
    assert "Preliminary round: every scorecard submitted or excused" in html

    close_round(campaign, "preliminary", actor="olivia")
    step = next_step(campaign)
    assert step.action == "results"
    assert [b.code for b in step.blockers] == ["lifecycle.no_results"]
    assert "Preliminary round closed" in olivia.get(PAGE).get_data(as_text=True)


def test_in_chinese_the_judging_step_is_translated(app, judging, organiser):
    vote_over(judging)
    olivia = signed_in(app, "olivia")
    olivia.post("/language", {"lang": "zh_Hant_HK", "next": "/"})
    html = olivia.get(PAGE).get_data(as_text=True)
    assert "scorecards outstanding" not in html and "初選" in html


def test_without_current_results_the_move_is_refused_with_why_and_offers_no_button(
        app, judging, organiser):
    campaign = vote_over(judging)
    submit_all(app)
    campaign = db.session.get(Campaign, judging.id)
    close_round(campaign, "preliminary", actor="olivia")
    # The move's own refusal is the step's blocker: the results come first.
    step = next_step(campaign)
    assert (step.action, step.target) == ("results", "finalists_announced")
    assert [b.code for b in step.blockers] == ["lifecycle.no_results"]
    html = signed_in(app, "olivia").get(PAGE).get_data(as_text=True)
    assert "Not possible yet" in html and f"{PAGE}/phase" not in html


def test_the_final_round_is_assigned_first(app, judging, organiser):
    campaign = vote_over(judging)
    campaign.state = "final_judging"
    db.session.commit()
    step = next_step(campaign)
    assert (step.action, step.round) == ("assignment", "final")
    html = signed_in(app, "olivia").get(PAGE).get_data(as_text=True)
    assert f"{PAGE}/judging?round=final" in html
    assert "Final round: no assignment yet" in html
