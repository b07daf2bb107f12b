"""Solving and storing a campaign's preliminary assignment (SPEC 5.4).

Loads the eligible departments, the panel, the conflicts (declared, set by an organiser, or
derived from a judge's affiliation) and the current assignment; solves with the pure
:func:`awards.judging.assignment.solve`; replaces the ``preliminary`` assignment rows; and
records one audit event carrying the assignment's SHA-256. Pins and forbids come from the
caller. A pair that already has a scorecard (and no conflict) is kept as a pin: the judge
has started on it, and dropping it would strand the scores.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from awards.audit.service import current_actor, record
from awards.campaigns.eligibility import eligible_departments
from awards.exceptions import InvalidInput
from awards.extensions import db
from awards.judging.assignment import (
    AssignmentError,
    Pair,
    Problem,
    Solution,
    solve,
)
from awards.models import Assignment, Campaign, Conflict, Judge, Scorecard, User

ROUND = "preliminary"
ASSIGNING_STATES = ("entries_closed", "adjudication")


@dataclass(frozen=True)
class AssignmentReport:
    """What a solve did (or, with ``dry_run``, would do).

    Attributes
    ----------
    solution : Solution
    added, removed : int
        Pairs new to the stored assignment and pairs dropped from it.
    previous : int
        Pairs stored before.
    dry_run : bool
    """

    solution: Solution
    added: int
    removed: int
    previous: int
    dry_run: bool

    def as_dict(self) -> dict[str, object]:
        """The audit event's data: counts and the digest, no names (the campaign chain is
        published, and judges appear there by pseudonym only)."""
        s = self.solution
        return {"round": ROUND, "sha256": s.sha256, "pairs": len(s.pairs),
                "departments": len(s.coverage), "judges": len(s.loads),
                "loads": list(s.load_bounds), "kept": s.kept, "added": self.added,
                "removed": self.removed, "connected": s.connected}


def preliminary_problem(campaign: Campaign, *, pins: Iterable[Pair] = (),
                        forbids: Iterable[Pair] = ()) -> Problem:
    """The campaign's assignment problem as the database holds it now.

    Raises
    ------
    InvalidInput
        A forbidden pair names no judge of the panel or no eligible department, or a pair
        with a scorecard is forbidden.
    """
    departments = {d.id: d.code for d in eligible_departments(campaign)}
    panel = db.session.execute(
        select(Judge.id, User.username, User.department_code)
        .join(User, User.id == Judge.user_id)
        .where(Judge.campaign_id == campaign.id)).all()
    judges = {row.id: row.username for row in panel}
    conflicts = {(judges[j], departments[d]) for j, d in db.session.execute(
        select(Conflict.judge_id, Conflict.department_id)
        .where(Conflict.campaign_id == campaign.id)) if d in departments}
    codes = set(departments.values())
    conflicts |= {(row.username, row.department_code) for row in panel
                  if row.department_code in codes}
    existing = {(judges[j], departments[d]) for j, d in db.session.execute(
        select(Assignment.judge_id, Assignment.department_id)
        .where(Assignment.campaign_id == campaign.id, Assignment.round == ROUND))
        if d in departments and j in judges}
    scored = {(judges[j], departments[d]) for j, d in db.session.execute(
        select(Scorecard.judge_id, Scorecard.department_id)
        .where(Scorecard.campaign_id == campaign.id, Scorecard.round == ROUND))
        if d in departments and j in judges} - conflicts
    forbids = set(forbids)
    unknown = sorted(p for p in forbids
                     if p[0] not in judges.values() or p[1] not in codes)
    if unknown:
        shown = ", ".join(f"{j}/{d}" for j, d in unknown)
        raise InvalidInput(f"no such judge or eligible department: {shown}",
                           code="assignment.unknown_pair", pairs=shown)
    if forbids & scored:
        shown = ", ".join(f"{j}/{d}" for j, d in sorted(forbids & scored))
        raise InvalidInput(f"{shown}: already has a scorecard; a scored pair cannot be "
                           "forbidden", code="assignment.scored_forbidden", pairs=shown)
    return Problem(campaign.slug, sorted(codes), sorted(judges.values()), conflicts,
                   set(pins) | scored, forbids, existing)


def assign_preliminary(campaign: Campaign, *, pins: Iterable[Pair] = (),
                       forbids: Iterable[Pair] = (), dry_run: bool = False,
                       actor: str | None = None) -> AssignmentReport:
    """Solve the preliminary assignment and store it (SPEC 5.4).

    Parameters
    ----------
    campaign : Campaign
    pins, forbids : iterables of (username, department code)
        Pairs that must, or must not, be assigned.
    dry_run : bool
        Solve and report only; nothing is written and no event recorded.
    actor : str, optional
        Who solves (default: the signed-in user, or ``system``).

    Returns
    -------
    AssignmentReport

    Raises
    ------
    AssignmentError
        Outside ``entries_closed`` and ``adjudication`` (``assignment.wrong_phase``), or the
        solver's time limit.
    InfeasibleAssignment
        The rules cannot be met; names the departments and judges that cannot be covered.
    InvalidInput
        See :func:`preliminary_problem`.
    """
    if campaign.state not in ASSIGNING_STATES:
        raise AssignmentError(
            f"the preliminary assignment is made in 'entries_closed' or 'adjudication'; "
            f"'{campaign.slug}' is in '{campaign.state}'", code="assignment.wrong_phase",
            slug=campaign.slug, state=campaign.state)
    actor = actor or current_actor()
    try:
        if not dry_run:  # one solve at a time per campaign (a row lock on PostgreSQL)
            db.session.execute(select(Campaign.id).where(Campaign.id == campaign.id)
                               .with_for_update())
        problem = preliminary_problem(campaign, pins=pins, forbids=forbids)
        solution = solve(problem)
        chosen, before = set(solution.pairs), set(problem.existing)
        report = AssignmentReport(solution, len(chosen - before), len(before - chosen),
                                  len(before), dry_run)
        if dry_run:
            db.session.rollback()
            return report
        _store(campaign, solution, set(pins))
        record("assignment_solved", campaign.slug, report.as_dict(), chain=campaign.slug,
               actor=actor)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return report


def _store(campaign: Campaign, solution: Solution, pins: set[Pair]) -> None:
    """Replace the preliminary rows: kept rows stay as they are (a pin marks its row
    ``manual``), dropped rows go, new rows come in as ``auto`` or ``manual``."""
    departments = {d.code: d.id for d in campaign.departments}
    judges = dict(db.session.execute(
        select(User.username, Judge.id).join(User, User.id == Judge.user_id)
        .where(Judge.campaign_id == campaign.id)).all())
    wanted = {(judges[j], departments[d]): (j, d) for j, d in solution.pairs}
    rows = db.session.scalars(select(Assignment).where(
        Assignment.campaign_id == campaign.id, Assignment.round == ROUND)).all()
    for row in rows:
        pair = wanted.pop((row.judge_id, row.department_id), None)
        if pair is None:
            db.session.delete(row)
        elif pair in pins:
            row.source = "manual"
    db.session.flush()
    for (judge_id, department_id), pair in sorted(wanted.items()):
        db.session.add(Assignment(campaign_id=campaign.id, round=ROUND, judge_id=judge_id,
                                  department_id=department_id,
                                  source="manual" if pair in pins else "auto"))
    db.session.flush()
