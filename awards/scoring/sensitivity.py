"""Sensitivity of the finalist list (SPEC 6.9, diagnostics only).

Finalists are recomputed with every judge method (at the campaign's public weight) and with
public weights 0.2 / 0.3 / 0.4 / 0.5 (with the campaign's method). A row is flagged when its
finalist list differs from the actual one in order (``differs``) and says separately whether
the set itself differs (``set_differs``). A method that cannot be applied records its error
message instead of finalists.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from awards.scoring.combine import combined_scores, preliminary_order
from awards.scoring.errors import ScoringError
from awards.scoring.inputs import PRELIMINARY, JudgeScore
from awards.scoring.judges import JUDGE_METHODS, judge_scores

PUBLIC_WEIGHTS = (0.2, 0.3, 0.4, 0.5)


def finalists_for(
    departments: Sequence[str],
    p: np.ndarray,
    count: np.ndarray,
    judge: np.ndarray,
    hashes: Sequence[str],
    public_weight: float,
    finalists: int,
) -> list[str]:
    """Finalist codes in order for given ``J`` and ``w_P`` (SPEC 6.5-6.6)."""
    combined = combined_scores(p, judge, public_weight)
    order = preliminary_order(combined, judge, p, count, hashes)
    return [departments[i] for i in order[:finalists]]


def sensitivity_table(
    departments: Sequence[str],
    p: np.ndarray,
    count: np.ndarray,
    hashes: Sequence[str],
    scores: Sequence[JudgeScore],
    *,
    method: str,
    public_weight: float,
    finalists: int,
    actual: Sequence[str],
) -> dict[str, list[dict[str, Any]]]:
    """The SPEC 6.9 sensitivity table.

    Parameters
    ----------
    departments : sequence of str
        Eligible codes, ascending.
    p, count : ndarray, shape (D,)
        ``p_d`` and ``X_d``.
    hashes : sequence of str
        Tie-break hashes in department order.
    scores : sequence of JudgeScore
        Preliminary scores of eligible departments.
    method, public_weight, finalists :
        The campaign's settings.
    actual : sequence of str
        The actual finalists in order.

    Returns
    -------
    dict
        ``{"methods": [row, …], "public_weights": [row, …]}``; each row is
        ``{"method", "public_weight", "finalists", "differs", "set_differs", "error"}``
        (``finalists``, ``differs`` and ``set_differs`` are ``None`` when ``error`` is set).
    """
    judged: dict[str, np.ndarray | str] = {}
    for name in dict.fromkeys([*JUDGE_METHODS, method]):
        try:
            judged[name] = judge_scores(scores, departments, name, PRELIMINARY).scores
        except ScoringError as exc:
            judged[name] = str(exc)

    def row(name: str, weight: float) -> dict[str, Any]:
        values = judged[name]
        if isinstance(values, str):
            return {"method": name, "public_weight": weight, "finalists": None,
                    "differs": None, "set_differs": None, "error": values}
        chosen = finalists_for(departments, p, count, values, hashes, weight, finalists)
        return {"method": name, "public_weight": weight, "finalists": chosen,
                "differs": chosen != list(actual),
                "set_differs": set(chosen) != set(actual), "error": None}

    return {
        "methods": [row(name, public_weight) for name in JUDGE_METHODS],
        "public_weights": [row(method, weight) for weight in PUBLIC_WEIGHTS],
    }
