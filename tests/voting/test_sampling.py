"""Allocation S1 and selection S2 (SPEC section 3)."""

from __future__ import annotations

import hashlib
from fractions import Fraction
from math import ceil, floor

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from awards.voting.sampling import (
    SamplingError,
    allocate,
    draw_sample,
    select_positions,
    validate_seed,
)

SPEC_SEED = "3546311556112163624615351222"


# --- S2 ---------------------------------------------------------------------------------


def test_spec_vector_islands() -> None:
    assert select_positions(SPEC_SEED, "Islands", 67104, 5) == [20958, 65118, 40389, 65548, 16901]


def test_positions_follow_the_formula_for_many_picks() -> None:
    picks = select_positions(SPEC_SEED, "KT", 247592, 200)
    expected = []
    i = 0
    while len(expected) < 200:
        i += 1
        digest = hashlib.sha256(f"{SPEC_SEED},KT,{i}".encode()).hexdigest()
        position = 1 + int(digest, 16) % 247592
        if position not in expected:
            expected.append(position)
    assert picks == expected


def test_duplicates_are_skipped_until_every_position_is_drawn() -> None:
    positions = select_positions(SPEC_SEED, "IS", 7, 7)
    assert sorted(positions) == [1, 2, 3, 4, 5, 6, 7]


def test_a_small_district_with_repeats_keeps_draw_order() -> None:
    draws = [1 + int(hashlib.sha256(f"{SPEC_SEED},IS,{i}".encode()).hexdigest(), 16) % 5
             for i in range(1, 40)]
    first_distinct = list(dict.fromkeys(draws))[:3]
    assert select_positions(SPEC_SEED, "IS", 5, 3) == first_distinct


def test_no_picks_for_an_empty_allocation() -> None:
    assert select_positions(SPEC_SEED, "IS", 0, 0) == []


def test_cannot_draw_more_than_the_district_holds() -> None:
    with pytest.raises(SamplingError, match="district IS: cannot draw 6 households from 5"):
        select_positions(SPEC_SEED, "IS", 5, 6)


# --- seed -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seed", "message"),
    [
        ("1234567890123456789", "at least 20 characters; this one has 19"),
        (" 3546311556112163624615351222", "must not start or end with spaces"),
        ("3546311556112163624615351222\n", "must not start or end with spaces"),
        ("35463115561121\t63624615351222", "control characters"),
        (12345678901234567890, "must be text"),
    ],
)
def test_bad_seeds_are_refused_with_a_reason(seed: object, message: str) -> None:
    with pytest.raises(SamplingError, match=message):
        validate_seed(seed)  # type: ignore[arg-type]


def test_a_good_seed_is_returned_unchanged() -> None:
    assert validate_seed(SPEC_SEED) == SPEC_SEED
    assert validate_seed("dice 3 5 4 6 3 1 1 5 5 6") == "dice 3 5 4 6 3 1 1 5 5 6"


def test_selection_refuses_a_short_seed() -> None:
    with pytest.raises(SamplingError, match="at least 20"):
        select_positions("short", "IS", 10, 1)


# --- S1, worked by hand -----------------------------------------------------------------


def test_exact_proportions_need_no_remainder() -> None:
    assert allocate(10, {"A": 50, "B": 30, "C": 20}) == {"A": 5, "B": 3, "C": 2}


def test_largest_fractional_part_wins_even_for_a_smaller_district() -> None:
    # q = 0.75 and 4.25: floors 0 + 4, the one remaining unit goes to A (0.75 > 0.25).
    assert allocate(5, {"A": 3, "B": 17}) == {"A": 1, "B": 4}


def test_equal_fractions_go_to_the_larger_district() -> None:
    # q = 1.5, 4.5, 3.0: floors 1 + 4 + 3 = 8; A and B tie at .5, B has more households.
    assert allocate(9, {"A": 10, "B": 30, "C": 20}) == {"A": 1, "B": 5, "C": 3}


def test_equal_fractions_and_sizes_go_to_the_first_code() -> None:
    # q = 1.5, 1.5, 3.0: floors 5; A and B tie on fraction and size, A sorts first.
    assert allocate(6, {"B": 10, "A": 10, "C": 20}) == {"A": 2, "B": 1, "C": 3}


def test_three_way_tie_hands_out_two_units_by_code() -> None:
    # q = 10/3 each: floors 3 + 3 + 3, two remaining units to A then B.
    assert allocate(11, {"C": 7, "B": 7, "A": 7}) == {"A": 4, "B": 4, "C": 3}


def test_fractions_are_compared_exactly() -> None:
    # q = 1/3, 1/3, 4/3: floors 0 + 0 + 1, one unit left. All three fractions are exactly
    # 1/3, so C (most households) gets it. In floating point 4/3 - 1 = 0.33333333333333326
    # < 1/3, which would wrongly hand the unit to A.
    assert allocate(2, {"A": 1, "B": 1, "C": 4}) == {"A": 0, "B": 0, "C": 2}


def test_zero_and_full_samples() -> None:
    counts = {"KT": 4, "IS": 2, "ST": 0}
    assert allocate(0, counts) == {"IS": 0, "KT": 0, "ST": 0}
    assert allocate(6, counts) == {"IS": 2, "KT": 4, "ST": 0}


def test_result_is_in_district_code_order() -> None:
    assert list(allocate(3, {"ST": 5, "IS": 5, "KT": 5})) == ["IS", "KT", "ST"]


def test_a_sample_larger_than_the_frame_is_refused() -> None:
    with pytest.raises(SamplingError, match="sample size 7 exceeds the frame of 6 households"):
        allocate(7, {"KT": 4, "IS": 2})


@pytest.mark.parametrize("n", [-1, 2.5, True])
def test_the_sample_size_must_be_a_whole_number(n: object) -> None:
    with pytest.raises(SamplingError, match="whole number"):
        allocate(n, {"KT": 4})  # type: ignore[arg-type]


def test_negative_frame_counts_are_refused() -> None:
    with pytest.raises(SamplingError, match="district KT: frame count"):
        allocate(1, {"KT": -4, "IS": 10})


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(st.text("ABCDEFGH", min_size=1, max_size=3),
                    st.integers(0, 10_000), min_size=1, max_size=18),
    st.data(),
)
def test_allocation_is_within_one_of_the_quota_and_sums_to_n(
    counts: dict[str, int], data: st.DataObject
) -> None:
    total = sum(counts.values())
    n = data.draw(st.integers(0, total))
    allocation = allocate(n, counts)
    assert sum(allocation.values()) == n
    for code, size in allocation.items():
        quota = Fraction(n * counts[code], total) if total else Fraction(0)
        assert floor(quota) <= size <= ceil(quota)
        assert size <= counts[code]


# --- draw_sample ------------------------------------------------------------------------


def test_draw_sample_maps_positions_to_canonical_frame_order() -> None:
    islands = [f"H{k:06d}" for k in range(1, 67105)]
    sample = draw_sample(SPEC_SEED, {"Islands": islands}, 5)
    assert sample == {"Islands": ["H020958", "H065118", "H040389", "H065548", "H016901"]}


def test_draw_sample_allocates_then_selects_per_district() -> None:
    frames = {
        "KT": [f"KT{k:05d}" for k in range(600)],
        "IS": [f"IS{k:05d}" for k in range(300)],
        "ST": [f"ST{k:05d}" for k in range(100)],
    }
    sample = draw_sample(SPEC_SEED, frames, 100)
    assert {code: len(ids) for code, ids in sample.items()} == {"IS": 30, "KT": 60, "ST": 10}
    assert list(sample) == ["IS", "KT", "ST"]
    for code, ids in sample.items():
        assert len(set(ids)) == len(ids) and set(ids) <= set(frames[code])
        positions = select_positions(SPEC_SEED, code, len(frames[code]), len(ids))
        assert ids == [frames[code][p - 1] for p in positions]


def test_draw_sample_is_reproducible_and_depends_on_the_seed() -> None:
    frames = {"KT": [f"{k:04d}" for k in range(1000)]}
    first = draw_sample(SPEC_SEED, frames, 50)
    assert draw_sample(SPEC_SEED, frames, 50) == first
    assert draw_sample(SPEC_SEED[::-1], frames, 50) != first


def test_a_frame_out_of_canonical_order_is_refused() -> None:
    with pytest.raises(SamplingError, match="district KT: household ids must be unique and in "
                                            "ascending order \\(position 3: 'H2' after 'H9'\\)"):
        draw_sample(SPEC_SEED, {"KT": ["H1", "H9", "H2"]}, 1)


def test_a_frame_with_a_repeated_id_is_refused() -> None:
    with pytest.raises(SamplingError, match="position 2: 'H1' after 'H1'"):
        draw_sample(SPEC_SEED, {"KT": ["H1", "H1", "H2"]}, 1)


def test_draw_sample_refuses_a_sample_larger_than_the_frame() -> None:
    with pytest.raises(SamplingError, match="exceeds the frame of 3 households"):
        draw_sample(SPEC_SEED, {"KT": ["H1", "H2", "H3"]}, 4)
