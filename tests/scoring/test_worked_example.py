"""Golden test: the worked example of SPEC section 6, every number of its table."""

from __future__ import annotations

import pytest

from awards.scoring import compute_results
from awards.scoring.combine import tiebreak_hashes

from .worked_example import DEPARTMENTS, SEED, example_config, example_public, example_scores

SHARE_TOL = 1e-6      # p, se and CI bounds are given to 6 decimals
JUDGE_TOL = 1e-4      # J, C and judge effects are given to 4 decimals
DEFF_TOL = 1e-6

TABLE = {
    # d: (X, p, se, (lo, hi), J, C)
    "A": (395, 0.426317, 0.016293, (0.394755, 0.458491), 70.3333, 0.3688),
    "B": (415, 0.393998, 0.015836, (0.363446, 0.425403), 80.1429, 1.2547),
    "C": (215, 0.208969, 0.013430, (0.183889, 0.236479), 61.0000, -1.4114),
    "D": (270, 0.276454, 0.014986, (0.248089, 0.306739), 74.6667, 0.2479),
    "E": (345, 0.355898, 0.016005, (0.325206, 0.387821), 64.8571, -0.4600),
}
EFFECTS = {"J1": 7.7143, "J2": 0.2857, "J3": -8.0000}


@pytest.fixture(scope="module")
def results():
    return compute_results(example_public(), example_scores(), example_config(bootstrap=2000))


@pytest.fixture(scope="module")
def public_rows(results):
    return {row["department"]: row for row in results["public"]["departments"]}


@pytest.mark.parametrize("code", sorted(TABLE))
def test_public_columns(public_rows, code):
    count, p, se, (lo, hi), _, _ = TABLE[code]
    row = public_rows[code]
    assert row["count"] == count
    assert row["share"] == pytest.approx(count / 1000, abs=1e-12)
    assert row["weighted_share"] == pytest.approx(p, abs=SHARE_TOL)
    assert row["se"] == pytest.approx(se, abs=SHARE_TOL)
    assert row["ci95"][0] == pytest.approx(lo, abs=SHARE_TOL)
    assert row["ci95"][1] == pytest.approx(hi, abs=SHARE_TOL)


@pytest.mark.parametrize("code", sorted(TABLE))
def test_judge_and_combined_columns(results, code):
    *_, judge, combined = TABLE[code]
    assert results["judges"]["preliminary"]["scores"][code] == pytest.approx(judge, abs=JUDGE_TOL)
    row = next(r for r in results["preliminary"] if r["department"] == code)
    assert row["combined"] == pytest.approx(combined, abs=JUDGE_TOL)
    assert row["display"] == pytest.approx(50 + 10 * row["combined"], abs=1e-12)


def test_judge_effects_sum_to_zero(results):
    effects = results["judges"]["preliminary"]["effects"]
    assert effects == pytest.approx(EFFECTS, abs=JUDGE_TOL)
    assert sum(effects.values()) == pytest.approx(0.0, abs=1e-12)


def test_raw_means_published_beside_effects(results):
    raw = results["judges"]["preliminary"]["raw_means"]
    assert raw == pytest.approx({"A": 211 / 3, "B": 80.0, "C": 65.0, "D": 224 / 3, "E": 61.0})


def test_totals_and_design_effect(results):
    public = results["public"]
    assert (public["returned"], public["valid"], public["spoilt"]) == (1000, 1000, 0)
    assert public["deff"] == pytest.approx(1.106232, abs=DEFF_TOL)
    assert public["n_eff"] == pytest.approx(1000 / public["deff"], rel=1e-12)
    assert public["districts"] == [
        {"district": "IS", "households": 67104, "valid": 200},
        {"district": "KT", "households": 247592, "valid": 300},
        {"district": "ST", "households": 246425, "valid": 500},
    ]


def test_finalists_and_cut_gap(results):
    assert results["finalists"] == ["B", "A", "D"]
    assert [r["department"] for r in results["preliminary"]] == ["B", "A", "D", "E", "C"]
    assert [r["finalist"] for r in results["preliminary"]] == [True, True, True, False, False]
    assert results["cut_gap"] == pytest.approx(0.7079, abs=JUDGE_TOL)


def test_final_round_tie_broken_by_combined_score(results):
    final = results["final"]
    assert [row["department"] for row in final] == ["B", "A", "D"]
    assert [row["rank"] for row in final] == [1, 2, 3]
    b, a, _ = final
    assert a["score"] == pytest.approx(80.0, abs=1e-9)
    assert b["score"] == pytest.approx(80.0, abs=1e-9)
    assert a["median"] == b["median"] == 80.0
    raw = results["judges"]["final"]["raw_means"]
    assert raw["A"] == pytest.approx(80.0) and raw["B"] == pytest.approx(80.0)
    assert [row["award"] for row in final] == ["Grand Award", "Gold Award", "Silver Award"]


def test_best_public_image_is_decided_by_weighting(results, public_rows):
    assert results["best_public_image"] == "A"
    assert public_rows["B"]["count"] > public_rows["A"]["count"]


def test_tiebreak_hash_order():
    hashes = tiebreak_hashes(SEED, DEPARTMENTS)
    assert [code for _, code in sorted(zip(hashes, DEPARTMENTS))] == ["D", "C", "E", "B", "A"]


def test_bootstrap_figures_are_the_specs(public_rows):
    """SPEC 6 worked example, B = 2000, the stream and draw order of SPEC 6.9: exact."""
    assert public_rows["A"]["p_best_public_image"] == 0.8935
    assert {code: row["p_finalist"] for code, row in public_rows.items()} == {
        "A": 1.0, "B": 1.0, "C": 0.0, "D": 1.0, "E": 0.0}


def test_bootstrap_lead_not_conclusive(results, public_rows):
    assert results["best_public_image_conclusive"] is False
    assert any(w["code"] == "best_public_image_not_conclusive" for w in results["warnings"])
    assert sum(r["p_best_public_image"] for r in public_rows.values()) == pytest.approx(1.0)
    assert sum(r["p_finalist"] for r in public_rows.values()) == pytest.approx(3.0)
