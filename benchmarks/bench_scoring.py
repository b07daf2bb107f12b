"""Time ``compute_results`` with the bootstrap (SPEC 9 performance bars).

28 departments, the 18 Hong Kong districts (2021 census households), synthetic ballots
(40,000 and 1,000,000), B = 2000. Besides the whole computation it times, in the same run,
the bootstrap alone (:func:`bootstrap_diagnostics`) and a bare loop that does only the
irreducible part of SPEC 6.9: draw the raw PCG64 stream in chunks, apply the index formula
and count each replicate's picks per ballot (``np.add.at`` into a zeroed row, the fastest
count measured, as the engine does), nothing else. Peak memory is the
process's maximum resident size. Usage::

    .venv/bin/python benchmarks/bench_scoring.py [path/to/hk_districts.csv] [--repeat N]

The district file defaults to ``awards/data/hk_districts.csv``.
Synthetic voters pick 1-3 departments (30/30/40%) with log-normal popularity (σ = 0.8);
ballots are spread over districts in proportion to households. Twenty judges score each
department five times (a connected design) with judge biases and noise.
"""

from __future__ import annotations

import argparse
import csv
import resource
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from awards.scoring import (  # noqa: E402
    District,
    JudgeScore,
    PublicInputs,
    ScoringConfig,
    compute_results,
)
from awards.scoring.bootstrap import (  # noqa: E402
    SEGMENT_VALUES,
    chunk_replicates,
    bootstrap_diagnostics,
    bootstrap_stream,
    default_threads,
    draw_plan,
    segments,
)
from awards.scoring.combine import tiebreak_hashes  # noqa: E402
from awards.scoring.judges import judge_scores  # noqa: E402
from awards.scoring.public import tally_public  # noqa: E402

DEFAULT_DISTRICTS = Path(__file__).resolve().parents[1] / "awards" / "data" / "hk_districts.csv"
DEPARTMENTS = [f"D{i:02d}" for i in range(1, 29)]
JUDGES = [f"J{i:02d}" for i in range(1, 21)]
SIZES = (40_000, 1_000_000)
REPLICATES = 2000
SEED = "benchmark-seed-CSEA-2002-0001"


def read_districts(path: Path) -> list[District]:
    with path.open(encoding="utf-8") as handle:
        rows = csv.DictReader(handle)
        return [District(row["code"], int(row["households_2021"])) for row in rows]


def synthetic_patterns(
    districts: list[District], ballots: int, rng: np.random.Generator
) -> dict[str, dict[tuple[str, ...], int]]:
    popularity = rng.normal(0.0, 0.8, len(DEPARTMENTS))  # log-popularity
    households = np.array([d.households for d in districts], dtype=float)
    per_district = rng.multinomial(ballots, households / households.sum())
    patterns = {}
    for district, n in zip(districts, per_district.tolist()):
        # Gumbel top-k: k distinct departments drawn with probability ∝ popularity.
        keys = popularity + rng.gumbel(size=(n, len(DEPARTMENTS)))
        top = np.argsort(-keys, axis=1)[:, :3]
        chosen = rng.choice([1, 2, 3], p=[0.3, 0.3, 0.4], size=n)
        masks = np.zeros(n, dtype=np.int64)
        for j in range(3):
            masks[chosen > j] |= np.int64(1) << top[chosen > j, j]
        counts = Counter(masks.tolist())
        patterns[district.code] = {
            tuple(DEPARTMENTS[i] for i in range(len(DEPARTMENTS)) if mask >> i & 1): c
            for mask, c in counts.items()
        }
    return patterns


def synthetic_scores(
    rng: np.random.Generator, round_name: str, departments: list[str]
) -> list[JudgeScore]:
    quality = dict(zip(DEPARTMENTS, rng.normal(70, 8, len(DEPARTMENTS))))
    bias = rng.normal(0, 4, len(JUDGES))
    scores = []
    for i, dept in enumerate(departments):
        for k in range(5):
            j = (i * 3 + k) % len(JUDGES)
            y = float(np.clip(quality[dept] + bias[j] + rng.normal(0, 3), 0, 100))
            scores.append(JudgeScore(round_name, JUDGES[j], dept, y))
    return scores


def timed(function, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def bare_loop(tally, replicates: int, seed: str, threads: int = 1, counting: str = "add.at") -> int:
    """Draw, index, count: the stream, ``((x >> 32) · r_h) >> 32`` and a count of each
    replicate's picks per ballot, nothing else. Same pieces as the engine: chunks of
    replicates, each from a generator advanced to its first replicate, ``threads`` chunks
    at a time; within a chunk one replicate at a time (the index formula with per-column
    ``r_h`` and district starts), or, for one wide replicate, district by district in the
    engine's segments (``r_h`` a scalar). ``counting`` is ``"add.at"`` (``np.add.at`` into
    a zeroed row, as the engine counts) or ``"bincount"`` (one ``np.bincount`` per piece).
    Returns the number of picks counted."""
    plan = draw_plan(tally)
    step = chunk_replicates(plan.width)
    # int32 counts with an int32 increment, the fastest counting measured (the engine's).
    ONE = np.int32(1)
    segmented = step == 1 and plan.width > SEGMENT_VALUES
    shift = np.uint64(32)

    def index(values, size):
        np.right_shift(values, shift, out=values)
        np.multiply(values, size, out=values)
        np.right_shift(values, shift, out=values)
        return values.view(np.intp)

    def count(row, picked):
        if counting == "bincount":
            return int(np.bincount(picked, minlength=len(row)).sum())
        np.add.at(row, picked, ONE)
        return len(picked)

    def chunk(start: int) -> int:
        stream = bootstrap_stream(seed)
        stream.advance(start * plan.width)
        counts = np.zeros(plan.width, dtype=np.int32)
        picks = 0
        for _ in range(min(step, replicates - start)):
            counts.fill(0)
            if segmented:
                for size, first in zip(plan.sizes, plan.starts):
                    row = counts[first:first + size]
                    for length in segments(size, SEGMENT_VALUES):
                        picks += count(row, index(stream.random_raw(length), np.uint64(size)))
            else:
                picked = index(stream.random_raw(plan.width), plan.column_size)
                np.add(picked, plan.column_start.view(np.intp), out=picked)
                picks += count(counts, picked)
        return picks

    starts = range(0, replicates, step)
    if threads <= 1:
        return sum(map(chunk, starts))
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return sum(pool.map(chunk, starts))


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench(districts: list[District], ballots: int, repeat: int) -> None:
    rng = np.random.default_rng(ballots)
    public = PublicInputs(districts, DEPARTMENTS, synthetic_patterns(districts, ballots, rng))
    scores = synthetic_scores(rng, "preliminary", DEPARTMENTS)
    config = ScoringConfig(seed=SEED, bootstrap=REPLICATES)
    finalists = compute_results(public, scores, ScoringConfig(seed=SEED, bootstrap=0))["finalists"]
    scores += synthetic_scores(rng, "final", finalists)
    tally = tally_public(public)
    patterns = sum(len(p) for p in tally.patterns)
    judge = judge_scores(scores, tally.departments, "additive").scores
    hashes = tiebreak_hashes(SEED, tally.departments)
    total = timed(lambda: compute_results(public, scores, config), repeat)
    no_bootstrap = ScoringConfig(seed=SEED, bootstrap=0)
    without = timed(lambda: compute_results(public, scores, no_bootstrap), repeat)
    threads = default_threads()
    figures = []
    for n in sorted({1, threads}):
        boot = timed(lambda: bootstrap_diagnostics(
            tally, judge, hashes, seed=SEED, public_weight=0.3, finalists=8,
            replicates=REPLICATES, threads=n), repeat)
        bare = timed(lambda: bare_loop(tally, REPLICATES, SEED, threads=n), repeat)
        figures.append(f"{n} thread{'s' if n > 1 else ''}: bootstrap {boot:.2f} s, bare "
                       f"draw-and-count loop {bare:.2f} s, ratio {boot / bare:.2f}")
    print(
        f"{ballots:>9,} ballots, {len(districts)} districts, {len(DEPARTMENTS)} departments, "
        f"{patterns:,} distinct district patterns, B = {REPLICATES}: "
        f"compute_results {total:.2f} s ({threads} threads; without bootstrap {without:.2f} s); "
        + "; ".join(figures) + f"; peak memory so far {peak_mb():.0f} MB", flush=True
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("districts", nargs="?", type=Path, default=DEFAULT_DISTRICTS)
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs (default 3)")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    args = parser.parse_args()
    districts = read_districts(args.districts)
    print(f"numpy {np.__version__}, python {sys.version.split()[0]}")
    for size in args.sizes:
        bench(districts, size, args.repeat)


if __name__ == "__main__":
    main()
