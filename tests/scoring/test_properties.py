"""Property tests: rules that hold for every input (SPEC 6)."""

from __future__ import annotations

from collections import Counter

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from awards.scoring import District, JudgeScore, PublicInputs, ScoringConfig, compute_results
from awards.scoring.judges import JUDGE_METHODS
from awards.scoring.public import estimate_public, tally_public

DEPARTMENT_CODES = ("A", "B", "C", "D", "E", "F")
DISTRICT_CODES = ("IS", "KT", "ST")
SHARE_TOL = 1e-12
REPLICATES = 8


@st.composite
def campaigns(draw):
    departments = list(DEPARTMENT_CODES[: draw(st.integers(2, len(DEPARTMENT_CODES)))])
    districts = [
        District(code, draw(st.integers(1, 300_000)))
        for code in DISTRICT_CODES[: draw(st.integers(1, len(DISTRICT_CODES)))]
    ]
    ballot = st.tuples(
        st.sampled_from([d.code for d in districts]),
        st.lists(st.sampled_from(departments), min_size=1, max_size=3, unique=True),
    )
    ballots = draw(st.lists(ballot, max_size=80))
    judges = [f"J{i}" for i in range(1, draw(st.integers(2, 4)) + 1)]
    score = st.integers(0, 100).map(float)
    scores = [
        JudgeScore(round_name, judge, dept, draw(score))
        for round_name in ("preliminary", "final")
        for judge in judges
        for dept in departments
    ]
    config = ScoringConfig(
        seed="property-seed-0123456789",
        method=draw(st.sampled_from(list(JUDGE_METHODS))),
        finalists=draw(st.integers(1, len(departments))),
        public_weight=draw(st.sampled_from([0.0, 0.3, 0.5, 1.0])),
        bootstrap=REPLICATES,
    )
    return departments, districts, ballots, scores, config


def public_of(departments, districts, ballots):
    patterns: dict[str, Counter] = {}
    for district, choices in ballots:
        patterns.setdefault(district, Counter())[tuple(choices)] += 1
    counted = {code: dict(counter) for code, counter in patterns.items()}
    return PublicInputs(list(districts), list(departments), counted)


def shares(departments, districts, ballots):
    return estimate_public(tally_public(public_of(departments, districts, ballots)))


@settings(max_examples=60, deadline=None)
@given(campaigns(), st.randoms(use_true_random=False))
def test_results_do_not_depend_on_input_order(campaign, random):
    departments, districts, ballots, scores, config = campaign
    expected = compute_results(public_of(departments, districts, ballots), scores, config)
    shuffled_ballots = [
        (h, random.sample(c, len(c))) for h, c in random.sample(ballots, len(ballots))
    ]
    shuffled = public_of(
        random.sample(departments, len(departments)),
        random.sample(districts, len(districts)),
        shuffled_ballots,
    )
    assert compute_results(shuffled, random.sample(scores, len(scores)), config) == expected


@settings(max_examples=100, deadline=None)
@given(campaigns())
def test_doubling_every_ballot_keeps_the_shares(campaign):
    departments, districts, ballots, _, _ = campaign
    once = shares(departments, districts, ballots)
    twice = shares(departments, districts, ballots + ballots)
    np.testing.assert_allclose(twice.weighted_share, once.weighted_share, rtol=0, atol=SHARE_TOL)
    np.testing.assert_allclose(twice.share, once.share, rtol=0, atol=SHARE_TOL)


@settings(max_examples=100, deadline=None)
@given(campaigns(), st.data())
def test_an_extra_ballot_never_lowers_its_departments_share(campaign, data):
    departments, districts, ballots, _, _ = campaign
    district = data.draw(st.sampled_from([d.code for d in districts]))
    choices = data.draw(
        st.lists(st.sampled_from(departments), min_size=1, max_size=3, unique=True)
    )
    before = shares(departments, districts, ballots).weighted_share
    after = shares(departments, districts, ballots + [(district, choices)]).weighted_share
    for code in choices:
        d = departments.index(code)
        assert after[d] >= before[d] - SHARE_TOL


@settings(max_examples=60, deadline=None)
@given(campaigns())
def test_rankings_are_strict_total_orders(campaign):
    departments, districts, ballots, scores, config = campaign
    results = compute_results(public_of(departments, districts, ballots), scores, config)
    n = len(departments)
    assert [row["rank"] for row in results["preliminary"]] == list(range(1, n + 1))
    assert sorted(row["department"] for row in results["preliminary"]) == departments
    order = [row["department"] for row in results["preliminary"]]
    assert results["finalists"] == order[: config.finalists]
    assert [row["rank"] for row in results["final"]] == list(range(1, config.finalists + 1))
    assert sorted(r["department"] for r in results["final"]) == sorted(results["finalists"])
    public_rows = results["public"]["departments"]
    assert sum(row["p_best_public_image"] for row in public_rows) == 1.0
    for row in public_rows:
        assert 1 <= row["rank95"][0] <= row["rank95"][1] <= n
