"""Combined score, rankings, awards (SPEC 6.5-6.8)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from awards.scoring.combine import (
    award_labels,
    best_public_image,
    combined_scores,
    cut_gap,
    final_order,
    final_public_mix,
    preliminary_order,
    round9,
    sha256_hex,
    standardise,
)
from awards.scoring.inputs import Award

TOL = 1e-12


def test_sha256_hex_is_lowercase_hex_of_utf8():
    assert sha256_hex("abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )
    assert sha256_hex("觀塘") == sha256_hex("\u89c0\u5858")


def test_standardise_population_sd_and_flat():
    assert standardise(np.array([1.0, 2.0, 3.0])) == pytest.approx(
        [-np.sqrt(1.5), 0.0, np.sqrt(1.5)], abs=TOL
    )
    assert standardise(np.array([0.1] * 7)).tolist() == [0.0] * 7
    rows = standardise(np.array([[1.0, 3.0], [2.0, 2.0]]))
    assert rows.tolist() == [[-1.0, 1.0], [0.0, 0.0]]


def test_combined_weights():
    p = np.array([0.1, 0.3])
    judge = np.array([80.0, 60.0])
    assert combined_scores(p, judge, 0.3) == pytest.approx([0.4, -0.4], abs=TOL)
    assert combined_scores(p, judge, 1.0) == pytest.approx([-1.0, 1.0], abs=TOL)


def test_preliminary_order_full_key():
    hashes = ["c", "b", "a", "d"]
    combined = np.array([1.0, 1.0 + 1e-12, 1.0, 1.0])   # equal after round(·, 9)
    judge = np.array([70.0, 70.0, 70.0, 71.0])
    p = np.array([0.3, 0.3, 0.3, 0.1])
    count = np.array([10, 12, 12, 5])
    # d3 by J; d1/d2 tie on C, J, p; X puts them before d0; hash puts d2 before d1.
    assert preliminary_order(combined, judge, p, count, hashes) == [3, 2, 1, 0]


def test_round9_is_pythons_round():
    values = np.array([0.1234567895, 2.675e-9, -1.0000000005])
    assert round9(values).tolist() == [round(v, 9) for v in values.tolist()]


def near_halves(k: int) -> list[float]:
    """Floats at and around the decimal midpoint ``(k + 0.5)·10⁻⁹``, where a scaled
    ``rint`` can round the wrong way."""
    middle = (k + 0.5) / 1e9
    below = above = middle
    values = [middle]
    for _ in range(3):
        below, above = np.nextafter(below, -np.inf), np.nextafter(above, np.inf)
        values += [float(below), float(above)]
    return values


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=20),
       st.integers(-10**12, 10**12))
def test_round9_equals_python_round_everywhere(values, k):
    values = values + near_halves(k) + [-v for v in near_halves(k)]
    array = np.array(values)
    assert [repr(v) for v in round9(array).tolist()] == [repr(round(v, 9)) for v in values]


def test_round9_midpoints_that_a_scaled_rint_gets_wrong():
    """Values whose product with 1e9 rounds onto the other side of .5: the plain
    ``rint(v·1e9)/1e9`` differs from Python's round there, round9 must not."""
    candidates = [v for k in range(2000) for v in near_halves(k * 7919)]
    array = np.array(candidates)
    naive = (np.rint(array * 1e9) / 1e9).tolist()
    exact = [round(v, 9) for v in candidates]
    assert naive != exact                  # the trap is real for some of them
    assert round9(array).tolist() == exact


def test_cut_gap():
    combined = np.array([0.5, 2.0, -1.0])
    assert cut_gap(combined, [1, 0, 2], 2) == pytest.approx(1.5)
    assert cut_gap(combined, [1, 0, 2], 3) is None


def test_final_order_median_then_combined():
    order = final_order(
        np.array([80.0, 80.0, 80.0]), np.array([79.0, 80.0, 80.0]),
        np.array([0.1, 0.2, 0.3]), np.array([0.5, 0.5, 0.5]), ["a", "b", "c"],
    )
    assert order == [2, 1, 0]


def test_final_public_mix():
    judge, p = np.array([80.0, 70.0]), np.array([0.2, 0.4])
    assert final_public_mix(judge, p, 0.0).tolist() == [80.0, 70.0]
    assert final_public_mix(judge, p, 0.25) == pytest.approx([0.5, -0.5], abs=TOL)


def test_award_labels():
    tiers = [Award("Grand", "大獎", 1), Award("Gold", "金獎", 2)]
    assert award_labels(5, tiers) == ["Grand", "Gold", "Gold", "Finalist", "Finalist"]
    assert award_labels(2, tiers) == ["Grand", "Gold"]


def test_best_public_image_key():
    p = np.array([0.4, 0.4 + 1e-12, 0.4, 0.1])
    count = np.array([10, 9, 10, 50])
    assert best_public_image(p, count, ["z", "y", "a", "b"]) == 2
