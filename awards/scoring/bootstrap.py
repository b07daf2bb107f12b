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

The stream is consumed in chunks of whole replicates: one ``random_raw`` call gives a
``(replicates, R)`` block whose columns are the districts' positions side by side, the
index formula runs on it with in-place ``uint64`` operations, the picked positions are
mapped to patterns and counted with one ``bincount`` per chunk, and ``x_hd`` follows with a
small matrix product per district. Memory stays bounded by :data:`CHUNK_VALUES` whatever
``B`` and the number of ballots are. Shares, combined scores (judge scores fixed) and ranks
are then computed for the whole chunk at once, with the same formulas and full sort keys as
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
# Largest m·n·k of one matrix product: OpenBLAS runs smaller products on one thread, and a
# threaded product of this size spins on busy cores for far longer than it computes.
PRODUCT_LIMIT = 1 << 18
SEGMENT_VALUES = 1 << 16        # a wide replicate is drawn in segments of this many values
EXACT_FLOAT32 = 1 << 24         # whole numbers below this are exact in float32
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

    Attributes
    ----------
    drawn : tuple of int
        Indices of the districts with ``r_h > 0``, ascending (the draw order).
    width : int
        ``R``: stream values per replicate.
    column_size : ndarray of uint64, shape (R,)
        ``r_h`` of the district each value of a replicate draws for.
    column_start : ndarray of uint64, shape (R,)
        First position of that district among the ``R`` ballot positions.
    pattern_of : ndarray of intp, shape (R,)
        Pattern (numbered across districts) of the ballot at each position; a district's
        positions follow its ``(choices, ballot_id)`` order.
    blocks : tuple of slice
        Per drawn district, its range in the pattern numbering.
    incidence : tuple of ndarray of float, shape (K_h, D)
        Per drawn district, 1 where its patterns (in that numbering) name a department;
        float32 (exact sums, faster products) unless ``r_h ≥ 2^24``.
    """

    drawn: tuple[int, ...]
    width: int
    column_size: np.ndarray
    column_start: np.ndarray
    pattern_of: np.ndarray
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
    return sorted(range(len(patterns)), key=lambda k: ";".join(sorted(patterns[k])))


def draw_plan(tally: PublicTally) -> DrawPlan:
    """The :class:`DrawPlan` of ``tally`` (districts with ballots, patterns in choices order)."""
    drawn = tuple(h for h in range(len(tally.districts)) if tally.valid[h] > 0)
    sizes, starts, pattern_of, blocks, incidence = [], [], [], [], []
    position = numbered = 0
    for h in drawn:
        order = choices_order(tally.patterns[h])
        counts = tally.pattern_counts[h][order]
        size = int(counts.sum())
        sizes.append(np.full(size, size, dtype=np.uint64))
        starts.append(np.full(size, position, dtype=np.uint64))
        pattern_of.append(np.repeat(np.arange(numbered, numbered + len(order)), counts))
        blocks.append(slice(numbered, numbered + len(order)))
        exact = np.float32 if size < EXACT_FLOAT32 else np.float64
        incidence.append(tally.incidence[h][order].astype(exact))
        position += size
        numbered += len(order)
    empty_u = np.zeros(0, dtype=np.uint64)
    return DrawPlan(
        drawn=drawn,
        width=position,
        column_size=np.concatenate(sizes) if sizes else empty_u,
        column_start=np.concatenate(starts) if starts else empty_u,
        pattern_of=(np.concatenate(pattern_of) if pattern_of
                    else np.zeros(0, dtype=np.intp)).astype(np.intp),
        blocks=tuple(blocks),
        incidence=tuple(incidence),
    )


class ChunkCounter:
    """Turns the stream into ``x_hd``, for up to ``rows`` replicates at a time.

    Holds the buffer of the picked patterns, so that a run allocates it once. A chunk of
    several replicates is drawn as one ``(rows, R)`` block; a single replicate wider than
    :data:`SEGMENT_VALUES` (large ``R``) is drawn and counted in consecutive segments of
    its columns, so that every pass over the values stays in the processor's cache (the
    stream is consumed in the same order either way).
    """

    def __init__(self, plan: DrawPlan, rows: int) -> None:
        self.plan = plan
        self.segmented = rows == 1 and plan.width > SEGMENT_VALUES
        size = SEGMENT_VALUES if self.segmented else rows * plan.width
        self.keys = np.empty(size, dtype=np.intp)

    def positions(self, values: np.ndarray, columns: slice = slice(None)) -> np.ndarray:
        """Picked ballot positions (SPEC 6.9), numbered across the districts.

        ``i = ((x >> 32) · r_h) >> 32`` within the district, plus the district's first
        position; computed in place on ``values`` (a writable ``uint64`` array whose last
        axis holds the replicate's ``columns``) with exact integer operations:
        ``(x >> 32) · r_h < 2^64`` for any ``r_h < 2^32``.

        Returns
        -------
        ndarray of intp, same shape as ``values``
            A view of ``values``.
        """
        np.right_shift(values, _HIGH, out=values)
        np.multiply(values, self.plan.column_size[columns], out=values)
        np.right_shift(values, _HIGH, out=values)
        np.add(values, self.plan.column_start[columns], out=values)
        return values.view(np.intp)

    def pattern_counts(self, values: np.ndarray) -> np.ndarray:
        """Times each pattern was picked in each replicate; shape (replicates, P)."""
        patterns = self.plan.patterns
        keys = self.keys[:values.size].reshape(values.shape)
        # mode="clip" lets take write straight into the buffer (positions are in range).
        np.take(self.plan.pattern_of, self.positions(values), out=keys, mode="clip")
        counts = np.empty((len(values), patterns), dtype=np.intp)
        for row, picked in zip(counts, keys):
            row[:] = np.bincount(picked, minlength=patterns)
        return counts

    def segmented_counts(self, stream: np.random.PCG64) -> np.ndarray:
        """Pattern counts of one replicate, drawn segment by segment; shape (1, P)."""
        plan = self.plan
        counts = np.zeros(plan.patterns, dtype=np.intp)
        for first in range(0, plan.width, SEGMENT_VALUES):
            columns = slice(first, min(plan.width, first + SEGMENT_VALUES))
            values = stream.random_raw(columns.stop - first)
            keys = self.keys[:len(values)]
            np.take(plan.pattern_of, self.positions(values, columns), out=keys, mode="clip")
            # The segment's values pick among all ballots of the districts it touches.
            last = columns.stop - 1
            low = plan.pattern_of[plan.column_start[first]]
            high = plan.pattern_of[plan.column_start[last] + plan.column_size[last] - 1] + 1
            keys -= low
            counts[low:high] += np.bincount(keys, minlength=high - low)
        return counts[None, :]

    def fill(self, stream: np.random.PCG64, replicates: int, out: np.ndarray) -> None:
        """Draw the next ``replicates`` replicates and write their ``x_hd`` into
        ``out[:, h, :]``.

        One small matrix product per district and band of replicates (see
        :data:`PRODUCT_LIMIT`); the sums are of whole numbers below ``2^24`` in float32,
        or made in float64, so they are exact.
        """
        if self.segmented:
            picked = self.segmented_counts(stream)
        else:
            width = self.plan.width
            picked = self.pattern_counts(
                stream.random_raw(replicates * width).reshape(replicates, width))
        for h, block, matrix in zip(self.plan.drawn, self.plan.blocks, self.plan.incidence):
            part = picked[:, block].astype(matrix.dtype)
            rows = max(1, PRODUCT_LIMIT // matrix.size)
            for start in range(0, len(part), rows):
                out[start:start + rows, h, :] = part[start:start + rows] @ matrix


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
    step = chunk or max(1, CHUNK_VALUES // max(1, plan.width))
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
    step = max(1, CHUNK_VALUES // max(1, plan.width))
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
