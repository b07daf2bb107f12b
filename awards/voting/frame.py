"""The household frame: CSV import validation, canonical order and digest (SPEC section 3).

Pure functions: no Flask, no database. :func:`parse_frame` reads the whole file and either
returns every row or raises :class:`FrameError` listing every error with its line number, so
the caller can import all-or-nothing. The frame digest is what the audit log records before
the seed is chosen.
"""

from __future__ import annotations

import hashlib
from array import array
from collections import defaultdict
from collections.abc import Iterable, Mapping, Set
from typing import BinaryIO

from awards.csvfile import CsvFileError, CsvReader

FRAME_HEADER = ("household_id", "district", "address")
MAX_HOUSEHOLD_ID_LENGTH = 64  # households.household_id is String(64)

FrameRow = tuple[str, str, str | None]
"""``(household_id, district code, address or None)``."""


FrameError = CsvFileError
"""The frame file has errors; nothing may be imported (the one CSV error type)."""


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


def parse_frame(stream: BinaryIO, district_codes: Set[str]) -> list[FrameRow]:
    """Read and validate a whole household frame CSV (SPEC section 3 "Frame").

    The header is ``household_id,district,address`` or ``household_id,district``; every
    record has as many fields as the header. The file follows the rules of
    :mod:`awards.csvfile` (UTF-8, line numbers, blank lines ignored). An empty or blank
    ``address`` becomes ``None``.

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
    reader = CsvReader(stream, FRAME_HEADER, what="frame", optional=1)
    checker = _FrameChecker(district_codes, reader.width)
    for line, record in reader:
        checker.check(line, record)
    checker.report_duplicates()
    reader.errors.extend(checker.errors)
    reader.check(empty="the file has a header but no households", rows=len(checker.rows))
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
