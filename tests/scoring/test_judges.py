"""Judge methods on small hand-computed cases (SPEC 6.4)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from awards.scoring import DisconnectedJudgeGraph, JudgeScore, ScoringError
from awards.scoring.judges import JUDGE_METHODS, judge_scores, judge_zscores, round_scores

TOL = 1e-9


def scores_of(table, round_name="preliminary"):
    return [
        JudgeScore(round_name, judge, dept, float(y))
        for judge, row in table.items()
        for dept, y in row.items()
    ]


def run(table, method, departments=None, round_name="preliminary"):
    scores = scores_of(table, round_name)
    departments = departments or sorted({s.department for s in scores})
    return judge_scores(scores, departments, method, round_name)


def test_registry_names():
    assert list(JUDGE_METHODS) == ["mean", "median", "trimmed", "zscore", "additive"]


def test_mean_and_median():
    table = {"J1": {"A": 60, "B": 90}, "J2": {"A": 70, "B": 50}, "J3": {"A": 95, "B": 55}}
    mean = run(table, "mean")
    assert mean.scores.tolist() == pytest.approx([75.0, 65.0], abs=TOL)
    assert mean.effects == {}
    median = run(table, "median")
    assert median.scores.tolist() == pytest.approx([70.0, 55.0], abs=TOL)
    even = run({"J1": {"A": 60}, "J2": {"A": 70}}, "median")
    assert even.scores.tolist() == [65.0]


def test_trimmed_drops_extremes_only_from_five_scores():
    five = {f"J{i}": {"A": y} for i, y in enumerate([50, 60, 70, 80, 100], start=1)}
    four = {f"J{i}": {"A": y} for i, y in enumerate([50, 60, 70, 100], start=1)}
    assert run(five, "trimmed").scores.tolist() == pytest.approx([70.0], abs=TOL)
    assert run(four, "trimmed").scores.tolist() == pytest.approx([70.0], abs=TOL)
    assert run(five, "trimmed").raw_means.tolist() == pytest.approx([72.0], abs=TOL)


def test_zscore_hand_computed():
    # J1: A 60, B 80 → z −1, +1. J2 gives 70 to both: sd 0, so z = 0.
    # Pooled y: mean 70, population sd √50. J_A = 70 − √50/2, J_B = 70 + √50/2.
    result = run({"J1": {"A": 60, "B": 80}, "J2": {"A": 70, "B": 70}}, "zscore")
    half = math.sqrt(50) / 2
    assert result.scores.tolist() == pytest.approx([70 - half, 70 + half], abs=TOL)


# 100·7/11: five copies have a computed population sd of 7.1e-15, not 0.
NOISY_EQUAL = 63.63636363636363


def test_zscore_judge_giving_equal_scores_whose_sd_is_not_zero():
    assert np.full(5, NOISY_EQUAL).std() > 0          # the trap: sd of equal floats
    constant = {"J9": {code: NOISY_EQUAL for code in "ABCDE"}}
    varied = {"J1": {"A": 60, "B": 80, "C": 70, "D": 90, "E": 50}}
    data = round_scores(scores_of({**varied, **constant}), list("ABCDE"), "preliminary")
    z = judge_zscores(data)
    assert z[data.judge == data.judges.index("J9")].tolist() == [0.0] * 5
    # J1's z: (y − 70)/√200; J_d = pooled mean + pooled sd · (z_J1 + 0)/2.
    result = judge_scores(scores_of({**varied, **constant}), list("ABCDE"), "zscore")
    pooled = np.array([60, 80, 70, 90, 50] + [NOISY_EQUAL] * 5)
    expected = [pooled.mean() + pooled.std() * (y - 70) / math.sqrt(200) / 2
                for y in (60, 80, 70, 90, 50)]
    assert result.scores.tolist() == pytest.approx(expected, abs=TOL)


judge_rows = st.dictionaries(
    st.sampled_from(list("ABCDEF")),
    st.floats(0, 100, allow_nan=False).map(lambda y: round(y, 6)), min_size=1)
constant_y = st.one_of(st.sampled_from([NOISY_EQUAL, 100 * 8 / 13, 100 / 3, 0.0, 100.0]),
                       st.floats(0, 100, allow_nan=False))


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from(["J1", "J2", "J3", "J4"]), judge_rows, min_size=1),
       constant_y, st.sets(st.sampled_from(list("ABCDEF")), min_size=1))
def test_a_constant_judge_never_changes_the_other_judges_z(table, y, scored):
    """Adding a judge who gives everyone the same score leaves every other judge's z as
    it was, and gives that judge z = 0 throughout (SPEC 6.4)."""
    departments = sorted({d for row in table.values() for d in row})
    scored = {d for d in scored if d in departments} or {departments[0]}
    before = round_scores(scores_of(table), departments, "preliminary")
    after = round_scores(scores_of({**table, "J9": {d: y for d in scored}}), departments,
                         "preliminary")
    z_before, z_after = judge_zscores(before), judge_zscores(after)
    constant = after.judge == after.judges.index("J9")
    assert z_after[constant].tolist() == [0.0] * len(scored)
    assert z_after[~constant].tolist() == z_before.tolist()


def test_additive_balanced():
    result = run({"J1": {"A": 80, "B": 70}, "J2": {"A": 70, "B": 60}}, "additive")
    assert result.scores.tolist() == pytest.approx([75.0, 65.0], abs=TOL)
    assert result.effects == pytest.approx({"J1": 5.0, "J2": -5.0}, abs=TOL)


def test_additive_chain_fits_exactly():
    # A–J1–B–J2–C: c_B + b1 = 60, c_B − b1 = 70 → c_B 65, b1 −5, c_A 85, c_C 45.
    result = run({"J1": {"A": 80, "B": 60}, "J2": {"B": 70, "C": 50}}, "additive",
                 round_name="final")
    assert result.scores.tolist() == pytest.approx([85.0, 65.0, 45.0], abs=TOL)
    assert result.effects == pytest.approx({"J1": -5.0, "J2": 5.0}, abs=TOL)
    assert result.raw_means.tolist() == pytest.approx([80.0, 65.0, 50.0], abs=TOL)


def test_additive_single_judge():
    result = run({"J1": {"A": 80, "B": 60}}, "additive", round_name="final")
    assert result.scores.tolist() == pytest.approx([80.0, 60.0], abs=TOL)
    assert result.effects == {"J1": 0.0}


def test_additive_disconnected_graph_names_the_parts():
    table = {
        "J1": {"A": 80, "B": 70}, "J2": {"A": 75, "B": 72},
        "J3": {"C": 60, "D": 65}, "J4": {"C": 62, "D": 61},
    }
    with pytest.raises(DisconnectedJudgeGraph) as caught:
        run(table, "additive")
    assert caught.value.parts == ((("J1", "J2"), ("A", "B")), (("J3", "J4"), ("C", "D")))
    message = str(caught.value)
    assert "preliminary judge–department graph is not connected" in message
    assert "part 1: judges J1, J2 / departments A, B" in message
    assert "part 2: judges J3, J4 / departments C, D" in message
    assert isinstance(caught.value, ScoringError) and isinstance(caught.value, ValueError)


def test_other_methods_accept_a_disconnected_graph():
    table = {"J1": {"A": 80, "B": 70}, "J2": {"A": 75, "B": 72},
             "J3": {"C": 60, "D": 65}, "J4": {"C": 62, "D": 61}}
    assert run(table, "mean").scores.tolist() == pytest.approx([77.5, 71.0, 61.0, 63.0])


def test_preliminary_needs_two_scores_per_department():
    table = {"J1": {"A": 80, "B": 70, "C": 60}, "J2": {"A": 75, "B": 72}}
    message = r"fewer than 2 complete preliminary scorecard\(s\): C \(1\)"
    with pytest.raises(ScoringError, match=message):
        run(table, "mean")
    with pytest.raises(ScoringError, match=r"D \(0\)"):
        run(table, "mean", departments=["A", "B", "C", "D"])


def test_final_round_accepts_one_score():
    result = run({"J1": {"A": 80, "B": 70}}, "mean", round_name="final")
    assert result.scores.tolist() == [80.0, 70.0]


def test_unknown_method_lists_the_choices():
    message = "unknown judge method 'borda'; choose one of mean, median"
    with pytest.raises(ScoringError, match=message):
        run({"J1": {"A": 80}, "J2": {"A": 70}}, "borda")


def test_duplicate_and_foreign_scores_are_refused():
    scores = scores_of({"J1": {"A": 80}, "J2": {"A": 70}})
    with pytest.raises(ScoringError, match="judge J1 has two preliminary scores for A"):
        judge_scores(scores + scores[:1], ["A"], "mean")
    with pytest.raises(ScoringError, match="scores given for A, which is not being scored"):
        judge_scores(scores, ["B"], "mean")


def test_scores_of_the_other_round_are_ignored():
    scores = scores_of({"J1": {"A": 80}, "J2": {"A": 70}}) + scores_of({"J1": {"A": 0}}, "final")
    assert judge_scores(scores, ["A"], "mean").scores.tolist() == [75.0]
