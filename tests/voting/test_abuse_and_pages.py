"""Code entry pages, abuse control and the receipt check (SPEC section 4)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from awards.audit.service import chain_events
from awards.extensions import db
from awards.models import Campaign
from awards.voting.abuse import failed_guesses, network_of
from awards.voting.codes import format_code, generate_code

from ..conftest import CsrfClient
from .conftest import stored_ballots


def browser(app, address: str) -> CsrfClient:
    client = CsrfClient(app.test_client())
    client.client.environ_base["REMOTE_ADDR"] = address
    client.get("/vote")
    return client


def vote(client: CsrfClient, code: str, choices=("A",)):
    first = client.post("/vote", {"code": code})
    if first.status_code != 303:
        return first, None
    client.get("/vote/ballot")
    client.post("/vote/review", {"choice": list(choices)})
    done = client.post("/vote/confirm", {"choice": list(choices)})
    receipt = client.get("/vote/receipt").get_data(as_text=True)
    return done, receipt


def test_full_vote_plain_and_with_htmx(open_campaign, letters, app):
    for headers in ({}, {"HX-Request": "true", "HX-Boosted": "true"}):
        client = browser(app, "192.0.2.10")
        letter = letters.pop()
        response = client.post("/vote", {"code": format_code(letter.code).lower()},
                               headers=headers)
        assert response.status_code == 303
        page = client.get("/vote/ballot", headers=headers).get_data(as_text=True)
        assert page.count('name="choice"') == 4 and "甲部門" in page
        review = client.post("/vote/review", {"choice": ["A", "C"]}, headers=headers)
        assert review.status_code == 200 and "Confirm my vote" in review.get_data(as_text=True)
        done = client.post("/vote/confirm", {"choice": ["A", "C"]}, headers=headers)
        assert done.status_code == 303 and done.headers["Location"].endswith("/vote/receipt")
        receipt = client.get("/vote/receipt").get_data(as_text=True)
        assert "receipt-number" in receipt
    assert stored_ballots() == 2


def test_too_many_or_no_choices_on_the_web_form(open_campaign, letters, app):
    client = browser(app, "192.0.2.11")
    client.post("/vote", {"code": letters[0].code})
    none = client.post("/vote/review", {})
    assert none.status_code == 422 and "at least one" in none.get_data(as_text=True)
    many = client.post("/vote/review", {"choice": ["A", "B", "C", "D"]})
    assert many.status_code == 422 and "no more than 3" in many.get_data(as_text=True)
    forged = client.post("/vote/confirm", {"choice": ["A", "B", "C", "D"]})
    assert forged.status_code == 303 and forged.headers["Location"].endswith("/vote/ballot")
    assert stored_ballots() == 0


def test_typo_is_reported_as_a_typo_and_not_counted(open_campaign, app):
    client = browser(app, "192.0.2.12")
    good = generate_code()
    typo = good[:5] + ("0" if good[5] != "0" else "1") + good[6:]
    response = client.post("/vote", {"code": typo})
    assert response.status_code == 422
    assert "Please check the code" in response.get_data(as_text=True)
    assert failed_guesses(open_campaign) == 0


def test_unknown_used_and_void_codes_get_the_same_answer(open_campaign, letters, app):
    from awards.voting.households import reissue_code

    used = letters[0]
    vote(browser(app, "192.0.2.20"), used.code)
    voided = letters[1]
    reissue_code(open_campaign, voided.household_id, lambda _letters: None)
    answers = set()
    for code in (used.code, voided.code, generate_code()):
        response = browser(app, "192.0.2.21").post("/vote", {"code": code})
        answers.add((response.status_code, response.get_data(as_text=True).count(
            "This code cannot be used")))
    assert answers == {(422, 1)}


def test_wrong_codes_from_one_address_are_slowed_none_succeed_and_alarm_fires(
        open_campaign, letters, app):
    app.config["GUESS_ALARM_THRESHOLD"] = 150
    attacker = browser(app, "203.0.113.66")
    statuses = [attacker.post("/vote", {"code": generate_code()}).status_code
                for _ in range(60)]
    assert 303 not in statuses
    assert statuses[:5] == [422] * 5 and statuses[5:] == [429] * 55
    slowed = attacker.post("/vote", {"code": generate_code()}).get_data(as_text=True)
    assert "Please wait" in slowed
    # Spread over many networks, guesses are each checked, and counted for the alarm.
    for i in range(150):
        spread = browser(app, f"10.{i}.0.1")
        assert spread.post("/vote", {"code": generate_code()}).status_code == 422
    # A household elsewhere gets in at once.
    household = browser(app, "198.51.100.7")
    assert household.post("/vote", {"code": letters[5].code}).status_code == 303
    # A neighbour on the attacker's /24 is not locked out by the attacker's failures alone.
    neighbour = browser(app, "203.0.113.67")
    assert neighbour.post("/vote", {"code": letters[6].code}).status_code == 303
    campaign = db.session.scalar(select(Campaign))
    db.session.refresh(campaign)
    assert failed_guesses(campaign) == 155 and campaign.guess_alarm_at is not None
    assert [e.action for e in chain_events(campaign.slug)].count("guess_alarm") == 1


def test_network_prefixes():
    assert network_of("203.0.113.66") == "203.0.113.0/24"
    assert network_of("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64"


def test_receipt_check(open_campaign, letters, app):
    client = browser(app, "192.0.2.30")
    _done, receipt_page = vote(client, letters[0].code)
    number = receipt_page.split('receipt-number">')[1].split("<")[0]
    client.get("/receipt")
    found = client.post("/receipt", {"ballot": number.lower()})
    assert "is recorded. It is not in the tally yet" in found.get_data(as_text=True)
    missing = client.post("/receipt", {"ballot": "0000-0000-0000-0000"})
    assert "We have no ballot" in missing.get_data(as_text=True)
    typo = client.post("/receipt", {"ballot": "123"})
    assert typo.status_code == 422


def test_voting_closed_page(sampled_campaign, letters, app):
    response = browser(app, "192.0.2.40").post("/vote", {"code": letters[0].code})
    assert response.status_code == 403 and "not open" in response.get_data(as_text=True)


def test_vote_page_in_chinese(app, open_campaign):
    client = CsrfClient(app.test_client())
    page = client.get("/vote", headers={"Accept-Language": "zh-HK,zh;q=0.9"})
    html = page.get_data(as_text=True)
    assert 'lang="zh-Hant-HK"' in html
    # The Help says what happens to a QR link's code without JavaScript, in Chinese.
    assert "如瀏覽器關閉了 JavaScript，編號不會自動填上" in html


@pytest.mark.parametrize("path", ["/vote/ballot", "/vote/receipt"])
def test_steps_without_a_session_go_back_to_the_start(app, path):
    response = CsrfClient(app.test_client()).get(path)
    assert response.status_code in (302, 303) and response.headers["Location"].endswith("/vote")


def test_after_the_vote_a_letter_does_not_tell_whether_its_household_voted(
        open_campaign, letters, app):
    from awards.phases import close_voting

    vote(browser(app, "192.0.2.50"), letters[0].code)
    close_voting(open_campaign)
    answers = {browser(app, "192.0.2.51").post("/vote", {"code": code}).get_data(as_text=True)
               .count("Voting is not open") for code in (letters[0].code, letters[1].code,
                                                          generate_code())}
    assert answers == {1}


def test_dashboard_counts_are_banded_while_voting_is_open(open_campaign, letters, app,
                                                          organiser):
    from awards.voting.ballots import cast_web_ballot

    from ..conftest import PASSWORD

    for letter in letters[:3]:
        cast_web_ballot(open_campaign, letter.code, ["A"])
    client = CsrfClient(app.test_client())
    client.signin("olivia", PASSWORD)
    page = client.get("/organiser/c/csea-test").get_data(as_text=True).replace("&lt;", "<")
    assert "Valid ballots</dt><dd><10</dd>" in page
    assert "Codes used</dt><dd><10</dd>" in page
