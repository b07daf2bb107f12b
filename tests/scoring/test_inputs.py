"""Scorecard values and input validation (SPEC 5)."""

from __future__ import annotations

import pytest

from awards.scoring import (
    JudgeScore,
    ScoringConfig,
    ScoringError,
    judge_scores_from_scorecards,
    scorecard_value,
)

TOL = 1e-12

CRITERIA = {
    ("preliminary", "pledges"): (0.4, 10),
    ("preliminary", "courtesy"): (0.6, 5),
    ("final", "overall"): (1.0, 20),
}


def test_scorecard_value_hand_computed():
    # 100·(0.4·7/10 + 0.6·4/5) = 100·(0.28 + 0.48) = 76.
    assert scorecard_value([(0.4, 10), (0.6, 5)], [7, 4]) == pytest.approx(76.0, abs=TOL)
    assert scorecard_value([(1.0, 10)], [10]) == 100.0
    assert scorecard_value([(0.5, 3), (0.5, 3)], [0, 0]) == 0.0


@pytest.mark.parametrize(
    ("criteria", "scores", "message"),
    [
        ([(0.4, 10), (0.6, 5)], [7], "has 1 scores for 2 criteria"),
        ([(0.4, 10), (0.5, 5)], [7, 4], "sum to 0.9, not 1"),
        ([(1.0, 10)], [11], "score 11 is outside 0..10"),
        ([(1.0, 10)], [-1], "score -1 is outside 0..10"),
        ([(1.0, 0)], [0], "max must be ≥ 1"),
        ([(1.5, 10), (-0.5, 10)], [1, 1], "negative weight"),
    ],
)
def test_scorecard_value_refuses_bad_cards(criteria, scores, message):
    with pytest.raises(ScoringError, match=message):
        scorecard_value(criteria, scores)


def test_only_complete_scorecards_count():
    rows = [
        ("preliminary", "j1", "IMMD", "pledges", 7),
        ("preliminary", "j1", "IMMD", "courtesy", 4),
        ("preliminary", "j1", "HKPF", "pledges", 9),  # courtesy missing: not counted
        ("final", "j2", "IMMD", "overall", 15),
    ]
    result = judge_scores_from_scorecards(rows, CRITERIA)
    assert [(s.round, s.judge, s.department) for s in result] == [
        ("final", "j2", "IMMD"), ("preliminary", "j1", "IMMD"),
    ]
    assert [s.y for s in result] == pytest.approx([75.0, 76.0], abs=TOL)


def test_scorecard_rows_errors_name_the_row():
    with pytest.raises(ScoringError, match="row 1: no criterion 'speed' in round 'preliminary'"):
        judge_scores_from_scorecards([("preliminary", "j1", "A", "speed", 1)], CRITERIA)
    twice = [("final", "j1", "A", "overall", 1), ("final", "j1", "A", "overall", 2)]
    message = "row 2: judge j1 scored A on 'overall' \\(final\\) twice"
    with pytest.raises(ScoringError, match=message):
        judge_scores_from_scorecards(twice, CRITERIA)
    with pytest.raises(ScoringError, match="judge j1, A \\(final\\): criterion 1: score 21"):
        judge_scores_from_scorecards([("final", "j1", "A", "overall", 21)], CRITERIA)


def test_judge_score_validation():
    with pytest.raises(ScoringError, match="round 'semi' is not one of preliminary, final"):
        JudgeScore("semi", "j1", "A", 50.0)
    with pytest.raises(ScoringError, match="must lie between 0 and 100"):
        JudgeScore("final", "j1", "A", 100.5)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"seed": ""}, "non-empty string"),
        ({"public_weight": 1.2}, "public_weight is 1.2"),
        ({"final_public_weight": -0.1}, "final_public_weight is -0.1"),
        ({"finalists": 0}, "finalists is 0"),
        ({"bootstrap": -5}, "bootstrap is -5"),
        ({"awards": [("Grand", "大獎", 0)]}, "award 'Grand' has 0 places"),
    ],
)
def test_config_validation(changes, message):
    with pytest.raises(ScoringError, match=message):
        ScoringConfig(**{"seed": "seed-of-at-least-20-chars", **changes})


def test_config_awards_become_named_tuples():
    config = ScoringConfig(seed="s", awards=[("Grand Award", "大獎", 1)])
    assert config.awards[0].name_zh == "大獎" and config.awards[0].places == 1
