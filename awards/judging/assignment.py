"""Which judge scores which department (SPEC 5.4): the preliminary round's balanced, connected
assignment, solved exactly as a small integer program, and the final round's pairs.

Pure: numpy, scipy, networkx and the standard library (an import-linter contract keeps it so).
The service in :mod:`awards.judging.assign` loads the rows, calls :func:`solve` and stores
the pairs.

Rules (hard)
    No conflicted or forbidden pair; each department gets exactly
    ``c_d = min(per_department, judges allowed for it)`` judges and never fewer than
    ``minimum``; every judge's load is within ``⌊T/J⌋..⌈T/J⌉`` (``T = Σ c_d``, ``J`` judges);
    pinned pairs are assigned; the judge–department graph is connected, which the additive
    judge model ``y = c_d + b_j`` needs to be identifiable (SPEC 6.4). The SPEC's "load at
    least 3 where possible" follows from the balance: ``⌊T/J⌋ ≥ 3`` whenever ``T ≥ 3J``.

Preferences (soft, lexicographic)
    First keep as many ``existing`` pairs as the rules allow (so a re-solve moves little);
    then the lowest total tie-break cost, where each pair's cost rises strictly with the order
    of ``H(slug + "|assign|" + judge + "|" + department)``; among optima of equal cost (two
    different sets of pairs can have equal sums), the one whose sorted pair list is smallest.
    The optimum is therefore unique, and equal inputs give the same assignment whatever the
    order they are given in and whichever optimum the solver meets first.

Formulation
    One binary ``x_e`` per allowed pair; coverage and load rows; connectivity by a
    single-commodity flow: the first department sends one unit to every other node (the
    other departments and every judge) along selected pairs only, ``f_uv ≤ (n − 1)·x_e`` in
    each direction. Prior art: HotCRP's autoassigner (min-cost flow with rising per-member
    costs) and OpenReview's matcher (min-cost flow) balance loads the same way but neither
    keeps the graph connected. Every result is checked again with networkx.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_array

from awards.exceptions import AwardsError

Pair = tuple[str, str]  # (judge username, department code)

PER_DEPARTMENT = 3
MINIMUM = 2
TIME_LIMIT_SECONDS = 60.0
MAX_TIED_OPTIMA = 64  # equal-cost optima compared; more would only be found in contrived panels


class AssignmentError(AwardsError):
    """The solver could not finish (a time limit); nothing was assigned."""

    status = 409
    code = "assignment.unsolved"


class InfeasibleAssignment(AssignmentError):
    """The hard rules cannot all be met (SPEC 5.4).

    Attributes
    ----------
    departments : tuple of str
        The departments that cannot be covered, sorted.
    judges : tuple of str
        The judges that cannot be given a load within the rules, sorted.
    code : str
        ``assignment.infeasible`` or a more specific ``assignment.*`` code.
    """

    code = "assignment.infeasible"

    def __init__(self, message: str, *, departments: Iterable[str] = (),
                 judges: Iterable[str] = (), code: str | None = None, **params) -> None:
        self.departments = tuple(sorted(set(departments)))
        self.judges = tuple(sorted(set(judges)))
        params.setdefault("departments", ", ".join(self.departments) or "-")
        params.setdefault("judges", ", ".join(self.judges) or "-")
        super().__init__(message, code=code, **params)


@dataclass(frozen=True)
class Problem:
    """One campaign's preliminary assignment to solve.

    ``conflicts``, ``pins``, ``forbids`` and ``existing`` are ``(judge, department)`` pairs.
    Pairs naming a judge or department not in the lists are ignored, except pins, which
    must be honoured and so are refused.
    """

    slug: str
    departments: Sequence[str]
    judges: Sequence[str]
    conflicts: set[Pair] = field(default_factory=set)
    pins: set[Pair] = field(default_factory=set)
    forbids: set[Pair] = field(default_factory=set)
    existing: set[Pair] = field(default_factory=set)
    per_department: int = PER_DEPARTMENT
    minimum: int = MINIMUM


@dataclass(frozen=True)
class Solution:
    """A valid assignment.

    Attributes
    ----------
    pairs : tuple of (judge, department)
        Sorted.
    loads : dict
        Departments per judge, every judge (sorted by username).
    coverage : dict
        Judges per department, every department (sorted by code).
    connected : bool
        Whether the judge–department graph is connected (always true for a solution).
    sha256 : str
        :func:`assignment_sha256` of ``pairs`` (SPEC 5.4).
    load_bounds : (int, int)
        ``(⌊T/J⌋, ⌈T/J⌉)``.
    kept : int
        How many ``existing`` pairs were kept.
    """

    pairs: tuple[Pair, ...]
    loads: dict[str, int]
    coverage: dict[str, int]
    connected: bool
    sha256: str
    load_bounds: tuple[int, int] = (0, 0)
    kept: int = 0


def assignment_lines(pairs: Iterable[Pair]) -> str:
    """The lines ``username,department_code\\n``, one per pair, sorted (SPEC 5.4)."""
    return "".join(sorted(f"{judge},{department}\n" for judge, department in pairs))


def assignment_sha256(pairs: Iterable[Pair]) -> str:
    """Lowercase hex SHA-256 of :func:`assignment_lines` as UTF-8 (SPEC 5.4)."""
    return hashlib.sha256(assignment_lines(pairs).encode("utf-8")).hexdigest()


def pair_hash(slug: str, judge: str, department: str) -> str:
    """``H(slug + "|assign|" + judge + "|" + department)``, the tie-break key of a pair."""
    return hashlib.sha256(f"{slug}|assign|{judge}|{department}".encode()).hexdigest()


def tiebreak_costs(slug: str, pairs: Iterable[Pair]) -> dict[Pair, int]:
    """Integer costs that rise strictly with the order of :func:`pair_hash`.

    Each cost is 1 + the hash's first three hex digits (so a pair's cost does not depend on
    which other pairs are allowed), raised where needed to stay above the previous pair's.
    Distinct, irregular values make equal sums over different sets of pairs rare; the
    solver settles the remaining ties by the pair list (see :func:`solve`).
    """
    keyed = sorted((pair_hash(slug, *pair), pair) for pair in pairs)
    costs: dict[Pair, int] = {}
    previous = 0
    for digest, pair in keyed:
        previous = max(1 + int(digest[:3], 16), previous + 1)
        costs[pair] = previous
    return costs


@dataclass
class _Layout:
    """The problem in canonical order: sorted departments, judges and allowed pairs."""

    problem: Problem
    departments: list[str]
    judges: list[str]
    pairs: list[Pair]  # allowed pairs, sorted
    targets: dict[str, int]  # c_d
    lower: int
    upper: int
    pins: set[Pair]

    @property
    def nodes(self) -> list[tuple[str, str]]:
        return [("department", d) for d in self.departments] + [("judge", j)
                                                                 for j in self.judges]


def solve(problem: Problem) -> Solution:
    """The assignment of ``problem`` (SPEC 5.4), as described in the module docstring.

    Raises
    ------
    InfeasibleAssignment
        When the rules cannot all be met; it names the departments and judges that cannot be
        covered and says why.
    AssignmentError
        When the solver hits its time limit.
    ValueError
        For a malformed problem (repeated names, ``minimum`` outside ``1..per_department``).
    """
    layout = _layout(problem)
    _check_counts(layout)
    model = _FlowModel(layout)
    existing = [i for i, pair in enumerate(layout.pairs) if pair in problem.existing]
    extra: list[tuple[np.ndarray, float, float]] = []
    if existing:
        keep = np.zeros(model.size)
        keep[existing] = 1.0
        best = model.solve(-keep, extra)
        if best is None:
            raise _diagnose(layout)
        extra.append((keep, float(best[existing].sum()) - 0.5, np.inf))
    costs = tiebreak_costs(problem.slug, layout.pairs)
    objective = np.zeros(model.size)
    objective[: len(layout.pairs)] = [costs[pair] for pair in layout.pairs]
    chosen = model.solve(objective, extra)
    if chosen is None:
        raise _diagnose(layout)
    pairs = _canonical_optimum(model, layout, objective, extra, chosen)
    solution = _solution(layout, pairs)
    problems = rule_violations(problem, solution.pairs)
    if problems:  # the model and the independent check disagree: a bug, never silent
        raise RuntimeError("assignment breaks its own rules: " + "; ".join(problems))
    return solution


def _canonical_optimum(model: _FlowModel, layout: _Layout, objective: np.ndarray,
                       extra: list, chosen: np.ndarray) -> list[Pair]:
    """Every optimum of the same cost, each found after excluding the ones before it; the
    smallest sorted pair list among them. Usually the first search finds none."""
    m = len(layout.pairs)
    rows = [*extra, (objective, -np.inf, float(objective[:m] @ chosen) + 0.5)]
    found = [chosen]
    while len(found) < MAX_TIED_OPTIMA:
        cut = np.zeros(model.size)
        cut[:m] = found[-1]
        rows.append((cut, -np.inf, found[-1].sum() - 1))
        other = model.solve(np.zeros(model.size), rows)
        if other is None:
            break
        found.append(other)
    return min(sorted(p for p, x in zip(layout.pairs, f) if x > 0.5) for f in found)


def rule_violations(problem: Problem, pairs: Iterable[Pair]) -> list[str]:
    """The hard rules of SPEC 5.4 that ``pairs`` break, in English (empty when valid).

    Independent of the integer program: plain counting and networkx.
    """
    pairs = list(pairs)
    departments, judges = list(problem.departments), list(problem.judges)
    out: list[str] = []
    if len(set(pairs)) != len(pairs):
        out.append("a pair is listed twice")
    blocked = set(problem.conflicts) | set(problem.forbids)
    for judge, department in sorted(set(pairs)):
        if (judge, department) in blocked:
            out.append(f"{judge} is assigned {department} despite a conflict or forbid")
        if judge not in judges or department not in departments:
            out.append(f"({judge}, {department}) names an unknown judge or department")
    for pin in sorted(set(problem.pins) - set(pairs)):
        out.append(f"pinned pair {pin} is missing")
    coverage = {d: 0 for d in departments}
    loads = {j: 0 for j in judges}
    for judge, department in pairs:
        coverage[department] = coverage.get(department, 0) + 1
        loads[judge] = loads.get(judge, 0) + 1
    for department in departments:
        allowed = sum((j, department) not in blocked for j in judges)
        wanted = min(problem.per_department, allowed)
        if coverage[department] != wanted or wanted < problem.minimum:
            out.append(f"{department} has {coverage[department]} judges, not {wanted} "
                       f"(at least {problem.minimum})")
    if judges:
        total = sum(coverage.values())
        lower, upper = total // len(judges), -(-total // len(judges))
        for judge in judges:
            if not lower <= loads[judge] <= upper:
                out.append(f"{judge} has {loads[judge]} departments, outside "
                           f"{lower}..{upper}")
    if departments and not nx.is_connected(assignment_graph(departments, judges, pairs)):
        out.append("the judge-department graph is not connected")
    return out


def assignment_graph(departments: Iterable[str], judges: Iterable[str],
                     pairs: Iterable[Pair]) -> nx.Graph:
    """The bipartite graph: nodes ``("department", code)`` and ``("judge", username)``."""
    graph = nx.Graph()
    graph.add_nodes_from(("department", d) for d in departments)
    graph.add_nodes_from(("judge", j) for j in judges)
    graph.add_edges_from((("judge", j), ("department", d)) for j, d in pairs)
    return graph


def final_round_pairs(finalists: Iterable[str], judges: Iterable[str],
                      conflicts: Iterable[Pair]) -> tuple[Pair, ...]:
    """Every finalist with every judge not in conflict with it (SPEC 5.4), sorted.

    Raises
    ------
    InfeasibleAssignment
        When a finalist has no judge without a conflict (it could not be scored).
    """
    finalists, judges, conflicts = sorted(set(finalists)), sorted(set(judges)), set(conflicts)
    pairs = tuple((j, d) for j in judges for d in finalists if (j, d) not in conflicts)
    scored = {d for _, d in pairs}
    lonely = [d for d in finalists if d not in scored]
    if lonely:
        raise InfeasibleAssignment(
            f"every judge has a conflict with finalist {', '.join(lonely)}: nobody can score "
            "it in the final round", departments=lonely, code="assignment.final_uncovered")
    return pairs


# -- building the layout and the checks that need no solver --------------------------------

def _layout(problem: Problem) -> _Layout:
    departments, judges = list(problem.departments), list(problem.judges)
    for what, names in (("department", departments), ("judge", judges)):
        if len(set(names)) != len(names):
            raise ValueError(f"a {what} is listed twice")
    if not 1 <= problem.minimum <= problem.per_department:
        raise ValueError("minimum must be between 1 and per_department")
    departments, judges = sorted(departments), sorted(judges)
    if not departments:
        raise InfeasibleAssignment("there are no departments to assign",
                                   code="assignment.no_departments")
    if not judges:
        raise InfeasibleAssignment("there are no judges on the panel: no department can be "
                                   "covered", departments=departments,
                                   code="assignment.no_judges")
    blocked = set(problem.conflicts) | set(problem.forbids)
    pins = set(problem.pins)
    bad = sorted(p for p in pins if p[0] not in judges or p[1] not in departments
                 or p in blocked)
    if bad:
        raise InfeasibleAssignment(
            "pinned pairs cannot be assigned (unknown, conflicted or forbidden): "
            + ", ".join(f"{j}/{d}" for j, d in bad),
            departments=[d for _, d in bad], judges=[j for j, _ in bad],
            code="assignment.bad_pin", pairs=", ".join(f"{j}/{d}" for j, d in bad))
    pairs = sorted((j, d) for j in judges for d in departments if (j, d) not in blocked)
    allowed = {d: 0 for d in departments}
    for _, d in pairs:
        allowed[d] += 1
    short = [d for d in departments if allowed[d] < problem.minimum]
    if short:
        raise InfeasibleAssignment(
            f"fewer than {problem.minimum} judges without a conflict or forbid for "
            f"{', '.join(f'{d} ({allowed[d]})' for d in short)}: each department needs at "
            f"least {problem.minimum}", departments=short, code="assignment.too_few_judges",
            minimum=problem.minimum)
    targets = {d: min(problem.per_department, allowed[d]) for d in departments}
    total = sum(targets.values())
    return _Layout(problem, departments, judges, pairs, targets, total // len(judges),
                   -(-total // len(judges)), pins)


def _check_counts(layout: _Layout) -> None:
    """Infeasibility that counting alone shows, with a precise message."""
    problem, judges, departments = layout.problem, layout.judges, layout.departments
    total = sum(layout.targets.values())
    pinned_d = {d: 0 for d in departments}
    pinned_j = {j: 0 for j in judges}
    for j, d in layout.pins:
        pinned_d[d] += 1
        pinned_j[j] += 1
    over_d = [d for d in departments if pinned_d[d] > layout.targets[d]]
    over_j = [j for j in judges if pinned_j[j] > layout.upper]
    if over_d or over_j:
        raise InfeasibleAssignment(
            f"too many pins: a department takes {problem.per_department} judges and a judge "
            f"at most {layout.upper} departments; over: "
            + ", ".join(over_d + over_j), departments=over_d, judges=over_j,
            code="assignment.too_many_pins")
    if total < len(departments) + len(judges) - 1:
        usable = total - len(departments) + 1
        raise InfeasibleAssignment(
            f"{total} assignments cannot connect {len(departments)} departments and "
            f"{len(judges)} judges (at least {len(departments) + len(judges) - 1} are "
            f"needed): use at most {max(usable, 0)} judges", judges=judges,
            code="assignment.too_many_judges", total=total, usable=max(usable, 0))
    allowed_j = {j: 0 for j in judges}
    for j, _ in layout.pairs:
        allowed_j[j] += 1
    busy = [j for j in judges if allowed_j[j] < layout.lower]
    if busy:
        raise InfeasibleAssignment(
            f"each judge needs at least {layout.lower} departments but conflicts and forbids "
            f"leave fewer for {', '.join(f'{j} ({allowed_j[j]})' for j in busy)}",
            judges=busy, code="assignment.judge_blocked", lower=layout.lower)
    graph = assignment_graph(departments, judges, layout.pairs)
    parts = sorted(nx.connected_components(graph), key=lambda c: (-len(c), min(c)))
    if len(parts) > 1:
        apart = set().union(*parts[1:])
        split_d = sorted(name for kind, name in apart if kind == "department")
        split_j = sorted(name for kind, name in apart if kind == "judge")
        raise InfeasibleAssignment(
            "conflicts and forbids split the panel: no allowed pair links departments "
            f"{', '.join(split_d) or '-'} and judges {', '.join(split_j) or '-'} to the "
            "others", departments=split_d, judges=split_j, code="assignment.split")


def _solution(layout: _Layout, pairs: list[Pair]) -> Solution:
    loads = {j: 0 for j in layout.judges}
    coverage = {d: 0 for d in layout.departments}
    for j, d in pairs:
        loads[j] += 1
        coverage[d] += 1
    graph = assignment_graph(layout.departments, layout.judges, pairs)
    kept = sum(p in layout.problem.existing for p in pairs)
    return Solution(tuple(pairs), loads, coverage, nx.is_connected(graph),
                    assignment_sha256(pairs), (layout.lower, layout.upper), kept)


# -- the integer program -------------------------------------------------------------------

class _FlowModel:
    """Variables ``[x (m), f forward (m), f backward (m)]`` for the ``m`` allowed pairs;
    forward is department → judge. Rows: coverage, loads, capacities, flow conservation."""

    def __init__(self, layout: _Layout) -> None:
        m = len(layout.pairs)
        node = {name: i for i, name in enumerate(layout.nodes)}
        n = len(node)
        self.layout, self.m, self.size = layout, m, 3 * m
        rows: list[int] = []
        cols: list[int] = []
        vals: list[float] = []
        lower: list[float] = []
        upper: list[float] = []

        def row(entries: Iterable[tuple[int, float]], lo: float, hi: float) -> None:
            r = len(lower)
            for c, v in entries:
                rows.append(r)
                cols.append(c)
                vals.append(v)
            lower.append(lo)
            upper.append(hi)

        by_d: dict[str, list[int]] = {d: [] for d in layout.departments}
        by_j: dict[str, list[int]] = {j: [] for j in layout.judges}
        for e, (j, d) in enumerate(layout.pairs):
            by_d[d].append(e)
            by_j[j].append(e)
        for d in layout.departments:
            row(((e, 1.0) for e in by_d[d]), layout.targets[d], layout.targets[d])
        for j in layout.judges:
            row(((e, 1.0) for e in by_j[j]), layout.lower, layout.upper)
        for e in range(m):
            row(((m + e, 1.0), (e, -(n - 1.0))), -np.inf, 0.0)
            row(((2 * m + e, 1.0), (e, -(n - 1.0))), -np.inf, 0.0)
        # Inflow − outflow = 1 at every node but the root (the first department).
        for d in layout.departments[1:]:
            row([*((2 * m + e, 1.0) for e in by_d[d]), *((m + e, -1.0) for e in by_d[d])],
                1.0, 1.0)
        for j in layout.judges:
            row([*((m + e, 1.0) for e in by_j[j]), *((2 * m + e, -1.0) for e in by_j[j])],
                1.0, 1.0)
        self.matrix = coo_array((vals, (rows, cols)), shape=(len(lower), self.size)).tocsr()
        self.row_lower, self.row_upper = np.array(lower), np.array(upper)
        pinned = np.array([pair in layout.pins for pair in layout.pairs], dtype=float)
        self.bounds = Bounds(np.concatenate([pinned, np.zeros(2 * m)]),
                             np.concatenate([np.ones(m), np.full(2 * m, n - 1.0)]))
        self.integrality = np.concatenate([np.ones(m), np.zeros(2 * m)])

    def solve(self, objective: np.ndarray,
              extra: Sequence[tuple[np.ndarray, float, float]]) -> np.ndarray | None:
        """The optimal pair choices ``x`` (rounded to 0/1, length ``m``), or ``None`` when
        infeasible."""
        constraints = [LinearConstraint(self.matrix, self.row_lower, self.row_upper)]
        if extra:
            constraints.append(LinearConstraint(np.array([r for r, _, _ in extra]),
                                                [lo for _, lo, _ in extra],
                                                [hi for _, _, hi in extra]))
        result = milp(objective, integrality=self.integrality, bounds=self.bounds,
                      constraints=constraints,
                      options={"mip_rel_gap": 0.0, "time_limit": TIME_LIMIT_SECONDS})
        if result.status == 2:
            return None
        if result.status != 0:
            raise AssignmentError(f"the assignment solver stopped without an answer "
                                  f"({result.message})", code="assignment.unsolved")
        return np.round(result.x[: self.m])


def _diagnose(layout: _Layout) -> InfeasibleAssignment:
    """Which departments and judges cannot be covered, from an elastic version of the program:
    coverage may fall short (``s_d``), loads may leave their bounds (``u_j``, ``o_j``) and
    the graph may split (a virtual root may feed any node, ``z_v``); each at a price. The
    parts that need a relaxation are named."""
    m, D, J = len(layout.pairs), len(layout.departments), len(layout.judges)
    n = D + J
    # Variables: x (m) | f forward (m) | f backward (m) | root flow r (n) | z (n) | s (D)
    #            | u (J) | o (J)
    X, F, B, R, Z, S, U, O = (0, m, 2 * m, 3 * m, 3 * m + n, 3 * m + 2 * n,
                              3 * m + 2 * n + D, 3 * m + 2 * n + D + J)
    size = O + J
    index = {name: i for i, name in enumerate(layout.nodes)}
    rows, cols, vals, lower, upper = [], [], [], [], []

    def row(entries, lo, hi):
        for c, v in entries:
            rows.append(len(lower))
            cols.append(c)
            vals.append(v)
        lower.append(lo)
        upper.append(hi)

    by_node: dict[int, list[tuple[int, bool]]] = {i: [] for i in range(n)}
    for e, (j, d) in enumerate(layout.pairs):
        by_node[index[("department", d)]].append((e, True))
        by_node[index[("judge", j)]].append((e, False))
    for k, d in enumerate(layout.departments):
        edges = by_node[index[("department", d)]]
        row([*((X + e, 1.0) for e, _ in edges), (S + k, 1.0)], layout.targets[d],
            layout.targets[d])
    for k, j in enumerate(layout.judges):
        edges = by_node[index[("judge", j)]]
        row([*((X + e, 1.0) for e, _ in edges), (U + k, 1.0)], layout.lower, np.inf)
        row([*((X + e, 1.0) for e, _ in edges), (O + k, -1.0)], -np.inf, layout.upper)
    for e in range(m):
        row([(F + e, 1.0), (X + e, -float(n))], -np.inf, 0.0)
        row([(B + e, 1.0), (X + e, -float(n))], -np.inf, 0.0)
    for v in range(n):
        # A department's inflow comes backward (judge → department), a judge's forward.
        entries = [(R + v, 1.0)]
        for e, is_department in by_node[v]:
            entries += [((B if is_department else F) + e, 1.0),
                        ((F if is_department else B) + e, -1.0)]
        row(entries, 1.0, 1.0)
        row([(R + v, 1.0), (Z + v, -float(n))], -np.inf, 0.0)
    row(((Z + v, 1.0) for v in range(n)), 1.0, np.inf)
    matrix = coo_array((vals, (rows, cols)), shape=(len(lower), size)).tocsr()
    objective = np.zeros(size)
    objective[Z: Z + n] = 1.0
    objective[S: S + D] = 2.0
    objective[U: O + J] = 1.0
    pinned = np.array([p in layout.pins for p in layout.pairs], dtype=float)
    low = np.zeros(size)
    low[:m] = pinned
    high = np.full(size, np.inf)
    high[:m] = 1.0
    high[Z: Z + n] = 1.0
    integrality = np.zeros(size)
    integrality[:m] = 1
    integrality[Z: Z + n] = 1
    result = milp(objective, integrality=integrality, bounds=Bounds(low, high),
                  constraints=LinearConstraint(matrix, lower, upper),
                  options={"mip_rel_gap": 0.0, "time_limit": TIME_LIMIT_SECONDS})
    departments: set[str] = set()
    judges: set[str] = set()
    if result.status == 0:
        x = result.x
        departments = {d for k, d in enumerate(layout.departments) if x[S + k] > 0.5}
        judges = {j for k, j in enumerate(layout.judges) if x[U + k] + x[O + k] > 0.5}
        pairs = [p for e, p in enumerate(layout.pairs) if x[X + e] > 0.5]
        graph = assignment_graph(layout.departments, layout.judges, pairs)
        parts = sorted(nx.connected_components(graph), key=lambda c: (-len(c), min(c)))
        for part in parts[1:]:
            departments |= {name for kind, name in part if kind == "department"}
            judges |= {name for kind, name in part if kind == "judge"}
    if not departments and not judges:  # no relaxation explains it: name everything
        departments, judges = set(layout.departments), set(layout.judges)
    named = "; ".join(f"{what} {', '.join(sorted(names))}" for what, names
                      in (("departments", departments), ("judges", judges)) if names)
    return InfeasibleAssignment(
        f"no assignment meets every rule ({_rules(layout)}); these cannot be covered: {named}",
        departments=departments, judges=judges, code="assignment.infeasible",
        lower=layout.lower, upper=layout.upper)


def _rules(layout: _Layout) -> str:
    return (f"{layout.problem.per_department} judges per department where allowed, "
            f"{layout.lower}..{layout.upper} departments per judge, pins, one connected panel")
