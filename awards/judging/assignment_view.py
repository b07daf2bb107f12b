"""What the organiser's assignment page shows (SPEC 5.4): the judges × departments matrix
with assigned pairs, conflicts, pins and forbids; each judge's load and each department's
coverage against the bounds the rules give; whether the judge–department graph is
connected; the stored assignment's SHA-256; and what a solve would change now (a dry run).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx
from sqlalchemy import select

from awards.exceptions import AwardsError
from awards.extensions import db
from awards.judging.assign import (
    ASSIGNING_STATES,
    AssignmentReport,
    PanelFacts,
    assign_preliminary,
    panel_facts,
)
from awards.judging.assignment import (
    MINIMUM,
    PER_DEPARTMENT,
    Pair,
    assignment_graph,
    assignment_sha256,
)
from awards.judging.assignment_rules import RuleRow, list_rules
from awards.models import Campaign, Department, Judge, User


@dataclass(frozen=True)
class Cell:
    """One judge–department pair as the matrix shows it."""

    assigned: bool = False
    conflict: bool = False
    rule: str | None = None  # pin | forbid
    scored: bool = False
    would_add: bool = False
    would_remove: bool = False


@dataclass(frozen=True)
class Preview:
    """A dry run of the next solve: its report and the pairs it would add and remove, or
    the refusal (rules that cannot be met) it met."""

    report: AssignmentReport | None = None
    added: list[Pair] = field(default_factory=list)
    removed: list[Pair] = field(default_factory=list)
    error: AwardsError | None = None


@dataclass(frozen=True)
class AssignmentPage:
    campaign: Campaign
    departments: list[Department]
    judges: list[tuple[str, str]]  # (username, name), by username
    cells: dict[Pair, Cell]
    loads: dict[str, int]
    coverage: dict[str, int]
    targets: dict[str, int]  # judges each department gets under the current rules
    load_bounds: tuple[int, int]
    pairs: int
    connected: bool | None  # None: nothing assigned yet
    sha256: str | None
    rules: list[RuleRow]
    editable: bool
    preview: Preview | None

    def load_ok(self, judge: str) -> bool:
        low, high = self.load_bounds
        return low <= self.loads[judge] <= high

    def coverage_ok(self, code: str) -> bool:
        return self.coverage[code] == self.targets[code] >= MINIMUM


def assignment_page(campaign: Campaign, *, preview: bool = True) -> AssignmentPage:
    """Everything the page shows, with a dry-run preview when ``preview`` and the campaign
    is in a phase that assigns (``entries_closed``, ``adjudication``)."""
    editable = campaign.state in ASSIGNING_STATES
    shown = _preview(campaign) if preview and editable else None
    facts = panel_facts(campaign)
    codes = sorted(facts.departments.values())
    usernames = sorted(facts.judges.values())
    names = dict(db.session.execute(
        select(User.username, Judge.name).join(User, User.id == Judge.user_id)
        .where(Judge.campaign_id == campaign.id)).all())
    departments = sorted((d for d in campaign.departments if d.code in set(codes)),
                         key=lambda d: d.code)
    cells = _cells(facts, usernames, codes, shown)
    loads = {j: 0 for j in usernames}
    coverage = {d: 0 for d in codes}
    for j, d in facts.existing:
        loads[j] += 1
        coverage[d] += 1
    targets, bounds = _targets(facts, usernames, codes)
    connected = None
    if facts.existing:
        connected = nx.is_connected(assignment_graph(codes, usernames, facts.existing))
    return AssignmentPage(
        campaign, departments, [(j, names.get(j, j)) for j in usernames], cells, loads,
        coverage, targets, bounds, len(facts.existing), connected,
        assignment_sha256(facts.existing) if facts.existing else None,
        list_rules(campaign), editable, shown)


def _preview(campaign: Campaign) -> Preview:
    before = panel_facts(campaign).existing
    try:
        report = assign_preliminary(campaign, dry_run=True)
    except AwardsError as exc:
        return Preview(error=exc)
    chosen = set(report.solution.pairs)
    return Preview(report, sorted(chosen - before), sorted(before - chosen))


def _cells(facts: PanelFacts, judges: list[str], codes: list[str],
           preview: Preview | None) -> dict[Pair, Cell]:
    rules = {pair: "pin" for pair in facts.pins} | {pair: "forbid" for pair in facts.forbids}
    added = set(preview.added) if preview else set()
    removed = set(preview.removed) if preview else set()
    return {(j, d): Cell((j, d) in facts.existing, (j, d) in facts.conflicts,
                         rules.get((j, d)), (j, d) in facts.scored, (j, d) in added,
                         (j, d) in removed)
            for j in judges for d in codes}


def _targets(facts: PanelFacts, judges: list[str],
             codes: list[str]) -> tuple[dict[str, int], tuple[int, int]]:
    """Judges per department, ``min(3, judges allowed)``, and the load bounds
    ``⌊T/J⌋..⌈T/J⌉`` under the current conflicts and forbids (SPEC 5.4)."""
    blocked = facts.conflicts | facts.forbids
    targets = {d: min(PER_DEPARTMENT, sum((j, d) not in blocked for j in judges))
               for d in codes}
    total = sum(targets.values())
    if not judges:
        return targets, (0, 0)
    return targets, (total // len(judges), -(-total // len(judges)))
