"""Stratified bootstrap of the public vote (SPEC 6.9, diagnostics only).

The draw order is part of the contract, so that an independent verifier can reproduce every
replicate bit for bit:

1. ``rng = numpy.random.Generator(numpy.random.PCG64(int(H(S + "|bootstrap")[:16], 16)))``;
2. for replicate ``b = 1..B`` (outer loop), for each district with ``r_h > 0`` in ascending
   code order (inner loop): ``rng.multinomial(r_h, freqs_h)``, where ``freqs_h`` is
   ``count / r_h`` (float64) over the district's distinct observed ballot patterns in sorted
   order (a pattern is the sorted tuple of department codes). Districts with ``r_h = 0`` are
   left out (SPEC 6.1) and draw nothing.

The draws for a chunk of replicates come from one broadcast ``multinomial`` call (the same
stream, see :func:`replicate_counts`) and are turned into ``x_hd`` with one matrix product
per district; shares, combined scores (judge scores fixed) and ranks are then
computed for the whole chunk at once, with the same formulas and full sort keys as the point
results.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from .combine import combined_scores, round9, sha256_hex
from .errors import ScoringError
from .public import PublicTally, stratum_weights, weighted_shares

CHUNK_CELLS = 2_000_000
RANK_LOW_PERCENT = 2.5
RANK_HIGH_PERCENT = 97.5


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


def bootstrap_generator(seed: str) -> np.random.Generator:
    """``Generator(PCG64(int(H(S + "|bootstrap")[:16], 16)))`` (SPEC 6.9)."""
    return np.random.Generator(np.random.PCG64(int(sha256_hex(f"{seed}|bootstrap")[:16], 16)))


def replicate_counts(
    tally: PublicTally, replicates: int, seed: str, chunk: int | None = None
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
        Replicates per chunk (default: sized to keep the draw buffers near 16 MB).

    Yields
    ------
    ndarray of float, shape (chunk, H, D)
        Whole-number ``x_hd`` of each replicate of the chunk.
    """
    rng = bootstrap_generator(seed)
    drawn = [h for h in range(len(tally.districts)) if tally.valid[h] > 0]
    sizes = np.array([int(tally.valid[h]) for h in drawn], dtype=np.int64)
    widths = [len(tally.pattern_counts[h]) for h in drawn]
    width = max(widths, default=1)
    # One multinomial call per chunk instead of one per replicate and district: numpy
    # walks the broadcast (replicate, district) pairs in that C order, and draws nothing
    # for a zero-probability category, so padding each district's frequencies with
    # *leading* zeros to a common width leaves the stream, and every draw, unchanged
    # (tested against the literal loop).
    pvals = np.zeros((len(drawn), width))
    for row, h in enumerate(drawn):
        pvals[row, width - widths[row]:] = tally.pattern_counts[h] / tally.valid[h]
    incidence = [tally.incidence[h].astype(np.float64) for h in drawn]
    step = chunk or max(1, min(replicates, CHUNK_CELLS // max(1, len(drawn) * width)))
    shape = (len(tally.districts), len(tally.departments))
    for start in range(0, replicates, step):
        size = min(step, replicates - start)
        counts = np.zeros((size, *shape))
        if drawn:
            draws = rng.multinomial(np.broadcast_to(sizes, (size, len(drawn))), pvals)
            for row, (h, matrix) in enumerate(zip(drawn, incidence)):
                counts[:, h, :] = draws[:, row, width - widths[row]:] @ matrix
        yield counts


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
    all_ranks, all_best = [], []
    for counts in replicate_counts(tally, replicates, seed):
        p = weighted_shares(counts, tally.valid, weights)
        count = counts.sum(axis=1)
        combined = combined_scores(p, judge, public_weight)
        all_ranks.append(rank_replicates(combined, judge, p, count, hash_rank))
        all_best.append(best_in_replicates(p, count, hash_rank))
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
