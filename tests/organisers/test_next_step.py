"""The overview's next-step panel: what comes next, what blocks it, and the checklist."""

from __future__ import annotations

from sqlalchemy import select

from awards.extensions import db
from awards.models import Campaign
from awards.overview import next_step
from awards.phases import move_phase

from ..conftest import PASSWORD

PAGE = "/organiser/c/csea-test"


def overview(client) -> str:
    client.signin("olivia", PASSWORD)
    return client.get(PAGE).get_data(as_text=True)


def test_a_complete_draft_moves_on_to_entries(client, organiser, campaign):
    step = next_step(campaign)
    assert (step.action, step.target, step.blockers) == ("phase", "entries_open", [])
    html = overview(client)
    assert "Next step" in html and "Move to “Entries open”" in html
    assert "4 departments configured; the vote needs at least 4 competing" in html


def test_an_incomplete_draft_points_to_the_setup(client, organiser, campaign_config, app):
    from awards.campaigns.config_file import parse_config
    from awards.campaigns.services import load_campaign_config

    text = campaign_config.split("[[judges]]")[0]
    campaign, _c, _n = load_campaign_config(parse_config(text))
    assert next_step(campaign).action == "setup"
    html = overview(client)
    assert "Open the set-up" in html and "/organiser/c/csea-test/setup" in html


def test_too_few_eligible_departments_block_the_vote_and_say_how_many(client, organiser,
                                                                      letters,
                                                                      sampled_campaign):
    campaign = sampled_campaign
    campaign.entries_required = True  # no entry is eligible: nobody competes
    db.session.commit()
    step = next_step(campaign)
    assert step.action == "voting_open"
    assert [b.code for b in step.blockers] == ["voting.too_few_departments"]
    html = overview(client)
    assert "0 departments eligible; voting needs at least 4" in html
    assert "voting needs at least 4 competing departments" in html
    assert "/voting/open" not in html  # no button that cannot work


def test_in_chinese_the_blocker_is_translated(client, organiser, letters, sampled_campaign):
    sampled_campaign.entries_required = True
    db.session.commit()
    client.signin("olivia", PASSWORD)
    client.post("/language", {"lang": "zh_Hant_HK", "next": "/"})
    html = client.get(PAGE).get_data(as_text=True)
    assert "voting needs at least" not in html
    assert "下一步" in html


def test_the_steps_of_the_vote_follow_each_other(client, organiser, open_campaign):
    assert next_step(open_campaign).action == "voting_close"
    html = overview(client)
    assert "/voting/close" in html and "Close voting…" in html


def test_after_the_vote_the_preliminary_assignment_comes_first(client, organiser,
                                                              open_campaign):
    from awards.phases import close_voting

    close_voting(open_campaign)
    step = next_step(open_campaign)
    assert (step.action, step.round) == ("assignment", "preliminary")
    html = overview(client)
    assert "No assignment yet in the preliminary round" in html
    assert "/organiser/c/csea-test/assignment" in html
    assert "Preliminary round: no assignment yet" in html


def test_earlier_phases_offer_the_phase_move(organiser, campaign):
    move_phase(campaign, "entries_open")
    assert next_step(campaign).target == "entries_closed"
    campaign = db.session.get(Campaign, campaign.id)
    move_phase(campaign, "entries_closed")
    step = next_step(campaign)
    assert step.action == "phase" and step.target == "adjudication"
    competitors = next(c for c in step.checklist if c.code == "competitors")
    assert competitors.params == {"count": 0, "needed": 4} and not competitors.done


def test_undecided_eligibility_comes_before_adjudication(client, organiser, campaign):
    from awards.models import Entry

    move_phase(campaign, "entries_open")
    campaign = db.session.get(Campaign, campaign.id)
    for department in campaign.departments[:2]:
        db.session.add(Entry(campaign_id=campaign.id, department_id=department.id,
                             category_id=campaign.categories[0].id, status="submitted"))
    db.session.commit()
    move_phase(campaign, "entries_closed")
    step = next_step(campaign)
    assert (step.action, step.count) == ("eligibility", 2)
    html = overview(client)
    assert "2 submitted entries have no eligibility decision yet" in html
    assert "/organiser/c/csea-test/entries" in html and "/phase" not in html
    for entry in db.session.scalars(select(Entry)):
        entry.eligibility = "eligible"
    db.session.commit()
    assert next_step(campaign).action == "phase"
