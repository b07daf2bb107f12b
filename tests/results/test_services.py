"""Results from the database: the worked example end to end, versions, digest, errors."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from awards.audit.service import chain_events
from awards.exceptions import FrozenError, InvalidInput
from awards.extensions import db
from awards.models import ResultVersion, Scorecard
from awards.models.base import utcnow
from awards.results.digest import config_for_digest, inputs_digest
from awards.results.scores_import import import_scores
from awards.results.services import (
    ballot_counts,
    compute_campaign_results,
    load_scoring_inputs,
    score_rows,
    version_results,
)
from awards.results.versions import public_versions

from ..scoring.test_worked_example import (
    EFFECTS,
    JUDGE_TOL,
    SHARE_TOL,
    TABLE,
)
from .conftest import EXAMPLE_CONFIG

HEADER = "round,judge,department,criterion,score\n"


def test_inputs_from_the_database(scored):
    public, scores, config = load_scoring_inputs(scored)
    assert sorted(public.departments) == list("ABCDE")
    assert {d.code: d.households for d in public.districts} == {
        "KT": 247592, "ST": 246425, "IS": 67104}
    assert public.patterns["KT"][("A", "C", "E")] == 40
    assert public.spoilt == {"IS": 2}
    assert {s.judge for s in scores} == {"J01", "J02", "J03"}  # pseudonyms, not usernames
    assert len([s for s in scores if s.round == "preliminary"]) == 12
    assert config.seed == "CSEA-example-2002" and config.finalists == 3
    assert [tuple(a) for a in config.awards] == [("Grand Award", "大獎", 1),
                                                 ("Gold Award", "金獎", 1)]


def test_worked_example_through_the_database(scored):
    version = compute_campaign_results(scored, actor="olivia")
    results = version_results(version)
    assert results["campaign"] == "example" and results["spec"] == "awards-scoring/2"
    rows = {r["department"]: r for r in results["public"]["departments"]}
    for code, (count, p, se, (lo, hi), judge, combined) in TABLE.items():
        assert rows[code]["count"] == count
        assert rows[code]["weighted_share"] == pytest.approx(p, abs=SHARE_TOL)
        assert rows[code]["se"] == pytest.approx(se, abs=SHARE_TOL)
        assert rows[code]["ci95"] == pytest.approx([lo, hi], abs=SHARE_TOL)
        assert results["judges"]["preliminary"]["scores"][code] == pytest.approx(
            judge, abs=JUDGE_TOL)
    effects = results["judges"]["preliminary"]["effects"]
    assert effects == pytest.approx({f"J0{k[1]}": v for k, v in EFFECTS.items()}, abs=JUDGE_TOL)
    assert results["public"]["spoilt"] == 2 and results["public"]["returned"] == 1002
    assert results["finalists"] == ["B", "A", "D"]
    assert results["cut_gap"] == pytest.approx(0.7079, abs=JUDGE_TOL)
    assert [(r["department"], r["award"]) for r in results["final"]] == [
        ("B", "Grand Award"), ("A", "Gold Award"), ("D", "Finalist")]
    assert results["best_public_image"] == "A"
    assert results["best_public_image_conclusive"] is False
    assert rows["A"]["p_best_public_image"] == 0.8935  # SPEC 6, B = 2000


def test_version_is_stored_with_digest_and_audit_event(scored):
    scored.bootstrap = 100
    first = compute_campaign_results(scored, actor="olivia")
    second = compute_campaign_results(scored, actor="olivia")
    assert (first.version, second.version) == (1, 2)
    assert first.inputs_digest == second.inputs_digest
    assert version_results(second)["inputs_digest"] == second.inputs_digest
    event = chain_events("example")[-1]
    assert event.action == "results_computed" and event.actor == "olivia"
    data = json.loads(event.data)
    assert data == {"version": 2, "inputs_digest": second.inputs_digest,
                    "finalists": ["B", "A", "D"], "best_public_image": "A"}


def test_digest_is_recomputable_from_plain_rows(scored):
    """An outside verifier holds config.json, districts, ballots and scores.csv only."""
    scored.bootstrap = 100
    version = compute_campaign_results(scored)
    ballots = ballot_counts(scored)
    expected = inputs_digest(
        config_for_digest("CSEA-example-2002", "additive", 0.3, 3, 0.0, 100,
                          [("Grand Award", "大獎", 1), ("Gold Award", "金獎", 1)]),
        list("ABCDE"), [("IS", 67104), ("KT", 247592), ("ST", 246425)], ballots,
        score_rows(scored))
    assert version.inputs_digest == expected
    assert ("IS", "", "spoilt", 2) in ballots
    assert ("preliminary", "J01", "A", "overall", 79) in score_rows(scored)


def test_a_changed_score_changes_the_digest(scored):
    scored.bootstrap = 50
    before = compute_campaign_results(scored).inputs_digest
    import_scores(scored, HEADER + "preliminary,j2,C,overall,62\n")
    assert compute_campaign_results(scored).inputs_digest != before


def test_only_submitted_unconflicted_scores_count(scored):
    card = db.session.scalars(select(Scorecard).where(Scorecard.round == "final")).first()
    card.status = "reopened"
    db.session.commit()
    rows = score_rows(scored)
    assert len([r for r in rows if r[0] == "final"]) == 8
    from awards.models import Conflict, Department, Judge

    judge = db.session.scalar(select(Judge).where(Judge.pseudonym == "J02"))
    dept = db.session.scalar(select(Department).where(Department.code == "A"))
    db.session.add(Conflict(campaign_id=scored.id, judge_id=judge.id, department_id=dept.id,
                            source="organiser"))
    db.session.commit()
    assert not [r for r in score_rows(scored) if r[1] == "J02" and r[2] == "A"]


def test_fewer_than_two_judges_is_a_clear_error(example):
    import_scores(example, HEADER + "".join(
        f"preliminary,j2,{d},overall,70\n" for d in "ABCDE"))
    with pytest.raises(InvalidInput, match="fewer than 2 complete preliminary scorecard"):
        compute_campaign_results(example)
    assert db.session.scalar(select(ResultVersion)) is None


def test_disconnected_graph_names_its_parts(app):
    from awards.campaigns.config_file import parse_config
    from awards.campaigns.services import load_campaign_config

    config = EXAMPLE_CONFIG + '\n[[judges]]\nusername = "j4"\nname = "Judge Four"\n'
    campaign, *_ = load_campaign_config(parse_config(config))
    from ..conftest import pseudonyms_in_username_order

    pseudonyms_in_username_order(campaign)
    campaign.seed = "CSEA-example-2002"
    db.session.commit()
    sheet = HEADER + "".join(
        f"preliminary,{j},{d},overall,{60 + i}\n"
        for i, (j, d) in enumerate([("j1", "A"), ("j1", "B"), ("j2", "A"), ("j2", "B"),
                                    ("j3", "C"), ("j3", "D"), ("j3", "E"), ("j4", "C"),
                                    ("j4", "D"), ("j4", "E")]))
    import_scores(campaign, sheet)
    with pytest.raises(InvalidInput) as caught:
        compute_campaign_results(campaign)
    message = str(caught.value)
    assert "not connected" in message
    assert "judges J01, J02 / departments A, B" in message
    assert "judges J03, J04 / departments C, D, E" in message


def test_no_seed_is_a_clear_error(example):
    example.seed = None
    db.session.commit()
    with pytest.raises(InvalidInput, match="no seed yet"):
        compute_campaign_results(example)


def test_published_results_need_a_reason_and_make_a_new_version(scored):
    scored.bootstrap = 50
    first = compute_campaign_results(scored)
    first.published_at = first.computed_at
    scored.state = "published"
    db.session.commit()
    with pytest.raises(FrozenError, match="give a reason"):
        compute_campaign_results(scored)
    assert chain_events("example")[-1].action == "change_refused"
    second = compute_campaign_results(scored, reason="corrected district total")
    assert second.version == 2 and second.reason == "corrected district total"
    assert second.published_at is None  # only awards.publication.publish.republish publishes
    last = chain_events("example")[-1]
    assert last.action == "results_computed"  # no "published" event either
    assert json.loads(last.data)["reason"] == "corrected district total"
    assert db.session.get(ResultVersion, first.id).results_json == first.results_json
    assert [v.version for v in public_versions(scored)] == [1]


def test_no_results_while_voting_is_open(scored):
    """SPEC 4: counts taken during the vote and compared with later ones could tell which
    ballot a household cast, so results wait until voting closes."""
    from awards.phases import close_voting

    scored.bootstrap = 50
    scored.state = "adjudication"
    scored.voting_opens_at = utcnow() - dt.timedelta(minutes=5)
    from ..conftest import open_the_vote_now

    open_the_vote_now(scored)
    db.session.commit()
    events = len(chain_events("example"))
    with pytest.raises(InvalidInput) as caught:
        compute_campaign_results(scored, actor="olivia")
    assert str(caught.value) == ("close voting before computing results: exact counts while "
                                 "voting is open could link ballots to households")
    assert db.session.scalar(select(ResultVersion)) is None
    assert len(chain_events("example")) == events
    close_voting(scored)
    assert compute_campaign_results(scored, actor="olivia").version == 1


def test_ballots_are_counted_by_the_database(example):
    """The loader asks the database for counts per pattern, never for ballot rows."""
    from sqlalchemy import event

    statements = []

    def remember(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        ballot_counts(example)
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)
    on_ballots = [s for s in statements if "FROM ballots" in s]
    assert len(on_ballots) == 1 and "GROUP BY" in on_ballots[0].upper()
    assert "count(" in on_ballots[0].lower()


def test_ineligible_departments_are_left_out(example):
    from awards.models import Ballot, Category, Department, Entry

    example.entries_required = True
    category = db.session.scalar(select(Category))
    for code in "ABCDE":
        dept = db.session.scalar(select(Department).where(Department.code == code))
        db.session.add(Entry(campaign_id=example.id, department_id=dept.id,
                             category_id=category.id,
                             eligibility="ineligible" if code == "C" else "eligible"))
    db.session.execute(Ballot.__table__.delete().where(Ballot.choices.like("%C%")))
    db.session.commit()
    public, _scores, _config = load_scoring_inputs(example)
    assert sorted(public.departments) == ["A", "B", "D", "E"]
