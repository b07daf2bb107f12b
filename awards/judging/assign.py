"""Solving and storing a campaign's preliminary assignment (SPEC 5.4).

Loads the eligible departments, the panel, the conflicts (declared, set by an organiser, or
derived from a judge's affiliation) and the current assignment; solves with the pure
:func:`awards.judging.assignment.solve`; replaces the ``preliminary`` assignment rows; and
records one audit event carrying the assignment's SHA-256. Pins and forbids are the
organisers' stored rules (:mod:`awards.judging.assignment_rules`) and any the caller adds. A pair that already has a scorecard (and no conflict) is kept as a pin: the judge
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
from awards.models import (
    Assignment,
    AssignmentRule,
    Campaign,
    Conflict,
    Judge,
    Scorecard,
    User,
)

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


@dataclass(frozen=True)
class PanelFacts:
    """What the database holds for a campaign's preliminary assignment, as
    ``(username, department code)`` pairs over the eligible departments and the panel.

    Attributes
    ----------
    departments : dict
        Department id → code, eligible departments only.
    judges : dict
        Judge id → username.
    conflicts : set
        Declared, set by an organiser, or derived from the judge's affiliation.
    existing, scored : set
        Stored assignment pairs; pairs with a scorecard and no conflict.
    pins, forbids : set
        The organisers' stored rules (:class:`~awards.models.AssignmentRule`). A pin on a
        pair that has since become conflicted is left out: a conflict always wins (5.3).
    """

    departments: dict[int, str]
    judges: dict[int, str]
    conflicts: set[Pair]
    existing: set[Pair]
    scored: set[Pair]
    pins: set[Pair]
    forbids: set[Pair]


def panel_facts(campaign: Campaign) -> PanelFacts:
    """Load :class:`PanelFacts` (six queries, whatever the size of the panel)."""
    departments = {d.id: d.code for d in eligible_departments(campaign)}
    panel = db.session.execute(
        select(Judge.id, User.username, User.department_code)
        .join(User, User.id == Judge.user_id)
        .where(Judge.campaign_id == campaign.id)).all()
    judges = {row.id: row.username for row in panel}

    def pairs(query) -> set[Pair]:
        return {(judges[j], departments[d]) for j, d, *_ in db.session.execute(query)
                if d in departments and j in judges}

    conflicts = pairs(select(Conflict.judge_id, Conflict.department_id)
                      .where(Conflict.campaign_id == campaign.id))
    codes = set(departments.values())
    conflicts |= {(row.username, row.department_code) for row in panel
                  if row.department_code in codes}
    existing = pairs(select(Assignment.judge_id, Assignment.department_id)
                     .where(Assignment.campaign_id == campaign.id, Assignment.round == ROUND))
    scored = pairs(select(Scorecard.judge_id, Scorecard.department_id)
                   .where(Scorecard.campaign_id == campaign.id, Scorecard.round == ROUND)
                   ) - conflicts
    rules = db.session.execute(
        select(AssignmentRule.judge_id, AssignmentRule.department_id, AssignmentRule.kind)
        .where(AssignmentRule.campaign_id == campaign.id, AssignmentRule.round == ROUND)).all()
    kept = [(judges[j], departments[d], kind) for j, d, kind in rules
            if j in judges and d in departments]
    pins = {(j, d) for j, d, kind in kept if kind == "pin"} - conflicts
    forbids = {(j, d) for j, d, kind in kept if kind == "forbid"}
    return PanelFacts(departments, judges, conflicts, existing, scored, pins, forbids)


def preliminary_problem(campaign: Campaign, *, pins: Iterable[Pair] = (),
                        forbids: Iterable[Pair] = ()) -> Problem:
    """The campaign's assignment problem as the database holds it now, with the organisers'
    stored pins and forbids and any given here.

    Raises
    ------
    InvalidInput
        A forbidden pair names no judge of the panel or no eligible department, or a pair
        with a scorecard is forbidden.
    """
    return _problem(campaign, panel_facts(campaign), pins, forbids)


def _problem(campaign: Campaign, facts: PanelFacts, pins: Iterable[Pair],
             forbids: Iterable[Pair]) -> Problem:
    codes = set(facts.departments.values())
    forbids = set(forbids) | facts.forbids
    unknown = sorted(p for p in forbids
                     if p[0] not in facts.judges.values() or p[1] not in codes)
    if unknown:
        shown = ", ".join(f"{j}/{d}" for j, d in unknown)
        raise InvalidInput(f"no such judge or eligible department: {shown}",
                           code="assignment.unknown_pair", pairs=shown)
    if forbids & facts.scored:
        shown = ", ".join(f"{j}/{d}" for j, d in sorted(forbids & facts.scored))
        raise InvalidInput(f"{shown}: already has a scorecard; a scored pair cannot be "
                           "forbidden", code="assignment.scored_forbidden", pairs=shown)
    return Problem(campaign.slug, sorted(codes), sorted(facts.judges.values()),
                   set(facts.conflicts), set(pins) | facts.pins | facts.scored, forbids,
                   set(facts.existing))


def assign_preliminary(campaign: Campaign, *, pins: Iterable[Pair] = (),
                       forbids: Iterable[Pair] = (), dry_run: bool = False,
                       actor: str | None = None,
                       expect_sha256: str | None = None) -> AssignmentReport:
    """Solve the preliminary assignment and store it (SPEC 5.4).

    Parameters
    ----------
    campaign : Campaign
    pins, forbids : iterables of (username, department code)
        Pairs that must, or must not, be assigned, besides the organisers' stored rules
        (:func:`awards.judging.assignment_rules.set_rule`), which every solve reads.
    dry_run : bool
        Solve and report only; nothing is written and no event recorded.
    actor : str, optional
        Who solves (default: the signed-in user, or ``system``).
    expect_sha256 : str, optional
        The digest of the assignment a preview showed; when the solve finds another one
        (the rules or the panel changed meanwhile) nothing is written.

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
    AssignmentError
        ``assignment.preview_stale``: the solve differs from ``expect_sha256``.
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
        facts = panel_facts(campaign)
        problem = _problem(campaign, facts, pins, forbids)
        solution = solve(problem)
        chosen, before = set(solution.pairs), set(problem.existing)
        report = AssignmentReport(solution, len(chosen - before), len(before - chosen),
                                  len(before), dry_run)
        if dry_run:
            db.session.rollback()
            return report
        if expect_sha256 is not None and expect_sha256 != solution.sha256:
            raise AssignmentError(
                "the rules or the panel changed since the preview: check the new preview "
                "and solve again; nothing was assigned", code="assignment.preview_stale")
        _store(campaign, solution, set(pins) | facts.pins)
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
