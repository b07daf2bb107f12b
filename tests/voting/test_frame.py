"""Household frame import, canonical order and digest (SPEC section 3 "Frame")."""

from __future__ import annotations

import hashlib
import io

import pytest

from awards.exceptions import InvalidInput
from awards.voting.frame import (
    FrameError,
    canonical_order,
    digest_frames,
    frame_digest,
    parse_frame,
)

DISTRICTS = {"KT", "IS", "ST"}


def parse(text: str | bytes) -> list[tuple[str, str, str | None]]:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return parse_frame(io.BytesIO(data), DISTRICTS)


def errors_of(text: str | bytes) -> list[tuple[int, str]]:
    with pytest.raises(FrameError) as caught:
        parse(text)
    return caught.value.errors


# --- accepted files ---------------------------------------------------------------------


def test_rows_come_back_in_file_order() -> None:
    rows = parse("household_id,district,address\nH2,KT,1 Main St\nH1,IS,\n")
    assert rows == [("H2", "KT", "1 Main St"), ("H1", "IS", None)]


def test_byte_order_mark_and_crlf_are_accepted() -> None:
    data = "\ufeffhousehold_id,district,address\r\nH1,KT,x\r\n".encode("utf-8")
    assert parse(data) == [("H1", "KT", "x")]


def test_address_column_is_optional() -> None:
    expected = [("H1", "KT", None), ("H2", "ST", None)]
    assert parse("household_id,district\nH1,KT\nH2,ST\n") == expected


def test_quoted_addresses_may_hold_commas_newlines_and_chinese() -> None:
    text = ('household_id,district,address\n'
            'H1,KT,"Flat 3, 12/F\n觀塘道 1號"\n'
            'H2,IS,"He said ""hi"""\n')
    assert parse(text) == [("H1", "KT", "Flat 3, 12/F\n觀塘道 1號"), ("H2", "IS", 'He said "hi"')]


def test_blank_lines_and_missing_final_newline_are_fine() -> None:
    expected = [("H1", "KT", None), ("H2", "ST", None)]
    assert parse("household_id,district\n\nH1,KT\n\nH2,ST") == expected


def test_header_names_are_read_like_every_import_without_case_or_spaces() -> None:
    assert parse("Household_ID, District ,ADDRESS\nH1,KT,x\n") == [("H1", "KT", "x")]


def test_blank_address_becomes_none() -> None:
    assert parse("household_id,district,address\nH1,KT,   \n") == [("H1", "KT", None)]


# --- every kind of error, with line numbers ---------------------------------------------


@pytest.mark.parametrize(
    "header",
    ["id,district,address", "household_id,district,address,extra", "district,household_id",
     "household_id"],
)
def test_a_wrong_header_is_reported_alone(header: str) -> None:
    errors = errors_of(f"{header}\nH1,XX\n,KT\n")
    assert len(errors) == 1
    line, message = errors[0]
    assert line == 1 and "the header must be household_id,district,address" in message
    assert repr(header) in message


def test_an_empty_file_is_an_error() -> None:
    assert errors_of("") == [(1, "the file is empty; expected the header "
                                 "household_id,district,address")]


def test_a_header_without_households_is_an_error() -> None:
    assert errors_of("household_id,district,address\n\n") == [
        (1, "the file has a header but no households")
    ]


def test_invalid_utf8_is_reported_on_its_line() -> None:
    data = b"household_id,district,address\nH1,KT,ok\nH2,KT,caf\xe9\nH3,KT,ok\n"
    assert errors_of(data) == [
        (3, "not valid UTF-8 (byte 0xE9 at column 10); save the file as UTF-8")
    ]


def test_a_utf16_file_gets_one_clear_error() -> None:
    data = "household_id,district\nH1,KT\n".encode("utf-16")
    assert errors_of(data) == [(1, "the file is UTF-16 text; save it as CSV UTF-8")]


def test_empty_household_id() -> None:
    assert errors_of("household_id,district\nH1,KT\n,KT\n") == [(3, "empty household_id")]


def test_unknown_district() -> None:
    assert errors_of("household_id,district\nH1,KT\nH2,Kwun Tong\n") == [
        (3, "unknown district 'Kwun Tong'; expected one of: IS, KT, ST")
    ]


def test_duplicate_id_names_its_first_line() -> None:
    text = "household_id,district\nH1,KT\nH2,KT\nH1,IS\nH2,ST\nH1,KT\n"
    assert errors_of(text) == [
        (4, "duplicate household_id 'H1' (first on line 2)"),
        (5, "duplicate household_id 'H2' (first on line 3)"),
        (6, "duplicate household_id 'H1' (first on line 2)"),
    ]


@pytest.mark.parametrize(("row", "found"), [("H1", 1), ("H1,KT", 2), ("H1,KT,a,b", 4)])
def test_wrong_number_of_fields(row: str, found: int) -> None:
    assert errors_of(f"household_id,district,address\nH0,KT,\n{row}\n") == [
        (3, f"expected 3 fields (household_id,district,address), found {found}")
    ]


@pytest.mark.parametrize(
    ("household_id", "message"),
    [
        (" H1", "household_id ' H1' starts or ends with spaces"),
        ("H" * 65, "household_id longer than 64 characters"),
        ('"H,1"', "household_id 'H,1' contains a comma, a line break or a control character"),
        ("H\t1", "household_id 'H\\t1' contains a comma, a line break or a control character"),
    ],
)
def test_malformed_household_ids(household_id: str, message: str) -> None:
    assert errors_of(f"household_id,district\n{household_id},KT\n") == [(2, message)]


def test_csv_syntax_error_is_reported_where_the_record_starts() -> None:
    text = 'household_id,district,address\nH1,KT,"Flat 1\nBlock 2"x\nH2,XX,\n'
    assert errors_of(text) == [
        (2, "CSV syntax error: ',' expected after '\"' (lines 2-3); check the quotes"),
        (4, "unknown district 'XX'; expected one of: IS, KT, ST"),
    ]


def test_every_error_is_listed_in_line_order() -> None:
    data = (
        "household_id,district,address\n"  # 1
        "H1,KT,\"Flat 1,\n2/F\"\n"  # 2-3: fine, spans two lines
        "H2,XX,\n"  # 4: unknown district
        ",KT,\n"  # 5: empty id
        "H1,IS,\n"  # 6: duplicate of line 2
        "H3,KT\n"  # 7: two fields
    ).encode("utf-8") + b"H4,\xff\xfe,\n" + b"H5,ST,ok\n"  # 8: bad UTF-8
    assert errors_of(data) == [
        (4, "unknown district 'XX'; expected one of: IS, KT, ST"),
        (5, "empty household_id"),
        (6, "duplicate household_id 'H1' (first on line 2)"),
        (7, "expected 3 fields (household_id,district,address), found 2"),
        (8, "not valid UTF-8 (byte 0xFF at column 4); save the file as UTF-8"),
    ]


def test_one_line_can_have_several_errors() -> None:
    assert errors_of("household_id,district\n,XX\n") == [
        (2, "empty household_id"),
        (2, "unknown district 'XX'; expected one of: IS, KT, ST"),
    ]


def test_frame_error_message_summarises() -> None:
    text = "household_id,district\n" + "".join(f"H{k},XX\n" for k in range(8))
    with pytest.raises(FrameError) as caught:
        parse(text)
    assert len(caught.value.errors) == 8
    assert str(caught.value) == "8 errors in the frame; nothing was imported"
    assert caught.value.errors[0] == (2, "unknown district 'XX'; expected one of: IS, KT, ST")
    assert isinstance(caught.value, InvalidInput)  # the error module answers it with a 400


# --- canonical order and digest ---------------------------------------------------------


ROWS = [("H9", "KT", "a"), ("H10", "KT", None), ("h1", "IS", None), ("H2", "IS", "b"),
        ("Z", "ST", None)]


def test_canonical_order_is_plain_string_order_by_district() -> None:
    assert canonical_order(ROWS) == {"IS": ["H2", "h1"], "KT": ["H10", "H9"], "ST": ["Z"]}
    assert list(canonical_order(ROWS)) == ["IS", "KT", "ST"]


def test_frame_digest_is_sha256_of_canonical_lines() -> None:
    text = "H2,IS\nh1,IS\nH10,KT\nH9,KT\nZ,ST\n"
    assert frame_digest(ROWS) == hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_frame_digest_ignores_file_order_and_addresses() -> None:
    changed = [(hid, district, "purged") for hid, district, _ in reversed(ROWS)]
    assert frame_digest(changed) == frame_digest(ROWS)


def test_frame_digest_changes_with_any_id_or_district() -> None:
    assert frame_digest(ROWS[:-1] + [("Z", "KT", None)]) != frame_digest(ROWS)
    assert frame_digest(ROWS[:-1] + [("Y", "ST", None)]) != frame_digest(ROWS)


def test_digest_frames_accepts_ids_in_any_order() -> None:
    shuffled = {"KT": ["H9", "H10"], "ST": ["Z"], "IS": ["h1", "H2"]}
    assert digest_frames(shuffled) == frame_digest(ROWS)


def test_non_ascii_ids_hash_as_utf8() -> None:
    rows = [("住戶1", "KT", None)]
    assert frame_digest(rows) == hashlib.sha256("住戶1,KT\n".encode("utf-8")).hexdigest()


def test_parsed_frame_digest_round_trip() -> None:
    text = "household_id,district,address\nH9,KT,a\nH10,KT,\nh1,IS,\nH2,IS,b\nZ,ST,\n"
    assert frame_digest(parse(text)) == frame_digest(ROWS)
