"""CSV exports never hand a spreadsheet a formula (SPEC 9; OWASP "CSV Injection"): a cell
that begins with ``= + - @``, tab or carriage return, or has one after a leading run of
separators and whitespace (``;=1+1``), is written with a leading apostrophe."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from awards.extensions import db
from awards.models import Department
from awards.results.exports import csv_cell
from awards.results.services import compute_campaign_results

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
LOOKED_THROUGH = ",;| \t\r\n\u00a0\u3000"


def stripped(cell: str) -> str:
    return cell.lstrip(LOOKED_THROUGH)


def is_safe(cell: str) -> bool:
    """The rule a reader applies: the cell is quoted with ``'``, or neither it nor what
    follows its leading separators and whitespace starts a formula."""
    return cell.startswith("'") or not (cell.startswith(TRIGGERS)
                                        or stripped(cell).startswith(TRIGGERS))


def round_trip(cells: list) -> list[str]:
    """The cells written as the export writes them, then read back by a CSV reader."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([csv_cell(c) for c in cells])
    [row] = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
    return row


@pytest.mark.parametrize("text", [
    ";=1+1", ",=HYPERLINK(\"http://evil\")", " =1+1", "\n@SUM(A1)", "| -2+3",
    ";;\t+cmd", "\u3000=1", ", ; =1", "=1", "+1", "-1", "@A1", "\tx", "\rx",
])
def test_formulas_behind_separators_are_quoted(text):
    assert csv_cell(text) == "'" + text
    assert round_trip([text]) == ["'" + text]


@pytest.mark.parametrize("text", ["Immigration Department", "入境事務處", "a;=b", "", ";;",
                                  "O'Brien", "1-2"])
def test_plain_text_is_unchanged(text):
    assert csv_cell(text) == text


def test_numbers_stay_numbers():
    assert [csv_cell(v) for v in (-1.5, -3, 0, None, True)] == ["-1.5", "-3", "0", "", "yes"]


TRICKY = st.text(alphabet=st.sampled_from(list("=+-@\t\r\n;,| \u00a0\u3000'\"aZ0字")),
                 max_size=12)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(TRICKY, st.text(max_size=12)), min_size=1, max_size=6))
def test_no_exported_cell_starts_a_formula(cells):
    back = round_trip(cells)
    assert len(back) == len(cells)
    for original, cell in zip(cells, back):
        assert is_safe(cell), (original, cell)
        # the escape adds one apostrophe and changes nothing else
        assert cell == original or cell == "'" + original


def test_the_results_export_escapes_names_behind_separators(signed_in, scored):
    """Through the real download: department names an organiser typed reach the file
    quoted."""
    scored.bootstrap = 0
    names = {"A": ";=HYPERLINK(\"http://evil\")", "B": " \t@SUM(1)", "C": ",+1"}
    for code, name in names.items():
        department = db.session.scalar(select(Department).where(Department.code == code))
        department.name_en = name
    db.session.commit()
    compute_campaign_results(scored, actor="olivia")
    response = signed_in.post(f"/organiser/c/{scored.slug}/results/export.csv")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"), newline="")))
    by_code = {row["department"]: row for row in rows}
    for code, name in names.items():
        assert by_code[code]["name_en"] == "'" + name
    for row in rows:
        assert all(is_safe(cell) for cell in row.values()
                   if not _is_number(cell)), row


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True
