"""Plain inputs of the scoring engine (SPEC sections 4, 5 and 6).

The service layer loads rows from the database and builds these frozen dataclasses; nothing
here knows about Flask or SQLAlchemy. Validation that needs the whole picture (unknown
districts, ineligible departments) happens in :func:`awards.scoring.public.tally_public` and
:func:`awards.scoring.compute_results`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from awards.scoring.errors import ScoringError

PRELIMINARY = "preliminary"
FINAL = "final"
ROUNDS = (PRELIMINARY, FINAL)
WEIGHT_SUM_TOLERANCE = 1e-9

Pattern = tuple[str, ...]


@dataclass(frozen=True)
class District:
    """One district (stratum) of the household sample (SPEC 3, 6.1).

    Attributes
    ----------
    code : str
        District code of the campaign.
    households : int
        Population ``N_h``: the official total when the campaign declares one, else the
        frame count. Must be positive.
    """

    code: str
    households: int

    def __post_init__(self) -> None:
        if not self.code:
            raise ScoringError("a district has an empty code; give every district a code")
        if isinstance(self.households, bool) or int(self.households) != self.households:
            raise ScoringError(f"district {self.code}: households must be a whole number")
        if self.households <= 0:
            raise ScoringError(
                f"district {self.code} has {self.households} households; N_h must be "
                "positive (fix the frame or the declared census total)"
            )


@dataclass(frozen=True)
class PublicInputs:
    """The public vote, aggregated to ballot patterns (SPEC 4, 6).

    Attributes
    ----------
    districts : list of District
        Every district of the campaign (order irrelevant).
    departments : list of str
        Codes of the eligible departments (order irrelevant).
    patterns : dict of str to dict of tuple of str to int
        For each district code, the count of *valid* ballots per pattern; a pattern is the
        tuple of department codes a ballot names (sorted here if not already). Districts
        without valid ballots may be omitted.
    spoilt : dict of str to int
        Spoilt paper returns per district (missing districts count 0).
    """

    districts: Sequence[District]
    departments: Sequence[str]
    patterns: Mapping[str, Mapping[Pattern, int]]
    spoilt: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class JudgeScore:
    """One submitted, complete scorecard reduced to its value ``y`` (SPEC 5).

    Attributes
    ----------
    round : str
        ``"preliminary"`` or ``"final"``.
    judge : str
        Judge username (or pseudonym, in the audit bundle).
    department : str
        Department code.
    y : float
        ``100 · Σ_c weight_c · s_c / max_c``, between 0 and 100.
    """

    round: str
    judge: str
    department: str
    y: float

    def __post_init__(self) -> None:
        if self.round not in ROUNDS:
            raise ScoringError(
                f"score of judge {self.judge} for {self.department}: round "
                f"{self.round!r} is not one of {', '.join(ROUNDS)}"
            )
        if not (0.0 <= float(self.y) <= 100.0):
            raise ScoringError(
                f"score of judge {self.judge} for {self.department} ({self.round}) is "
                f"{self.y}; a scorecard value must lie between 0 and 100"
            )


class Award(NamedTuple):
    """One final-round award tier (SPEC 6.7, config ``[[awards]]``)."""

    name_en: str
    name_zh: str
    places: int


DEFAULT_AWARDS: tuple[Award, ...] = (
    Award("Grand Award", "大獎", 1),
    Award("Gold Award", "金獎", 1),
    Award("Silver Award", "銀獎", 1),
    Award("Bronze Award", "銅獎", 1),
)


@dataclass(frozen=True)
class ScoringConfig:
    """Frozen campaign settings that scoring depends on (SPEC 6, config ``[campaign]``).

    Attributes
    ----------
    seed : str
        Published seed ``S`` (tie-break hashes and the bootstrap generator).
    method : str
        Judge method name (see :data:`awards.scoring.judges.JUDGE_METHODS`).
    public_weight : float
        ``w_P`` in ``[0, 1]``; the judge weight is ``1 − w_P``.
    finalists : int
        Number of finalists ``N`` (at least 1).
    final_public_weight : float
        Weight of the public vote in the final round, in ``[0, 1]`` (default 0).
    bootstrap : int
        Bootstrap replicates ``B`` (0 switches the diagnostics off).
    awards : sequence of Award or (name_en, name_zh, places)
        Final-round tiers in order.
    """

    seed: str
    method: str = "additive"
    public_weight: float = 0.3
    finalists: int = 8
    final_public_weight: float = 0.0
    bootstrap: int = 2000
    awards: Sequence[tuple[str, str, int]] = DEFAULT_AWARDS

    def __post_init__(self) -> None:
        if not isinstance(self.seed, str) or not self.seed:
            raise ScoringError("the seed must be a non-empty string (the published seed S)")
        for name in ("public_weight", "final_public_weight"):
            value = getattr(self, name)
            if not (0.0 <= float(value) <= 1.0):
                raise ScoringError(f"{name} is {value}; it must lie between 0 and 1")
        if int(self.finalists) != self.finalists or self.finalists < 1:
            raise ScoringError(f"finalists is {self.finalists}; it must be a whole number ≥ 1")
        if int(self.bootstrap) != self.bootstrap or self.bootstrap < 0:
            raise ScoringError(f"bootstrap is {self.bootstrap}; it must be a whole number ≥ 0")
        tiers = tuple(Award(*tier) for tier in self.awards)
        for tier in tiers:
            if int(tier.places) != tier.places or tier.places < 1:
                raise ScoringError(
                    f"award {tier.name_en!r} has {tier.places} places; give at least 1"
                )
        object.__setattr__(self, "awards", tiers)


def scorecard_value(criteria: Sequence[tuple[float, int]], scores: Sequence[float]) -> float:
    """Value ``y`` of one complete scorecard (SPEC 5).

    ``y = 100 · Σ_c weight_c · s_c / max_c``, summed with :func:`math.fsum` so the result
    does not depend on the order of the criteria.

    Parameters
    ----------
    criteria : sequence of (weight, max)
        The round's criteria; weights are non-negative and sum to 1, each max ≥ 1.
    scores : sequence of float
        One score per criterion, in the same order, each in ``0..max``.

    Returns
    -------
    float
        ``y`` in ``[0, 100]``.

    Raises
    ------
    ScoringError
        If lengths differ, the weights do not sum to 1, a max is below 1 or a score is out
        of range.
    """
    if len(criteria) != len(scores):
        raise ScoringError(
            f"a scorecard has {len(scores)} scores for {len(criteria)} criteria; score "
            "every criterion of the round"
        )
    _check_weights([w for w, _ in criteria], "the scorecard's criteria")
    terms = []
    for position, ((weight, maximum), score) in enumerate(zip(criteria, scores), start=1):
        if maximum < 1:
            raise ScoringError(f"criterion {position} has max {maximum}; max must be ≥ 1")
        if not (0 <= score <= maximum):
            raise ScoringError(
                f"criterion {position}: score {score} is outside 0..{maximum}"
            )
        terms.append(weight * score / maximum)
    return 100.0 * math.fsum(terms)


def judge_scores_from_scorecards(
    rows: Iterable[tuple[str, str, str, str, float]],
    criteria: Mapping[tuple[str, str], tuple[float, int]],
) -> list[JudgeScore]:
    """Turn per-criterion score rows into :class:`JudgeScore` values (SPEC 5).

    Only complete scorecards count: a (round, judge, department) with a score for every
    criterion of its round. Incomplete scorecards are left out, never imputed.

    Parameters
    ----------
    rows : iterable of (round, judge, department, criterion, score)
        As in ``scores.csv`` (SPEC 7).
    criteria : mapping of (round, criterion code) to (weight, max)
        Criteria definitions of both rounds.

    Returns
    -------
    list of JudgeScore
        Sorted by (round, judge, department).

    Raises
    ------
    ScoringError
        On an unknown round or criterion, a repeated row, a score out of range, or a round
        whose weights do not sum to 1.
    """
    by_round: dict[str, dict[str, tuple[float, int]]] = {}
    for (round_name, code), definition in criteria.items():
        by_round.setdefault(round_name, {})[code] = definition
    for round_name, defs in by_round.items():
        _check_weights([w for w, _ in defs.values()], f"the {round_name} criteria")
    cards: dict[tuple[str, str, str], dict[str, float]] = {}
    for line, (round_name, judge, department, criterion, score) in enumerate(rows, start=1):
        if (round_name, criterion) not in criteria:
            raise ScoringError(
                f"row {line}: no criterion {criterion!r} in round {round_name!r}; define "
                "it or correct the row"
            )
        card = cards.setdefault((round_name, judge, department), {})
        if criterion in card:
            raise ScoringError(
                f"row {line}: judge {judge} scored {department} on {criterion!r} "
                f"({round_name}) twice; keep one row"
            )
        card[criterion] = score
    result = []
    for (round_name, judge, department), card in sorted(cards.items()):
        codes = sorted(by_round[round_name])
        if set(card) != set(codes):
            continue
        try:
            y = scorecard_value(
                [by_round[round_name][c] for c in codes], [card[c] for c in codes]
            )
        except ScoringError as exc:
            raise ScoringError(
                f"judge {judge}, {department} ({round_name}): {exc}"
            ) from None
        result.append(JudgeScore(round_name, judge, department, y))
    return result


def _check_weights(weights: Sequence[float], what: str) -> None:
    if any(w < 0 for w in weights):
        raise ScoringError(f"{what} have a negative weight; weights must be ≥ 0")
    total = math.fsum(weights)
    if abs(total - 1.0) > WEIGHT_SUM_TOLERANCE:
        raise ScoringError(f"the weights of {what} sum to {total}, not 1; fix the weights")
