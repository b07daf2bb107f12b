"""Assemble ``results.json`` (SPEC 6 and 8) from the pure scoring steps."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from awards.scoring.bootstrap import BootstrapSummary, bootstrap_diagnostics
from awards.scoring.combine import (
    award_labels,
    best_public_image,
    combined_scores,
    cut_gap,
    display_scores,
    final_order,
    final_public_mix,
    preliminary_order,
    standardise,
    tiebreak_hashes,
)
from awards.scoring.inputs import FINAL, PRELIMINARY, JudgeScore, PublicInputs, ScoringConfig
from awards.scoring.judges import JudgeResult, judge_method, judge_scores
from awards.scoring.public import PublicEstimates, PublicTally, estimate_public, tally_public
from awards.scoring.sensitivity import sensitivity_table

SPEC_VERSION = "awards-scoring/2"
CONCLUSIVE = 0.95


def compute_results(
    public: PublicInputs, scores: Sequence[JudgeScore], config: ScoringConfig
) -> dict[str, Any]:
    """Compute every result of SPEC section 6 as the ``results.json`` structure of section 8.

    The caller adds ``"campaign"`` and ``"inputs_digest"``. Numbers are plain, unrounded
    Python floats and ints. Scores for departments that are not eligible are ignored (with a
    warning). Final-round scores are used only for finalists; when there are none yet, or a
    finalist has none yet, ``"final"`` is ``[]`` and ``judges.final`` is ``None`` (the
    second case with a warning). ``judges.final.scores`` are the judge method's scores of
    the final round; ``final[].score`` is ``F`` (equal to them unless
    ``final_public_weight > 0``, see :func:`awards.scoring.combine.final_public_mix`).
    ``judges.*.effects`` is ``{}`` for methods other than ``additive``. With
    ``config.bootstrap == 0`` the bootstrap fields are ``None``.

    Parameters
    ----------
    public : PublicInputs
    scores : sequence of JudgeScore
        Complete scorecards of both rounds.
    config : ScoringConfig

    Returns
    -------
    dict
        Keys ``spec, seed, public, judges, preliminary, finalists, cut_gap,
        best_public_image, best_public_image_conclusive, final, sensitivity, warnings``.

    Raises
    ------
    ScoringError
        Invalid inputs, an unknown judge method, an eligible department with fewer than 2
        preliminary scorecards, or a judge method that cannot be applied.
    DisconnectedJudgeGraph
        ``additive`` with a disconnected judge–department graph.
    """
    judge_method(config.method)
    tally = tally_public(public)
    estimates = estimate_public(tally)
    departments = tally.departments
    warnings: list[dict[str, Any]] = list(estimates.warnings)
    eligible = _eligible_scores(scores, departments, warnings)
    prelim = judge_scores(eligible, departments, config.method, PRELIMINARY)
    hashes = tiebreak_hashes(config.seed, departments)
    p, count = estimates.weighted_share, estimates.count
    combined = combined_scores(p, prelim.scores, config.public_weight)
    order = preliminary_order(combined, prelim.scores, p, count, hashes)
    n_finalists = min(config.finalists, len(departments))
    finalists = [departments[i] for i in order[:n_finalists]]
    best = departments[best_public_image(p, count, hashes)]
    boot = None
    if config.bootstrap:
        boot = bootstrap_diagnostics(
            tally, prelim.scores, hashes, seed=config.seed,
            public_weight=config.public_weight, finalists=n_finalists,
            replicates=config.bootstrap,
        )
    conclusive = _conclusive(boot, departments.index(best), best, warnings)
    final_judges, final_rows = _final_round(
        eligible, finalists, order, combined, p, hashes, config, warnings
    )
    return {
        "spec": SPEC_VERSION,
        "seed": config.seed,
        "public": _public_section(tally, estimates, boot),
        "judges": {
            "method": config.method,
            "preliminary": _judge_section(prelim),
            "final": final_judges,
        },
        "preliminary": _preliminary_rows(
            departments, order, p, prelim.scores, combined, n_finalists, config.public_weight
        ),
        "finalists": finalists,
        "cut_gap": cut_gap(combined, order, n_finalists),
        "best_public_image": best,
        "best_public_image_conclusive": conclusive,
        "final": final_rows,
        "sensitivity": sensitivity_table(
            departments, p, count, hashes, eligible, method=config.method,
            public_weight=config.public_weight, finalists=n_finalists, actual=finalists,
        ),
        "warnings": warnings,
    }


def _eligible_scores(
    scores: Sequence[JudgeScore], departments: Sequence[str], warnings: list[dict[str, Any]]
) -> list[JudgeScore]:
    eligible = set(departments)
    ignored = sorted({s.department for s in scores if s.department not in eligible})
    if ignored:
        warnings.append({
            "code": "ineligible_scores_ignored", "departments": ignored,
            "message": "Scores for departments that are not eligible were ignored: "
                       f"{', '.join(ignored)}.",
        })
    return [s for s in scores if s.department in eligible]


def _conclusive(
    boot: BootstrapSummary | None, index: int, best: str, warnings: list[dict[str, Any]]
) -> bool | None:
    if boot is None:
        return None
    share = float(boot.p_best_public_image[index])
    if share >= CONCLUSIVE:
        return True
    warnings.append({
        "code": "best_public_image_not_conclusive", "department": best,
        "p_best_public_image": share,
        "message": f"The Best Public Image lead of {best} is not statistically conclusive: "
                   f"it comes first in {share:.1%} of {boot.replicates} bootstrap "
                   f"replicates (below {CONCLUSIVE:.0%}).",
    })
    return False


def _final_round(
    scores: Sequence[JudgeScore],
    finalists: list[str],
    order: list[int],
    combined: np.ndarray,
    p: np.ndarray,
    hashes: list[str],
    config: ScoringConfig,
    warnings: list[dict[str, Any]],
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    final_scores = [s for s in scores if s.round == FINAL]
    if not final_scores:
        return None, []
    outsiders = sorted({s.department for s in final_scores} - set(finalists))
    if outsiders:
        warnings.append({
            "code": "final_scores_ignored", "departments": outsiders,
            "message": f"Final-round scores for non-finalists were ignored: "
                       f"{', '.join(outsiders)}.",
        })
    final_scores = [s for s in final_scores if s.department in finalists]
    missing = sorted(set(finalists) - {s.department for s in final_scores})
    if missing:
        warnings.append({
            "code": "final_round_incomplete", "departments": missing,
            "message": f"The final round is incomplete: no final-round scores yet for "
                       f"{', '.join(missing)}.",
        })
        return None, []
    result = judge_scores(final_scores, finalists, config.method, FINAL)
    # result.departments is ascending; map the finalists' preliminary figures onto it.
    index = [order[finalists.index(code)] for code in result.departments]
    medians = np.array([
        np.median([s.y for s in final_scores if s.department == code])
        for code in result.departments
    ])
    final = final_public_mix(result.scores, p[index], config.final_public_weight)
    places = final_order(final, medians, combined[index], p[index], [hashes[i] for i in index])
    labels = award_labels(len(places), config.awards)
    rows = [
        {"department": result.departments[i], "score": float(final[i]),
         "median": float(medians[i]), "rank": rank, "award": labels[rank - 1]}
        for rank, i in enumerate(places, start=1)
    ]
    return _judge_section(result), rows


def _judge_section(result: JudgeResult) -> dict[str, Any]:
    return {
        "scores": dict(zip(result.departments, result.scores.tolist())),
        "effects": dict(result.effects),
        "raw_means": dict(zip(result.departments, result.raw_means.tolist())),
    }


def _public_section(
    tally: PublicTally, estimates: PublicEstimates, boot: BootstrapSummary | None
) -> dict[str, Any]:
    valid, spoilt = int(tally.valid.sum()), int(tally.spoilt.sum())
    rows = []
    for d, code in enumerate(tally.departments):
        rows.append({
            "department": code,
            "count": int(estimates.count[d]),
            "share": float(estimates.share[d]),
            "weighted_share": float(estimates.weighted_share[d]),
            "se": float(estimates.se[d]),
            "ci95": [float(estimates.ci_low[d]), float(estimates.ci_high[d])],
            "p_finalist": float(boot.p_finalist[d]) if boot else None,
            "p_best_public_image": float(boot.p_best_public_image[d]) if boot else None,
            "rank95": [int(boot.rank_low[d]), int(boot.rank_high[d])] if boot else None,
        })
    return {
        "returned": valid + spoilt,
        "valid": valid,
        "spoilt": spoilt,
        "deff": None if math.isnan(estimates.deff) else float(estimates.deff),
        "n_eff": float(estimates.n_eff),
        "districts": [
            {"district": code, "households": int(n), "valid": int(r)}
            for code, n, r in zip(tally.districts, tally.households, tally.valid)
        ],
        "departments": rows,
    }


def _preliminary_rows(
    departments: Sequence[str],
    order: list[int],
    p: np.ndarray,
    judge: np.ndarray,
    combined: np.ndarray,
    finalists: int,
    public_weight: float,
) -> list[dict[str, Any]]:
    public_z, judge_z = standardise(p), standardise(judge)
    display = display_scores(combined)
    return [
        {"department": departments[i], "public_z": float(public_z[i]),
         "judge_z": float(judge_z[i]), "combined": float(combined[i]),
         "display": float(display[i]), "rank": rank, "finalist": rank <= finalists}
        for rank, i in enumerate(order, start=1)
    ]
