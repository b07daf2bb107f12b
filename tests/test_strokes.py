"""Chinese names sort in stroke order (Hong Kong lists): the first character's total
strokes, then the character, then the next character's, and so on."""

from __future__ import annotations

import csv

import pytest

from awards.demo import default_data_dir
from awards.strokes import DATA, UNKNOWN, stroke_counts, stroke_key, strokes

from .browser.helpers import DEPARTMENTS


def real_chinese_names() -> list[str]:
    """The 34 departments of the reference data (or the 28 of the browser tests)."""
    path = default_data_dir() / "hk_departments.csv"
    if path.exists():
        with path.open(encoding="utf-8", newline="") as stream:
            return [row["name_zh"] for row in csv.DictReader(stream)]
    return [zh for _code, _en, zh in DEPARTMENTS]


@pytest.mark.parametrize("char, count", [
    ("一", 1), ("入", 2), ("土", 3), ("水", 4), ("民", 5), ("地", 6), ("社", 7), ("房", 8),
    ("香", 9), ("海", 10), ("康", 11), ("勞", 12), ("路", 13), ("漁", 14), ("選", 15),
    # the traditional forms Hong Kong writes (Unihan gives the T-source count last)
    ("衞", 16), ("衛", 15), ("機", 16), ("懲", 19), ("關", 19), ("處", 11),
])
def test_known_stroke_counts(char, count):
    assert strokes(char) == count


def test_the_table_covers_every_character_of_the_real_names():
    missing = {ch for name in real_chinese_names() for ch in name if strokes(ch) is None}
    assert not missing
    assert len(stroke_counts()) == 0x9FFF - 0x4E00 + 1
    assert DATA.stat().st_size < 100_000


def test_real_department_names_in_stroke_order():
    names = sorted(real_chinese_names(), key=stroke_key)
    firsts = [strokes(name[0]) for name in names]
    assert firsts == sorted(firsts)
    assert names[0] == "入境事務處"  # 入: two strokes
    # names that share a first character stay together, then the next character decides
    hk = [n for n in names if n.startswith("香港")]
    start = names.index(hk[0])
    assert names[start:start + len(hk)] == hk
    assert [strokes(n[2]) for n in hk] == sorted(strokes(n[2]) for n in hk)
    assert sorted(["衞生署", "選舉事務處"], key=stroke_key) == ["選舉事務處", "衞生署"]  # 15, 16


def test_ties_and_characters_outside_the_table():
    assert stroke_key("香港郵政") < stroke_key("香港警務處")  # 郵 11 < 警 20
    assert stroke_key("水務署") < stroke_key("水務署A")  # a prefix first
    assert stroke_key("ABC")[0] == (UNKNOWN, ord("A"))
    assert stroke_key("龍") < stroke_key("ABC")  # ideographs before unknown characters
    assert stroke_key(" 水務署 ") == stroke_key("水務署")
