"""Time the preliminary assignment (SPEC 5.4; SPEC 9 bar: 40 departments × 20 judges in
under 2 s).

Panels of 40 departments and 20 judges with about 5% random conflicts (several seeds). For
each it times, best of ``--repeat`` runs:

- ``solve``: the whole use of :func:`awards.judging.assignment.solve`: checks, the integer
  program with the connectivity flow, the search for equal-cost optima and the networkx
  check of the result;
- ``re-solve``: the same after one new conflict on an assigned pair, keeping the earlier
  pairs where the rules allow (one more integer program first);
- two bare baselines in the same run, which balance the same panel without connectivity:
  the same ``milp`` with coverage and load rows only (one solve), and a min-cost flow
  (``networkx.min_cost_flow``, source → judge → department → sink, with the same costs),
  which is what HotCRP-style autoassigners do.

The ratio reported is ``solve`` over the bare ``milp``. Usage::

    .venv/bin/python benchmarks/bench_assignment.py [--repeat N] [--seeds N]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import networkx as nx
import numpy as np
import scipy
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_array

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from awards.judging.assignment import Problem, solve, tiebreak_costs  # noqa: E402

DEPARTMENTS = [f"D{i:02d}" for i in range(40)]
JUDGES = [f"j{i:02d}" for i in range(20)]
CONFLICT_RATE = 0.05
PER_DEPARTMENT = 3


def panel(seed: int) -> Problem:
    rng = random.Random(seed)
    conflicts = {(j, d) for j in JUDGES for d in DEPARTMENTS if rng.random() < CONFLICT_RATE}
    return Problem(f"bench-{seed}", DEPARTMENTS, JUDGES, conflicts)


def allowed_pairs(problem: Problem) -> list[tuple[str, str]]:
    return sorted((j, d) for j in problem.judges for d in problem.departments
                  if (j, d) not in problem.conflicts)


def bare_milp(problem: Problem) -> int:
    """Coverage and balance only, as one ``milp``: no connectivity, no optimum search."""
    pairs = allowed_pairs(problem)
    costs = tiebreak_costs(problem.slug, pairs)
    total = PER_DEPARTMENT * len(problem.departments)
    lower, upper = total // len(problem.judges), -(-total // len(problem.judges))
    rows, cols = [], []
    row_of = {d: i for i, d in enumerate(problem.departments)}
    row_of |= {j: len(problem.departments) + i for i, j in enumerate(problem.judges)}
    for e, (j, d) in enumerate(pairs):
        rows += [row_of[d], row_of[j]]
        cols += [e, e]
    matrix = coo_array((np.ones(len(rows)), (rows, cols)), shape=(len(row_of), len(pairs)))
    lo = [PER_DEPARTMENT] * len(problem.departments) + [lower] * len(problem.judges)
    hi = [PER_DEPARTMENT] * len(problem.departments) + [upper] * len(problem.judges)
    result = milp(np.array([costs[p] for p in pairs], dtype=float),
                  integrality=np.ones(len(pairs)), bounds=Bounds(0, 1),
                  constraints=LinearConstraint(matrix.tocsr(), lo, hi),
                  options={"mip_rel_gap": 0.0})
    assert result.status == 0, result.message
    return int(round(result.x.sum()))


def bare_flow(problem: Problem) -> int:
    """Coverage and balance as a min-cost flow (HotCRP-style): no connectivity."""
    pairs = allowed_pairs(problem)
    costs = tiebreak_costs(problem.slug, pairs)
    total = PER_DEPARTMENT * len(problem.departments)
    lower, upper = total // len(problem.judges), -(-total // len(problem.judges))
    graph = nx.DiGraph()
    graph.add_node("source", demand=-total)
    graph.add_node("sink", demand=total)
    # Lower load bounds as supplies: each judge supplies `lower` units itself and takes up
    # to upper - lower more from the source.
    for j in problem.judges:
        graph.add_edge("source", ("j", j), capacity=upper - lower, weight=0)
        graph.nodes[("j", j)]["demand"] = -lower
    graph.nodes["source"]["demand"] = -(total - lower * len(problem.judges))
    for j, d in pairs:
        graph.add_edge(("j", j), ("d", d), capacity=1, weight=costs[(j, d)])
    for d in problem.departments:
        graph.add_edge(("d", d), "sink", capacity=PER_DEPARTMENT, weight=0)
    flow = nx.min_cost_flow(graph)
    return sum(flow[("j", j)][("d", d)] for j, d in pairs)


def timed(function, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs (default 3)")
    parser.add_argument("--seeds", type=int, default=5, help="panels to time (default 5)")
    args = parser.parse_args()
    print(f"scipy {scipy.__version__}, networkx {nx.__version__}, numpy {np.__version__}, "
          f"python {sys.version.split()[0]}")
    worst = {"solve": 0.0, "re-solve": 0.0}
    ratios = []
    for seed in range(args.seeds):
        problem = panel(seed)
        solution = solve(problem)
        late = solution.pairs[len(solution.pairs) // 2]
        again = Problem(problem.slug, DEPARTMENTS, JUDGES, problem.conflicts | {late},
                        existing=set(solution.pairs))
        assert bare_milp(problem) == bare_flow(problem) == len(solution.pairs)
        full = timed(lambda: solve(problem), args.repeat)
        resolve = timed(lambda: solve(again), args.repeat)
        base = timed(lambda: bare_milp(problem), args.repeat)
        flow = timed(lambda: bare_flow(problem), args.repeat)
        kept = solve(again).kept
        worst["solve"] = max(worst["solve"], full)
        worst["re-solve"] = max(worst["re-solve"], resolve)
        ratios.append(full / base)
        print(f"seed {seed}: {len(problem.conflicts)} conflicts, {len(solution.pairs)} pairs, "
              f"loads {solution.load_bounds[0]}..{solution.load_bounds[1]}: solve {full:.3f} s, "
              f"re-solve after a conflict {resolve:.3f} s ({kept} of {len(solution.pairs)} "
              f"kept); bare milp without connectivity {base:.3f} s, bare min-cost flow "
              f"{flow:.3f} s; ratio solve/bare milp {full / base:.1f}", flush=True)
    print(f"40 departments × 20 judges: worst solve {worst['solve']:.3f} s, worst re-solve "
          f"{worst['re-solve']:.3f} s (bar 2 s); ratio to the bare milp median "
          f"{float(np.median(ratios)):.1f}, max {max(ratios):.1f}")


if __name__ == "__main__":
    main()
