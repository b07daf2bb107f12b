"""Public vote: tally, weights, shares, variance, Wilson interval, Kish deff (SPEC 6.1-6.3)."""

from __future__ import annotations

import numpy as np
import pytest

from awards.scoring import District, PublicInputs, ScoringError
from awards.scoring.public import (
    estimate_public,
    kish_design_effect,
    share_variance,
    stratum_weights,
    tally_public,
    weighted_shares,
    wilson_interval,
)

TOL = 1e-12
TABLE_TOL = 1e-6


def make_public(patterns, households=None, departments=("A", "B"), spoilt=None):
    households = households or {code: 100 for code in patterns}
    return PublicInputs(
        districts=[District(code, n) for code, n in households.items()],
        departments=list(departments),
        patterns=patterns,
        spoilt=spoilt or {},
    )


def test_wilson_interval_hand_computed():
    # 50 of 100 and 10 of 50: the textbook Wilson intervals [0.4038, 0.5962], [0.1124, 0.3304].
    lo, hi = wilson_interval(np.array([0.5, 0.2]), np.array([100.0, 50.0]))
    assert lo == pytest.approx([0.403831530, 0.112437500], abs=TABLE_TOL)
    assert hi == pytest.approx([0.596168470, 0.330371060], abs=TABLE_TOL)


def test_wilson_interval_limits():
    lo, hi = wilson_interval(np.array([0.3, 0.3]), np.array([np.inf, 0.0]))
    assert lo.tolist() == [pytest.approx(0.3), 0.0]
    assert hi.tolist() == [pytest.approx(0.3), 1.0]


def test_kish_design_effect_hand_computed():
    # w = 100/10 and 300/10: R·Σw²/(Σw)² = 20·(10·10² + 10·30²)/400² = 1.25.
    deff, n_eff = kish_design_effect(np.array([100, 300]), np.array([10, 10]))
    assert deff == pytest.approx(1.25, abs=TOL)
    assert n_eff == pytest.approx(16.0, abs=TOL)


def test_kish_design_effect_without_ballots():
    deff, n_eff = kish_design_effect(np.array([100]), np.array([0]))
    assert np.isnan(deff) and n_eff == 0.0


def test_weighted_share_and_variance_hand_computed():
    # K: 4 ballots (A, A, B, B); L: 1 ballot (A). W = ½, ½.
    tally = tally_public(make_public({"K": {("A",): 2, ("B",): 2}, "L": {("A",): 1}}))
    weights = stratum_weights(tally.households, tally.valid)
    assert weights.tolist() == [0.5, 0.5]
    p = weighted_shares(tally.counts, tally.valid, weights)
    assert p == pytest.approx([0.75, 0.25], abs=TOL)
    # L has r_h = 1, so its V term is 0: V = ¼·½·½/3 for both departments.
    variance = share_variance(tally.counts, tally.valid, weights)
    assert variance == pytest.approx([1 / 48, 1 / 48], abs=TOL)


def test_district_without_ballots_left_out():
    with_empty = make_public(
        {"K": {("A",): 30, ("B",): 10}, "L": {("A", "B"): 40}},
        households={"K": 100, "L": 300, "M": 5000},
    )
    without = make_public(
        {"K": {("A",): 30, ("B",): 10}, "L": {("A", "B"): 40}},
        households={"K": 100, "L": 300},
    )
    est = estimate_public(tally_public(with_empty))
    ref = estimate_public(tally_public(without))
    assert est.weights.tolist() == [0.25, 0.75, 0.0]
    assert est.weighted_share == pytest.approx(ref.weighted_share, abs=TOL)
    assert est.se == pytest.approx(ref.se, abs=TOL)
    assert est.deff == pytest.approx(ref.deff, abs=TOL)
    codes = [(w["code"], w["district"]) for w in est.warnings]
    assert ("district_left_out", "M") in codes


def test_few_ballots_warning_below_30():
    est = estimate_public(tally_public(make_public({"K": {("A",): 29}, "L": {("B",): 30}})))
    assert [(w["code"], w["district"], w["valid"]) for w in est.warnings] == [
        ("few_valid_ballots", "K", 29)
    ]


def test_department_without_votes_gets_informative_interval():
    est = estimate_public(tally_public(make_public({"K": {("A",): 16}})))
    assert est.weighted_share.tolist() == [1.0, 0.0]
    assert est.se.tolist() == [0.0, 0.0]
    z2 = 1.959964**2
    assert est.ci_low[1] == 0.0
    assert est.ci_high[1] == pytest.approx(z2 / (16 + z2), abs=TOL)


def test_patterns_are_canonicalised():
    tally = tally_public(make_public({"K": {("B", "A"): 2, ("A", "B"): 3, ("A",): 0}}))
    assert tally.patterns == ((("A", "B"),),)
    assert tally.pattern_counts[0].tolist() == [5]
    assert tally.counts.tolist() == [[5, 5]]


def test_spoilt_counted_in_returns_only():
    tally = tally_public(make_public({"K": {("A",): 3}}, spoilt={"K": 2}))
    assert tally.valid.tolist() == [3] and tally.spoilt.tolist() == [2]


@pytest.mark.parametrize(
    ("patterns", "spoilt", "message"),
    [
        ({"X": {("A",): 1}}, {}, "unknown district(s) X"),
        ({"K": {("A",): 1}}, {"Y": 1}, "spoilt returns given for unknown district(s) Y"),
        ({"K": {(): 1}}, {}, "a ballot naming nobody is spoilt"),
        ({"K": {("A", "A"): 1}}, {}, "names a department more than once"),
        ({"K": {("A", "Z"): 1}}, {}, "Z is not an eligible department"),
        ({"K": {("A",): -1}}, {}, "is not a whole number ≥ 0"),
        ({"K": {("A",): 1.5}}, {}, "is not a whole number ≥ 0"),
    ],
)
def test_invalid_public_inputs(patterns, spoilt, message):
    public = PublicInputs([District("K", 10)], ["A", "B"], patterns, spoilt)
    with pytest.raises(ScoringError, match=message.replace("(", r"\(").replace(")", r"\)")):
        tally_public(public)


def test_repeated_codes_and_bad_households():
    with pytest.raises(ScoringError, match="district K is listed twice"):
        tally_public(PublicInputs([District("K", 1), District("K", 2)], ["A"], {}))
    with pytest.raises(ScoringError, match="department A is listed twice"):
        tally_public(PublicInputs([District("K", 1)], ["A", "A"], {}))
    with pytest.raises(ScoringError, match="no eligible departments"):
        tally_public(PublicInputs([District("K", 1)], [], {}))
    with pytest.raises(ScoringError, match="N_h must be positive"):
        District("K", 0)


def test_zero_variance_falls_back_to_kish_n_eff():
    """SPEC 6.3: where V_d = 0 (nobody named d; or every district has one ballot), n*_d is
    the Kish n_eff, so the Wilson interval stays informative instead of [p, p] or [0, 1]."""
    public = PublicInputs(
        [District("AA", 100), District("BB", 300)], ["A", "B", "C"],
        {"AA": {("A",): 6, ("A", "B"): 4}, "BB": {("A",): 10}})
    estimates = estimate_public(tally_public(public))
    deff, n_eff = kish_design_effect(np.array([100, 300]), np.array([10, 10]))
    assert estimates.n_eff == pytest.approx(n_eff) == pytest.approx(16.0)
    # A: named on every ballot (p_hd = 1 everywhere); C: on none. Both have V = 0.
    assert estimates.se[0] == 0.0 and estimates.se[2] == 0.0
    assert estimates.n_star[[0, 2]].tolist() == [n_eff, n_eff]
    z2 = 1.959964 ** 2
    assert estimates.ci_low[2] == 0.0
    assert estimates.ci_high[2] == pytest.approx(z2 / (n_eff + z2), rel=1e-12)
    assert estimates.ci_low[0] == pytest.approx(n_eff / (n_eff + z2), rel=1e-12)
    assert estimates.ci_high[0] == pytest.approx(1.0)
    assert estimates.se[1] > 0 and estimates.n_star[1] != n_eff


def test_one_ballot_per_district_uses_n_eff_too():
    public = PublicInputs([District("AA", 100), District("BB", 300)], ["A", "B"],
                          {"AA": {("A",): 1}, "BB": {("B",): 1}})
    estimates = estimate_public(tally_public(public))
    assert estimates.se.tolist() == [0.0, 0.0]
    assert estimates.n_star.tolist() == [estimates.n_eff, estimates.n_eff]
    lo, hi = estimates.ci_low, estimates.ci_high
    assert (0.0 < lo).all() and (hi < 1.0).all() and (lo < hi).all()
