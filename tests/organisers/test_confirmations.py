"""Irreversible steps ask first (SPEC section 8): the action's post only shows what will
happen and what freezes, and changes nothing; the confirmation form's post does it."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from awards.extensions import db
from awards.models import AuditEvent, Campaign, SampledHousehold, VotingCode
from awards.phases import move_phase
from awards.voting.households import import_frame

from ..conftest import PASSWORD
from ..voting.conftest import SEED, frame_csv

BASE = "/organiser/c/csea-test"


def signed_in(client):
    client.signin("olivia", PASSWORD)
    client.get(f"{BASE}/households")
    return client


def events() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_draw_shows_its_allocation_first_and_draws_only_when_confirmed(
        client, organiser, campaign):
    import_frame(campaign, io.BytesIO(frame_csv()))
    signed_in(client)
    before = events()
    first = client.post(f"{BASE}/households/sample", {"size": "30", "seed": SEED})
    assert first.status_code == 200
    html = first.get_data(as_text=True)
    assert "Confirm: Draw the sample" in html and SEED in html
    # S1 over frame counts KT 60, ST 50, IS 30: 30 households → 13, 11, 6.
    assert '<td class="num">60</td><td class="num">13</td>' in html
    assert '<td class="num">30</td><td class="num">6</td>' in html
    assert "it cannot be drawn again" in html
    db.session.expire_all()
    assert db.session.scalar(select(Campaign.sample_drawn_at)) is None
    assert count(SampledHousehold) == 0 and events() == before
    done = client.post(f"{BASE}/households/sample",
                       {"size": "30", "seed": SEED, "confirm": "yes"})
    assert done.status_code == 303
    assert count(SampledHousehold) == 30


def test_a_bad_draw_is_refused_before_the_confirmation(client, organiser, campaign):
    import_frame(campaign, io.BytesIO(frame_csv()))
    signed_in(client)
    response = client.post(f"{BASE}/households/sample", {"size": "999", "seed": SEED})
    assert response.status_code == 422
    assert "exceeds the frame of 140 households" in response.get_data(as_text=True)
    assert count(SampledHousehold) == 0


def test_codes_are_issued_only_from_the_confirmation(client, organiser, sampled_campaign):
    signed_in(client)
    first = client.post(f"{BASE}/households/codes", {})
    assert first.status_code == 200
    html = first.get_data(as_text=True)
    assert "Issue 90 codes now" in html and 'name="confirm" value="yes"' in html
    assert count(VotingCode) == 0
    assert client.post(f"{BASE}/households/codes", {"confirm": "yes"}).status_code == 303
    assert count(VotingCode) == 90
    again = client.post(f"{BASE}/households/codes", {}).get_data(as_text=True)
    assert "codes have already been issued" in again and 'value="yes"' not in again


def test_voting_opens_only_from_the_confirmation_which_lists_the_freeze(
        client, organiser, letters, sampled_campaign):
    signed_in(client)
    before = events()
    first = client.post(f"{BASE}/voting/open", {})
    assert first.status_code == 200
    html = first.get_data(as_text=True)
    assert "the competing departments (4): A, B, C, D" in html
    assert "the code set and the seed" in html
    db.session.expire_all()
    assert db.session.scalar(select(Campaign.frozen_at)) is None and events() == before
    assert client.post(f"{BASE}/voting/open", {"confirm": "yes"}).status_code == 303
    db.session.expire_all()
    assert db.session.scalar(select(Campaign.frozen_at)) is not None


def test_voting_closes_only_from_the_confirmation(client, organiser, open_campaign):
    signed_in(client)
    first = client.post(f"{BASE}/voting/close", {})
    assert first.status_code == 200
    assert "mixed into the tally now" in first.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(select(Campaign.voting_closes_at)) is None
    assert client.post(f"{BASE}/voting/close", {"confirm": "yes"}).status_code == 303
    db.session.expire_all()
    assert db.session.scalar(select(Campaign.voting_closes_at)) is not None


def test_a_step_that_cannot_be_done_says_why_and_offers_no_button(client, organiser,
                                                                  campaign):
    signed_in(client)
    html = client.post(f"{BASE}/voting/open", {}).get_data(as_text=True)
    assert "voting opens only in the Adjudication phase" in html
    assert "issue the voting codes" in html
    assert 'name="confirm" value="yes"' not in html
    # Even a forged confirmation is refused by the service.
    client.post(f"{BASE}/voting/open", {"confirm": "yes"})
    db.session.expire_all()
    assert db.session.scalar(select(Campaign.frozen_at)) is None


def test_too_few_competing_departments_block_the_vote(client, organiser, campaign):
    for state in ("entries_open", "entries_closed", "adjudication"):
        move_phase(campaign, state)
    signed_in(client)
    html = client.post(f"{BASE}/voting/open", {}).get_data(as_text=True)
    assert "voting needs at least 4 competing departments" in html


def test_confirmation_pages_need_an_organiser_and_csrf(client, make_user, sampled_campaign):
    make_user("auditor", "audrey")
    client.signin("audrey", PASSWORD)
    assert client.post(f"{BASE}/voting/open", {}).status_code == 403
    assert client.post(f"{BASE}/households/codes", {"confirm": "yes"}).status_code == 403
    assert count(VotingCode) == 0
