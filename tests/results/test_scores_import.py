"""Paper score sheets (SPEC section 5): all-or-nothing with line numbers, assignments,
submission when complete, correction history, freeze after publication."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from awards.audit.service import chain_events
from awards.exceptions import FrozenError, InvalidInput
from awards.extensions import db
from awards.models import Assignment, Score, Scorecard, ScorecardRevision
from awards.results.scores_import import REVISION_REASON, import_scores

from .conftest import example_sheet

HEADER = "round,judge,department,criterion,score\n"


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_good_file_is_counted_and_creates_assignments(example):
    report = import_scores(example, example_sheet())
    assert report.rows == 21
    assert report.scorecards_created == 21 and report.scorecards_submitted == 21
    assert report.assignments_created == 21 and report.corrections == 0
    assert report.rounds == {"final": 9, "preliminary": 12}
    assert count(Scorecard) == 21 and count(Score) == 21
    assert db.session.scalar(select(func.count()).select_from(Assignment)
                             .where(Assignment.source == "import")) == 21
    assert {c.status for c in db.session.scalars(select(Scorecard))} == {"submitted"}
    event = chain_events("example")[-1]
    assert event.action == "scores_imported"
    assert json.loads(event.data)["rows"] == 21


def test_dry_run_writes_nothing(example):
    events = len(chain_events("example"))
    report = import_scores(example, example_sheet(), dry_run=True)
    assert report.rows == 21 and report.assignments_created == 21
    assert count(Scorecard) == 0 and count(Assignment) == 0 and count(Score) == 0
    assert len(chain_events("example")) == events


@pytest.mark.parametrize("line,message", [
    ("semi,j1,A,overall,50", "round 'semi' is not one of preliminary, final"),
    ("preliminary,nobody,A,overall,50", "'nobody' is not a judge on this campaign's panel"),
    ("preliminary,j1,Z,overall,50", "no department 'Z' in this campaign"),
    ("preliminary,j1,A,impact,50", "no preliminary criterion 'impact'"),
    ("preliminary,j1,A,overall,101", "score 101 is outside 0..100 for 'overall'"),
    ("preliminary,j1,A,overall,-1", "score -1 is outside 0..100"),
    ("preliminary,j1,A,overall,7.5", "score '7.5' is not a whole number"),
    ("preliminary,j1,A,overall,", "score '' is not a whole number"),
    ("preliminary,j1,A,overall,1_0", "score '1_0' is not a whole number (digits 0-9 only)"),
    ("preliminary,j1,A,overall,+5", "score '+5' is not a whole number (digits 0-9 only)"),
    ("preliminary,j1,A,overall,５", "score '５' is not a whole number (digits 0-9 only)"),
    ("preliminary,j1,A,overall,٥", "score '٥' is not a whole number (digits 0-9 only)"),
    ("preliminary,j1,A,overall,5 5", "score '5 5' is not a whole number"),
    ("preliminary,j1,E,overall,50", "judge 'j1' has a conflict of interest with 'E'"),
    ("preliminary,j2,A,overall,71", "repeats line 2"),
    ("preliminary,j1,A", "expected 5 fields"),
])
def test_each_bad_row_refuses_the_whole_file_with_its_line(example, line, message):
    sheet = HEADER + "preliminary,j2,A,overall,71\npreliminary,j3,A,overall,61\n" + line + "\n"
    with pytest.raises(InvalidInput) as caught:
        import_scores(example, sheet)
    assert [(n, m) for n, m in caught.value.errors if message in m], caught.value.errors
    assert all(n == 4 for n, _ in caught.value.errors)
    assert "nothing was imported" in str(caught.value)
    assert count(Scorecard) == 0 and count(Score) == 0 and count(Assignment) == 0


def test_spaces_around_a_score_are_trimmed_like_every_cell(example):
    import_scores(example, HEADER + "preliminary,j1,A,overall, 5 \n")
    assert db.session.scalar(select(Score.value)) == 5


def test_every_error_is_listed(example):
    sheet = HEADER + "preliminary,j1,A,overall,500\nfinal,j9,A,impact,1\npreliminary,j2,Q,overall,5\n"
    with pytest.raises(InvalidInput) as caught:
        import_scores(example, sheet)
    assert [n for n, _ in caught.value.errors] == [2, 3, 4]
    assert str(caught.value) == "3 errors in the score sheet; nothing was imported"


@pytest.mark.parametrize("text", ["judge,round,department,criterion,score\n", "", "a;b\n"])
def test_bad_header(example, text):
    with pytest.raises(InvalidInput) as caught:
        import_scores(example, text + "preliminary,j1,A,overall,5\n")
    assert caught.value.errors[0][0] == 1
    assert "round,judge,department,criterion,score" in caught.value.errors[0][1]


def test_header_only_is_an_error(example):
    with pytest.raises(InvalidInput, match="1 error"):
        import_scores(example, HEADER)


def test_ineligible_department_is_refused(example):
    from awards.models import Category, Department, Entry

    example.entries_required = True
    category = db.session.scalar(select(Category))
    for code in "ABCD":  # E has no eligible entry
        dept = db.session.scalar(select(Department).where(Department.code == code))
        db.session.add(Entry(campaign_id=example.id, department_id=dept.id,
                             category_id=category.id, eligibility="eligible"))
    db.session.commit()
    with pytest.raises(InvalidInput) as caught:
        import_scores(example, HEADER + "preliminary,j2,E,overall,5\npreliminary,j2,A,overall,5\n")
    assert caught.value.errors == [(2, "department 'E' is not eligible (it is not in the results)")]


def test_partial_scorecard_stays_draft_until_complete(example):
    from awards.campaigns.config_file import parse_config
    from awards.campaigns.services import load_campaign_config

    from .conftest import EXAMPLE_CONFIG

    two = EXAMPLE_CONFIG.replace(
        'code = "overall"\nname_en = "Overall service"\nname_zh = "整體服務"\nweight = 1.0',
        'code = "overall"\nname_en = "Overall service"\nname_zh = "整體服務"\nweight = 0.5'
    ) + ('\n[[criteria]]\nround = "preliminary"\ncode = "courtesy"\nname_en = "Courtesy"\n'
         'name_zh = "禮貌"\nweight = 0.5\nmax = 10\n')
    load_campaign_config(parse_config(two))
    report = import_scores(example, HEADER + "preliminary,j2,A,overall,70\n")
    assert report.scorecards_incomplete == 1 and report.scorecards_submitted == 0
    card = db.session.scalar(select(Scorecard))
    assert card.status == "draft"
    report = import_scores(example, HEADER + "preliminary,j2,A,courtesy,8\n")
    assert report.scorecards_updated == 1 and report.scorecards_submitted == 1
    assert card.status == "submitted" and card.version == 2
    revisions = db.session.scalars(select(ScorecardRevision).order_by(ScorecardRevision.id))
    assert [(r.version, r.status, json.loads(r.values_json)) for r in revisions] == [
        (1, "draft", {"overall": 70}), (2, "submitted", {"courtesy": 8, "overall": 70})]
    assert count(Assignment) == 1


def test_correcting_a_submitted_scorecard_keeps_its_history(example):
    import_scores(example, example_sheet(final=False))
    card = db.session.scalars(select(Scorecard).order_by(Scorecard.id)).first()
    first_submitted = card.submitted_at
    report = import_scores(example, HEADER + "preliminary,j1,A,overall,80\n"
                           "preliminary,j1,B,overall,87\n")
    assert report.corrections == 1 and report.scorecards_updated == 1
    assert report.scorecards_unchanged == 1 and report.assignments_created == 0
    revisions = db.session.scalars(select(ScorecardRevision).where(
        ScorecardRevision.scorecard_id == card.id).order_by(ScorecardRevision.id)).all()
    # Every version stays readable: the imported 79, then the correction to 80.
    assert [(r.version, json.loads(r.values_json)) for r in revisions] == [
        (1, {"overall": 79}), (2, {"overall": 80})]
    assert {r.reason for r in revisions} == {REVISION_REASON}
    assert {(r.actor, r.device, r.action) for r in revisions} == {("system", "paper", "import")}
    assert first_submitted is not None
    db.session.refresh(card)
    assert card.version == 2 and card.status == "submitted"
    assert [s.value for s in card.scores] == [80]


def test_frozen_after_publication(example):
    example.state = "published"
    db.session.commit()
    with pytest.raises(FrozenError, match="published"):
        import_scores(example, example_sheet())
    assert count(Scorecard) == 0
    assert chain_events("example")[-1].action == "change_refused"


def test_bom_and_bytes_are_accepted(example):
    data = ("\ufeff" + example_sheet(final=False)).encode("utf-8")
    assert import_scores(example, data).rows == 12


def test_not_utf8(example):
    with pytest.raises(InvalidInput) as caught:
        import_scores(example, HEADER.encode() + "preliminary,j1,A,overall,5,é\n".encode("latin-1"))
    assert caught.value.errors == [
        (2, "not valid UTF-8 (byte 0xE9 at column 28); save the file as UTF-8")]
