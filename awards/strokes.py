"""Chinese names in stroke order, as Hong Kong lists them (the Government's directories and
the 2001-02 award's ballot list departments by the strokes of their Chinese names).

A name's key compares it character by character: total strokes first, then the character
itself, so names with the same first character stay together (香港警務處, 香港郵政, …) and
the next character decides between them. Counts are Unihan's ``kTotalStrokes`` for the
traditional form (``data/stroke_counts.txt``, written by ``scripts/make_stroke_counts.py``).
Characters outside the table (Latin letters, digits, rare ideographs) sort after the
ideographs with a count, by code point.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

DATA = Path(__file__).parent / "data" / "stroke_counts.txt"
UNKNOWN = 99  # after every stroke count in the table (the largest is in the sixties)


@cache
def stroke_counts() -> dict[str, int]:
    """Character → total strokes, from the shipped table."""
    counts: dict[str, int] = {}
    for line in DATA.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        strokes, chars = line.split("\t")
        counts.update(dict.fromkeys(chars, int(strokes)))
    return counts


def strokes(char: str) -> int | None:
    """Total strokes of ``char``, or None when the table does not have it."""
    return stroke_counts().get(char)


def stroke_key(name: str) -> tuple[tuple[int, int], ...]:
    """Sort key of ``name`` in stroke order: ``(strokes, code point)`` per character."""
    counts = stroke_counts()
    return tuple((counts.get(ch, UNKNOWN), ord(ch)) for ch in name.strip())
