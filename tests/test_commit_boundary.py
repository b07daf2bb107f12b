"""One commit boundary per use case: a refusal does not roll back nor commit the caller's
work; the boundary (web error module, end of request, command line) rolls the failed use
case back and records the refused change in a transaction of its own."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from awards.audit.chain import check_chain
from awards.audit.service import chain_events, event_as_dict, verify_stored_chain
from awards.campaigns.services import ensure_not_published, rollback_use_case
from awards.exceptions import FrozenError
from awards.extensions import db
from awards.models import AuditEvent, Campaign

from .conftest import MINIMAL_CONFIG


def refusals(slug: str) -> list[AuditEvent]:
    return [e for e in chain_events(slug) if e.action == "change_refused"]


def stored_name() -> str:
    """The campaign's name as committed, read after the session's transaction ends."""
    db.session.rollback()
    return db.session.scalar(select(Campaign.name_en))


@pytest.fixture
def published(campaign):
    campaign.state = "published"
    db.session.commit()
    return campaign


def test_a_refusal_neither_loses_nor_commits_the_callers_work(published):
    published.name_en = "Renamed in the caller's transaction"
    db.session.flush()
    with pytest.raises(FrozenError):
        ensure_not_published(published, "ballots")
    # Not lost: the caller's transaction still holds its change, and the refusal event.
    assert db.session.scalar(select(Campaign.name_en)) == "Renamed in the caller's transaction"
    assert len(refusals("csea-test")) == 1
    # The boundary rolls the whole use case back, then records the refusal on its own.
    rollback_use_case()
    assert stored_name() == "Customer Service Excellence Award (test)"
    assert [e.action for e in chain_events("csea-test")][-1] == "change_refused"
    assert len(refusals("csea-test")) == 1
    assert verify_stored_chain("csea-test").ok


def test_a_plain_rollback_keeps_nothing_of_the_use_case(published):
    published.name_en = "Never committed"
    with pytest.raises(FrozenError):
        ensure_not_published(published, "ballots")
    assert stored_name() == "Customer Service Excellence Award (test)"


def test_a_caller_that_catches_and_commits_records_the_refusal_once(published):
    before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    with pytest.raises(FrozenError):
        ensure_not_published(published, "ballots")
    published.name_en = "Kept by a caller that went on"
    db.session.commit()  # the caller's choice: its work and the refusal event, together
    rollback_use_case()  # the boundary then has nothing left to record
    assert stored_name() == "Kept by a caller that went on"
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == before + 1
    assert len(refusals("csea-test")) == 1


def test_two_refusals_in_one_use_case_are_both_recorded_in_order(published):
    for what in ("ballots", "scores"):
        with pytest.raises(FrozenError):
            ensure_not_published(published, what)
    rollback_use_case()
    events = refusals("csea-test")
    assert [e.data for e in events] == [
        '{"change":"ballots","reason":"\'csea-test\' is published: its ballots are frozen '
        'and cannot change"}',
        '{"change":"scores","reason":"\'csea-test\' is published: its scores are frozen '
        'and cannot change"}']
    assert check_chain(event_as_dict(e) for e in chain_events("csea-test")).ok


def test_the_command_line_records_the_refusal_and_commits_nothing_else(runner, published,
                                                                     tmp_path):
    path = tmp_path / "campaign.toml"
    path.write_text(MINIMAL_CONFIG.replace("(test)", "(renamed)"), encoding="utf-8")
    result = runner.invoke(args=["awards", "campaign", "load", str(path)])
    assert result.exit_code == 1 and "is published" in result.stderr
    assert stored_name() == "Customer Service Excellence Award (test)"
    refused = refusals("csea-test")
    assert len(refused) == 1 and '"change":"config"' in refused[0].data
    assert verify_stored_chain("csea-test").ok


def test_a_refusal_the_caller_rolled_back_is_recorded_even_after_a_later_commit(published):
    with pytest.raises(FrozenError):
        ensure_not_published(published, "ballots")
    db.session.rollback()  # a view that catches the refusal and rolls back ...
    published.name_en = "Later work"
    db.session.commit()  # ... then commits other work: the refusal event was not in it
    assert refusals("csea-test") == []
    rollback_use_case()  # the end of the request
    assert len(refusals("csea-test")) == 1
    assert stored_name() == "Later work"
