"""Organisers' stored pins and forbids (SPEC 5.4): set, changed and removed as audit events
with the judge by pseudonym; every solve, from the page or ``flask awards assign``, reads
them; a rule that leaves no valid assignment, or names an unknown pair, writes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from awards.audit.service import verify_stored_chain
from awards.exceptions import InvalidInput
from awards.extensions import db
from awards.judging.assign import assign_preliminary, preliminary_problem
from awards.judging.assignment import AssignmentError, InfeasibleAssignment
from awards.judging.assignment_rules import list_rules, set_rule
from awards.models import Assignment, AssignmentRule, AuditEvent, Department, Judge, User

from .test_assign_service import declare, events, panel, stored_pairs  # noqa: F401


def pseudonym(username: str) -> str:
    return db.session.scalar(select(Judge.pseudonym).join(User).where(User.username == username))


def rule_count() -> int:
    return db.session.scalar(select(func.count()).select_from(AssignmentRule))


def free_pair(pairs, judge: str) -> tuple[str, str]:
    """A department ``judge`` does not score now and has no conflict with."""
    taken = {d for j, d in pairs if j == judge}
    blocked = {("j01", "B"), ("j02", "C"), ("j02", "D")}
    return judge, next(d for d in "ABCDEFGH" if d not in taken and (judge, d) not in blocked)


def test_a_rule_is_stored_with_who_and_why_and_audited_by_pseudonym(panel):
    assert set_rule(panel, "j03", "A", "pin", reason="chairs the panel", actor="olivia")
    [row] = list_rules(panel)
    assert (row.judge, row.department, row.kind, row.reason, row.created_by) == (
        "j03", "A", "pin", "chairs the panel", "olivia")
    [event] = events("assignment_rule_set")
    assert event.subject == f"{pseudonym('j03')}/A" and event.actor == "olivia"
    assert event.data == '{"kind":"pin","round":"preliminary","was":"none"}'
    assert "j03" not in event.subject + event.data and "chairs" not in event.data
    # The same rule again changes nothing and records nothing.
    assert not set_rule(panel, "j03", "A", "pin", actor="olivia")
    assert len(events("assignment_rule_set")) == 1
    # A pin becomes a forbid, then goes: one rule per pair, each step an event.
    assert set_rule(panel, "j03", "A", "forbid", actor="olivia")
    assert [(r.kind) for r in list_rules(panel)] == ["forbid"]
    assert set_rule(panel, "j03", "A", "none", actor="olivia")
    assert list_rules(panel) == [] and rule_count() == 0
    [removed] = events("assignment_rule_removed")
    assert removed.data == '{"kind":"none","round":"preliminary","was":"forbid"}'
    assert verify_stored_chain("assign-test").ok


def test_every_solve_reads_the_stored_rules_and_keeps_them(panel):
    first = assign_preliminary(panel)
    pin = free_pair(first.solution.pairs, "j04")
    forbid = next(p for p in first.solution.pairs if p[0] == "j03")
    set_rule(panel, *pin, "pin")
    set_rule(panel, *forbid, "forbid")
    problem = preliminary_problem(panel)
    assert pin in problem.pins and forbid in problem.forbids
    second = assign_preliminary(panel)
    assert pin in stored_pairs(panel) and forbid not in stored_pairs(panel)
    assert second.added == second.removed >= 1
    third = assign_preliminary(panel)
    assert third.solution.sha256 == second.solution.sha256
    assert (third.added, third.removed) == (0, 0)
    source = db.session.scalar(
        select(Assignment.source).join(Judge, Judge.id == Assignment.judge_id)
        .join(User, User.id == Judge.user_id)
        .join(Department, Department.id == Assignment.department_id)
        .where(User.username == pin[0], Department.code == pin[1]))
    assert source == "manual"


def test_the_command_solves_with_the_stored_rules(panel, runner):
    first = assign_preliminary(panel, dry_run=True)
    pin = free_pair(first.solution.pairs, "j01")
    forbid = next(p for p in first.solution.pairs if p[0] == "j03")
    set_rule(panel, *pin, "pin")
    set_rule(panel, *forbid, "forbid")
    result = runner.invoke(args=["awards", "assign", "assign-test"])
    assert result.exit_code == 0, result.stderr
    pairs = stored_pairs(panel)
    assert pin in pairs and forbid not in pairs
    digest = assign_preliminary(panel, dry_run=True).solution.sha256
    assert result.stdout == f"assignment sha256 {digest}\n"


def test_a_forbid_that_leaves_no_valid_assignment_is_refused_and_writes_nothing(panel):
    assign_preliminary(panel)
    before, audit = stored_pairs(panel), len(events("assignment_rule_set"))
    set_rule(panel, "j01", "E", "forbid")
    set_rule(panel, "j03", "E", "forbid")
    with pytest.raises(InfeasibleAssignment) as caught:
        set_rule(panel, "j04", "E", "forbid")
    assert caught.value.departments == ("E",)
    assert "fewer than 2 judges without a conflict or forbid for E (1)" in str(caught.value)
    assert {(r.judge, r.kind) for r in list_rules(panel)} == {("j01", "forbid"),
                                                              ("j03", "forbid")}
    assert len(events("assignment_rule_set")) == audit + 2
    assert stored_pairs(panel) == before
    # Removing a rule is never refused: it is how the organiser undoes one.
    assert set_rule(panel, "j03", "E", "none")


@pytest.mark.parametrize(("judge", "department", "kind", "code"), [
    ("nobody", "A", "pin", "assignment.unknown_pair"),
    ("j01", "ZZ", "forbid", "assignment.unknown_pair"),
    ("j01", "A", "maybe", "assignment.bad_rule"),
    ("j01", "B", "pin", "assignment.conflicted_pin"),  # j01's own department
    ("j02", "C", "pin", "assignment.conflicted_pin"),  # set by the organiser's config
])
def test_bad_rules_are_refused_and_write_nothing(panel, judge, department, kind, code):
    audit = db.session.scalar(select(func.count()).select_from(AuditEvent))
    with pytest.raises(InvalidInput) as caught:
        set_rule(panel, judge, department, kind)
    assert caught.value.code == code
    assert rule_count() == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == audit


def test_a_long_reason_is_refused(panel):
    with pytest.raises(InvalidInput) as caught:
        set_rule(panel, "j01", "A", "pin", reason="x" * 501)
    assert caught.value.code == "assignment.reason_too_long" and rule_count() == 0


def test_rules_change_only_while_the_assignment_is_made(panel):
    panel.state = "finalists_announced"
    db.session.commit()
    with pytest.raises(AssignmentError) as caught:
        set_rule(panel, "j01", "A", "pin")
    assert caught.value.code == "assignment.wrong_phase" and rule_count() == 0


def test_a_conflict_declared_after_a_pin_wins(panel):
    set_rule(panel, "j03", "A", "pin")
    declare(panel, "j03", "A")
    report = assign_preliminary(panel)
    assert ("j03", "A") not in report.solution.pairs
    assert ("j03", "A") not in preliminary_problem(panel).pins


def test_a_stale_preview_writes_nothing(panel):
    preview = assign_preliminary(panel, dry_run=True)
    set_rule(panel, *next(p for p in preview.solution.pairs if p[0] == "j04"), "forbid")
    with pytest.raises(AssignmentError) as caught:
        assign_preliminary(panel, expect_sha256=preview.solution.sha256)
    assert caught.value.code == "assignment.preview_stale"
    assert stored_pairs(panel) == [] and events("assignment_solved") == []
