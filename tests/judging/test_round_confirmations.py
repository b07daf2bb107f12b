"""Closing a round asks first (SPEC 8: an irreversible step shows what will happen and
asks for confirmation, without JavaScript too): the phase move to 'finalists_announced'
and publishing say that they close a round; nothing is offered while scorecards are
outstanding, and the page says which."""

from __future__ import annotations

from sqlalchemy import func, select

from awards.extensions import db
from awards.judging.rounds import close_round
from awards.models import AuditEvent, Campaign, JudgingRound

from .conftest import signed_in
from .test_rounds_and_conflicts import submit_all

PAGE = "/organiser/c/csea-test"
YES = 'name="confirm" value="yes"'


def events() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


def state() -> str:
    db.session.expire_all()
    return db.session.scalar(select(Campaign.state))


def round_state(name: str) -> str | None:
    return db.session.scalar(select(JudgingRound.state).where(JudgingRound.round == name))


def test_the_move_to_finalists_asks_first_and_changes_nothing(app, judging, organiser,
                                                             monkeypatch):
    monkeypatch.setattr("awards.phases._require_current_results", lambda campaign: None)
    submit_all(app)
    olivia = signed_in(app, "olivia")
    olivia.get(PAGE)
    before = events()
    first = olivia.post(f"{PAGE}/phase", {"target": "finalists_announced"})
    html = first.get_data(as_text=True)
    assert first.status_code == 200
    assert "Confirm: Move to “Finalists announced”" in html
    assert "Preliminary round closes" in html and YES in html
    assert state() == "adjudication" and round_state("preliminary") is None
    assert events() == before
    done = olivia.post(f"{PAGE}/phase", {"target": "finalists_announced", "confirm": "yes"})
    assert done.status_code == 303
    assert state() == "finalists_announced" and round_state("preliminary") == "closed"


def test_the_move_to_finalists_offers_nothing_while_scorecards_are_outstanding(
        app, judging, organiser, monkeypatch):
    monkeypatch.setattr("awards.phases._require_current_results", lambda campaign: None)
    olivia = signed_in(app, "olivia")
    olivia.get(PAGE)
    first = olivia.post(f"{PAGE}/phase", {"target": "finalists_announced"})
    html = first.get_data(as_text=True)
    assert "This step cannot be done now" in html
    assert "The round cannot close: 8 assigned scorecards are neither submitted nor " \
           "excused." in html
    assert YES not in html
    forced = olivia.post(f"{PAGE}/phase", {"target": "finalists_announced", "confirm": "yes"})
    assert forced.status_code == 303
    assert state() == "adjudication" and round_state("preliminary") is None


def test_the_move_without_results_names_that_first(app, judging, organiser):
    submit_all(app)
    olivia = signed_in(app, "olivia")
    olivia.get(PAGE)
    html = olivia.post(f"{PAGE}/phase", {"target": "finalists_announced"}).get_data(
        as_text=True)
    assert "compute the results" in html and YES not in html
    assert state() == "adjudication"


def test_other_phase_moves_need_no_confirmation(app, campaign, organiser):
    olivia = signed_in(app, "olivia")
    olivia.get(PAGE)
    assert olivia.post(f"{PAGE}/phase", {"target": "entries_open"}).status_code == 303
    assert state() == "entries_open"


def test_closing_the_round_offers_no_button_while_scorecards_are_outstanding(
        app, judging, organiser):
    olivia = signed_in(app, "olivia")
    olivia.get(f"{PAGE}/judging")
    html = olivia.post(f"{PAGE}/judging/close", {"round": "preliminary"}).get_data(
        as_text=True)
    assert "Yes, close the round" not in html and YES not in html
    assert "cannot be closed yet: 8 scorecards are neither submitted nor excused" in html
    for judge, codes in {"j01": "BC", "j02": "ABC", "j03": "ACD"}.items():
        for code in codes:
            assert f"<li>{judge}: {code}</li>" in html
    assert round_state("preliminary") is None


def test_closing_the_round_in_chinese_names_the_outstanding_cards(app, judging, organiser):
    olivia = signed_in(app, "olivia")
    olivia.post("/language", {"lang": "zh_Hant_HK", "next": "/"})
    olivia.get(f"{PAGE}/judging")
    html = olivia.post(f"{PAGE}/judging/close", {"round": "preliminary"}).get_data(
        as_text=True)
    assert "cannot be closed yet" not in html and "8" in html and "j02：A" in html


def test_the_publish_confirmation_says_it_closes_the_final_round(app, judging, organiser):
    judging.state = "final_judging"
    db.session.commit()
    olivia = signed_in(app, "olivia")
    olivia.get(f"{PAGE}/audit")
    html = olivia.post(f"{PAGE}/publish").get_data(as_text=True)
    assert "Final round closes" in html
    close_round(db.session.get(Campaign, judging.id), "final", actor="olivia")
    html = olivia.post(f"{PAGE}/publish").get_data(as_text=True)
    assert "Confirm: Publish the results" in html and "Final round closes" not in html
