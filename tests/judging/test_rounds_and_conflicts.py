"""Rounds, conflicts and blindness (SPEC 5.3, 5.5): close gating, excuse and reopen with
audit events, a conflict after scoring deletes the scores, judges never see other judges'
scores or comments, results read submitted scorecards only, and the commands of SPEC 8."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from awards.audit.service import chain_events
from awards.extensions import db
from awards.judging.errors import RoundRefused
from awards.judging.rounds import close_round, excuse_scorecard, reopen_scorecard
from awards.models import (
    Assignment,
    Conflict,
    JudgingRound,
    Score,
    Scorecard,
    ScorecardComment,
    ScorecardRevision,
    User,
)
from awards.results.services import score_rows

from .conftest import ASSIGNED, signed_in
from .test_save_protocol import JSON, form

BASE = "/judge/c/csea-test"


def submit(client, code: str, pledges: int, courtesy: int, comment: str = "", seq: int = 1):
    data = {**form(action="submit", pledges=pledges, courtesy=courtesy, seq=seq,
                   device=f"tab-{code}"), "comment-pledges": comment}
    response = client.post(f"{BASE}/preliminary/{code}", data=data, headers=JSON)
    assert response.status_code == 200, response.get_json()
    return response


def submit_all(app) -> None:
    for username, codes in ASSIGNED.items():
        client = signed_in(app, username)
        for code in codes:
            submit(client, code, 5, 6, comment=f"secret note of {username} on {code}")


def actions() -> list[str]:
    return [e.action for e in chain_events("csea-test")]


def test_close_is_refused_while_scorecards_are_unsubmitted_and_names_the_count(judging, j02):
    submit(j02, "B", 7, 8)
    with pytest.raises(RoundRefused, match="7 assigned scorecard"):
        close_round(judging, "preliminary", actor="olivia")
    assert db.session.scalar(select(JudgingRound.state)) in (None, "open")


def test_excused_scorecards_let_the_round_close_and_everything_is_audited(app, judging):
    submit_all(app)
    reopen_scorecard(judging, "preliminary", "j03", "D", "asked to look again",
                     actor="olivia")
    with pytest.raises(RoundRefused, match="1 assigned"):
        close_round(judging, "preliminary", actor="olivia")
    with pytest.raises(Exception, match="reason"):
        excuse_scorecard(judging, "preliminary", "j03", "D", "  ", actor="olivia")
    excuse_scorecard(judging, "preliminary", "j03", "D", "judge fell ill", actor="olivia")
    close_round(judging, "preliminary", actor="olivia")
    assert db.session.scalar(select(JudgingRound.state)) == "closed"
    logged = actions()
    for action in ("scorecard_submitted", "scorecard_reopened", "scorecard_excused",
                   "round_closed"):
        assert action in logged
    # After the close a judge can no longer change a submitted card, even by amending.
    j02 = signed_in(app, "j02")
    late = j02.post(f"{BASE}/preliminary/B",
                    data={**form(version=1, seq=9, action="amend", pledges=1, courtesy=1),
                          "reason": "late"}, headers=JSON)
    assert late.status_code == 409 and late.get_json()["error"] == "scorecard.round_closed"


def test_after_close_only_a_reopened_card_can_change(app, judging):
    submit_all(app)
    close_round(judging, "preliminary", actor="olivia")
    card = reopen_scorecard(judging, "preliminary", "j02", "B", "typo in courtesy",
                            actor="olivia")
    assert card.status == "reopened"
    j02 = signed_in(app, "j02")
    fixed = j02.post(f"{BASE}/preliminary/B", data=form(
        version=card.version, seq=20, action="submit", pledges=5, courtesy=9,
        device="tab-x"), headers=JSON)
    assert fixed.status_code == 200 and fixed.get_json()["state"]["status"] == "submitted"
    history = db.session.scalars(select(ScorecardRevision).where(
        ScorecardRevision.scorecard_id == card.id).order_by(ScorecardRevision.id)).all()
    assert [r.action for r in history] == ["submit", "reopen", "submit"]
    assert json.loads(history[0].values_json) == {"pledges": 5, "courtesy": 6}


def test_a_conflict_found_after_scoring_deletes_the_scores_with_an_audit_event(app, judging):
    j02 = signed_in(app, "j02")
    submit(j02, "B", 7, 8, comment="fine")
    card = db.session.scalar(select(Scorecard))
    assert len(score_rows(judging)) == 2
    response = j02.post(f"{BASE}/conflicts", data={"department": "B", "type": "former_employer",
                                                   "reason": "worked there until 2024"})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.scalar(select(Score).where(Score.scorecard_id == card.id)) is None
    assert db.session.scalar(select(ScorecardComment)) is None
    assert card.status == "withdrawn" and score_rows(judging) == []
    # The history keeps what was deleted; the pair is no longer assigned and is never
    # scorable again; the round asks for a re-solve.
    history = db.session.scalars(select(ScorecardRevision).order_by(ScorecardRevision.id))
    assert [r.action for r in history] == ["submit", "withdraw"]
    assert db.session.scalar(select(Assignment).where(
        Assignment.department_id == card.department_id,
        Assignment.judge_id == card.judge_id)) is None
    row = db.session.scalar(select(JudgingRound))
    assert row.resolve_needed and "conflict" in row.resolve_reason
    assert {"conflict_set", "scores_withdrawn", "assignment_resolve_needed"} <= set(actions())
    conflict = db.session.scalar(select(Conflict).where(Conflict.source == "declared"))
    assert (conflict.type, conflict.declared_by) == ("former_employer", "j02")
    assert j02.get(f"{BASE}/preliminary/B").status_code == 404
    # The published chain never names the judge or the reason.
    for event in chain_events("csea-test"):
        assert "j02" not in event.subject + event.actor + event.data
        assert "worked there" not in event.data


@pytest.mark.parametrize("data, message", [
    ({"department": "ZZ", "type": "personal", "reason": "x"}, "no department"),
    ({"department": "B", "type": "enemy", "reason": "x"}, "kind of conflict"),
    ({"department": "B", "type": "personal", "reason": ""}, "give the reason"),
])
def test_bad_conflict_declarations_are_refused(j02, data, message):
    response = j02.post(f"{BASE}/conflicts", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True).lower()
    assert db.session.scalar(select(Conflict).where(Conflict.source == "declared")) is None


def test_judges_never_see_other_judges_scores_or_comments(app, judging):
    j03 = signed_in(app, "j03")
    submit(j03, "C", 9, 9, comment="j03 private remark")
    j02 = signed_in(app, "j02")
    submit(j02, "C", 2, 3, comment="j02 own remark")
    pages = [j02.get(f"{BASE}/"), j02.get(f"{BASE}/preliminary/C"),
             j02.get(f"{BASE}/preliminary/B"), j02.get("/judge/")]
    for page in pages:
        html = page.get_data(as_text=True)
        assert page.status_code == 200
        assert "j03 private remark" not in html
    card_page = pages[1].get_data(as_text=True)
    assert "j02 own remark" in card_page
    assert 'value="9" checked' not in card_page and 'value="2" checked' in card_page
    # The calibration aid counts only j02's own scores: one 2 for pledges, no 9.
    home = pages[0].get_data(as_text=True)
    assert "Mean 2.0 of 10 over 1 scores" in home and "Mean 9.0" not in home
    # Results and their exports stay hidden from judges before publication.
    assert j02.get("/organiser/c/csea-test/judging").status_code == 403
    assert j02.get("/organiser/c/csea-test/results").status_code in (403, 404)


def test_organisers_see_comments_only_after_the_round_closes(app, judging, organiser):
    submit_all(app)
    olivia = signed_in(app, "olivia")
    before = olivia.get("/organiser/c/csea-test/judging").get_data(as_text=True)
    assert "secret note of j02 on B" not in before and "shown once the round is closed" in before
    assert "8 of 8 submitted" in before
    confirm = olivia.post("/organiser/c/csea-test/judging/close", data={"round": "preliminary"})
    assert "Yes, close the round" in confirm.get_data(as_text=True)
    assert db.session.scalar(select(JudgingRound.state)) is None
    done = olivia.post("/organiser/c/csea-test/judging/close",
                       data={"round": "preliminary", "confirm": "yes"})
    assert done.status_code == 303
    after = olivia.get("/organiser/c/csea-test/judging").get_data(as_text=True)
    assert "secret note of j02 on B" in after


def test_the_organiser_page_refuses_a_close_with_the_count(app, judging, organiser):
    olivia = signed_in(app, "olivia")
    refused = olivia.post("/organiser/c/csea-test/judging/close",
                          data={"round": "preliminary", "confirm": "yes"})
    assert refused.status_code == 409
    assert "8 assigned scorecards are neither submitted nor excused" in refused.get_data(
        as_text=True)
    excused = olivia.post("/organiser/c/csea-test/judging/excuse",
                          data={"round": "preliminary", "judge": "j01", "department": "B",
                                "reason": "absent"})
    assert excused.status_code == 303
    assert "7 neither submitted nor excused" in olivia.get(
        "/organiser/c/csea-test/judging").get_data(as_text=True)


def test_results_read_only_submitted_scorecards(app, judging):
    j02 = signed_in(app, "j02")
    j02.post(f"{BASE}/preliminary/B", data=form(pledges=7, courtesy=8), headers=JSON)
    assert score_rows(judging) == []  # a complete draft is not counted
    submit(j02, "C", 4, 5)
    assert sorted(r[3:] for r in score_rows(judging)) == [("courtesy", 5), ("pledges", 4)]


def test_round_close_command(runner, judging, app):
    result = runner.invoke(args=["awards", "round", "close", "csea-test", "preliminary"])
    assert result.exit_code == 1
    assert "8 assigned scorecard(s) of the preliminary round are neither submitted nor " \
           "excused" in result.stderr
    pairs = [f"{u}/{c}" for u, codes in ASSIGNED.items() for c in codes]
    args = ["awards", "round", "close", "csea-test", "preliminary"]
    for pair in pairs:
        args += ["--excuse", pair]
    result = runner.invoke(args=args)
    assert result.exit_code == 1 and "--excuse needs --reason" in result.stderr
    result = runner.invoke(args=[*args, "--reason", "paper sheets instead"])
    assert result.exit_code == 0, result.stderr
    assert db.session.scalar(select(JudgingRound.state)) == "closed"
    again = runner.invoke(args=["awards", "round", "close", "csea-test", "preliminary"])
    assert again.exit_code == 1 and "already closed" in again.stderr
    bad = runner.invoke(args=["awards", "round", "close", "csea-test", "semi"])
    assert bad.exit_code != 0


def test_users_password_command_activates_a_config_judge(runner, campaign, tmp_path):
    user = db.session.scalar(select(User).where(User.username == "j02"))
    assert user is not None and not user.active
    short = tmp_path / "short"
    short.write_text("short\n")
    result = runner.invoke(args=["awards", "users", "password", "j02", "--password-file",
                                 str(short)])
    assert result.exit_code == 1 and "at least 12 characters" in result.stderr
    good = tmp_path / "good"
    good.write_text("a long enough password\n")
    result = runner.invoke(args=["awards", "users", "password", "j02", "--password-file",
                                 str(good)])
    assert result.exit_code == 0, result.stderr
    db.session.expire_all()
    user = db.session.scalar(select(User).where(User.username == "j02"))
    assert user.active and user.check_password("a long enough password")
    missing = runner.invoke(args=["awards", "users", "password", "nobody", "--password-file",
                                  str(good)])
    assert missing.exit_code == 1 and "no account 'nobody'" in missing.stderr


SNAPSHOT = {
    "format": "awards-entry/1", "campaign": "csea-test",
    "department": {"code": "B", "name_en": "Department B", "name_zh": "乙部門"},
    "category": "overall", "title": "Faster counters", "summary": "First para.\nSecond para.",
    "sections": [{"criterion": "pledges", "name_en": "Performance pledges met",
                  "name_zh": "服務承諾達標", "body": "We met 9 of 10 pledges."}],
    "pledges": [{"service": "Answer calls within 2 minutes", "target": "75%",
                 "achieved": "86%"}],
    "contact": {"name": "Ms Chan", "email": "chan@example.gov.hk", "phone": "2345 6789"},
    "attachments": [{"filename": "report.pdf", "sha256": "ab" * 32,
                     "content_type": "application/pdf", "size": 12345}],
    "submitted_at": "2026-10-01T08:00:00Z", "grace": False,
}


def test_the_entry_read_view_renders_a_snapshot_as_plain_text(app, judging):
    from flask import render_template

    department = next(d for d in judging.departments if d.code == "B")
    evil = {**SNAPSHOT, "title": "<script>alert(1)</script>"}
    with app.test_request_context("/"):
        html = render_template("judges/_entry_snapshot.html", snapshots=[evil],
                               department=department, locale="en")
        missing = render_template("judges/_entry_snapshot.html", snapshots=[],
                                  department=department, locale="en")
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert "<p>First para.</p><p>Second para.</p>" in html
    assert "We met 9 of 10 pledges." in html and "86%" in html
    assert "report.pdf" in html and "ab" * 32 in html
    assert "The entry is not available" in missing


def test_demo_scores_go_through_real_scorecards(judging, monkeypatch):
    from awards.results import demo_scores

    monkeypatch.setattr(demo_scores, "DRAFT_EVERY", 3)
    pairs = [("j01", "D"), ("j02", "D"), ("j03", "B"), ("j02", "A"), ("j02", "B"),
             ("j02", "C")]  # the last three are assigned already
    rows = [("preliminary", judge, code, criterion, 6) for judge, code in pairs
            for criterion in ("pledges", "courtesy")]
    assert demo_scores.score_on_tablets(judging, rows) == (4, 2)
    revisions = db.session.scalars(select(ScorecardRevision)).all()
    assert len(revisions) == 6 and {r.device for r in revisions} == {"demo-tablet"}
    assert len(score_rows(judging)) == 8  # four submitted cards, two criteria each
