"""Joining reportlab documents into one PDF as they are produced.

reportlab keeps a whole document in memory until it is saved, so the letters are drawn in
batches; each saved batch is copied here into the output file at once, its objects
renumbered, so memory stays bounded whatever the number of letters. Only the subset of PDF
that reportlab writes is handled: uncompressed object headers, a classic cross-reference
table, and one page tree.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from array import array
from typing import BinaryIO

_OBJECT_HEADER = re.compile(rb"(\d+) 0 obj\s*")
_REFERENCE = re.compile(rb"\b(\d+) 0 R\b")
_PARENT = re.compile(rb"/Parent \d+ 0 R")
_STREAM = b"\nstream\n"


def _read_objects(data: bytes) -> tuple[dict[int, bytes], int]:
    """Bodies (between ``N 0 obj`` and ``endobj``) of a reportlab PDF's objects, by number,
    located through its classic cross-reference table; and the catalog's number."""
    startxref = int(re.search(rb"startxref\s+(\d+)\s+%%EOF\s*$", data).group(1))
    table = re.compile(rb"xref\s+0 (\d+)\s+").match(data, startxref)
    count, first = int(table.group(1)), table.end()
    offsets = [int(data[first + 20 * k: first + 20 * k + 10]) for k in range(1, count)]
    bounds = sorted(offsets) + [startxref]
    following = {start: end for start, end in zip(bounds, bounds[1:])}
    objects = {}
    for number, offset in enumerate(offsets, start=1):
        header = _OBJECT_HEADER.match(data, offset)
        if header is None or int(header.group(1)) != number:
            raise ValueError(f"unexpected PDF layout at object {number}")
        end = data.rindex(b"endobj", header.end(), following[offset])
        objects[number] = data[header.end(): end].rstrip()
    root = int(re.search(rb"/Root (\d+) 0 R", data[startxref:]).group(1))
    return objects, root


def _dictionary_part(body: bytes) -> tuple[bytes, bytes]:
    """Split a body into its dictionary and its stream (kept byte for byte)."""
    at = body.find(_STREAM)
    return (body, b"") if at < 0 else (body[:at], body[at:])


def _reachable(objects: dict[int, bytes], pages: list[int]) -> list[int]:
    """Objects the pages need (contents, resources, fonts, forms), not following /Parent."""
    seen, todo = set(pages), list(pages)
    while todo:
        dictionary, _ = _dictionary_part(objects[todo.pop()])
        for match in _REFERENCE.finditer(_PARENT.sub(b"", dictionary)):
            number = int(match.group(1))
            if number not in seen:
                seen.add(number)
                todo.append(number)
    return sorted(seen)


class PdfConcatenator:
    """Writes one PDF from several reportlab documents, each copied as soon as it is added.

    Objects 1, 2, 3 are the catalog, the root page tree node and the info dictionary,
    written last; each added document becomes one intermediate page tree node.
    """

    CATALOG, PAGES, INFO = 1, 2, 3

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.position = 0
        self.offsets = array("Q", bytes(8 * 4))  # by object number; 8 bytes per object
        self.next_number = 4
        self.nodes = array("Q")
        self.pages = 0
        self._write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")

    def _write(self, data: bytes) -> None:
        self.out.write(data)
        self.position += len(data)

    def _object(self, number: int, body: bytes) -> None:
        if number >= len(self.offsets):
            self.offsets.extend(bytes(8 * (number + 1 - len(self.offsets))))
        self.offsets[number] = self.position
        self._write(b"%d 0 obj\n%s\nendobj\n" % (number, body))

    def add_document(self, data: bytes) -> None:
        objects, root = _read_objects(data)
        old_tree = int(re.search(rb"/Pages (\d+) 0 R", objects[root]).group(1))
        kids_list = re.search(rb"/Kids \[([^\]]*)\]", objects[old_tree]).group(1)
        kids = [int(number) for number in _REFERENCE.findall(kids_list)]
        keep = _reachable(objects, kids)
        node = self.next_number
        renumber = {old: node + 1 + k for k, old in enumerate(keep)}
        renumber[old_tree] = node
        self.next_number = node + 1 + len(keep)
        for old in keep:
            dictionary, stream = _dictionary_part(objects[old])
            dictionary = _REFERENCE.sub(
                lambda match: b"%d 0 R" % renumber[int(match.group(1))], dictionary
            )
            self._object(renumber[old], dictionary + stream)
        refs = b" ".join(b"%d 0 R" % renumber[kid] for kid in kids)
        self._object(node, b"<< /Type /Pages /Parent %d 0 R /Count %d /Kids [ %s ] >>"
                     % (self.PAGES, len(kids), refs))
        self.nodes.append(node)
        self.pages += len(kids)

    def close(self, title: str) -> None:
        refs = b" ".join(b"%d 0 R" % node for node in self.nodes)
        self._object(self.PAGES, b"<< /Type /Pages /Count %d /Kids [ %s ] >>"
                     % (self.pages, refs))
        self._object(self.CATALOG, b"<< /Type /Catalog /Pages %d 0 R >>" % self.PAGES)
        title_hex = ("feff" + title.encode("utf-16-be").hex()).encode("ascii")
        now = dt.datetime.now(dt.timezone.utc).strftime("D:%Y%m%d%H%M%SZ").encode("ascii")
        self._object(self.INFO, b"<< /Title <%s> /Producer (awards) /CreationDate (%s) >>"
                     % (title_hex, now))
        startxref = self.position
        self._write(b"xref\n0 %d\n0000000000 65535 f \n" % self.next_number)
        for first in range(1, self.next_number, 4096):
            last = min(first + 4096, self.next_number)
            self._write(b"".join(b"%010d 00000 n \n" % self.offsets[n] for n in range(first, last)))
        file_id = uuid.uuid4().hex.encode("ascii")
        self._write(b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R /ID [<%s><%s>] >>\n"
                    b"startxref\n%d\n%%%%EOF\n"
                    % (self.next_number, self.CATALOG, self.INFO, file_id, file_id, startxref))
