"""Solving and storing a campaign's preliminary assignment (SPEC 5.4) and
``flask awards assign SLUG [--dry-run]`` (SPEC 8)."""

from __future__ import annotations

import hashlib

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from awards.audit.service import chain_events, verify_stored_chain
from awards.campaigns.config_file import parse_config
from awards.campaigns.services import load_campaign_config
from awards.exceptions import InvalidInput
from awards.extensions import db
from awards.judging.assign import assign_preliminary, preliminary_problem
from awards.judging.assignment import AssignmentError, InfeasibleAssignment, rule_violations
from awards.models import (
    Assignment,
    AuditEvent,
    Category,
    Conflict,
    Department,
    Entry,
    Judge,
    Scorecard,
    User,
)
from awards.web.messages import describe

CODES = ["A", "B", "C", "D", "E", "F", "G", "H"]


def config(judges: str, entries_required: bool = False, codes=CODES) -> str:
    departments = "".join(f'[[departments]]\ncode = "{c}"\nname_en = "Department {c}"\n'
                          f'name_zh = "{c}部門"\n\n' for c in codes)
    return f"""
[campaign]
slug = "assign-test"
name_en = "Assignment test"
name_zh = "分配測試"
entries_required = {'true' if entries_required else 'false'}

[[districts]]
code = "KT"
name_en = "Kwun Tong"
name_zh = "觀塘"

{departments}
[[criteria]]
round = "preliminary"
code = "overall"
name_en = "Overall"
name_zh = "整體"
weight = 1.0
max = 10

{judges}
"""


PANEL = """
[[judges]]
username = "j01"
name = "Judge One"
affiliation = "B"

[[judges]]
username = "j02"
name = "Judge Two"
conflicts = ["C", "D"]

[[judges]]
username = "j03"
name = "Judge Three"

[[judges]]
username = "j04"
name = "Judge Four"
"""


@pytest.fixture
def panel(app):
    campaign, _created, _notes = load_campaign_config(parse_config(config(PANEL)))
    campaign.state = "adjudication"
    db.session.commit()
    return campaign


def stored_pairs(campaign) -> list[tuple[str, str]]:
    return sorted(db.session.execute(
        select(User.username, Department.code).select_from(Assignment)
        .join(Judge, Judge.id == Assignment.judge_id).join(User, User.id == Judge.user_id)
        .join(Department, Department.id == Assignment.department_id)
        .where(Assignment.campaign_id == campaign.id, Assignment.round == "preliminary")).all())


def events(action: str) -> list[AuditEvent]:
    return [e for e in chain_events("assign-test") if e.action == action]


def declare(campaign, username: str, code: str) -> None:
    judge = db.session.scalar(select(Judge).join(User).where(User.username == username))
    department = db.session.scalar(select(Department).where(Department.code == code))
    db.session.add(Conflict(campaign_id=campaign.id, judge_id=judge.id,
                            department_id=department.id, source="declared", reason="x"))
    db.session.commit()


def test_a_solve_stores_the_pairs_and_records_their_digest(panel):
    report = assign_preliminary(panel, actor="olivia")
    pairs = stored_pairs(panel)
    assert pairs == list(report.solution.pairs)
    assert len(pairs) == 24 and set(report.solution.loads.values()) == {6}
    # Conflicts from the config (organiser) and from the affiliation are respected.
    assert not {("j01", "B"), ("j02", "C"), ("j02", "D")} & set(pairs)
    problem = preliminary_problem(panel)
    assert rule_violations(problem, pairs) == []
    lines = "".join(sorted(f"{j},{d}\n" for j, d in pairs))
    digest = hashlib.sha256(lines.encode()).hexdigest()
    [event] = events("assignment_solved")
    assert event.actor == "olivia"
    assert event.subject == "assign-test"
    assert f'"sha256":"{digest}"' in event.data
    assert '"pairs":24' in event.data and '"connected":true' in event.data
    assert "j01" not in event.data  # the campaign chain is published: no usernames
    assert verify_stored_chain("assign-test").ok
    assert {row.source for row in db.session.scalars(select(Assignment))} == {"auto"}


def test_a_dry_run_writes_nothing(panel):
    report = assign_preliminary(panel, dry_run=True)
    assert len(report.solution.pairs) == 24 and report.added == 24
    assert stored_pairs(panel) == []
    assert events("assignment_solved") == []


def test_a_re_solve_keeps_the_assignment_and_a_late_conflict_moves_little(panel):
    first = assign_preliminary(panel)
    again = assign_preliminary(panel)
    assert again.solution.sha256 == first.solution.sha256
    assert (again.added, again.removed, again.solution.kept) == (0, 0, 24)
    judge, code = first.solution.pairs[0]
    declare(panel, judge, code)
    third = assign_preliminary(panel)
    assert (judge, code) not in stored_pairs(panel)
    assert third.removed == third.added and 1 <= third.removed <= 3
    assert len(events("assignment_solved")) == 3


def test_pins_and_forbids_are_honoured(panel):
    report = assign_preliminary(panel, pins={("j01", "A")}, forbids={("j03", "A")})
    assert ("j01", "A") in report.solution.pairs
    assert ("j03", "A") not in report.solution.pairs
    sources = dict(((j, d), s) for j, d, s in db.session.execute(
        select(User.username, Department.code, Assignment.source).select_from(Assignment)
        .join(Judge, Judge.id == Assignment.judge_id).join(User, User.id == Judge.user_id)
        .join(Department, Department.id == Assignment.department_id)))
    assert sources[("j01", "A")] == "manual" and sources[("j03", "B")] == "auto"


def test_a_pair_with_a_scorecard_is_kept_and_cannot_be_forbidden(panel):
    first = assign_preliminary(panel)
    shared = sorted({d for j, d in first.solution.pairs if j == "j03"}
                    & {d for j, d in first.solution.pairs if j == "j04"})
    code = shared[0]
    judge_id = db.session.scalar(select(Judge.id).join(User).where(User.username == "j03"))
    department_id = db.session.scalar(select(Department.id).where(Department.code == code))
    db.session.add(Scorecard(campaign_id=panel.id, round="preliminary", judge_id=judge_id,
                             department_id=department_id))
    db.session.commit()
    with pytest.raises(InvalidInput) as caught:
        assign_preliminary(panel, forbids={("j03", code)})
    assert caught.value.code == "assignment.scored_forbidden"
    assert f"j03/{code}" in str(caught.value)
    # A scored pair is pinned: forbidding its neighbour on the department keeps it.
    report = assign_preliminary(panel, forbids={("j04", code)})
    assert ("j03", code) in report.solution.pairs
    assert ("j04", code) not in report.solution.pairs


def test_unknown_forbidden_pairs_are_refused(panel):
    with pytest.raises(InvalidInput) as caught:
        assign_preliminary(panel, forbids={("nobody", "A"), ("j01", "ZZ")})
    assert caught.value.code == "assignment.unknown_pair"
    assert "j01/ZZ, nobody/A" in str(caught.value)


def test_only_eligible_departments_are_assigned(app):
    campaign, _c, _n = load_campaign_config(parse_config(config(PANEL, entries_required=True)))
    campaign.state = "entries_closed"
    category = db.session.scalar(select(Category))
    for department in campaign.departments:
        if department.code != "H":
            db.session.add(Entry(campaign_id=campaign.id, department_id=department.id,
                                 category_id=category.id, eligibility="eligible"))
    db.session.commit()
    report = assign_preliminary(campaign)
    assert "H" not in report.solution.coverage and len(report.solution.coverage) == 7
    assert all(d != "H" for _, d in stored_pairs(campaign))


def test_outside_its_phases_the_assignment_is_refused(panel):
    panel.state = "finalists_announced"
    db.session.commit()
    with pytest.raises(AssignmentError) as caught:
        assign_preliminary(panel)
    assert caught.value.code == "assignment.wrong_phase"
    assert stored_pairs(panel) == [] and events("assignment_solved") == []


def test_rules_that_cannot_be_met_name_the_department_and_write_nothing(panel, runner):
    assign_preliminary(panel)
    before = stored_pairs(panel)
    for judge in ("j02", "j03", "j04"):
        declare(panel, judge, "E")
    with pytest.raises(InfeasibleAssignment) as caught:
        assign_preliminary(panel)
    assert caught.value.departments == ("E",)
    result = runner.invoke(args=["awards", "assign", "assign-test"])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == ("error: fewer than 2 judges without a conflict "
                                              "or forbid for E (1): each department needs at "
                                              "least 2")
    assert result.stdout == ""
    assert stored_pairs(panel) == before and len(events("assignment_solved")) == 1


def test_refusals_read_in_traditional_chinese(panel, app):
    for judge in ("j02", "j03", "j04"):
        declare(panel, judge, "E")
    with pytest.raises(InfeasibleAssignment) as caught:
        assign_preliminary(panel)
    with app.test_request_context(), force_locale("zh_Hant_HK"):
        assert describe(caught.value) == ("E 沒有利益衝突或未被禁止的評審少於 2 位："
                                          "每個部門最少需要 2 位")
    panel.state = "draft"
    with pytest.raises(AssignmentError) as caught:
        assign_preliminary(panel)
    with app.test_request_context(), force_locale("zh_Hant_HK"):
        assert describe(caught.value) == ("初選評審分配須在「截止參賽」或「初選評審」階段進行；"
                                          "「assign-test」目前在「草擬」")


def test_the_command_prints_balance_and_digest(panel, runner):
    result = runner.invoke(args=["awards", "assign", "assign-test", "--dry-run"])
    assert result.exit_code == 0, result.stderr
    digest = assign_preliminary(panel, dry_run=True).solution.sha256
    assert result.stdout == f"assignment sha256 {digest}\n"
    assert "24 pairs: 8 departments, 4 judges, graph connected" in result.stderr
    assert "loads (6 departments per judge): j01 6, j02 6, j03 6, j04 6" in result.stderr
    assert "coverage: 3 judges: A, B, C, D, E, F, G, H" in result.stderr
    assert "dry run: nothing was written" in result.stderr
    assert db.session.scalar(select(func.count()).select_from(Assignment)) == 0
    result = runner.invoke(args=["awards", "assign", "assign-test"])
    assert result.exit_code == 0 and result.stdout == f"assignment sha256 {digest}\n"
    assert "kept 0 of 0 earlier pairs; added 24, removed 0" in result.stderr
    assert len(stored_pairs(panel)) == 24


def test_the_command_names_an_unknown_campaign(runner, app):
    result = runner.invoke(args=["awards", "assign", "nope"])
    assert result.exit_code == 1 and result.stderr == "error: no campaign 'nope'\n"
