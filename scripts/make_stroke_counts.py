"""Write ``awards/data/stroke_counts.txt``: the total stroke count of every CJK Unified
Ideograph in the Basic Multilingual Plane block (U+4E00..U+9FFF), for sorting Chinese names
in stroke order as Hong Kong lists are (``awards.strokes``).

Source: the Unicode Han Database (Unihan), field ``kTotalStrokes`` in
``Unihan_IRGSources.txt`` (Unicode 15.0; https://www.unicode.org/reports/tr38/#kTotalStrokes).
Where the field gives two counts, the first is for the mainland (G) form and the second for
the Traditional (T) form; Hong Kong writes the traditional forms, so the last count is kept.
Debian ships the file in the ``unicode-data`` package:

    apt-get install unicode-data
    python scripts/make_stroke_counts.py [/usr/share/unicode/Unihan_IRGSources.txt.bz2]

The output has one line per stroke count: the count, a tab, then every character with that
count in code-point order.
"""

from __future__ import annotations

import bz2
import sys
from collections import defaultdict
from pathlib import Path

SOURCE = Path("/usr/share/unicode/Unihan_IRGSources.txt.bz2")
TARGET = Path(__file__).resolve().parent.parent / "awards" / "data" / "stroke_counts.txt"
FIRST, LAST = 0x4E00, 0x9FFF


def read_counts(path: Path) -> dict[str, int]:
    opener = bz2.open if path.suffix == ".bz2" else open
    counts: dict[str, int] = {}
    with opener(path, "rt", encoding="utf-8") as stream:
        for line in stream:
            if line.startswith("#") or "\tkTotalStrokes\t" not in line:
                continue
            point, _field, value = line.rstrip("\n").split("\t")
            code = int(point[2:], 16)
            if FIRST <= code <= LAST:
                counts[chr(code)] = int(value.split()[-1])
    return counts


def main(argv: list[str]) -> None:
    counts = read_counts(Path(argv[1]) if len(argv) > 1 else SOURCE)
    groups: dict[int, list[str]] = defaultdict(list)
    for char in sorted(counts):
        groups[counts[char]].append(char)
    lines = [f"{strokes}\t{''.join(chars)}" for strokes, chars in sorted(groups.items())]
    TARGET.write_text("# kTotalStrokes (Unihan, Unicode 15.0), traditional count; "
                      "made by scripts/make_stroke_counts.py\n" + "\n".join(lines) + "\n",
                      encoding="utf-8")
    print(f"{len(counts)} characters in {len(groups)} stroke counts -> {TARGET}")


if __name__ == "__main__":
    main(sys.argv)
