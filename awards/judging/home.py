"""A judge's home page (SPEC 5.5): their assignments with state, how many are submitted,
the next one to score, and the distribution of their *own* scores per criterion (a
calibration aid: nothing of other judges, SPEC 5.5 "Blind")."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from awards.extensions import db
from awards.judging.rounds import Pair, assigned_pairs
from awards.judging.scorecards import ROUND_PHASES, round_criteria, round_is_closed
from awards.models import Campaign, Conflict, Criterion, Department, Judge, Score, Scorecard
from awards.models.campaign import ROUNDS


@dataclass(frozen=True)
class RoundHome:
    round: str
    open: bool            # the campaign is in this round's phase and it is not closed
    closed: bool
    pairs: list[Pair]

    @property
    def submitted(self) -> int:
        return sum(p.state == "submitted" for p in self.pairs)

    @property
    def next_unscored(self) -> Pair | None:
        return next((p for p in self.pairs
                     if p.state in ("not_started", "draft", "reopened")), None)


@dataclass(frozen=True)
class Distribution:
    """How often the judge gave each value of one criterion (submitted or not)."""

    criterion: Criterion
    counts: list[int]     # index = score 0..max

    @property
    def total(self) -> int:
        return sum(self.counts)

    @property
    def mean(self) -> float | None:
        n = self.total
        return sum(v * c for v, c in enumerate(self.counts)) / n if n else None

    @property
    def levels_used(self) -> int:
        return sum(1 for c in self.counts if c)


def judge_rounds(campaign: Campaign, judge: Judge) -> list[RoundHome]:
    """The rounds in which the judge has assignments (the current one first)."""
    homes = []
    for round_name in ROUNDS:
        pairs = [p for p in assigned_pairs(campaign, round_name) if p.judge.id == judge.id]
        closed = round_is_closed(campaign, round_name)
        is_open = campaign.state == ROUND_PHASES[round_name] and not closed
        if pairs:
            homes.append(RoundHome(round_name, is_open, closed, pairs))
    return sorted(homes, key=lambda h: not h.open)


def own_distribution(campaign: Campaign, judge: Judge, round_name: str) -> list[Distribution]:
    """The judge's own scores of ``round_name`` per criterion (only their cards)."""
    criteria = round_criteria(campaign, round_name)
    counts = {c.id: [0] * (c.max + 1) for c in criteria}
    rows = db.session.execute(
        select(Score.criterion_id, Score.value).join(Scorecard, Scorecard.id == Score.scorecard_id)
        .where(Scorecard.judge_id == judge.id, Scorecard.round == round_name)).all()
    for criterion_id, value in rows:
        if criterion_id in counts and 0 <= value < len(counts[criterion_id]):
            counts[criterion_id][value] += 1
    return [Distribution(c, counts[c.id]) for c in criteria]


def declared_conflicts(judge: Judge) -> list[tuple[str, Conflict]]:
    """The judge's conflicts with department codes (what they declared or were given)."""
    return [tuple(row) for row in db.session.execute(
        select(Department.code, Conflict).join(Department, Department.id == Conflict.department_id)
        .where(Conflict.judge_id == judge.id).order_by(Department.code)).all()]
