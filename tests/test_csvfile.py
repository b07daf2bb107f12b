"""One CSV reader for the frame, paper returns and score sheets: the same rules everywhere."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from awards.csvfile import FIELD_LIMIT, CsvFileError, CsvReader
from awards.extensions import db
from awards.models import Ballot, Household
from awards.voting.codes import format_code

from .conftest import PASSWORD
from .voting.conftest import (  # noqa: F401
    config_text,
    letters,
    letters_snapshot,
    open_campaign,
    open_snapshot,
    sampled_campaign,
    sampled_snapshot,
)

HEADER = ("code", "choices")


def read(data, header=HEADER, **kwargs) -> tuple[list, list]:
    """``(records, errors)`` of a whole read, the errors as :meth:`CsvReader.check` raises them."""
    reader = CsvReader(data, header, what="test file", **kwargs)
    records = list(reader)
    try:
        reader.check()
    except CsvFileError as exc:
        return records, exc.errors
    return records, []


@pytest.mark.parametrize("source", [b"code,choices\nA,B\n", "code,choices\nA,B\n",
                                    io.BytesIO(b"\xef\xbb\xbfcode,choices\r\nA,B\r\n"),
                                    io.StringIO("\ufeffcode,choices\nA,B\n", newline="")])
def test_bytes_text_streams_and_a_bom_read_alike(source) -> None:
    assert read(source) == ([(2, ["A", "B"])], [])


def test_header_names_ignore_case_and_spaces_and_a_wrong_header_is_alone() -> None:
    assert read(b" Code , CHOICES\nA,B\n")[0] == [(2, ["A", "B"])]
    with pytest.raises(CsvFileError) as caught:
        CsvReader(b"code;choices\nA,B\n\xff\n", HEADER, what="test file")
    assert caught.value.errors == [(1, "the header must be code,choices, found 'code;choices'")]


def test_optional_last_column_sets_the_width() -> None:
    reader = CsvReader(b"a,b\n1,2\n", ("a", "b", "c"), what="test file", optional=1)
    assert reader.width == 2 and list(reader) == [(2, ["1", "2"])]


def test_empty_and_utf16_files_are_refused_with_a_hint() -> None:
    with pytest.raises(CsvFileError) as caught:
        CsvReader(b"", HEADER, what="test file")
    assert caught.value.errors == [(1, "the file is empty; expected the header code,choices")]
    with pytest.raises(CsvFileError) as caught:
        CsvReader("code,choices\n".encode("utf-16"), HEADER, what="test file")
    assert caught.value.errors == [(1, "the file is UTF-16 text; save it as CSV UTF-8")]


def test_line_numbers_are_physical_lines_where_the_record_starts() -> None:
    data = b'code,choices\n"two\nlines",x\n\n"bad"quote,y\ncaf\xe9,z\nlast,w\n'
    records, errors = read(data)
    assert records == [(2, ["two\nlines", "x"]), (7, ["last", "w"])]
    assert errors == [
        (5, "CSV syntax error: ',' expected after '\"'; check the quotes"),
        (6, "not valid UTF-8 (byte 0xE9 at column 4); save the file as UTF-8"),
    ]


def test_an_over_long_field_is_an_error_on_its_line_and_reading_goes_on() -> None:
    data = ("code,choices\nok,1\nbig," + "x" * (FIELD_LIMIT + 10) + "\nafter,2\n").encode()
    records, errors = read(data)
    assert records == [(2, ["ok", "1"]), (4, ["after", "2"])]
    assert errors == [(3, f"a field is longer than {FIELD_LIMIT:,} characters")]


def test_blank_records_are_skipped_and_an_empty_body_is_named() -> None:
    reader = CsvReader(b"code,choices\n\n , \n", HEADER, what="test file")
    assert list(reader) == []
    with pytest.raises(CsvFileError) as caught:
        reader.check(empty="the file has no returns", rows=0)
    assert caught.value.errors == [(1, "the file has no returns")]
    assert str(caught.value) == "1 error in the test file; nothing was imported"


# --- the three imports, through their real entry points ----------------------------------


def test_paper_returns_with_a_200_kb_field_get_a_422_with_its_line(client, organiser,
                                                                   open_campaign, letters):
    client.signin("olivia", PASSWORD)
    client.get("/organiser/c/csea-test/turnout")
    body = (f"code,choices\n{format_code(letters[0].code)},A\n"
            f"{letters[1].code},{'A;' * 100_000}\n").encode()
    response = client.post("/organiser/c/csea-test/turnout/paper",
                           {"returns": (io.BytesIO(body), "r.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert "a field is longer than" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == 0


def test_paper_line_numbers_count_physical_lines(open_campaign, letters, runner, tmp_path):
    path = tmp_path / "returns.csv"
    path.write_text(f'code,choices\n{letters[0].code},"A;\nB"\n{letters[1].code},ZZ\n',
                    encoding="utf-8")
    result = runner.invoke(args=["awards", "ballots", "import", "csea-test", str(path)])
    assert result.exit_code == 1
    assert "line 4: unknown department 'ZZ'" in result.stderr
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == 0


def counts() -> tuple[int, int]:
    return (db.session.scalar(select(func.count()).select_from(Household)),
            db.session.scalar(select(func.count()).select_from(Ballot)))


@pytest.mark.parametrize("command,header,fixture", [
    (["frame", "import"], "household_id,district,address", "campaign"),
    (["ballots", "import"], "code,choices", "open_campaign"),
    (["scores", "import"], "round,judge,department,criterion,score", "campaign"),
])
def test_every_import_answers_a_stray_byte_and_a_long_field_alike(command, header, fixture,
                                                                    request, runner, tmp_path):
    request.getfixturevalue(fixture)
    before = counts()
    path = tmp_path / "in.csv"
    path.write_bytes(f"{header}\n".encode() + b"caf\xe9\n" + b"x" * (FIELD_LIMIT + 1) + b"\n")
    result = runner.invoke(args=["awards", *command, "csea-test", str(path)])
    assert result.exit_code == 1
    message = result.stderr
    assert "line 2: not valid UTF-8 (byte 0xE9 at column 4)" in message
    assert f"line 3: a field is longer than {FIELD_LIMIT:,} characters" in message
    assert "Traceback" not in message
    assert counts() == before
