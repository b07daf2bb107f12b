"""Scoring engine (SPEC section 6): pure, typed functions on plain data and numpy arrays.

No Flask, no SQLAlchemy, no database: only the standard library and numpy (a test enforces
it), so that the offline verifier can import it. The service layer builds the inputs of
:mod:`awards.scoring.inputs` and calls :func:`compute_results`.
"""

from awards.scoring.errors import DisconnectedJudgeGraph, ScoringError
from awards.scoring.inputs import (
    DEFAULT_AWARDS,
    FINAL,
    PRELIMINARY,
    Award,
    District,
    JudgeScore,
    PublicInputs,
    ScoringConfig,
    judge_scores_from_scorecards,
    scorecard_value,
)
from awards.scoring.judges import JUDGE_METHODS
from awards.scoring.results import SPEC_VERSION, compute_results

__all__ = [
    "DEFAULT_AWARDS", "FINAL", "JUDGE_METHODS", "PRELIMINARY", "SPEC_VERSION", "Award",
    "DisconnectedJudgeGraph", "District", "JudgeScore", "PublicInputs", "ScoringConfig",
    "ScoringError", "compute_results", "judge_scores_from_scorecards", "scorecard_value",
]
