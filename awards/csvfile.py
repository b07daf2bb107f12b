"""One CSV reader for every import (the household frame, paper returns and score sheets),
and one escaping rule for every CSV export.

Pure: no Flask, no database. Every import follows the same rules, so that an organiser meets
the same behaviour and the same messages whichever file they load:

- UTF-8, with or without a byte order mark; a UTF-16 file is refused with a hint; a line that
  is not valid UTF-8 is reported on its own line, with the byte and the column.
- The first record is the header; its names are compared without surrounding spaces and
  without regard to case. A wrong header is reported alone (the columns cannot be read).
- Line numbers are physical lines of the file, 1-based, the header being line 1; an error
  in a record is reported on the line where the record starts (a quoted field may span
  lines).
- A CSV syntax error (a stray quote, a field longer than :data:`FIELD_LIMIT` characters) is
  reported with its line and reading goes on, so that one pass lists every error.
- Blank records are skipped.
- All or nothing: the caller adds its own errors with :meth:`CsvReader.error` and calls
  :meth:`CsvReader.check`, which raises one :class:`CsvFileError` listing every error.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import BinaryIO, TextIO

from awards.exceptions import InvalidInput

FIELD_LIMIT = csv.field_size_limit()
UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")

Source = BinaryIO | TextIO | bytes | str
Record = tuple[int, list[str]]


class CsvFileError(InvalidInput):
    """A CSV file has errors; nothing may be imported.

    Attributes
    ----------
    errors
        ``(line_number, message)`` for every error found, in line order: the command line
        and the pages list them under the one-line message.
    """

    def __init__(self, what: str, errors: Iterable[tuple[int, str]]) -> None:
        ordered = sorted(errors, key=lambda error: error[0])
        count = len(ordered)
        super().__init__(f"{count:,} error{'s' if count != 1 else ''} in the {what}; nothing "
                         "was imported", ordered, code="file.errors", count=count, what=what)


def _physical_lines(source: Source, errors: list[tuple[int, str]]) -> Iterator[str]:
    """The file's lines as text, decoded one physical line at a time so that a bad byte is
    reported on its own line."""
    if isinstance(source, str):
        source = io.StringIO(source, newline="")
    elif isinstance(source, bytes):
        source = io.BytesIO(source)
    for number, raw in enumerate(source, start=1):
        if isinstance(raw, str):
            yield raw.removeprefix("\ufeff") if number == 1 else raw
            continue
        if number == 1 and raw.startswith(UTF16_BOMS):
            errors.append((1, "the file is UTF-16 text; save it as CSV UTF-8"))
            return
        if number == 1 and raw.startswith(UTF8_BOM):
            raw = raw[len(UTF8_BOM):]
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            errors.append((number, f"not valid UTF-8 (byte 0x{raw[exc.start]:02X} at column "
                                   f"{exc.start + 1}); save the file as UTF-8"))
            yield raw.decode("utf-8", "replace")


def _syntax_message(exc: csv.Error, span: str) -> str:
    if "field larger than field limit" in str(exc):
        return f"a field is longer than {FIELD_LIMIT:,} characters{span}"
    return f"CSV syntax error: {exc}{span}; check the quotes"


class CsvReader:
    """Reads one CSV file by the rules of this module.

    Parameters
    ----------
    source
        The file: a binary or text stream, bytes or str.
    header
        The expected column names, in order.
    optional
        How many of the last columns may be left out of the header (e.g. 1 for the
        frame's ``address``): :attr:`width` then says how many the file has.
    what
        What the file is, for messages ("frame", "paper returns", "score sheet").

    Raises
    ------
    CsvFileError
        From the constructor when the file is empty, not UTF-8 on its first line or has a
        wrong header; from :meth:`check` for every other error.
    """

    def __init__(self, source: Source, header: Sequence[str], *, what: str,
                 optional: int = 0) -> None:
        self.what = what
        self.errors: list[tuple[int, str]] = []
        self._reader = csv.reader(_physical_lines(source, self.errors), strict=True)
        self._records = self._all_records()
        expected = ",".join(header)
        first = next(self._records, None)
        if first is None:
            raise CsvFileError(what, self.errors or [
                (1, f"the file is empty; expected the header {expected}")])
        names = [name.strip().lower() for name in first[1]]
        widths = range(len(header) - optional, len(header) + 1)
        if self.errors or len(names) not in widths or names != list(header[:len(names)]):
            found = ",".join(first[1])
            raise CsvFileError(what, self.errors + [
                (first[0], f"the header must be {expected}"
                           f"{' (the last column is optional)' if optional else ''}, "
                           f"found {found!r}")])
        self.width = len(names)

    def _all_records(self) -> Iterator[Record]:
        """``(start line, fields)`` per record, in one pass: syntax errors are recorded, not
        raised; blank records and records whose bytes were not UTF-8 (already reported) are
        left out."""
        reader = self._reader
        errors = self.errors
        end = 0
        while True:
            start = end + 1
            try:
                record = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                end = reader.line_num
                span = f" (lines {start}-{end})" if end > start else ""
                errors.append((start, _syntax_message(exc, span)))
                continue
            end = reader.line_num
            if not record or ((not record[0] or record[0].isspace())
                              and not any(field.strip() for field in record)):
                continue
            if errors and errors[-1][0] >= start:
                continue
            yield start, record

    def __iter__(self) -> Iterator[Record]:
        """The data records after the header (see :meth:`_all_records`)."""
        return self._records

    def error(self, line: int, message: str) -> None:
        """Note one error of the caller's own checks."""
        self.errors.append((line, message))

    def wrong_width(self, line: int, record: list[str], header: Sequence[str]) -> bool:
        """True (and the error noted) when ``record`` has not :attr:`width` fields."""
        if len(record) == self.width:
            return False
        self.error(line, f"expected {self.width} fields ({','.join(header[:self.width])}), "
                         f"found {len(record)}")
        return True

    def check(self, *, empty: str | None = None, rows: int = 1) -> None:
        """Raise :class:`CsvFileError` with every error noted; with ``rows == 0`` and no
        other error, ``empty`` is the error (a file with a header and nothing else)."""
        if not self.errors and rows == 0 and empty:
            self.errors.append((1, empty))
        if self.errors:
            raise CsvFileError(self.what, self.errors)


# --------------------------------------------------------------------------- writing

#: Characters that make a spreadsheet read a cell as a formula (OWASP, "CSV Injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
#: Characters a spreadsheet may take as a cell separator in some locale or import dialog;
#: ``;=1+1`` is a formula in the cell after the ``;`` there, so they are looked through.
SEPARATORS = frozenset(",;|")


def _after_separators(text: str) -> str:
    """``text`` without its leading run of separators and whitespace."""
    index = 0
    while index < len(text) and (text[index] in SEPARATORS or text[index].isspace()):
        index += 1
    return text[index:]


def escape_formula(text: str) -> str:
    """``text`` with a leading apostrophe when a spreadsheet could run it as a formula: it
    begins with ``= + - @``, tab or carriage return, or one of them follows a leading run of
    separators (``, ; |``) and whitespace. The idea follows the OWASP CSV Injection page
    (prefix the cell with ``'``); the look-through of separators is ours."""
    if text.startswith(FORMULA_TRIGGERS) or _after_separators(text).startswith(
            FORMULA_TRIGGERS):
        return "'" + text
    return text


def unescape_formula(cell: str) -> str:
    """The text that :func:`escape_formula` turned into ``cell`` (files read back, such as
    ``letters.csv``)."""
    if cell[:1] == "'" and escape_formula(cell[1:]) == cell:
        return cell[1:]
    return cell
