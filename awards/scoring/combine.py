"""Combined scores, finalists, final order, awards and Best Public Image (SPEC 6.5-6.8).

Rankings state their full sort key and end in the seeded hash
``H(S + "|tiebreak|" + code)``, so they are strict total orders. ``round(·, 9)`` is Python's
correctly rounded :func:`round`, applied value by value.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from awards.scoring.inputs import Award

FINALIST_LABEL = "Finalist"
DECIMALS = 9


def sha256_hex(text: str) -> str:
    """``H(s)``: lowercase hex SHA-256 of the UTF-8 bytes of ``text`` (SPEC 6, notation)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def tiebreak_hashes(seed: str, departments: Sequence[str]) -> list[str]:
    """``H(S + "|tiebreak|" + code)`` for each department, in the given order (SPEC 6.6)."""
    return [sha256_hex(f"{seed}|tiebreak|{code}") for code in departments]


def round9(values: np.ndarray) -> np.ndarray:
    """``round(v, 9)`` of every element with Python's exact rounding (SPEC 6.6-6.8).

    Vectorised: ``rint(v·1e9)/1e9`` is Python's result whenever ``rint`` lands on the
    integer nearest to the exact ``v·10^9`` (the division by the exact ``1e9`` is correctly
    rounded, like Python's parse of the rounded decimal). That can only fail when ``v·1e9``
    lies within a rounding error of a half-integer, or is huge or not finite; those few
    elements are rounded by Python itself.
    """
    array = np.asarray(values, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        scaled = array * 1e9
        result = np.rint(scaled) / 1e9
        near_half = np.abs(scaled - np.floor(scaled) - 0.5) <= 2 * np.spacing(np.abs(scaled))
        doubtful = near_half | ~(np.abs(scaled) < 2.0**52)
    if doubtful.any():
        result[doubtful] = [round(v, DECIMALS) for v in array[doubtful].tolist()]
    return result


def standardise(values: np.ndarray) -> np.ndarray:
    """``Z(v) = (v − mean v)/sd v`` along the last axis (SPEC 6.5).

    Population sd. When all values of a row are equal the sd is 0 and ``Z`` is 0; equality
    is tested directly so that rounding noise in the mean cannot fake a spread.
    """
    v = np.asarray(values, dtype=np.float64)
    centred = v - v.mean(axis=-1, keepdims=True)
    sd = v.std(axis=-1, keepdims=True)
    flat = np.ptp(v, axis=-1, keepdims=True) == 0
    return np.where(flat, 0.0, centred / np.where(flat, 1.0, sd))


def combined_scores(p: np.ndarray, judge: np.ndarray, public_weight: float) -> np.ndarray:
    """``C_d = w_P·Z(p)_d + w_J·Z(J)_d`` with ``w_J = 1 − w_P`` (SPEC 6.5).

    ``p`` may carry leading (replicate) axes; ``judge`` has shape (D,).
    """
    return public_weight * standardise(p) + (1.0 - public_weight) * standardise(judge)


def display_scores(combined: np.ndarray) -> np.ndarray:
    """Display score ``T_d = 50 + 10·C_d`` (SPEC 6.5)."""
    return 50.0 + 10.0 * np.asarray(combined)


def preliminary_order(
    combined: np.ndarray,
    judge: np.ndarray,
    p: np.ndarray,
    count: np.ndarray,
    hashes: Sequence[str],
) -> list[int]:
    """Department indices, best first, by SPEC 6.6.

    Key ``(−round(C,9), −round(J,9), −round(p,9), −X, H(S+"|tiebreak|"+code))``.
    """
    c, j, q = round9(combined), round9(judge), round9(p)
    return sorted(
        range(len(hashes)),
        key=lambda i: (-c[i], -j[i], -q[i], -int(count[i]), hashes[i]),
    )


def cut_gap(combined: np.ndarray, order: Sequence[int], finalists: int) -> float | None:
    """``C_(N) − C_(N+1)`` (SPEC 6.6); ``None`` when there are at most N departments."""
    if len(order) <= finalists:
        return None
    return float(combined[order[finalists - 1]] - combined[order[finalists]])


def final_public_mix(final_judge: np.ndarray, p: np.ndarray, weight: float) -> np.ndarray:
    """Final score ``F`` of the finalists (SPEC 6.7, ``final_public_weight``).

    With ``weight = 0`` (the default) ``F`` is the judge method's score on the final round.
    With ``weight = w > 0``, ``F_d = (1 − w)·Z(F_judge)_d + w·Z(p)_d``, both standardised
    over the finalists only (so ``F`` is then on the Z scale, like ``C``).
    """
    if weight == 0:
        return np.asarray(final_judge, dtype=np.float64)
    return (1.0 - weight) * standardise(final_judge) + weight * standardise(p)


def final_order(
    final: np.ndarray,
    median: np.ndarray,
    combined: np.ndarray,
    p: np.ndarray,
    hashes: Sequence[str],
) -> list[int]:
    """Finalist indices, best first, by SPEC 6.7.

    Key ``(−round(F,9), −round(median of final y,9), −round(C,9), −round(p,9), H(...))``.
    """
    f, m, c, q = round9(final), round9(median), round9(combined), round9(p)
    return sorted(
        range(len(hashes)), key=lambda i: (-f[i], -m[i], -c[i], -q[i], hashes[i])
    )


def award_labels(places: int, awards: Sequence[tuple[str, str, int]]) -> list[str]:
    """Award of each final place, best first: tiers down the order, then "Finalist" (SPEC 6.7).

    ``awards`` holds :class:`Award` tiers or ``(name_en, name_zh, places)`` tuples. Returns
    English tier names; the Chinese names are in the campaign config.
    """
    tiers = [Award(*tier) for tier in awards]
    labels = [tier.name_en for tier in tiers for _ in range(tier.places)]
    labels += [FINALIST_LABEL] * max(0, places - len(labels))
    return labels[:places]


def best_public_image(p: np.ndarray, count: np.ndarray, hashes: Sequence[str]) -> int:
    """Index of the Best Public Image department (SPEC 6.8).

    First by ``(−round(p,9), −X, H(S+"|tiebreak|"+code))`` over all eligible departments.
    """
    q = round9(p)
    return min(range(len(hashes)), key=lambda i: (-q[i], -int(count[i]), hashes[i]))
