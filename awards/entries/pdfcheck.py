"""Check one uploaded PDF in a process of its own (SPEC 5.1 "Attachments").

    python -m awards.entries.pdfcheck [--memory BYTES] [--cpu SECONDS] < upload.pdf
    python awards/entries/pdfcheck.py [--memory BYTES] [--cpu SECONDS] upload.pdf

The PDF parser has had many denial-of-service flaws (pypdf CVEs of 2026), so the web process
never parses an upload itself: :func:`awards.entries.attachments.inspect_upload` runs this
module with a wall-clock timeout, and the module caps its own address space and CPU time
(``resource.setrlimit``) before it reads anything. It needs only the standard library and
pypdf, and imports nothing of the application, so it can run in isolated mode (``-I``) with
an empty environment.

It prints one JSON object on stdout and exits 0:

- ``{"verdict": "ok", "pages": N}``
- ``{"verdict": "encrypted"}``
- ``{"verdict": "active_content", "keys": ["/JavaScript", ...]}``: names found, sorted
- ``{"verdict": "unreadable", "detail": "..."}``: not a PDF pypdf can read, or no pages
- ``{"verdict": "too_complex", "detail": "..."}``: the memory cap or the object budget was hit

Active content is looked for twice: by walking every object reachable from the trailer
(catalog, page tree, annotations and their actions, name trees, the AcroForm), matching
dictionary keys and name values; and by a raw scan of the file's names outside stream data,
``#xx`` escapes decoded, which also sees objects the parser skipped. Refusing is simpler to
audit than cleaning (OWASP File Upload Cheat Sheet).
"""

from __future__ import annotations

import argparse
import io
import json
import re
import sys
from typing import Any

ACTIVE_NAMES = frozenset({
    "/JavaScript", "/JS", "/OpenAction", "/AA", "/Launch", "/EmbeddedFiles", "/RichMedia",
    "/XFA",
})
MAX_OBJECTS = 200_000  # objects visited by the walk before the file counts as too complex
DEFAULT_MEMORY = 512 * 2**20
DEFAULT_CPU = 20

# A PDF name: a slash and regular characters (ISO 32000-1 7.3.5); delimiters and white-space
# end it. Stream data is cut out first: compressed bytes would match by chance.
_NAME = re.compile(rb"/([^\x00\t\n\x0c\r ()<>\[\]{}/%]*)")
_STREAM_START = re.compile(rb"(?<![A-Za-z])stream\r?\n")
_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")


def limit_resources(memory: int, cpu: int) -> None:
    """Cap this process: address space ``memory`` bytes, ``cpu`` seconds of CPU, no file
    written. Not available on Windows, where only the caller's timeout applies."""
    try:
        import resource
    except ImportError:  # pragma: no cover (Windows)
        return
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))


def raw_active_names(data: bytes) -> set[str]:
    """Active-content names written anywhere in the file outside stream data."""
    found = set()
    for match in _NAME.finditer(outside_streams(data)):
        raw = _ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), match.group(1))
        name = "/" + raw.decode("latin-1")
        if name in ACTIVE_NAMES:
            found.add(name)
    return found


def outside_streams(data: bytes) -> bytes:
    """``data`` with the bytes between each ``stream`` keyword and the next ``endstream``
    replaced by a space (one pass, linear in the size of the file)."""
    parts = []
    pos = 0
    while (start := _STREAM_START.search(data, pos)) is not None:
        end = data.find(b"endstream", start.end())
        if end < 0:
            break
        parts += [data[pos:start.start()], b" "]
        pos = end + len(b"endstream")
    parts.append(data[pos:])
    return b"".join(parts)


def walked_active_names(reader: Any) -> set[str]:
    """Active-content names among the keys and name values of every dictionary and array
    reachable from the trailer. Each indirect object is visited once.

    Raises
    ------
    MemoryError
        When more than :data:`MAX_OBJECTS` objects are visited (reported as too complex).
    """
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

    found: set[str] = set()
    seen: set[tuple[int, int]] = set()
    stack: list[Any] = [reader.trailer]
    visits = 0
    while stack:
        item = stack.pop()
        visits += 1
        if visits > MAX_OBJECTS:
            raise MemoryError(f"more than {MAX_OBJECTS} objects")
        if isinstance(item, IndirectObject):
            ref = (item.idnum, item.generation)
            if ref in seen:
                continue
            seen.add(ref)
            item = item.get_object()
        if isinstance(item, DictionaryObject):  # stream dictionaries included
            for key, value in dict.items(item):  # raw values: references stay unresolved
                if key in ACTIVE_NAMES:
                    found.add(str(key))
                if isinstance(value, NameObject) and value in ACTIVE_NAMES:
                    found.add(str(value))  # e.g. /S /JavaScript, /S /Launch
                if isinstance(value, (DictionaryObject, ArrayObject, IndirectObject)):
                    stack.append(value)
        elif isinstance(item, ArrayObject):
            for value in list.__iter__(item):
                if isinstance(value, NameObject) and value in ACTIVE_NAMES:
                    found.add(str(value))
                if isinstance(value, (DictionaryObject, ArrayObject, IndirectObject)):
                    stack.append(value)
    return found


def check(data: bytes) -> dict[str, Any]:
    """The verdict on one PDF (see the module docstring)."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            return {"verdict": "encrypted"}
        pages = len(reader.pages)
        found = walked_active_names(reader) | raw_active_names(data)
    except (MemoryError, RecursionError) as exc:
        return {"verdict": "too_complex", "detail": f"{type(exc).__name__}: {exc}"[:300]}
    except Exception as exc:  # noqa: BLE001  (any parser failure means: cannot be read)
        verdict = "too_complex" if _ran_out_of_memory(exc) else "unreadable"
        return {"verdict": verdict, "detail": f"{type(exc).__name__}: {exc}"[:300]}
    if found:
        return {"verdict": "active_content", "keys": sorted(found)}
    if pages < 1:
        return {"verdict": "unreadable", "detail": "the document has no pages"}
    return {"verdict": "ok", "pages": pages}


def _ran_out_of_memory(exc: BaseException | None) -> bool:
    """Whether a MemoryError lies behind ``exc`` (pypdf wraps some in PdfReadError), or a
    SystemError, which a C extension raises when an allocation fails under the cap."""
    seen = 0
    while exc is not None and seen < 20:
        if isinstance(exc, (MemoryError, SystemError)):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", help="the PDF (default: standard input)")
    parser.add_argument("--memory", type=int, default=DEFAULT_MEMORY)
    parser.add_argument("--cpu", type=int, default=DEFAULT_CPU)
    args = parser.parse_args(argv)
    try:
        limit_resources(args.memory, args.cpu)
        if args.path:
            with open(args.path, "rb") as file:
                data = file.read()
        else:
            data = sys.stdin.buffer.read()
        verdict = check(data)
    except MemoryError as exc:
        verdict = {"verdict": "too_complex", "detail": f"MemoryError: {exc}"[:300]}
    sys.stdout.write(json.dumps(verdict) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
