"""Household sample: allocation (S1) and selection (S2, Rivest's sampler), SPEC section 3.

Pure functions on plain data: no Flask, no database, no hidden randomness. The sample is a
function of the published seed and the frame alone, so anyone holding the frame can redraw it.
"""

from __future__ import annotations

import hashlib
import itertools
import operator
from collections.abc import Mapping, Sequence

MIN_SEED_LENGTH = 20


class SamplingError(ValueError):
    """The sample cannot be drawn as asked; the message says what to change."""


def validate_seed(seed: str) -> str:
    """Check a sample seed before it is recorded (SPEC section 3, S2).

    Parameters
    ----------
    seed
        The published seed string ``S``, e.g. digits read from dice thrown in public.

    Returns
    -------
    str
        The seed, unchanged.

    Raises
    ------
    SamplingError
        If the seed is not a string, has fewer than 20 characters, has leading or trailing
        whitespace (invisible in print, so the published seed would not reproduce the sample)
        or contains control characters.
    """
    if not isinstance(seed, str):
        raise SamplingError(f"the seed must be text, not {type(seed).__name__}")
    if len(seed) < MIN_SEED_LENGTH:
        raise SamplingError(
            f"the seed must have at least {MIN_SEED_LENGTH} characters; "
            f"this one has {len(seed)}"
        )
    if seed != seed.strip():
        raise SamplingError("the seed must not start or end with spaces")
    if not seed.isprintable():
        raise SamplingError("the seed must not contain control characters or line breaks")
    return seed


def _check_frame_counts(n: int, frame_counts: Mapping[str, int]) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise SamplingError(f"the sample size must be a whole number of at least 0, not {n!r}")
    for code, count in frame_counts.items():
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise SamplingError(f"district {code}: frame count must be a whole number >= 0")
    total = sum(frame_counts.values())
    if n > total:
        raise SamplingError(
            f"the sample size {n:,} exceeds the frame of {total:,} households; "
            "draw a smaller sample or import the full frame"
        )
    return total


def allocate(n: int, frame_counts: Mapping[str, int]) -> dict[str, int]:
    """Proportional allocation with largest remainder (SPEC section 3, S1).

    ``q_h = n * M_h / M``; ``n_h = floor(q_h)``; the ``n - sum(n_h)`` remaining units go one each
    to the largest fractional parts, ties to the larger ``M_h``, then to the ascending district
    code. Computed in exact integer arithmetic (fractional parts compared as
    ``n * M_h mod M``).

    Parameters
    ----------
    n
        Sample size, ``0 <= n <= M``.
    frame_counts
        District code -> number of households in the frame ``M_h``.

    Returns
    -------
    dict[str, int]
        District code -> ``n_h``, in ascending district code order; sums to ``n``.

    Raises
    ------
    SamplingError
        If ``n`` is negative or exceeds the frame, a count is negative, or (a guard that S1
        cannot trip when ``n <= M``) some ``n_h`` would exceed ``M_h``.
    """
    total = _check_frame_counts(n, frame_counts)
    if n == 0:
        return {code: 0 for code in sorted(frame_counts)}
    shares = {code: divmod(n * count, total) for code, count in frame_counts.items()}
    allocation = {code: share[0] for code, share in shares.items()}
    remaining = n - sum(allocation.values())
    by_remainder = sorted(shares, key=lambda code: (-shares[code][1], -frame_counts[code], code))
    for code in by_remainder[:remaining]:
        allocation[code] += 1
    for code, size in allocation.items():
        if size > frame_counts[code]:
            raise SamplingError(
                f"district {code}: allocation {size:,} exceeds its "
                f"{frame_counts[code]:,} households"
            )
    return {code: allocation[code] for code in sorted(allocation)}


def select_positions(seed: str, district_code: str, frame_size: int, n: int) -> list[int]:
    """Rivest's sampler for one district (SPEC section 3, S2).

    With ``s_h = S + "," + code_h``, the i-th pick (i = 1, 2, ...) is
    ``1 + (int(SHA256_hex(s_h + "," + str(i)), 16) mod M_h)``; repeated positions are skipped
    until ``n`` distinct positions are drawn. Strings are hashed as UTF-8.

    Parameters
    ----------
    seed
        The published seed ``S`` (see :func:`validate_seed`).
    district_code
        ``code_h``.
    frame_size
        ``M_h``, households of the district in the frame.
    n
        ``n_h``, distinct positions wanted, ``0 <= n <= M_h``.

    Returns
    -------
    list[int]
        1-based positions in the canonical frame order of the district, in draw order.

    Raises
    ------
    SamplingError
        If the seed is invalid or ``n`` is negative or exceeds ``frame_size``.
    """
    validate_seed(seed)
    if n < 0 or n > frame_size:
        raise SamplingError(
            f"district {district_code}: cannot draw {n:,} households from {frame_size:,}"
        )
    prefix = hashlib.sha256(f"{seed},{district_code},".encode("utf-8"))
    chosen: dict[int, None] = {}  # insertion-ordered set: draw order is kept
    i = 0
    while len(chosen) < n:
        i += 1
        pick = prefix.copy()
        pick.update(str(i).encode("ascii"))
        chosen[1 + int.from_bytes(pick.digest(), "big") % frame_size] = None
    return list(chosen)


def _check_canonical(code: str, households: Sequence[str]) -> None:
    """A frame out of canonical order would silently change who is drawn."""
    if all(map(operator.lt, households, itertools.islice(households, 1, None))):
        return
    for position in range(1, len(households)):
        if not households[position - 1] < households[position]:
            raise SamplingError(
                f"district {code}: household ids must be unique and in ascending order "
                f"(position {position + 1}: {households[position]!r} "
                f"after {households[position - 1]!r})"
            )


def draw_sample(
    seed: str, frames: Mapping[str, Sequence[str]], n: int
) -> dict[str, list[str]]:
    """Allocate (S1) and select (S2) the household sample (SPEC section 3).

    Parameters
    ----------
    seed
        The published seed ``S``.
    frames
        District code -> household ids of the district in canonical frame order (ascending
        plain string order, see :func:`awards.voting.frame.canonical_order`).
    n
        Total sample size.

    Returns
    -------
    dict[str, list[str]]
        District code (ascending) -> sampled household ids in draw order; district ``h``
        gets ``allocate(n, ...)[h]`` ids.

    Raises
    ------
    SamplingError
        If the seed is invalid, ``n`` exceeds the frame, or a district's ids are not unique
        and ascending.
    """
    validate_seed(seed)
    allocation = allocate(n, {code: len(households) for code, households in frames.items()})
    sample: dict[str, list[str]] = {}
    for code, size in allocation.items():
        households = frames[code]
        _check_canonical(code, households)
        positions = select_positions(seed, code, len(households), size)
        sample[code] = [households[position - 1] for position in positions]
    return sample
