"""Organisers' pins and forbids for the preliminary assignment (SPEC 5.4).

A pin says a judge must score a department, a forbid that they must not; each pair has at
most one rule. The rules are stored (:class:`~awards.models.AssignmentRule`), so the
command line and the organiser's page solve with the same ones
(:func:`awards.judging.assign.panel_facts` reads them). Setting, changing or removing a
rule is an audit event on the campaign's chain; the chain is published, so the judge
appears there by pseudonym and the reason stays in the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from awards.audit.service import current_actor, record
from awards.exceptions import InvalidInput
from awards.extensions import db
from awards.judging.assign import ASSIGNING_STATES, ROUND, panel_facts, preliminary_problem
from awards.judging.assignment import AssignmentError, solve
from awards.models import AssignmentRule, Campaign, Department, Judge, User
from awards.models.judging import RULE_KINDS

REASON_LIMIT = 500
NO_RULE = "none"


@dataclass(frozen=True)
class RuleRow:
    """One stored rule as the organiser's page lists it."""

    judge: str
    department: str
    kind: str
    reason: str
    created_by: str
    created_at: datetime


def list_rules(campaign: Campaign) -> list[RuleRow]:
    """The campaign's preliminary rules, by judge and department."""
    rows = db.session.execute(
        select(User.username, Department.code, AssignmentRule.kind, AssignmentRule.reason,
               AssignmentRule.created_by, AssignmentRule.created_at)
        .select_from(AssignmentRule)
        .join(Judge, Judge.id == AssignmentRule.judge_id)
        .join(User, User.id == Judge.user_id)
        .join(Department, Department.id == AssignmentRule.department_id)
        .where(AssignmentRule.campaign_id == campaign.id, AssignmentRule.round == ROUND)
        .order_by(User.username, Department.code)).all()
    return [RuleRow(*row) for row in rows]


def set_rule(campaign: Campaign, judge: str, department: str, kind: str, *,
             reason: str = "", actor: str | None = None) -> bool:
    """Pin or forbid one pair, or remove its rule (``kind`` = ``"none"``), and commit.

    Parameters
    ----------
    campaign : Campaign
    judge, department : str
        A username on the panel and an eligible department's code.
    kind : str
        ``pin``, ``forbid`` or ``none``.
    reason : str
        Why (optional, at most 500 characters); kept with the rule, not on the public chain.
    actor : str, optional
        Who (default: the signed-in user, or ``system``).

    Returns
    -------
    bool
        Whether anything changed (setting the rule a pair already has changes nothing and
        records nothing).

    Raises
    ------
    AssignmentError
        Outside ``entries_closed`` and ``adjudication`` (``assignment.wrong_phase``).
    InvalidInput
        An unknown kind, judge or department, a reason too long, a pin on a conflicted
        pair or a forbid on a pair that already has a scorecard. Nothing is written.
    InfeasibleAssignment
        With the new pin or forbid no assignment meets every rule; names the departments
        and judges that cannot be covered. Nothing is written. (Removing a rule is never
        refused: it is how an organiser undoes one.)
    """
    judge, department, reason = judge.strip(), department.strip(), reason.strip()
    if kind not in (*RULE_KINDS, NO_RULE):
        raise InvalidInput(f"unknown rule '{kind}': choose pin, forbid or none",
                           code="assignment.bad_rule", kind=kind)
    if len(reason) > REASON_LIMIT:
        raise InvalidInput(f"the reason for the rule is too long: {len(reason)} characters, "
                           f"at most {REASON_LIMIT}", code="assignment.reason_too_long",
                           length=len(reason), limit=REASON_LIMIT)
    if campaign.state not in ASSIGNING_STATES:
        raise AssignmentError(
            f"the preliminary assignment is made in 'entries_closed' or 'adjudication'; "
            f"'{campaign.slug}' is in '{campaign.state}'", code="assignment.wrong_phase",
            slug=campaign.slug, state=campaign.state)
    actor = actor or current_actor()
    try:
        # One change at a time per campaign, and none during a solve (a row lock on
        # PostgreSQL; SQLite's write lock does the same).
        db.session.execute(select(Campaign.id).where(Campaign.id == campaign.id)
                           .with_for_update())
        changed = _apply(campaign, judge, department, kind, reason, actor)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return changed


def _apply(campaign: Campaign, username: str, code: str, kind: str, reason: str,
           actor: str) -> bool:
    facts = panel_facts(campaign)
    judge_id = next((i for i, name in facts.judges.items() if name == username), None)
    department_id = next((i for i, c in facts.departments.items() if c == code), None)
    pair = (username, code)
    shown = f"{username}/{code}"
    if judge_id is None or department_id is None:
        raise InvalidInput(f"no such judge or eligible department: {shown}",
                           code="assignment.unknown_pair", pairs=shown)
    if kind == "pin" and pair in facts.conflicts:
        raise InvalidInput(f"{shown}: the judge has a conflict with the department; a "
                           "conflicted pair cannot be pinned",
                           code="assignment.conflicted_pin", pairs=shown)
    if kind == "forbid" and pair in facts.scored:
        raise InvalidInput(f"{shown}: already has a scorecard; a scored pair cannot be "
                           "forbidden", code="assignment.scored_forbidden", pairs=shown)
    row = db.session.scalar(select(AssignmentRule).where(
        AssignmentRule.round == ROUND, AssignmentRule.judge_id == judge_id,
        AssignmentRule.department_id == department_id))
    before = row.kind if row is not None else NO_RULE
    if before == kind:
        return False
    if row is not None:
        db.session.delete(row)
        db.session.flush()
    if kind != NO_RULE:
        db.session.add(AssignmentRule(campaign_id=campaign.id, round=ROUND, judge_id=judge_id,
                                      department_id=department_id, kind=kind, reason=reason,
                                      created_by=actor))
        db.session.flush()
        # A new pin or forbid that leaves no assignment meeting every rule is refused here,
        # naming what could not be covered, rather than found at the next solve.
        solve(preliminary_problem(campaign))
    pseudonym = db.session.scalar(select(Judge.pseudonym).where(Judge.id == judge_id))
    # The campaign chain is published: the judge by pseudonym, and no free text.
    record("assignment_rule_removed" if kind == NO_RULE else "assignment_rule_set",
           f"{pseudonym}/{code}", {"round": ROUND, "kind": kind, "was": before},
           chain=campaign.slug, actor=actor)
    db.session.flush()
    return True
