"""Lifecycle moves and freezes (SPEC section 2)."""

import pytest
from sqlalchemy import select

from awards.audit.service import chain_events
from awards.campaigns.config_file import parse_config
from awards.campaigns.services import load_campaign_config
from awards.exceptions import FrozenError, LifecycleError
from awards.extensions import db
from awards.models import Campaign
from awards.phases import move_phase, open_voting

from .conftest import MINIMAL_CONFIG, PASSWORD


def test_phase_moves_forward_one_step(runner, campaign):
    result = runner.invoke(args=["awards", "phase", "csea-test", "entries_open"])
    assert result.exit_code == 0, result.stderr
    assert campaign.state == "entries_open"
    assert chain_events("csea-test")[-1].action == "phase_changed"


@pytest.mark.parametrize("target,reason", [
    ("adjudication", "the next state is 'entries_open'"),
    ("draft", "the next state is 'entries_open'"),
    ("finished", "unknown state 'finished'"),
])
def test_phase_refuses_skips_and_moves_backwards(runner, campaign, target, reason):
    result = runner.invoke(args=["awards", "phase", "csea-test", target])
    assert result.exit_code == 1 and reason in result.stderr
    assert db.session.scalar(select(Campaign.state)) == "draft"


def test_publish_is_not_a_plain_phase_move(campaign):
    campaign.state = "final_judging"
    db.session.commit()
    with pytest.raises(LifecycleError, match="flask awards publish"):
        move_phase(campaign, "published")


def test_voting_needs_codes(campaign):
    for state in ("entries_open", "entries_closed", "adjudication"):
        move_phase(campaign, state)
    with pytest.raises(LifecycleError, match="issue the voting codes"):
        open_voting(campaign)


def test_frozen_settings_are_refused_with_audit_event(campaign):
    _open(campaign)
    assert campaign.is_frozen
    changed = MINIMAL_CONFIG.replace("max_choices = 3", "max_choices = 2")
    with pytest.raises(FrozenError, match="settings of 'csea-test' are frozen"):
        load_campaign_config(parse_config(changed))
    assert db.session.scalar(select(Campaign.max_choices)) == 3
    last = chain_events("csea-test")[-1]
    assert last.action == "change_refused" and "frozen" in last.data
    # Changes outside the frozen set still go through.
    renamed = MINIMAL_CONFIG.replace('name_en = "Customer Service Excellence Award (test)"',
                                     'name_en = "CSEA (test)"')
    load_campaign_config(parse_config(renamed))
    assert db.session.scalar(select(Campaign.name_en)) == "CSEA (test)"


def test_organiser_page_shows_phase_and_moves_it(client, organiser, campaign):
    client.signin("olivia", PASSWORD)
    page = client.get("/organiser/c/csea-test")
    html = page.get_data(as_text=True)
    assert 'aria-current="step">Draft' in html
    assert "Hash chain intact" in html
    response = client.post("/organiser/c/csea-test/phase", {"target": "entries_open"})
    assert response.status_code == 303
    assert db.session.scalar(select(Campaign.state)) == "entries_open"
    # A stale form that tries to skip is refused with a message, not applied.
    client.post("/organiser/c/csea-test/phase", {"target": "adjudication"})
    assert db.session.scalar(select(Campaign.state)) == "entries_open"
    assert "the next state is" in client.get("/organiser/c/csea-test").get_data(as_text=True)


def test_unknown_campaign_is_404(client, organiser):
    client.signin("olivia", PASSWORD)
    assert client.get("/organiser/c/nope").status_code == 404


def test_a_window_in_the_config_does_not_open_voting_without_the_freeze(app):
    from datetime import UTC, datetime, timedelta

    from awards.campaigns.services import voting_is_open

    opens = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    text = MINIMAL_CONFIG.replace("finalists = 3", f"finalists = 3\nvoting_opens_at = {opens}")
    campaign, _c, _n = load_campaign_config(parse_config(text))
    for state in ("entries_open", "entries_closed", "adjudication"):
        move_phase(campaign, state)
    assert not voting_is_open(campaign)


def _open(campaign):
    from awards.models import Entry

    for state in ("entries_open", "entries_closed", "adjudication"):
        move_phase(campaign, state)
    campaign.codes_commitment = "0" * 64  # stands for issued codes in this test
    # Voting needs finalists + 1 competing departments: every department is eligible here.
    for department in campaign.departments:
        db.session.add(Entry(campaign_id=campaign.id, department_id=department.id,
                             category_id=campaign.categories[0].id, status="submitted",
                             eligibility="eligible"))
    db.session.commit()
    open_voting(campaign)


@pytest.mark.parametrize("change", [
    ("finalists = 3", "finalists = 3\nentries_required = false"),
    ("finalists = 3", "finalists = 3\nvoting_closes_at = 2030-01-01T00:00:00Z"),
])
def test_entries_required_and_the_window_are_frozen(campaign, change):
    _open(campaign)
    with pytest.raises(FrozenError, match="frozen"):
        load_campaign_config(parse_config(MINIMAL_CONFIG.replace(*change)))
    db.session.expire_all()
    assert campaign.entries_required is True and campaign.voting_closes_at is None
