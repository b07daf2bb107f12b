"""Public vote: tally, post-stratification weights, shares and their uncertainty (SPEC 6.1-6.3).

Array conventions: ``H`` districts in ascending code order (all of the campaign's districts,
including those without valid ballots), ``D`` eligible departments in ascending code order.
A district with ``r_h = 0`` gets weight 0, which is how it is "left out" (SPEC 6.1).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import chain
from dataclasses import dataclass
from typing import Any

import numpy as np

from awards.scoring.errors import ScoringError
from awards.scoring.inputs import Pattern, PublicInputs

Z95 = 1.959964
FEW_BALLOTS = 30


@dataclass(frozen=True)
class PublicTally:
    """Validated, canonically ordered public vote (SPEC 6, notation).

    Attributes
    ----------
    departments : tuple of str
        Eligible department codes, ascending.
    districts : tuple of str
        All district codes, ascending.
    households : ndarray of int, shape (H,)
        ``N_h``.
    valid : ndarray of int, shape (H,)
        ``r_h``, valid ballots per district.
    spoilt : ndarray of int, shape (H,)
        Spoilt returns per district.
    counts : ndarray of int, shape (H, D)
        ``x_hd``, valid ballots in ``h`` naming ``d``.
    patterns : tuple of tuple of Pattern
        Per district, its distinct observed ballot patterns in sorted order.
    pattern_counts : tuple of ndarray of int
        Per district, the ballots of each pattern (all positive).
    incidence : tuple of ndarray of int, shape (K_h, D)
        Per district, 1 where a pattern names a department.
    """

    departments: tuple[str, ...]
    districts: tuple[str, ...]
    households: np.ndarray
    valid: np.ndarray
    spoilt: np.ndarray
    counts: np.ndarray
    patterns: tuple[tuple[Pattern, ...], ...]
    pattern_counts: tuple[np.ndarray, ...]
    incidence: tuple[np.ndarray, ...]


@dataclass(frozen=True)
class PublicEstimates:
    """Point estimates of the public vote (SPEC 6.1-6.3), arrays in department order.

    Attributes
    ----------
    count, share, weighted_share, se, n_star, ci_low, ci_high : ndarray, shape (D,)
        ``X_d``, raw ``share_d``, ``p_d``, ``se_d``, ``n*_d`` and the Wilson interval.
    weights : ndarray, shape (H,)
        ``W_h`` (0 for districts left out).
    deff, n_eff : float
        Kish design effect and effective sample size (``nan`` and 0 without ballots).
    warnings : list of dict
        ``{"code", "district", "valid", "message"}`` for districts left out or with fewer
        than 30 valid ballots.
    """

    count: np.ndarray
    share: np.ndarray
    weighted_share: np.ndarray
    se: np.ndarray
    n_star: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    weights: np.ndarray
    deff: float
    n_eff: float
    warnings: list[dict[str, Any]]


def tally_public(public: PublicInputs) -> PublicTally:
    """Validate the public vote and put it in canonical order (SPEC 4, 6).

    Patterns are sorted within (choices) and across (sorted tuples); equal patterns are
    merged and patterns with count 0 dropped, so the result does not depend on input order.

    Parameters
    ----------
    public : PublicInputs

    Returns
    -------
    PublicTally

    Raises
    ------
    ScoringError
        On a repeated district or department, no departments, a pattern or spoilt count for
        an unknown district, an empty pattern, a pattern repeating or naming an ineligible
        department, or a negative or fractional count.
    """
    departments = _unique_sorted(public.departments, "department")
    if not departments:
        raise ScoringError("no eligible departments; mark at least one entry eligible")
    by_code = {d.code: d for d in public.districts}
    districts = _unique_sorted([d.code for d in public.districts], "district")
    _check_known(public.patterns, by_code, "ballot patterns")
    _check_known(public.spoilt, by_code, "spoilt returns")
    column = {code: i for i, code in enumerate(departments)}
    patterns, pattern_counts, incidence = [], [], []
    for code in districts:
        merged = _merge_patterns(code, public.patterns.get(code, {}), column)
        keys = tuple(sorted(merged))
        patterns.append(keys)
        pattern_counts.append(np.array(list(map(merged.__getitem__, keys)), dtype=np.int64))
        incidence.append(_incidence(keys, column, len(departments)))
    counts = np.array([c @ m for c, m in zip(pattern_counts, incidence)], dtype=np.int64)
    spoilt = [_count(public.spoilt.get(code, 0), f"spoilt returns in {code}") for code in districts]
    return PublicTally(
        departments=departments,
        districts=districts,
        households=np.array([by_code[c].households for c in districts], dtype=np.int64),
        valid=np.array([int(c.sum()) for c in pattern_counts], dtype=np.int64),
        spoilt=np.array(spoilt, dtype=np.int64),
        counts=counts.reshape(len(districts), len(departments)),
        patterns=tuple(patterns),
        pattern_counts=tuple(pattern_counts),
        incidence=tuple(incidence),
    )


def stratum_weights(households: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Post-stratification weights ``W_h = N_h / Σ N_h`` (SPEC 6.1).

    Parameters
    ----------
    households, valid : ndarray, shape (H,)
        ``N_h`` and ``r_h``.

    Returns
    -------
    ndarray of float, shape (H,)
        ``W_h``, summing over districts with ``r_h > 0``; 0 for districts left out (and
        all 0 when no district has a valid ballot).
    """
    kept = np.where(valid > 0, households, 0).astype(np.float64)
    total = kept.sum()
    return kept / total if total > 0 else kept


def district_shares(counts: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Within-district shares ``p_hd = x_hd / r_h`` (0 where ``r_h = 0``) (SPEC 6.2-6.3).

    ``counts`` has shape (..., H, D); the result has the same shape.
    """
    divisor = np.where(valid > 0, valid, 1).astype(np.float64)[:, None]
    return counts / divisor


def weighted_shares(counts: np.ndarray, valid: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted public shares ``p_d = Σ_h W_h · x_hd / r_h`` (SPEC 6.2).

    Parameters
    ----------
    counts : ndarray, shape (..., H, D)
        ``x_hd``; leading axes (bootstrap replicates) are kept.
    valid : ndarray, shape (H,)
        ``r_h``.
    weights : ndarray, shape (H,)
        ``W_h`` from :func:`stratum_weights`.

    Returns
    -------
    ndarray, shape (..., D)
    """
    return np.asarray(np.sum(weights[:, None] * district_shares(counts, valid), axis=-2))


def share_variance(counts: np.ndarray, valid: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``V_d = Σ_h W_h² · p_hd(1 − p_hd)/(r_h − 1)``; terms with ``r_h ≤ 1`` are 0 (SPEC 6.3).

    Shapes as in :func:`weighted_shares`.
    """
    p_hd = district_shares(counts, valid)
    factor = np.where(valid > 1, weights**2 / np.maximum(valid - 1, 1), 0.0)
    return np.asarray(np.sum(factor[:, None] * p_hd * (1.0 - p_hd), axis=-2))


def wilson_interval(
    p: np.ndarray, n_star: np.ndarray, z: float = Z95
) -> tuple[np.ndarray, np.ndarray]:
    """95% Wilson interval with effective size ``n*`` (SPEC 6.3).

    centre ``(p + z²/2n*)/(1 + z²/n*)``, half-width
    ``z·√(p(1−p)/n* + z²/4n*²)/(1 + z²/n*)``. ``n* = ∞`` gives ``[p, p]``; ``n* = 0``
    gives ``[0, 1]`` (the limits of the formula).

    Parameters
    ----------
    p, n_star : ndarray, same shape
    z : float
        Normal quantile, 1.959964 by default.

    Returns
    -------
    (lo, hi) : tuple of ndarray
    """
    p = np.asarray(p, dtype=np.float64)
    n = np.asarray(n_star, dtype=np.float64)
    empty = n <= 0
    n = np.where(empty, 1.0, n)
    z2 = z * z
    denominator = 1.0 + z2 / n
    centre = (p + z2 / (2.0 * n)) / denominator
    half = z * np.sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n)) / denominator
    lo = np.where(empty, 0.0, np.clip(centre - half, 0.0, 1.0))
    hi = np.where(empty, 1.0, np.clip(centre + half, 0.0, 1.0))
    return lo, hi


def kish_design_effect(households: np.ndarray, valid: np.ndarray) -> tuple[float, float]:
    """Kish ``deff = R·Σw²/(Σw)²`` over valid ballots, ``w_h = N_h/r_h`` (SPEC 6.1, 6.3).

    Returns
    -------
    (deff, n_eff) : tuple of float
        ``n_eff = R / deff``; ``(nan, 0.0)`` when there are no valid ballots.
    """
    kept = valid > 0
    total_ballots = int(valid.sum())
    if total_ballots == 0:
        return float("nan"), 0.0
    n_h = households[kept].astype(np.float64)
    sum_w = float(n_h.sum())
    sum_w2 = float(np.sum(n_h * n_h / valid[kept]))
    deff = total_ballots * sum_w2 / (sum_w * sum_w)
    return deff, total_ballots / deff


def estimate_public(tally: PublicTally) -> PublicEstimates:
    """All public-vote point estimates of SPEC 6.1-6.3.

    ``n*_d = p_d(1−p_d)/V_d``; where ``V_d = 0`` (e.g. no votes for ``d``, or every
    district with a single ballot) ``n*_d`` falls back to the Kish ``n_eff`` so that the
    Wilson interval stays informative (``[0, z²/(n_eff+z²)]`` for ``p = 0``).

    Parameters
    ----------
    tally : PublicTally

    Returns
    -------
    PublicEstimates
    """
    weights = stratum_weights(tally.households, tally.valid)
    count = tally.counts.sum(axis=0)
    total = int(tally.valid.sum())
    share = count / total if total else np.zeros(len(tally.departments))
    p = weighted_shares(tally.counts, tally.valid, weights)
    variance = share_variance(tally.counts, tally.valid, weights)
    deff, n_eff = kish_design_effect(tally.households, tally.valid)
    positive = variance > 0
    n_star = np.where(
        positive, p * (1.0 - p) / np.where(positive, variance, 1.0), n_eff
    )
    lo, hi = wilson_interval(p, n_star)
    return PublicEstimates(
        count=count, share=share, weighted_share=p, se=np.sqrt(variance), n_star=n_star,
        ci_low=lo, ci_high=hi, weights=weights, deff=deff, n_eff=n_eff,
        warnings=district_warnings(tally),
    )


def district_warnings(tally: PublicTally) -> list[dict[str, Any]]:
    """Warnings for districts left out (``r_h = 0``) or with ``r_h < 30`` (SPEC 6.1)."""
    warnings = []
    for code, r in zip(tally.districts, tally.valid.tolist()):
        if r == 0:
            warnings.append({
                "code": "district_left_out", "district": code, "valid": 0,
                "message": f"District {code} has no valid ballots and is left out of "
                           "the weighting.",
            })
        elif r < FEW_BALLOTS:
            warnings.append({
                "code": "few_valid_ballots", "district": code, "valid": r,
                "message": f"District {code} has only {r} valid ballots (fewer than "
                           f"{FEW_BALLOTS}); its weighted share rests on few ballots.",
            })
    return warnings


def _unique_sorted(codes: Any, what: str) -> tuple[str, ...]:
    seen: set[str] = set()
    for code in codes:
        if code in seen:
            raise ScoringError(f"{what} {code} is listed twice; list each {what} once")
        seen.add(code)
    return tuple(sorted(seen))


def _check_known(by_district: Mapping[str, Any], known: Mapping[str, Any], what: str) -> None:
    unknown = sorted(set(by_district) - set(known))
    if unknown:
        raise ScoringError(
            f"{what} given for unknown district(s) {', '.join(unknown)}; add them to the "
            "campaign or correct the codes"
        )


def _count(value: Any, what: str) -> int:
    if isinstance(value, bool) or int(value) != value or value < 0:
        raise ScoringError(f"{what}: {value!r} is not a whole number ≥ 0")
    return int(value)


def _incidence(keys: Sequence[Pattern], column: Mapping[str, int], width: int) -> np.ndarray:
    """``(len(keys), width)`` matrix with 1 where a pattern names a department."""
    matrix = np.zeros((len(keys), width), dtype=np.int64)
    rows = np.repeat(np.arange(len(keys)), list(map(len, keys)))
    matrix[rows, list(map(column.__getitem__, chain.from_iterable(keys)))] = 1
    return matrix


def _merge_patterns(
    district: str, raw: Mapping[Pattern, int], column: Mapping[str, int]
) -> dict[Pattern, int]:
    """The district's valid patterns, each as its sorted tuple, with their summed counts
    (patterns counted 0 dropped).

    Checks the whole district at once with C-level passes (every pattern non-empty, no
    code twice, every code eligible, every count a plain ``int`` ≥ 0); when one of them
    fails, the pattern-by-pattern reading below finds the first culprit and its message.
    """
    keys = list(map(tuple, map(sorted, raw)))
    values = list(raw.values())
    if not (all(keys)
            and list(map(len, map(set, keys))) == list(map(len, keys))
            and set(chain.from_iterable(keys)) <= column.keys()
            and set(map(type, values)) <= {int}
            and min(values, default=0) >= 0):
        return _merge_patterns_checked(district, raw, column)
    merged = dict(zip(keys, values))
    if len(merged) < len(keys):  # patterns given in different orders: add them up
        merged = {}
        for key, value in zip(keys, values):
            merged[key] = merged.get(key, 0) + value
    if 0 in merged.values():
        merged = {key: value for key, value in merged.items() if value}
    return merged


def _merge_patterns_checked(
    district: str, raw: Mapping[Pattern, int], column: Mapping[str, int]
) -> dict[Pattern, int]:
    merged: dict[Pattern, int] = {}
    for pattern, value in raw.items():
        key = tuple(sorted(pattern))
        where = f"district {district}, pattern {'+'.join(key) or '(empty)'}"
        if not key:
            raise ScoringError(f"{where}: a ballot naming nobody is spoilt, not valid")
        if len(set(key)) != len(key):
            raise ScoringError(f"{where}: a ballot names a department more than once")
        ineligible = [c for c in key if c not in column]
        if ineligible:
            raise ScoringError(
                f"{where}: {', '.join(ineligible)} is not an eligible department"
            )
        number = _count(value, where)
        if number:
            merged[key] = merged.get(key, 0) + number
    return merged
