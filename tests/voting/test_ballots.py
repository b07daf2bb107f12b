"""Casting ballots: single use under concurrency, secrecy, failure injection (SPEC 4)."""

from __future__ import annotations

import logging
import threading

import numpy as np
import pytest
from sqlalchemy import func, inspect, select

from awards.extensions import db
from awards.models import Ballot, VotingCode
from awards.phases import close_voting
from awards.voting import ballots as ballots_module
from awards.voting.ballots import (
    BadChoices,
    CodeNotAccepted,
    VotingClosed,
    burn_code_and_store_ballot,
    cast_web_ballot,
    check_choices,
)
from awards.voting.codes import code_hmac, format_code, generate_code

from ..live import HttpSession, LiveServer
from .conftest import stored_ballots


def counts():
    return (stored_ballots(),
            dict(db.session.execute(select(VotingCode.state, func.count())
                                    .group_by(VotingCode.state)).all()))


def test_ballot_stores_only_what_the_spec_allows(open_campaign, letters):
    receipt = cast_web_ballot(open_campaign, letters[0].code, ["B", "A"])
    close_voting(open_campaign)
    ballot = db.session.get(Ballot, receipt)
    assert ballot.choices == "A;B" and ballot.channel == "web" and ballot.status == "valid"
    assert len(receipt) == 16
    db.session.rollback()  # end this read before inspecting through another connection
    for table in ("ballots", "ballot_inbox"):
        columns = {c["name"] for c in inspect(db.engine).get_columns(table)}
        assert columns == {"id", "campaign_id", "district_id", "choices", "channel", "status",
                           "day"}
    code_columns = {c["name"] for c in inspect(db.engine).get_columns("voting_codes")}
    assert not {"used_at", "ballot_id", "updated_at"} & code_columns
    foreign = inspect(db.engine).get_foreign_keys("ballots")
    assert {fk["referred_table"] for fk in foreign} == {"campaigns", "districts"}


def test_code_is_single_use(open_campaign, letters):
    cast_web_ballot(open_campaign, letters[0].code, ["A"])
    with pytest.raises(CodeNotAccepted):
        cast_web_ballot(open_campaign, letters[0].code, ["B"])
    assert counts()[0] == 1


@pytest.mark.parametrize("choices,message", [
    ([], "at least one"), (["A", "B", "C", "D"], "at most 3"), (["A", "A"], "only once"),
    (["ZZ"], "not on the ballot")])
def test_bad_choices_are_refused(open_campaign, choices, message):
    with pytest.raises(BadChoices, match=message):
        check_choices(open_campaign, choices)


def test_voting_outside_the_window_is_refused(sampled_campaign, letters):
    with pytest.raises(VotingClosed):
        cast_web_ballot(sampled_campaign, letters[0].code, ["A"])
    assert counts()[1] == {"issued": 90}


def test_failure_between_burn_and_insert_leaves_neither(open_campaign, letters, monkeypatch):
    def explode() -> str:
        raise RuntimeError("injected failure after the burn")

    monkeypatch.setattr(ballots_module, "ballot_id", explode)
    with pytest.raises(RuntimeError, match="injected"):
        cast_web_ballot(open_campaign, letters[0].code, ["A"])
    assert counts() == (0, {"issued": 90})
    monkeypatch.undo()
    cast_web_ballot(open_campaign, letters[0].code, ["A"])  # the code still works
    assert counts() == (1, {"issued": 89, "used": 1})


def test_thirty_concurrent_submissions_of_one_code_store_one_ballot(open_campaign, letters,
                                                                    app):
    """30 browsers enter the same code, then confirm at the same instant."""
    code = format_code(letters[0].code)
    with LiveServer(app) as server:
        browsers = [HttpSession(server.url) for _ in range(30)]
        for browser in browsers:
            browser.request("/vote")
            assert browser.request("/vote", {"code": code}).status == 303
        start = threading.Barrier(30)
        replies = [None] * 30

        def confirm(i: int) -> None:
            start.wait()
            replies[i] = browsers[i].request("/vote/confirm", [("choice", "A"), ("choice", "C")])

        threads = [threading.Thread(target=confirm, args=(i,)) for i in range(30)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    statuses = sorted(r.status for r in replies)
    assert statuses.count(303) == 1, statuses
    assert statuses.count(409) == 29, statuses
    assert all("already been used" in r.body for r in replies if r.status == 409)
    db.session.expire_all()
    assert counts() == (1, {"issued": 89, "used": 1})


def test_ballot_order_does_not_follow_casting_order(open_campaign, app):
    """1,000 votes in a known order: ballot-id order is unrelated to it."""
    pepper = app.config["CODE_PEPPER"].encode()
    district = open_campaign.districts[0]
    hmacs = []
    for _ in range(1000):
        code = generate_code()
        hmacs.append(code_hmac(pepper, code))
    db.session.execute(VotingCode.__table__.insert(), [
        {"campaign_id": open_campaign.id, "district_id": district.id,
         "code_hmac": h, "state": "issued",
         "day": np.datetime64("2026-11-23").astype(object)} for h in hmacs])
    db.session.commit()
    cast = [burn_code_and_store_ballot(open_campaign, h, ["A"]) for h in hmacs]
    close_voting(open_campaign)
    stored = list(db.session.scalars(select(Ballot.id).order_by(Ballot.id)))
    position = {ballot: i for i, ballot in enumerate(cast)}
    ranks = np.array([position[b] for b in stored], dtype=float)
    rho = np.corrcoef(ranks, np.arange(len(ranks)))[0, 1]  # Spearman: both are ranks
    assert abs(rho) < 0.1, rho


def test_logs_never_contain_a_code_or_a_choice(open_campaign, letters, app, caplog):
    request_log = logging.getLogger("werkzeug")
    request_log.disabled, request_log.propagate = False, True  # whatever earlier tests did
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="werkzeug")
    code = format_code(letters[0].code)
    with LiveServer(app) as server:
        browser = HttpSession(server.url)
        browser.request("/vote")
        browser.request("/vote", {"code": code})
        browser.request("/vote/ballot")
        browser.request("/vote/review", [("choice", "B"), ("choice", "D")])
        reply = browser.request("/vote/confirm", [("choice", "B"), ("choice", "D")])
        assert reply.status == 303
        browser.request("/vote", {"code": format_code(generate_code())})
    text = caplog.text
    assert "POST /vote/confirm" in text  # the request log is captured at all
    for secret in (code, letters[0].code, code.lower(), "B;D", "choice="):
        assert secret not in text
