"""Entry attachments (SPEC 5.1 "Attachments"): checking an upload, storing it once by its
SHA-256, and the headers it is served with.

- The type is decided by the content (magic bytes, ``filetype``), never by the name or the
  declared type: PDF, PNG or JPEG only.
- Images are decoded under a pixel limit and re-encoded from their pixels alone, so no
  metadata survives (EXIF with GPS, XMP, ICC profile, comments, text chunks); the EXIF
  orientation is applied first. The stored file, its size and its hash are the re-encoded
  ones.
- PDFs are parsed by :mod:`awards.entries.pdfcheck` in a separate process with a time and a
  memory limit; encrypted PDFs and PDFs with active content are refused, naming the keys.
- Files are stored under :func:`awards.storage.attachments_dir`, outside the web root, named
  by SHA-256, written once (temporary file, then rename) and served only as downloads.

Following Pillow's security notes (open only the expected formats, never lift the pixel
limit) and the OWASP File Upload Cheat Sheet (rename, store outside the web root, serve with
``nosniff``).

Every refusal raises :class:`awards.exceptions.AttachmentRefused` before anything is
written.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import re
import signal
import subprocess
import sys
import tempfile
import unicodedata
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import filetype
from PIL import Image, ImageOps

from awards.entries import pdfcheck
from awards.exceptions import AttachmentRefused, NotFound
from awards.storage import attachments_dir

__all__ = [
    "ACCEPTED_TYPES", "MAX_BYTES", "MAX_PIXELS", "AttachmentRefused", "CheckedFile",
    "display_name", "download_headers", "inspect_upload", "store", "stored_path",
]

MAX_BYTES = 10 * 2**20
MAX_PIXELS = 50_000_000  # a 48-megapixel phone photo fits; about 150 MB decoded as RGB
PDF_TIME_LIMIT = 10.0  # seconds of wall-clock time for the checking process
PDF_MEMORY_LIMIT = 512 * 2**20  # its address space
MAX_NAME_LENGTH = 100  # characters of a display name, extension included
# Content type -> (name in messages, extensions a display name may keep, the one to add)
ACCEPTED_TYPES = {
    "application/pdf": ("PDF", (".pdf",), ".pdf"),
    "image/png": ("PNG", (".png",), ".png"),
    "image/jpeg": ("JPEG", (".jpg", ".jpeg", ".jpe", ".jfif"), ".jpg"),
}
PNG_MODES = frozenset({"1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"})
JPEG_MODES = frozenset({"L", "RGB"})
_SHA256 = re.compile(r"[0-9a-f]{64}")
_UNSAFE_IN_NAME = re.compile(r'["<>:|?*]')
_ASCII_FALLBACK_UNSAFE = re.compile(r"[^A-Za-z0-9._()\- ]")


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed every check: the bytes to store (re-encoded for images), their
    content type, a safe display name, SHA-256 hex and size in bytes."""

    data: bytes = field(repr=False)
    content_type: str
    filename: str
    sha256: str
    size: int


def inspect_upload(
    data: bytes,
    filename: str,
    *,
    max_bytes: int = MAX_BYTES,
    max_pixels: int = MAX_PIXELS,
    pdf_time_limit: float = PDF_TIME_LIMIT,
    pdf_memory_limit: int = PDF_MEMORY_LIMIT,
) -> CheckedFile:
    """Check one upload and return what to store.

    Parameters
    ----------
    data
        The uploaded bytes.
    filename
        The name the browser sent; only cleaned for display (:func:`display_name`).
    max_bytes
        Largest accepted upload.
    max_pixels
        Largest accepted image, width × height.
    pdf_time_limit, pdf_memory_limit
        Wall-clock seconds and address-space bytes of the PDF-checking process.

    Returns
    -------
    CheckedFile
        For a PDF the bytes as uploaded; for an image its re-encoded pixels.

    Raises
    ------
    AttachmentRefused
        ``attachment.empty``; ``attachment.too_large`` (413, params ``size``, ``limit``);
        ``attachment.type`` (415); ``attachment.too_many_pixels`` (413, param ``limit``);
        ``attachment.unreadable`` (param ``kind``); ``attachment.encrypted``;
        ``attachment.active_content`` (param ``keys``, e.g. ``"/JavaScript, /OpenAction"``);
        ``attachment.timeout`` (param ``seconds``); ``attachment.too_complex``.
    """
    if not data:
        raise AttachmentRefused("the file is empty", code="attachment.empty")
    if len(data) > max_bytes:
        size, limit = _mib(len(data)), _mib(max_bytes)
        raise AttachmentRefused(f"the file is {size}; the limit is {limit}",
                                code="attachment.too_large", status=413, size=size,
                                limit=limit)
    kind = filetype.guess(data)
    content_type = kind.mime if kind is not None else None
    if content_type not in ACCEPTED_TYPES:
        raise AttachmentRefused(
            "only PDF, PNG and JPEG files are accepted, judged by their content (not their "
            "name); this file is not one of them", code="attachment.type", status=415)
    if content_type == "application/pdf":
        check_pdf(data, time_limit=pdf_time_limit, memory_limit=pdf_memory_limit)
    else:
        data = reencode_image(data, content_type, max_pixels=max_pixels)
    return CheckedFile(data=data, content_type=content_type,
                       filename=display_name(filename, content_type),
                       sha256=hashlib.sha256(data).hexdigest(), size=len(data))


# --------------------------------------------------------------------------- images


def reencode_image(data: bytes, content_type: str, *, max_pixels: int = MAX_PIXELS) -> bytes:
    """Decode a PNG or JPEG under ``max_pixels`` and encode its pixels again, orientation
    applied and no metadata kept (the new image starts with an empty ``info``).

    Raises
    ------
    AttachmentRefused
        ``attachment.too_many_pixels`` (413) or ``attachment.unreadable``.
    """
    kind, _, _ = ACCEPTED_TYPES[content_type]
    try:
        with warnings.catch_warnings():
            # Pillow's own bomb guard warns above MAX_IMAGE_PIXELS and raises at twice that.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=(kind,)) as image:
                width, height = image.size
                if width * height > max_pixels:
                    raise _too_many_pixels(max_pixels)
                image.load()
                return _encode_pixels(ImageOps.exif_transpose(image), kind)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_many_pixels(max_pixels) from exc
    except AttachmentRefused:
        raise
    except Exception as exc:  # noqa: BLE001  (Pillow raises OSError, SyntaxError, ValueError…)
        raise _unreadable(kind) from exc


def _encode_pixels(image: Image.Image, kind: str) -> bytes:
    options: dict = {}
    if kind == "PNG":
        if image.mode not in PNG_MODES:
            image = image.convert("RGBA")
        if "transparency" in image.info:  # pixel data (tRNS), not metadata
            options["transparency"] = image.info["transparency"]
    elif image.mode not in JPEG_MODES:
        image = image.convert("RGB")
    clean = Image.frombytes(image.mode, image.size, image.tobytes())
    if image.mode == "P":
        clean.putpalette(image.getpalette() or [])
    out = io.BytesIO()
    if kind == "PNG":
        clean.save(out, "PNG", **options)
    else:
        clean.save(out, "JPEG", quality=90, optimize=True)
    return out.getvalue()


def _too_many_pixels(limit: int) -> AttachmentRefused:
    millions = f"{limit / 1e6:g}"
    return AttachmentRefused(
        f"the image has too many pixels (at most {millions} million are accepted); reduce "
        "its size and upload it again", code="attachment.too_many_pixels", status=413,
        limit=millions)


def _unreadable(kind: str) -> AttachmentRefused:
    return AttachmentRefused(
        f"the file could not be read as {kind}; it may be damaged. Save or export it again "
        "and upload the new copy", code="attachment.unreadable", kind=kind)


# --------------------------------------------------------------------------- PDFs


def check_pdf(data: bytes, *, time_limit: float = PDF_TIME_LIMIT,
              memory_limit: int = PDF_MEMORY_LIMIT) -> int:
    """Run :mod:`awards.entries.pdfcheck` on ``data`` in a new, isolated Python process
    (``-I``, empty environment) killed after ``time_limit`` seconds.

    Returns
    -------
    int
        The number of pages.

    Raises
    ------
    AttachmentRefused
        ``attachment.encrypted``, ``attachment.active_content`` (param ``keys``),
        ``attachment.timeout`` (param ``seconds``), ``attachment.too_complex`` or
        ``attachment.unreadable``.
    """
    command = [sys.executable, "-I", pdfcheck.__file__, "--memory", str(memory_limit),
               "--cpu", str(int(time_limit) + 1)]
    seconds = f"{time_limit:g}"
    try:
        done = subprocess.run(command, input=data, capture_output=True, timeout=time_limit,
                              env={"LC_ALL": "C.UTF-8"}, close_fds=True, check=False)
    except subprocess.TimeoutExpired as exc:  # run() has killed the process
        raise _timeout(seconds) from exc
    if done.returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        raise _timeout(seconds)
    try:
        verdict = json.loads(done.stdout)
    except ValueError:  # died before answering: out of memory while parsing, or a crash
        ran_out = done.returncode != 0 and b"MemoryError" in done.stderr
        verdict = {"verdict": "too_complex" if ran_out else "unreadable"}
    outcome = verdict.get("verdict") if isinstance(verdict, dict) else None
    if outcome == "ok" and done.returncode == 0:
        return int(verdict["pages"])
    if outcome == "encrypted":
        raise AttachmentRefused(
            "the PDF is encrypted or protected by a password; upload a copy without "
            "protection", code="attachment.encrypted")
    if outcome == "active_content":
        keys = ", ".join(verdict["keys"])
        raise AttachmentRefused(
            f"the PDF contains active content ({keys}), which is not accepted: scripts, "
            "automatic actions, launched programs, embedded files, rich media or XFA forms. "
            "Print or export it to a new PDF and upload that copy",
            code="attachment.active_content", keys=keys)
    if outcome == "too_complex":
        raise AttachmentRefused(
            "the PDF needs too much memory to check; it may be damaged or too complex. "
            "Export it to a new PDF and upload that copy", code="attachment.too_complex")
    raise _unreadable("PDF")


def _timeout(seconds: str) -> AttachmentRefused:
    return AttachmentRefused(
        f"the PDF could not be checked within {seconds} seconds; it may be damaged or too "
        "complex. Export it to a new PDF and upload that copy", code="attachment.timeout",
        seconds=seconds)


# --------------------------------------------------------------------------- names


def display_name(filename: str, content_type: str) -> str:
    """A name safe to show and to offer for download; never used for the stored path.

    The last path component only (``/`` and ``\\``), NFC-normalised, without control, format
    (bidirectional overrides, zero-width) or unassigned characters, white-space collapsed,
    no leading dots, ``" < > : | ? *`` replaced by ``_``, at most :data:`MAX_NAME_LENGTH`
    characters, ending with an extension of the real type (``report.html`` holding a PDF
    becomes ``report.html.pdf``). Chinese and other letters are kept.
    """
    _, extensions, default = ACCEPTED_TYPES[content_type]
    name = unicodedata.normalize("NFC", filename or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(" " if unicodedata.category(ch) in ("Zl", "Zp") else ch for ch in name
                   if unicodedata.category(ch)[0] != "C")
    name = _UNSAFE_IN_NAME.sub("_", " ".join(name.split())).lstrip(". ").rstrip(". ")
    stem, extension = os.path.splitext(name)
    if extension.lower() not in extensions:
        stem, extension = name, default
    stem = stem[:MAX_NAME_LENGTH - len(extension)].rstrip(". ") or "attachment"
    return stem + extension


def download_headers(filename: str, content_type: str) -> dict[str, str]:
    """Headers for serving a stored attachment, only ever as a download (SPEC 5.1).

    ``Content-Disposition: attachment`` with an ASCII ``filename`` and, when the name is not
    plain ASCII, its UTF-8 ``filename*`` (RFC 6266, RFC 8187); ``nosniff``; a sandboxing
    content security policy; ``Cache-Control: private, no-store``. The content type itself
    is the caller's to set (``send_file(..., mimetype=content_type)``).
    """
    if content_type not in ACCEPTED_TYPES:
        raise ValueError(f"not an attachment type: {content_type!r}")
    name = display_name(filename, content_type)
    fallback = _ascii_name(name, content_type)
    disposition = f'attachment; filename="{fallback}"'
    if fallback != name:
        disposition += f"; filename*=UTF-8''{quote(name, safe='')}"
    return {
        "Content-Disposition": disposition,
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, no-store",
    }


def _ascii_name(name: str, content_type: str) -> str:
    """The display name in plain ASCII for old clients: accents dropped, anything but
    letters, digits, ``. _ ( ) -`` and spaces replaced by ``_``."""
    stem, extension = os.path.splitext(name)  # the extension is one of ours, ASCII
    stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    stem = " ".join(_ASCII_FALLBACK_UNSAFE.sub("_", stem).split()).strip(" ._")
    return (stem or "attachment") + (extension or ACCEPTED_TYPES[content_type][2])


# --------------------------------------------------------------------------- storage


def store(checked: CheckedFile) -> Path:
    """Store a checked file once, named by its SHA-256, and return its path.

    Written to a temporary file in the same folder, flushed to disk, then renamed, so a
    reader never sees half a file; storing the same content again changes nothing.

    Raises
    ------
    TypeError
        If ``checked`` is not a :class:`CheckedFile`.
    ValueError
        If its hash does not match its bytes.
    """
    if not isinstance(checked, CheckedFile):
        raise TypeError("store() takes the CheckedFile returned by inspect_upload()")
    if hashlib.sha256(checked.data).hexdigest() != checked.sha256:
        raise ValueError("the file's SHA-256 does not match its content")
    folder = attachments_dir()
    path = folder / checked.sha256
    if path.is_file():
        return path
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(checked.data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o640)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def stored_path(sha256: str) -> Path:
    """The stored file of ``sha256`` (64 lowercase hex digits).

    Raises
    ------
    NotFound
        ``attachment.not_found`` (404) for anything else, or when no such file is stored.
    """
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        raise _not_found()
    path = attachments_dir() / sha256
    if not path.is_file():
        raise _not_found()
    return path


def _not_found() -> NotFound:
    return NotFound("no such attachment", code="attachment.not_found")


def _mib(size: int) -> str:
    """``10 MiB`` for a whole number, else rounded up to a tenth (``10.1 MiB``), so a file
    just over the limit never reads as the limit itself."""
    if size % 2**20 == 0:
        return f"{size // 2**20} MiB"
    return f"{math.ceil(size * 10 / 2**20) / 10:.1f} MiB"
