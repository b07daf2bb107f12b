"""Stratified bootstrap of the public vote (SPEC 6.9, diagnostics only).

The random source and the draw order are part of the contract, so that an independent
verifier can reproduce every replicate bit for bit, on another machine and another NumPy,
years later:

1. the stream is the raw 64-bit output of
   ``numpy.random.PCG64(int(H(S + "|bootstrap")[:16], 16))`` (``random_raw``), which NumPy
   keeps stable for a fixed seed (``Generator`` methods are not covered by that promise);
2. for replicate ``b = 1..B`` (outer loop), for each district with ``r_h > 0`` in ascending
   code order (inner loop), the next ``r_h`` values ``x`` each pick the ballot
   ``i = ((x >> 32) · r_h) >> 32`` (0-based, exact integer arithmetic) among the district's
   valid ballots ordered by ``(choices, ballot_id)``, ``choices`` being the ``;``-joined
   sorted codes of ``ballots.csv`` compared as plain strings. Districts with ``r_h = 0``
   are left out (SPEC 6.1) and consume nothing.

Ballots with the same choices sit next to each other in that order and count the same, so
the ballot ids never change a replicate's ``x_hd``: the engine works on the district's
distinct patterns, each a block of ``count`` consecutive positions, in ``choices`` string
order (which is not always the order of the sorted code tuples, e.g. ``"A-1" < "A;B"`` but
``("A", "B") < ("A-1",)``).

The stream is consumed in chunks of whole replicates. Within a chunk each replicate is
drawn with one ``random_raw`` call (or, when it is wide, district by district in segments),
the index formula runs on the values with in-place ``uint64`` operations, and the picks
are counted per ballot position; a cumulative sum of those counts, read at the last
position of each pattern, gives the pattern counts, and ``x_hd`` follows with a small
matrix product per district. Memory stays bounded by :data:`CHUNK_VALUES` whatever ``B``
and the number of ballots are. Shares, combined scores (judge scores fixed) and ranks are
then computed for the whole chunk at once, with the same formulas and full sort keys as
the point results.

Each replicate consumes exactly ``R = Σ r_h`` values, so the chunk that starts at replicate
``b`` starts at value ``b·R`` of the stream: every chunk gets its own copy of the bit
generator, moved there with ``PCG64.advance`` (a jump of the generator's state, part of
the algorithm and as stable as the stream), and chunks run on several threads (NumPy
releases the interpreter lock in the heavy loops). The figures do not depend on the number
of threads.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from awards.scoring.combine import combined_scores, round9, sha256_hex
from awards.scoring.errors import ScoringError
from awards.scoring.public import PublicTally, stratum_weights, weighted_shares

CHUNK_VALUES = 1 << 20          # stream values per chunk (8 MB of uint64)
# ... and per chunk of narrow replicates (at most SEGMENT_VALUES wide, e.g. 40,000 ballots).
NARROW_CHUNK_VALUES = 1 << 22
# Largest m·n·k of one matrix product: OpenBLAS runs smaller products on one thread, and a
# threaded product of this size spins on busy cores for far longer than it computes.
PRODUCT_LIMIT = 1 << 18
SEGMENT_VALUES = 1 << 16        # a wide replicate is drawn in segments of at most this many values
EXACT_FLOAT32 = 1 << 24         # whole numbers below this are exact in float32
COUNT32_LIMIT = 1 << 31         # replicates narrower than this count their picks in int32
RANK_LOW_PERCENT = 2.5
RANK_HIGH_PERCENT = 97.5
_HIGH = np.uint64(32)


def default_threads() -> int:
    """Threads for the bootstrap: the processors this process may use, at most 8."""
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # not every platform has it
        available = os.cpu_count() or 1
    return max(1, min(8, available))


@dataclass(frozen=True)
class BootstrapSummary:
    """Bootstrap diagnostics per department, in department order (SPEC 6.9).

    Attributes
    ----------
    replicates : int
        ``B``.
    p_finalist : ndarray, shape (D,)
        Share of replicates in which the department ranks within the first ``N``.
    p_best_public_image : ndarray, shape (D,)
        Share of replicates in which it is first by the Best Public Image key.
    rank_low, rank_high : ndarray of int, shape (D,)
        95% rank interval: the 2.5th percentile of its replicate ranks with numpy's
        ``method="lower"`` and the 97.5th with ``method="higher"`` (so both are ranks that
        occurred).
    """

    replicates: int
    p_finalist: np.ndarray
    p_best_public_image: np.ndarray
    rank_low: np.ndarray
    rank_high: np.ndarray


@dataclass(frozen=True)
class DrawPlan:
    """How one replicate's ``R`` stream values map to ballots and patterns (SPEC 6.9).

    Ballots are numbered across the drawn districts ("positions"): district ``h``'s ballots
    are positions ``start_h .. start_h + r_h − 1`` in ``(choices, ballot_id)`` order, and its
    patterns are consecutive blocks of them.

    Attributes
    ----------
    drawn : tuple of int
        Indices of the districts with ``r_h > 0``, ascending (the draw order).
    width : int
        ``R``: stream values per replicate.
    sizes, starts : tuple of int
        Per drawn district, ``r_h`` and its first position.
    column_size : ndarray of uint64, shape (R,)
        ``r_h`` of the district each value of a replicate draws for.
    column_start : ndarray of uint64, shape (R,)
        First position of that district.
    pattern_last : ndarray of intp, shape (P,)
        Last position of each pattern (patterns numbered across districts).
    blocks : tuple of slice
        Per drawn district, its range in the pattern numbering.
    incidence : tuple of ndarray of float, shape (K_h, D)
        Per drawn district, 1 where its patterns (in that numbering) name a department;
        float32 (exact sums, faster products) unless ``r_h ≥ 2^24``.
    """

    drawn: tuple[int, ...]
    width: int
    sizes: tuple[int, ...]
    starts: tuple[int, ...]
    column_size: np.ndarray
    column_start: np.ndarray
    pattern_last: np.ndarray
    blocks: tuple[slice, ...]
    incidence: tuple[np.ndarray, ...]

    @property
    def patterns(self) -> int:
        return self.blocks[-1].stop if self.blocks else 0


def bootstrap_stream(seed: str) -> np.random.PCG64:
    """The bit generator ``PCG64(int(H(S + "|bootstrap")[:16], 16))`` (SPEC 6.9)."""
    return np.random.PCG64(int(sha256_hex(f"{seed}|bootstrap")[:16], 16))


def choices_order(patterns: Sequence[tuple[str, ...]]) -> list[int]:
    """Indices of ``patterns`` by their ``ballots.csv`` choices string, ascending (SPEC 6.9).

    The choices string is the pattern's sorted codes joined by ``;`` (SPEC 7).
    """
    choices = list(map(";".join, map(sorted, patterns)))
    return sorted(range(len(choices)), key=choices.__getitem__)


def draw_plan(tally: PublicTally) -> DrawPlan:
    """The :class:`DrawPlan` of ``tally`` (districts with ballots, patterns in choices order)."""
    drawn = tuple(h for h in range(len(tally.districts)) if tally.valid[h] > 0)
    sizes, starts, last, blocks, incidence = [], [], [], [], []
    position = numbered = 0
    for h in drawn:
        order = choices_order(tally.patterns[h])
        counts = tally.pattern_counts[h][order]
        size = int(counts.sum())
        sizes.append(size)
        starts.append(position)
        last.append(position + np.cumsum(counts) - 1)
        blocks.append(slice(numbered, numbered + len(order)))
        exact = np.float32 if size < EXACT_FLOAT32 else np.float64
        incidence.append(tally.incidence[h][order].astype(exact))
        position += size
        numbered += len(order)
    return DrawPlan(
        drawn=drawn,
        width=position,
        sizes=tuple(sizes),
        starts=tuple(starts),
        column_size=np.repeat(np.array(sizes, dtype=np.uint64), sizes),
        column_start=np.repeat(np.array(starts, dtype=np.uint64), sizes),
        pattern_last=(np.concatenate(last) if last else np.zeros(0)).astype(np.intp),
        blocks=tuple(blocks),
        incidence=tuple(incidence),
    )


def pick_in_place(values: np.ndarray, size: np.uint64 | np.ndarray) -> np.ndarray:
    """``i = ((x >> 32) · r_h) >> 32`` (SPEC 6.9) of every stream value, in place.

    ``values`` is a writable ``uint64`` array and ``size`` its ``r_h`` (a scalar, or an
    array broadcast against it). The operations are exact: ``(x >> 32) · r_h < 2^64`` for
    any ``r_h < 2^32``.

    Returns
    -------
    ndarray of intp
        A view of ``values`` (every ``i < 2^32``).
    """
    np.right_shift(values, _HIGH, out=values)
    np.multiply(values, size, out=values)
    np.right_shift(values, _HIGH, out=values)
    return values.view(np.intp)


def chunk_replicates(width: int) -> int:
    """Replicates per chunk for replicates of ``width`` stream values: as many as fit in
    :data:`CHUNK_VALUES`, or in :data:`NARROW_CHUNK_VALUES` when a replicate is at most
    :data:`SEGMENT_VALUES` wide. A narrow replicate leaves each chunk little work for NumPy
    and the same Python work per chunk (products, ranks), which threads take turns at: at
    40,000 ballots, 104 replicates a chunk instead of 26 took the bootstrap on 2 threads
    from 2.1 to about 1.6 times its bare draw-and-count loop. A chunk's buffers stay small
    (its pattern counts and ``x_hd``; the stream is drawn one replicate at a time)."""
    limit = NARROW_CHUNK_VALUES if width <= SEGMENT_VALUES else CHUNK_VALUES
    return max(1, limit // max(1, width))


def segments(size: int, limit: int) -> list[int]:
    """Lengths of the fewest, nearly equal segments of at most ``limit`` that make ``size``."""
    pieces = max(1, -(-size // limit))
    return [size * (k + 1) // pieces - size * k // pieces for k in range(pieces)]


class ChunkCounter:
    """Turns the stream into ``x_hd``, for up to ``rows`` replicates at a time.

    Counting works on ballot positions, so a pick costs one increment and nothing maps a
    ballot to its pattern: ``np.add.at`` adds a replicate's picks into ``counts`` (one
    entry per position, allocated once), a cumulative sum gives the picks up to each
    position, and the differences of those sums at the patterns' last positions are the
    pattern counts (a pattern is a block of consecutive positions). ``np.add.at`` into a
    zeroed row was measured faster than ``np.bincount``, which scans its input for the
    largest value and allocates a new array each time.

    Counts and their sums are ``int32`` whenever ``R < 2^31`` (they never exceed ``R``):
    half the memory to sweep, and a replicate's rows fit better in a core's cache when two
    threads draw at once. The cumulative sum is written into the replicate's spent stream
    values rather than in place: NumPy holds the interpreter lock through an in-place
    ``cumsum`` (input and output overlap) and releases it otherwise.

    The replicates of a chunk are drawn one at a time, so that a replicate's values, the
    per-column ``r_h`` and district starts, and its counts stay in the processor's cache
    from the draw to the cumulative sum. A single replicate wider than :data:`SEGMENT_VALUES`
    (large ``R``) is drawn district by district, each district in nearly equal segments of
    at most that many values (the stream is consumed in the same order either way), with
    the district's ``r_h`` as a scalar.
    """

    def __init__(self, plan: DrawPlan, rows: int) -> None:
        self.plan = plan
        self.segmented = rows == 1 and plan.width > SEGMENT_VALUES
        self.count_type = np.int32 if plan.width < COUNT32_LIMIT else np.intp
        self.one = self.count_type(1)
        self.counts = np.zeros(plan.width, dtype=self.count_type)
        # Buffers reused from chunk to chunk: large temporaries would be fresh pages each time.
        self.running = np.empty(plan.width if self.segmented else 0, dtype=self.count_type)
        self.upto = np.empty((rows, plan.patterns), dtype=self.count_type)
        exact = np.result_type(np.float32, *plan.incidence)
        self.picked = np.empty((rows, plan.patterns), dtype=exact)

    def positions(self, values: np.ndarray) -> np.ndarray:
        """Picked ballot positions (SPEC 6.9), numbered across the districts, of one
        replicate's ``R`` stream values; computed in place.

        Returns
        -------
        ndarray of intp, shape (R,)
            A view of ``values``.
        """
        picked = pick_in_place(values, self.plan.column_size)
        np.add(values, self.plan.column_start, out=values)
        return picked

    def count_block(self, stream: np.random.PCG64, upto: np.ndarray) -> None:
        """Draw ``len(upto)`` replicates, one at a time, and write each one's picks up to
        each pattern's last position into its row of ``upto``."""
        row, width = self.counts, self.plan.width
        for replicate in upto:
            values = stream.random_raw(width)
            row.fill(0)
            np.add.at(row, self.positions(values), self.one)
            running = np.cumsum(row, out=values.view(self.count_type)[:width])
            running.take(self.plan.pattern_last, out=replicate, mode="clip")

    def count_segments(self, stream: np.random.PCG64, upto: np.ndarray) -> None:
        """Draw one replicate district by district, in segments, and write its picks up to
        each pattern's last position into ``upto``."""
        row = self.counts
        row.fill(0)
        for size, start in zip(self.plan.sizes, self.plan.starts):
            ballots = row[start:start + size]
            r_h = np.uint64(size)
            for length in segments(size, SEGMENT_VALUES):
                np.add.at(ballots, pick_in_place(stream.random_raw(length), r_h), self.one)
        np.cumsum(row, out=self.running)
        self.running.take(self.plan.pattern_last, out=upto, mode="clip")

    def pattern_counts(self, stream: np.random.PCG64, replicates: int) -> np.ndarray:
        """Times each pattern was picked in each of the next ``replicates`` replicates.

        Returns
        -------
        ndarray of float, shape (replicates, P)
            Whole numbers, in the incidence matrices' type (a view of a buffer that the
            next call overwrites).
        """
        upto, picked = self.upto[:replicates], self.picked[:replicates]
        if self.segmented:
            self.count_segments(stream, upto[0])
        else:
            self.count_block(stream, upto)
        picked[:, :1] = upto[:, :1]
        np.subtract(upto[:, 1:], upto[:, :-1], out=picked[:, 1:], casting="unsafe")
        return picked

    def fill(self, stream: np.random.PCG64, replicates: int, out: np.ndarray) -> None:
        """Draw the next ``replicates`` replicates and write their ``x_hd`` into
        ``out[:, h, :]``.

        Small matrix products per district (see :data:`PRODUCT_LIMIT`), each over a band of
        replicates and a slice of the district's patterns, added up: every partial sum is a
        whole number no larger than ``r_h``, below ``2^24`` in float32 (or made in
        float64), so the sums are exact in any order. Slicing the patterns rather than the
        replicates keeps the products wide enough for the BLAS kernels.
        """
        picked = self.pattern_counts(stream, replicates)
        for h, block, matrix in zip(self.plan.drawn, self.plan.blocks, self.plan.incidence):
            part = picked[:, block]
            departments = matrix.shape[1]
            band = max(1, min(len(part), PRODUCT_LIMIT // departments))
            depth = max(1, PRODUCT_LIMIT // (band * departments))
            for start in range(0, len(part), band):
                rows = part[start:start + band]
                total = rows[:, :depth] @ matrix[:depth]
                for first in range(depth, len(matrix), depth):
                    total += rows[:, first:first + depth] @ matrix[first:first + depth]
                out[start:start + band, h, :] = total


def replicate_counts(
    tally: PublicTally, replicates: int, seed: str, chunk: int | None = None,
    threads: int = 1,
) -> Iterator[np.ndarray]:
    """Bootstrap ``x_hd`` for chunks of replicates, in replicate order (SPEC 6.9).

    Parameters
    ----------
    tally : PublicTally
    replicates : int
        ``B``.
    seed : str
        ``S``.
    chunk : int, optional
        Replicates per chunk (default: as many as fit in :data:`CHUNK_VALUES` stream
        values, at least 1).
    threads : int
        Chunks drawn at the same time (the values do not depend on it).

    Yields
    ------
    ndarray of float, shape (chunk, H, D)
        Whole-number ``x_hd`` of each replicate of the chunk.
    """
    plan = draw_plan(tally)
    step = chunk or chunk_replicates(plan.width)
    counts_of = _chunk_drawer(tally, plan, replicates, seed, step)
    yield from _in_order(counts_of, range(0, replicates, step), threads)


def _chunk_drawer(tally: PublicTally, plan: DrawPlan, replicates: int, seed: str, step: int):
    """``counts(start)``: ``x_hd`` of the chunk of replicates that begins at ``start``.

    Each thread keeps one :class:`ChunkCounter` (its buffer is as large as a chunk's
    stream values: allocated once, not once per chunk)."""
    shape = (len(tally.districts), len(tally.departments))
    rows = min(step, replicates)
    local = threading.local()

    def counts(start: int) -> np.ndarray:
        size = min(step, replicates - start)
        out = np.zeros((size, *shape))
        if plan.width:
            counter = getattr(local, "counter", None)
            if counter is None:
                counter = local.counter = ChunkCounter(plan, rows)
            stream = bootstrap_stream(seed)
            stream.advance(start * plan.width)
            counter.fill(stream, size, out)
        return out

    return counts


def _in_order(work, starts: range, threads: int) -> Iterator:
    """``work(start)`` for each start, in order, ``threads`` at a time (at most
    ``2 · threads`` results held ahead of the consumer)."""
    if threads <= 1 or len(starts) <= 1:
        yield from map(work, starts)
        return
    with ThreadPoolExecutor(max_workers=threads) as pool:
        pending = []
        for start in starts:
            pending.append(pool.submit(work, start))
            if len(pending) >= 2 * threads:
                yield pending.pop(0).result()
        for future in pending:
            yield future.result()


def rank_replicates(
    combined: np.ndarray,
    judge: np.ndarray,
    p: np.ndarray,
    count: np.ndarray,
    hash_rank: np.ndarray,
) -> np.ndarray:
    """Rank (1 = best) of every department in every replicate by the SPEC 6.6 key.

    Parameters
    ----------
    combined, p, count : ndarray, shape (B, D)
    judge, hash_rank : ndarray, shape (D,)
        ``J`` and the position of each department in ascending tie-break hash order.

    Returns
    -------
    ndarray of int, shape (B, D)
    """
    shape = combined.shape
    keys = (
        np.broadcast_to(hash_rank, shape), -count, -round9(p),
        np.broadcast_to(-round9(judge), shape), -round9(combined),
    )
    order = np.lexsort(keys, axis=-1)
    ranks = np.empty(shape, dtype=np.int64)
    positions = np.broadcast_to(np.arange(1, shape[1] + 1), shape)
    np.put_along_axis(ranks, order, positions, axis=-1)
    return ranks


def best_in_replicates(p: np.ndarray, count: np.ndarray, hash_rank: np.ndarray) -> np.ndarray:
    """Best Public Image of each replicate by the SPEC 6.8 key; shape (B,) of indices."""
    keys = (np.broadcast_to(hash_rank, p.shape), -count, -round9(p))
    return np.lexsort(keys, axis=-1)[:, 0]


def bootstrap_diagnostics(
    tally: PublicTally,
    judge: np.ndarray,
    hashes: Sequence[str],
    *,
    seed: str,
    public_weight: float,
    finalists: int,
    replicates: int,
    threads: int | None = None,
) -> BootstrapSummary:
    """``p_finalist``, ``p_best_public_image`` and 95% rank intervals (SPEC 6.9).

    Parameters
    ----------
    tally : PublicTally
    judge : ndarray, shape (D,)
        Preliminary ``J_d`` (held fixed).
    hashes : sequence of str
        Tie-break hashes in department order.
    seed : str
    public_weight : float
        ``w_P``.
    finalists : int
        ``N``.
    replicates : int
        ``B`` ≥ 1.
    threads : int, optional
        Chunks of replicates processed at the same time (default
        :func:`default_threads`); the figures do not depend on it.

    Returns
    -------
    BootstrapSummary

    Raises
    ------
    ScoringError
        If ``replicates`` is below 1.
    """
    if replicates < 1:
        raise ScoringError(f"bootstrap needs at least 1 replicate, not {replicates}")
    weights = stratum_weights(tally.households, tally.valid)
    hash_rank = np.argsort(np.argsort(np.array(hashes)))
    judge = np.asarray(judge, dtype=np.float64)
    plan = draw_plan(tally)
    step = chunk_replicates(plan.width)
    counts_of = _chunk_drawer(tally, plan, replicates, seed, step)

    def ranked(start: int) -> tuple[np.ndarray, np.ndarray]:
        counts = counts_of(start)
        p = weighted_shares(counts, tally.valid, weights)
        count = counts.sum(axis=1)
        combined = combined_scores(p, judge, public_weight)
        return (rank_replicates(combined, judge, p, count, hash_rank),
                best_in_replicates(p, count, hash_rank))

    chunks = list(_in_order(ranked, range(0, replicates, step), threads or default_threads()))
    all_ranks = [ranks for ranks, _best in chunks]
    all_best = [best for _ranks, best in chunks]
    ranks = np.concatenate(all_ranks)
    best = np.concatenate(all_best)
    departments = len(hashes)
    return BootstrapSummary(
        replicates=replicates,
        p_finalist=(ranks <= finalists).mean(axis=0),
        p_best_public_image=np.bincount(best, minlength=departments) / replicates,
        rank_low=np.percentile(ranks, RANK_LOW_PERCENT, axis=0, method="lower").astype(int),
        rank_high=np.percentile(ranks, RANK_HIGH_PERCENT, axis=0, method="higher").astype(int),
    )
