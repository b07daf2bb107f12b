"""Judge scores ``J_d`` from scorecard values (SPEC 6.4); methods are picked by name.

Every method takes a :class:`RoundScores` (one round's scores in canonical order: sorted by
judge, then department) and returns ``(J, effects)``: ``J`` in department order and the
judge effects ``b_j`` (only the ``additive`` method has them; the others return ``{}``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from awards.scoring.errors import DisconnectedJudgeGraph, ScoringError
from awards.scoring.inputs import PRELIMINARY, JudgeScore

MIN_PRELIMINARY_JUDGES = 2
TRIM_FROM = 5


@dataclass(frozen=True)
class RoundScores:
    """One round's scores as arrays, sorted by (judge, department).

    Attributes
    ----------
    round_name : str
    departments : tuple of str
        Departments scored in this round, ascending (the ``D`` axis).
    judges : tuple of str
        Judges with at least one score, ascending.
    department : ndarray of int, shape (n,)
        Index into ``departments`` of each score.
    judge : ndarray of int, shape (n,)
        Index into ``judges`` of each score.
    y : ndarray of float, shape (n,)
        Scorecard values.
    """

    round_name: str
    departments: tuple[str, ...]
    judges: tuple[str, ...]
    department: np.ndarray
    judge: np.ndarray
    y: np.ndarray

    def per_department(self) -> list[np.ndarray]:
        """The ``y`` values of each department, in department order."""
        return [self.y[self.department == d] for d in range(len(self.departments))]


@dataclass(frozen=True)
class JudgeResult:
    """Judge method output for one round (SPEC 6.4).

    Attributes
    ----------
    method : str
    departments : tuple of str
        Ascending.
    scores : ndarray, shape (D,)
        ``J_d``.
    effects : dict of str to float
        ``b_j`` per judge (``additive``); empty for other methods.
    raw_means : ndarray, shape (D,)
        Plain mean of each department's ``y``.
    """

    method: str
    departments: tuple[str, ...]
    scores: np.ndarray
    effects: dict[str, float]
    raw_means: np.ndarray


JudgeMethod = Callable[[RoundScores], tuple[np.ndarray, dict[str, float]]]


def round_scores(
    scores: Sequence[JudgeScore],
    departments: Sequence[str],
    round_name: str,
    min_judges: int = 1,
) -> RoundScores:
    """Collect one round's scores for the given departments (SPEC 5, 6.4).

    Parameters
    ----------
    scores : sequence of JudgeScore
        Scores of any round; those of other rounds are ignored.
    departments : sequence of str
        Departments to score (each must have at least ``min_judges`` scores).
    round_name : str
    min_judges : int
        Minimum number of scores per department.

    Returns
    -------
    RoundScores

    Raises
    ------
    ScoringError
        If a score is for a department not listed, a judge scored a department twice in
        the round, or a department has fewer than ``min_judges`` scores.
    """
    codes = tuple(sorted(set(departments)))
    rows = sorted(
        (s.judge, s.department, float(s.y)) for s in scores if s.round == round_name
    )
    column = {code: i for i, code in enumerate(codes)}
    for (judge, dept, _), (next_judge, next_dept, _) in zip(rows, rows[1:]):
        if (judge, dept) == (next_judge, next_dept):
            raise ScoringError(
                f"judge {judge} has two {round_name} scores for {dept}; keep one scorecard"
            )
    unknown = sorted({dept for _, dept, _ in rows if dept not in column})
    if unknown:
        raise ScoringError(
            f"{round_name} scores given for {', '.join(unknown)}, which "
            f"{'is' if len(unknown) == 1 else 'are'} not being scored in this round"
        )
    judges = tuple(sorted({judge for judge, _, _ in rows}))
    row_of = {judge: i for i, judge in enumerate(judges)}
    result = RoundScores(
        round_name=round_name,
        departments=codes,
        judges=judges,
        department=np.array([column[d] for _, d, _ in rows], dtype=np.int64),
        judge=np.array([row_of[j] for j, _, _ in rows], dtype=np.int64),
        y=np.array([y for _, _, y in rows], dtype=np.float64),
    )
    _require_judges(result, min_judges)
    return result


def judge_scores(
    scores: Sequence[JudgeScore],
    departments: Sequence[str],
    method: str,
    round_name: str = PRELIMINARY,
) -> JudgeResult:
    """``J_d`` of every department by the named method (SPEC 6.4, 6.7).

    Parameters
    ----------
    scores : sequence of JudgeScore
    departments : sequence of str
        Departments to score: all eligible ones (preliminary) or the finalists (final).
    method : str
        A key of :data:`JUDGE_METHODS`.
    round_name : str
        ``"preliminary"`` (each department needs at least 2 scores) or ``"final"`` (at
        least 1).

    Returns
    -------
    JudgeResult

    Raises
    ------
    ScoringError
        Unknown method, too few scores, or invalid scores (see :func:`round_scores`).
    DisconnectedJudgeGraph
        ``additive`` on a disconnected judge–department graph.
    """
    compute = judge_method(method)
    minimum = MIN_PRELIMINARY_JUDGES if round_name == PRELIMINARY else 1
    data = round_scores(scores, departments, round_name, minimum)
    values, effects = compute(data)
    return JudgeResult(method, data.departments, values, effects, mean_scores(data)[0])


def judge_method(name: str) -> JudgeMethod:
    """The judge method called ``name`` (SPEC 6.4); raises ScoringError if unknown."""
    try:
        return JUDGE_METHODS[name]
    except KeyError:
        raise ScoringError(
            f"unknown judge method {name!r}; choose one of {', '.join(JUDGE_METHODS)}"
        ) from None


def mean_scores(data: RoundScores) -> tuple[np.ndarray, dict[str, float]]:
    """``mean``: ``J_d`` = mean of the department's ``y`` (SPEC 6.4)."""
    return np.array([values.mean() for values in data.per_department()]), {}


def median_scores(data: RoundScores) -> tuple[np.ndarray, dict[str, float]]:
    """``median``: ``J_d`` = median of the department's ``y`` (SPEC 6.4)."""
    return np.array([np.median(values) for values in data.per_department()]), {}


def trimmed_scores(data: RoundScores) -> tuple[np.ndarray, dict[str, float]]:
    """``trimmed``: drop one highest and one lowest ``y`` when ≥ 5 scores, then mean (SPEC 6.4)."""
    result = []
    for values in data.per_department():
        ordered = np.sort(values)
        result.append((ordered[1:-1] if len(ordered) >= TRIM_FROM else ordered).mean())
    return np.array(result), {}


def judge_zscores(data: RoundScores) -> np.ndarray:
    """Each score's ``z = (y − mean_j)/sd_j`` within its judge (SPEC 6.4), in score order.

    Population sd; ``z = 0`` for every score of a judge whose ``y`` are all equal, decided
    by comparing the values: the computed sd of equal floats need not be 0 (five times
    63.63636363636363 gives 7.1e-15), and dividing by it would blow rounding noise up into
    whole units.
    """
    z = np.zeros_like(data.y)
    for j in range(len(data.judges)):
        mine = data.judge == j
        values = data.y[mine]
        if values.min() < values.max():
            z[mine] = (values - values.mean()) / values.std()
    return z


def zscore_scores(data: RoundScores) -> tuple[np.ndarray, dict[str, float]]:
    """``zscore`` (SPEC 6.4): the mean of each department's :func:`judge_zscores`,
    rescaled to the pooled mean and population sd of all ``y`` of the round:
    ``J_d = mean(y) + sd(y) · mean_d(z)``.
    """
    z = judge_zscores(data)
    z_means = np.array([z[data.department == d].mean() for d in range(len(data.departments))])
    return data.y.mean() + data.y.std() * z_means, {}


def additive_scores(data: RoundScores) -> tuple[np.ndarray, dict[str, float]]:
    """``additive`` (SPEC 6.4): least squares ``y_jd = c_d + b_j`` with ``Σ_j b_j = 0``.

    The constraint is built in by writing ``b_last = −Σ_{j<last} b_j``; on a connected
    judge–department graph the design then has full column rank and the solution is unique.

    Returns
    -------
    (c, effects)
        ``J_d = c_d`` and ``{judge: b_j}``.

    Raises
    ------
    DisconnectedJudgeGraph
        Naming the connected parts, when the graph is not connected.
    """
    parts = connected_parts(data)
    if len(parts) > 1:
        raise DisconnectedJudgeGraph(data.round_name, parts)
    n_dept, n_judge = len(data.departments), len(data.judges)
    design = np.zeros((len(data.y), n_dept + n_judge - 1))
    rows = np.arange(len(data.y))
    design[rows, data.department] = 1.0
    last = data.judge == n_judge - 1
    design[rows[~last], n_dept + data.judge[~last]] = 1.0
    design[np.ix_(rows[last], np.arange(n_dept, n_dept + n_judge - 1))] = -1.0
    # Centring y first keeps the rounding error of the solution small against round(·, 9).
    centre = data.y.mean()
    solution = np.linalg.lstsq(design, data.y - centre, rcond=None)[0]
    free = solution[n_dept:]
    effects = np.append(free, -free.sum())
    return solution[:n_dept] + centre, {j: float(b) for j, b in zip(data.judges, effects)}


def connected_parts(data: RoundScores) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """Connected parts of the judge–department graph (SPEC 5, 6.4).

    Returns
    -------
    list of (judges, departments)
        Each sorted; parts ordered by their smallest department code. A department
        without scores is a part of its own.
    """
    n_dept = len(data.departments)
    parent = list(range(n_dept + len(data.judges)))

    def root(node: int) -> int:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for d, j in zip(data.department.tolist(), data.judge.tolist()):
        parent[root(n_dept + j)] = root(d)
    groups: dict[int, tuple[list[str], list[str]]] = {}
    for d, code in enumerate(data.departments):
        groups.setdefault(root(d), ([], []))[1].append(code)
    for j, name in enumerate(data.judges):
        groups.setdefault(root(n_dept + j), ([], []))[0].append(name)
    parts = [(tuple(sorted(j)), tuple(sorted(d))) for j, d in groups.values()]
    return sorted(parts, key=lambda part: part[1])


def _require_judges(data: RoundScores, minimum: int) -> None:
    counts = np.bincount(data.department, minlength=len(data.departments))
    short = [
        f"{code} ({n})" for code, n in zip(data.departments, counts.tolist()) if n < minimum
    ]
    if short:
        raise ScoringError(
            f"{len(short)} department(s) have fewer than {minimum} complete {data.round_name} "
            f"scorecard(s): {', '.join(short)}. Assign more judges (at least {minimum} per "
            "department) and have them submit their scorecards."
        )


JUDGE_METHODS: dict[str, JudgeMethod] = {
    "mean": mean_scores,
    "median": median_scores,
    "trimmed": trimmed_scores,
    "zscore": zscore_scores,
    "additive": additive_scores,
}
