"""The household frame: CSV import validation, canonical order and digest (SPEC section 3).

Pure functions: no Flask, no database. :func:`parse_frame` reads the whole file and either
returns every row or raises :class:`FrameError` listing every error with its line number, so
the caller can import all-or-nothing. The frame digest is what the audit log records before
the seed is chosen.
"""

from __future__ import annotations

import csv
import hashlib
from array import array
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Set
from typing import BinaryIO

FRAME_HEADER = ("household_id", "district", "address")
MAX_HOUSEHOLD_ID_LENGTH = 64  # households.household_id is String(64)
UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")

FrameRow = tuple[str, str, str | None]
"""``(household_id, district code, address or None)``."""


class FrameError(ValueError):
    """The frame file has errors; nothing may be imported.

    Attributes
    ----------
    errors
        ``(line_number, message)`` for every error found, in line order. Line numbers are
        physical lines of the file, 1-based, the header being line 1; an error in a record
        is reported on the line where the record starts.
    """

    def __init__(self, errors: list[tuple[int, str]]) -> None:
        self.errors = sorted(errors, key=lambda error: error[0])
        shown = "; ".join(f"line {line}: {message}" for line, message in self.errors[:5])
        more = f"; and {len(self.errors) - 5:,} more" if len(self.errors) > 5 else ""
        count = len(self.errors)
        super().__init__(f"{count:,} error{'s' if count != 1 else ''} in the frame: {shown}{more}")


def _decoded_lines(stream: BinaryIO, errors: list[tuple[int, str]]) -> Iterator[str]:
    """Decode one physical line at a time, so a bad byte is reported on its own line."""
    for number, raw in enumerate(stream, start=1):
        if number == 1 and raw.startswith(UTF16_BOMS):
            raise FrameError([(1, "the file is UTF-16 text; save it as CSV UTF-8")])
        if number == 1 and raw.startswith(UTF8_BOM):
            raw = raw[len(UTF8_BOM):]
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            errors.append(
                (number, f"not valid UTF-8 (byte 0x{raw[exc.start]:02X} at column {exc.start + 1});"
                 " save the file as UTF-8")
            )
            yield raw.decode("utf-8", "replace")


def _header_width(record: list[str] | None) -> int | None:
    """2 or 3 columns for a correct header, ``None`` otherwise."""
    if record is not None and tuple(record) in (FRAME_HEADER, FRAME_HEADER[:2]):
        return len(record)
    return None


def _household_id_problem(household_id: str) -> str | None:
    if not household_id:
        return "empty household_id"
    if len(household_id) > MAX_HOUSEHOLD_ID_LENGTH:
        return f"household_id longer than {MAX_HOUSEHOLD_ID_LENGTH} characters"
    if household_id != household_id.strip():
        return f"household_id {household_id!r} starts or ends with spaces"
    if "," in household_id or not household_id.isprintable():
        return (f"household_id {household_id!r} contains a comma, a line break or a control "
                "character")
    return None


class _FrameChecker:
    """Checks records one by one and remembers every error (SPEC section 3 "Frame")."""

    def __init__(self, district_codes: Set[str], width: int) -> None:
        self.districts = {code: code for code in district_codes}  # one shared str per code
        self.known = ", ".join(sorted(district_codes))
        self.width = width
        self.errors: list[tuple[int, str]] = []
        self.rows: list[FrameRow] = []
        self.row_lines = array("L")
        self.seen: set[str] = set()
        self.duplicates: list[tuple[int, str]] = []

    def check(self, line: int, record: list[str]) -> None:
        if len(record) != self.width:
            expected = ",".join(FRAME_HEADER[: self.width])
            self.errors.append(
                (line, f"expected {self.width} fields ({expected}), found {len(record)}")
            )
            return
        household_id = record[0]
        problem = _household_id_problem(household_id)
        if problem:
            self.errors.append((line, problem))
        elif household_id in self.seen:
            self.duplicates.append((line, household_id))
        else:
            self.seen.add(household_id)
        district = self.districts.get(record[1])
        if district is None:
            self.errors.append(
                (line, f"unknown district {record[1]!r}; expected one of: {self.known}")
            )
        address = record[2] if self.width == 3 and record[2].strip() else None
        self.rows.append((household_id, district or record[1], address))
        self.row_lines.append(line)

    def report_duplicates(self) -> None:
        """Name the first occurrence of every duplicated id (found after the single pass,
        which keeps only a set of ids in memory)."""
        if not self.duplicates:
            return
        wanted = {household_id for _, household_id in self.duplicates}
        first_line: dict[str, int] = {}
        for (household_id, _, _), line in zip(self.rows, self.row_lines):
            if household_id in wanted and household_id not in first_line:
                first_line[household_id] = line
        for line, household_id in self.duplicates:
            self.errors.append(
                (line, f"duplicate household_id {household_id!r} "
                 f"(first on line {first_line[household_id]})")
            )


def _records(
    reader: Iterator[list[str]], errors: list[tuple[int, str]]
) -> Iterator[tuple[int, list[str]]]:
    """``(start line, fields)`` per CSV record; CSV syntax errors are recorded, not raised."""
    end = 0
    while True:
        start = end + 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            end = reader.line_num  # type: ignore[attr-defined]
            span = f" (lines {start}-{end})" if end > start else ""
            errors.append((start, f"CSV syntax error: {exc}{span}; check the quotes"))
            continue
        end = reader.line_num  # type: ignore[attr-defined]
        yield start, record


def parse_frame(stream: BinaryIO, district_codes: Set[str]) -> list[FrameRow]:
    """Read and validate a whole household frame CSV (SPEC section 3 "Frame").

    The header is exactly ``household_id,district,address`` or ``household_id,district``;
    every record has as many fields as the header. UTF-8 with or without a byte order mark.
    Blank lines are ignored; an empty or blank ``address`` becomes ``None``.

    Parameters
    ----------
    stream
        The file, opened in binary mode.
    district_codes
        District codes of the campaign.

    Returns
    -------
    list[FrameRow]
        ``(household_id, district, address)`` in file order, when the file has no error.

    Raises
    ------
    FrameError
        Listing every error with its line number: bad header (reported alone, since the
        columns cannot be interpreted), invalid UTF-8, CSV syntax, wrong number of fields,
        empty or malformed household id, unknown district, duplicate household id (with
        the line of its first occurrence), no households at all.
    """
    errors: list[tuple[int, str]] = []
    reader = csv.reader(_decoded_lines(stream, errors), strict=True)
    records = _records(reader, errors)
    first = next(records, None)
    if first is None:
        raise FrameError(errors or [(1, "the file is empty; expected the header "
                                        "household_id,district,address")])
    width = _header_width(first[1])
    if width is None or errors:
        found = ",".join(first[1])
        raise FrameError(errors + [(first[0], "the header must be household_id,district,address "
                                    f"(address optional), found {found!r}")])
    checker = _FrameChecker(district_codes, width)
    for line, record in records:
        if not record:
            continue
        if errors and errors[-1][0] >= line:
            continue  # this record holds undecodable bytes: already reported
        checker.check(line, record)
    checker.report_duplicates()
    errors.extend(checker.errors)
    if not errors and not checker.rows:
        errors.append((1, "the file has a header but no households"))
    if errors:
        raise FrameError(errors)
    return checker.rows


def canonical_order(rows: Iterable[FrameRow]) -> dict[str, list[str]]:
    """The canonical frame order (SPEC section 3): districts ascending, and inside each
    district household ids in ascending plain string (code point) order.

    Parameters
    ----------
    rows
        ``(household_id, district, ...)`` tuples, e.g. from :func:`parse_frame`.

    Returns
    -------
    dict[str, list[str]]
        District code -> sorted household ids, districts in ascending order. This is the
        input of :func:`awards.voting.sampling.draw_sample`.
    """
    by_district: defaultdict[str, list[str]] = defaultdict(list)
    for row in rows:
        by_district[row[1]].append(row[0])
    return {district: sorted(by_district[district]) for district in sorted(by_district)}


def digest_frames(frames: Mapping[str, Iterable[str]]) -> str:
    """Frame digest of a frame grouped by district (SPEC section 3).

    SHA-256 (lowercase hex) of the UTF-8 lines ``household_id,district\\n`` over all
    districts, sorted by ``(district, household_id)`` in plain string order. The ids are
    sorted here, so a list in database collation order gives the same digest.

    Parameters
    ----------
    frames
        District code -> household ids of that district.

    Returns
    -------
    str
        64 lowercase hex characters.
    """
    digest = hashlib.sha256()
    for district in sorted(frames):
        household_ids = sorted(frames[district])
        if household_ids:
            suffix = f",{district}\n"
            digest.update((suffix.join(household_ids) + suffix).encode("utf-8"))
    return digest.hexdigest()


def frame_digest(rows: Iterable[FrameRow]) -> str:
    """Frame digest of frame rows (SPEC section 3); see :func:`digest_frames`.

    Parameters
    ----------
    rows
        ``(household_id, district, ...)`` tuples, in any order.

    Returns
    -------
    str
        64 lowercase hex characters.
    """
    return digest_frames(canonical_order(rows))
