"""Shape of results.json and the edge cases of compute_results (SPEC 6, 8)."""

from __future__ import annotations

import dataclasses
import json

import pytest

from awards.scoring import (
    DisconnectedJudgeGraph,
    District,
    JudgeScore,
    PublicInputs,
    ScoringConfig,
    ScoringError,
    compute_results,
)

from .worked_example import example_config, example_public, example_scores

TOP_KEYS = {
    "spec", "seed", "public", "judges", "preliminary", "finalists", "cut_gap",
    "best_public_image", "best_public_image_conclusive", "final", "sensitivity", "warnings",
}
PUBLIC_KEYS = {"returned", "valid", "spoilt", "deff", "n_eff", "districts", "departments"}
DEPARTMENT_KEYS = {
    "department", "count", "share", "weighted_share", "se", "ci95", "p_finalist",
    "p_best_public_image", "rank95",
}
PRELIMINARY_KEYS = {"department", "public_z", "judge_z", "combined", "display", "rank", "finalist"}
FINAL_KEYS = {"department", "score", "median", "rank", "award"}


@pytest.fixture(scope="module")
def results():
    return compute_results(example_public(), example_scores(), example_config(bootstrap=100))


def test_keys_exactly(results):
    assert set(results) == TOP_KEYS
    assert results["spec"] == "awards-scoring/2"
    assert set(results["public"]) == PUBLIC_KEYS
    assert all(set(row) == DEPARTMENT_KEYS for row in results["public"]["departments"])
    assert [r["department"] for r in results["public"]["departments"]] == list("ABCDE")
    assert all(set(row) == PRELIMINARY_KEYS for row in results["preliminary"])
    assert all(set(row) == FINAL_KEYS for row in results["final"])
    assert set(results["judges"]) == {"method", "preliminary", "final"}
    assert set(results["judges"]["final"]) == {"scores", "effects", "raw_means"}


def test_plain_json(results):
    text = json.dumps(results, allow_nan=False, ensure_ascii=False)
    assert json.loads(text) == results


def test_no_final_scores_yet():
    results = compute_results(example_public(), example_scores(final=False), example_config(0))
    assert results["final"] == [] and results["judges"]["final"] is None


def test_incomplete_final_round_is_reported_not_scored():
    scores = [s for s in example_scores() if not (s.round == "final" and s.department == "D")]
    results = compute_results(example_public(), scores, example_config(0))
    assert results["final"] == [] and results["judges"]["final"] is None
    warning = next(w for w in results["warnings"] if w["code"] == "final_round_incomplete")
    assert warning["departments"] == ["D"]


def test_final_scores_of_non_finalists_ignored():
    scores = example_scores() + [JudgeScore("final", "J1", "E", 99.0)]
    results = compute_results(example_public(), scores, example_config(0))
    assert [r["department"] for r in results["final"]] == ["B", "A", "D"]
    assert any(w["code"] == "final_scores_ignored" for w in results["warnings"])


def test_final_public_weight_mixes_z_scores():
    config = dataclasses.replace(example_config(0), final_public_weight=0.5)
    results = compute_results(example_public(), example_scores(), config)
    scores = {r["department"]: r["score"] for r in results["final"]}
    assert sum(scores.values()) == pytest.approx(0.0, abs=1e-12)
    # A leads the public vote among the finalists and ties B with the judges: A now wins.
    assert results["final"][0]["department"] == "A"
    assert results["judges"]["final"]["scores"]["A"] == pytest.approx(80.0)


def test_more_finalists_than_tiers_and_no_cut_gap():
    config = dataclasses.replace(example_config(0), finalists=8, awards=[("Grand", "大獎", 1)])
    scores = example_scores(final=False) + [
        JudgeScore("final", "J1", d, 70.0 + i) for i, d in enumerate("ABCDE")
    ]
    results = compute_results(example_public(), scores, config)
    assert results["cut_gap"] is None
    assert len(results["finalists"]) == 5
    assert [r["award"] for r in results["final"]] == ["Grand"] + ["Finalist"] * 4
    assert [r["department"] for r in results["final"]] == list("EDCBA")


def test_ineligible_scores_ignored_with_warning():
    scores = example_scores() + [JudgeScore("preliminary", "J1", "Q", 50.0)]
    results = compute_results(example_public(), scores, example_config(0))
    assert results["finalists"] == ["B", "A", "D"]
    assert any(w["code"] == "ineligible_scores_ignored" for w in results["warnings"])


def test_sensitivity_flags_and_records_errors():
    scores = [
        JudgeScore("preliminary", j, d, y)
        for j, d, y in [("J1", "A", 80.0), ("J2", "A", 70.0), ("J1", "B", 60.0),
                        ("J2", "B", 65.0), ("J3", "C", 90.0), ("J4", "C", 50.0)]
    ]
    public = PublicInputs([District("K", 100)], ["A", "B", "C"],
                          {"K": {("A",): 10, ("B",): 30, ("C",): 5}})
    config = ScoringConfig(seed="s" * 20, method="mean", finalists=2, bootstrap=0)
    results = compute_results(public, scores, config)
    methods = {row["method"]: row for row in results["sensitivity"]["methods"]}
    assert methods["additive"]["finalists"] is None
    assert "not connected" in methods["additive"]["error"]
    assert methods["mean"]["differs"] is False and methods["mean"]["error"] is None
    weights = results["sensitivity"]["public_weights"]
    assert [row["public_weight"] for row in weights] == [0.2, 0.3, 0.4, 0.5]
    for row in weights:
        assert row["differs"] == (row["finalists"] != results["finalists"])
        assert row["set_differs"] == (set(row["finalists"]) != set(results["finalists"]))
    assert any(row["differs"] for row in weights)


def test_campaign_method_errors_propagate():
    scores = [JudgeScore("preliminary", j, d, 50.0)
              for j, d in [("J1", "A"), ("J2", "A"), ("J3", "B"), ("J4", "B")]]
    public = PublicInputs([District("K", 100)], ["A", "B"], {"K": {("A",): 1}})
    with pytest.raises(DisconnectedJudgeGraph):
        compute_results(public, scores, ScoringConfig(seed="s", bootstrap=0))
    with pytest.raises(ScoringError, match="unknown judge method"):
        compute_results(public, scores, ScoringConfig(seed="s", method="x", bootstrap=0))


def test_no_ballots_yet():
    public = PublicInputs([District("K", 100)], ["A", "B", "C"], {}, {"K": 3})
    scores = [JudgeScore("preliminary", j, d, 60.0 + i)
              for i, j in enumerate(["J1", "J2"]) for d in "ABC"]
    results = compute_results(public, scores, ScoringConfig(seed="s", finalists=2, bootstrap=20))
    assert results["public"]["deff"] is None and results["public"]["n_eff"] == 0.0
    assert results["public"]["returned"] == 3 and results["public"]["valid"] == 0
    assert all(row["ci95"] == [0.0, 1.0] for row in results["public"]["departments"])
    assert json.dumps(results, allow_nan=False)
    assert sorted(r["rank"] for r in results["preliminary"]) == [1, 2, 3]
