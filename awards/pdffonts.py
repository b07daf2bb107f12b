"""Fonts for the PDFs the application prints (code letters, the results report, the judges'
pack): a TrueType face with Traditional Chinese glyphs found at run time, registered with
reportlab once per process. Font files are never committed.

Only TrueType outlines can be embedded by reportlab, so the Noto CJK ``.ttc`` files (CFF
outlines) are listed last and usually refused; the Debian package ``fonts-wqy-microhei`` is
the expected source.
"""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from awards.exceptions import AwardsError

CJK_FONT_ENV = "AWARDS_CJK_FONT"
# TrueType-outline fonts only: reportlab cannot embed CFF outlines (the Noto CJK .ttc files).
CJK_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/local/share/fonts/wqy-microhei.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
    "C:/Windows/Fonts/msjh.ttc",
)
MONO_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationMono-Bold.ttf",
    "/usr/share/fonts/truetype/noto/NotoSansMono-Bold.ttf",
)
MONO_FALLBACK = "Courier-Bold"  # one of the 14 standard PDF fonts


class FontError(AwardsError):
    """No usable font: the message says what to install or which variable to set."""

    code = "pdf.no_font"


def font_spec(value: str) -> tuple[str, int]:
    """``"path"`` or ``"path#index"`` (index of the face inside a .ttc)."""
    path, _, index = value.partition("#")
    return path, int(index) if index.isdigit() else 0


@functools.cache
def load_ttf(path: str, index: int) -> TTFont:
    """Parse a TrueType face once per process (a CJK font takes about 0.1 s).

    Raises
    ------
    FontError
        If the file is missing or reportlab cannot use it.
    """
    name = "Awards-" + hashlib.sha256(f"{path}#{index}".encode()).hexdigest()[:12]
    try:
        return TTFont(name, path, subfontIndex=index)
    except Exception as exc:  # reportlab raises TTFError, OSError, struct errors
        raise FontError(f"cannot use font {path}#{index}: {exc}") from exc


def find_cjk_font() -> tuple[str, int]:
    """Locate a TrueType font with Traditional Chinese glyphs.

    ``$AWARDS_CJK_FONT`` (``path`` or ``path#face-index``) wins when set; otherwise the first
    existing file of :data:`CJK_FONT_CANDIDATES` that reportlab can embed.

    Returns
    -------
    tuple[str, int]
        Path and face index.

    Raises
    ------
    FontError
        If the variable names an unusable file, or no candidate is usable.
    """
    override = os.environ.get(CJK_FONT_ENV)
    if override:
        path, index = font_spec(override)
        load_ttf(path, index)
        return path, index
    problems = []
    for path in CJK_FONT_CANDIDATES:
        if Path(path).is_file():
            try:
                load_ttf(path, 0)
                return path, 0
            except FontError as exc:
                problems.append(str(exc))
    tried = "; ".join(problems) or "none of the standard locations has one"
    raise FontError(
        "no TrueType font with Chinese glyphs found for the PDF "
        f"({tried}). Install the Debian package fonts-wqy-microhei, or set {CJK_FONT_ENV} "
        "to a .ttf/.ttc with TrueType outlines (Noto CJK .ttc files use CFF outlines, "
        "which cannot be embedded)"
    )


def register_font(path: str, index: int) -> str:
    """Register a TrueType face with reportlab (idempotent); returns its font name."""
    font = load_ttf(path, index)
    if font.fontName not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(font)
    return font.fontName


def cjk_font() -> str:
    """The registered name of the Chinese font (:func:`find_cjk_font`).

    Raises
    ------
    FontError
        If no usable font is found.
    """
    return register_font(*find_cjk_font())


def cjk_font_or_helvetica() -> str:
    """The Chinese font, or Helvetica when the machine has none (Latin text still renders)."""
    try:
        return cjk_font()
    except FontError:
        return "Helvetica"


def mono_font() -> str:
    """A bold monospaced face for codes, or the standard Courier-Bold."""
    for path in MONO_FONT_CANDIDATES:
        if Path(path).is_file():
            return register_font(path, 0)
    return MONO_FALLBACK


# Full-width punctuation that Chinese typography never puts at the start of a line. Reportlab's
# CJK line breaking (``wordWrap="CJK"``) knows the Japanese set, which lacks the full-width
# comma, semicolon, colon, question and exclamation marks of Traditional Chinese text.
CJK_NO_LINE_START = "，；：？！）」』》〉】〕．…‧"


def cjk_line_breaking() -> None:
    """Teach reportlab's CJK paragraph wrapping the punctuation of :data:`CJK_NO_LINE_START`
    (idempotent; such a mark then hangs in the margin rather than opening a line). Both
    splitters read the set: ``textsplit.wordSplit`` (one-style paragraphs) and
    ``paragraph.cjkFragSplit`` (mixed styles)."""
    from reportlab.lib import textsplit
    from reportlab.platypus import paragraph

    for module in (textsplit, paragraph):
        missing = "".join(ch for ch in CJK_NO_LINE_START if ch not in module.ALL_CANNOT_START)
        if missing:
            module.ALL_CANNOT_START += missing
