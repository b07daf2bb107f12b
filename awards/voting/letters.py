"""Code letters: ``letters.csv`` and the print-ready bilingual PDF (SPEC section 3 "Letters").

Pure functions: no Flask, no database. The PDF has one A4 letter per page, drawn with
reportlab's low-level canvas. Text that is the same on every page is drawn once per batch as
a form XObject; each page adds the address block, the code and a QR code drawn as vector
rectangles. The QR URL carries the code in the fragment (``/vote#code=XXXX-XXXX-XXXX-XX``), so
it never reaches server logs.

Bounded memory: reportlab keeps a whole document in memory until it is saved, so letters are
rendered in batches of :data:`LETTERS_PER_BATCH` pages, each a small reportlab document, and
:class:`awards.voting.pdf_concat.PdfConcatenator` copies each batch's objects into the output file at once, renumbered.
Only object offsets (a few bytes per page) grow with the number of letters.

Chinese needs an embedded TrueType font found at run time
(:func:`awards.pdffonts.find_cjk_font`); font files are never committed.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import BinaryIO, TextIO

import segno
from reportlab import rl_config
from reportlab.lib.colors import Color, black
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from awards.csvfile import escape_formula
from awards.exceptions import AwardsError
from awards.pdffonts import CJK_FONT_ENV, cjk_font, mono_font
from awards.voting.codes import format_code
from awards.voting.pdf_concat import PdfConcatenator

LETTERS_PER_BATCH = 500
CSV_HEADER = ("household_id", "district", "code", "address")
_GREY = Color(0.93, 0.93, 0.93)
_RULE = Color(0.55, 0.55, 0.55)
_PAGE_W, _PAGE_H = A4
_MARGIN = 18 * mm


class LetterError(AwardsError):
    """Letters cannot be produced as asked (no usable font, a character the font lacks, an
    address too long for the envelope window); the message says what to change."""

    code = "letters.refused"


@dataclass(frozen=True)
class Letter:
    """What one letter prints (SPEC section 3 "Letters")."""

    household_id: str
    district_name_en: str
    district_name_zh: str
    code: str
    address: str | None


# --------------------------------------------------------------------------- CSV


def csv_text_cell(value: str | None) -> str:
    """Neutralise spreadsheet formulas (SPEC section 9: CSV exports escape = + - @) by the
    one rule of every export, :func:`awards.csvfile.escape_formula`."""
    return escape_formula("" if value is None else str(value))


def write_letters_csv(
    rows: Iterable[tuple[str, str, str, str | None]], out: TextIO
) -> int:
    """Write ``letters.csv`` (SPEC section 3 "Letters") for a mail merge.

    Parameters
    ----------
    rows
        ``(household_id, district code, code, address or None)``; the code in any accepted
        spelling.
    out
        Text stream opened with ``newline=""``.

    Returns
    -------
    int
        Number of letters written.

    Raises
    ------
    CodeTypo
        If a code is malformed.

    Notes
    -----
    Header ``household_id,district,code,address``; codes are printed grouped
    (``XXXX-XXXX-XXXX-XX``); a cell starting with ``= + - @``, tab or carriage return gets a
    leading apostrophe so spreadsheets do not run it as a formula.
    """
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    count = 0
    for household_id, district, code, address in rows:
        writer.writerow(
            (csv_text_cell(household_id), csv_text_cell(district), format_code(code), csv_text_cell(address))
        )
        count += 1
    return count


# --------------------------------------------------------------------------- text layout

_TOKEN = re.compile(r"\s*[\x21-\x7e\u00a0-\u024f\u2010-\u2027]+|\s*\S|\s+")
_NO_LINE_START = frozenset("，。、；：？！）」』〕】》〉,.;:?!)")


def _hard_split(line: str, font: str, size: float, width: float) -> list[str]:
    """Cut a line holding one overlong word (a long URL) wherever the width runs out."""
    pieces, piece = [], ""
    for char in line:
        if piece and pdfmetrics.stringWidth(piece + char, font, size) > width:
            pieces.append(piece)
            piece = ""
        piece += char
    return pieces + [piece]


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Greedy line breaking for mixed English and Chinese: Latin words stay whole unless
    wider than a line, Chinese may break between any two characters, but a line never starts
    with closing punctuation (the character before it moves down too)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line: list[str] = []
        for token in _TOKEN.findall(paragraph):
            if not line:
                if token.strip():
                    line.append(token.lstrip())
                continue
            if pdfmetrics.stringWidth("".join(line) + token, font, size) <= width:
                line.append(token)
                continue
            carry = [token.lstrip()]
            while carry[0][:1] in _NO_LINE_START and len(line) > 1:
                carry.insert(0, line.pop().lstrip())
            lines.append("".join(line).rstrip())
            line = carry
        lines.append("".join(line).rstrip())
    return [piece for line in lines for piece in (
        _hard_split(line, font, size, width)
        if pdfmetrics.stringWidth(line, font, size) > width else [line])]


@dataclass(frozen=True)
class _Style:
    """Fonts and constant texts shared by every letter of one PDF."""

    body: str
    mono: str
    campaign_en: str
    campaign_zh: str
    vote_url: str
    return_address: str
    vote_by: dt.date | None
    sender: tuple[str, ...]  # return-address lines shown above the recipient in the window


def _text(
    canvas: Canvas, x: float, y: float, text: str, font: str, size: float, *,
    bold: bool = False, anchor: str = "left",
) -> None:
    """One line of text; ``bold`` strokes the outline (the CJK face has no bold weight)."""
    width = pdfmetrics.stringWidth(text, font, size)
    x -= {"left": 0, "centre": width / 2, "right": width}[anchor]
    obj = canvas.beginText(x, y)
    obj.setFont(font, size)
    if bold:
        canvas.saveState()
        canvas.setStrokeColor(black)
        canvas.setLineWidth(size / 40)
        obj.setTextRenderMode(2)
    obj.textOut(text)
    canvas.drawText(obj)
    if bold:
        canvas.restoreState()


def _paragraph(
    canvas: Canvas, x: float, y: float, width: float, text: str, font: str, size: float,
    leading: float,
) -> float:
    """Wrapped text from baseline ``y`` down; returns the y below the last line."""
    for line in _wrap(text, font, size, width):
        _text(canvas, x, y, line, font, size)
        y -= leading
    return y


# --------------------------------------------------------------------------- page content


def _sections(style: _Style) -> list[tuple[str, str, str, str]]:
    """``(title_en, title_zh, text_en, text_zh)`` printed on every letter."""
    url = f"{style.vote_url}/vote"
    deadline_en = deadline_zh = ""
    if style.vote_by:
        d = style.vote_by
        deadline_en = f" Please vote by {d.day} {d:%B %Y}."
        deadline_zh = f"請於{d.year}年{d.month}月{d.day}日或之前投票。"
    return [
        (
            "About the award", "關於本獎項",
            f"Your household has been chosen at random to take part in the public vote of the "
            f"{style.campaign_en}. The award recognises government departments that give the "
            "public excellent service. Together with the marks of an independent panel of "
            "adjudicators, the public vote decides the finalists, and the department with the "
            "highest public vote receives the Best Public Image Award.",
            f"貴住戶經隨機抽樣選出，參與「{style.campaign_zh}」的公眾投票。本獎項表揚為市民提供"
            "卓越服務的政府部門。公眾投票結果連同獨立評審團的評分決定入圍部門，得票最高的部門"
            "將獲頒「最佳公眾形象獎」。",
        ),
        (
            "How to vote online", "網上投票",
            "Scan the QR code with your phone camera, or visit "
            f"{url} and type the voting code printed above. Choose the departments you think "
            "serve the public best and submit. Keep the receipt number shown after voting: it "
            f"lets you check that your vote was counted.{deadline_en}",
            f"請用手機相機掃描二維碼，或瀏覽 {url} 並輸入上方的投票碼，選出閣下認為服務最好的"
            f"部門後提交。投票後請保留畫面顯示的收據編號，以便查核選票已被點算。{deadline_zh}",
        ),
        (
            "Voting on paper", "紙本問卷",
            "You may instead mark the enclosed questionnaire, write the voting code on it and "
            "post it in the prepaid envelope to the address below. Each code counts once: "
            "vote online or on paper, not both.",
            "閣下亦可填寫隨附的問卷，寫上投票碼，並以已付郵資信封寄回下列地址。每個投票碼只"
            "計算一次，請選擇網上或紙本其中一種方式投票。",
        ),
        (
            "Privacy", "私隱聲明",
            "Your vote is secret. Voting codes are kept only in scrambled form, and nothing we "
            "keep links a vote to a code or a household. Your address was used only to send "
            "this letter. Do not share your code: it can be used once only.",
            "投票絕對保密。投票碼只以加密形式儲存，系統保存的資料不會把選票與投票碼或住戶"
            "連繫。閣下的地址只用於寄發本信。請勿向他人透露投票碼，每個投票碼只可使用一次。",
        ),
    ]


# Page geometry in points, measured from the top edge (converted with _y()).
_WINDOW = (22 * mm, 45 * mm, 95 * mm, 42 * mm)  # DL/C5 left window: x, top, width, height
_SENDER_SIZE, _SENDER_LEADING, _SENDER_MAX_LINES = 6.5, 7.8, 3
_QR_SIDE = 34 * mm  # fixed, whatever the QR version: about 1 mm per module at version 4
_QR_RIGHT = _PAGE_W - _MARGIN
_QR_TOP = 44 * mm
_QR_QUIET = 5 * mm  # at least the 4-module quiet zone of ISO/IEC 18004
_CODE_BOX_TOP = 94 * mm
_CODE_BOX_HEIGHT = 29 * mm
_COLUMNS_TOP = 133 * mm
_COLUMN_GAP = 8 * mm
_BOTTOM_LIMIT = 14 * mm  # lowest baseline of the constant text (the household id sits below)

_INVITATION_ZH, _INVITATION_EN = "公眾投票邀請", "Invitation to vote"
_SCAN_LABEL = "Scan to vote  掃描投票"
_CODE_LABEL = "Your one-time voting code  閣下的一次性投票碼"
_RETURN_LABEL = "Return address  回郵地址"
_SENDER_LABEL = "Return address 回郵地址: "
_HOUSEHOLD_LABEL = "Household 住戶編號  "


def _y(from_top: float) -> float:
    return _PAGE_H - from_top


def _fitted_size(text: str, font: str, size: float, width: float) -> float:
    """``size``, or the smaller size down to 60 % of it at which ``text`` fits ``width``."""
    fitted = size * min(1.0, width / max(pdfmetrics.stringWidth(text, font, size), 1e-9))
    if fitted < 0.6 * size:
        raise LetterError(f"{text!r} is too long for the letter heading; shorten it")
    return fitted


def _draw_header(canvas: Canvas, style: _Style) -> None:
    width = _PAGE_W - 2 * _MARGIN - 40 * mm  # the right-hand side holds the invitation label
    for text, size, top in ((style.campaign_zh, 17, 20 * mm), (style.campaign_en, 12.5, 28 * mm)):
        fitted = _fitted_size(text, style.body, size, width)
        _text(canvas, _MARGIN, _y(top), text, style.body, fitted, bold=True)
    _text(canvas, _PAGE_W - _MARGIN, _y(20 * mm), _INVITATION_ZH, style.body, 11, anchor="right")
    _text(canvas, _PAGE_W - _MARGIN, _y(28 * mm), _INVITATION_EN, style.body, 11, anchor="right")
    canvas.setStrokeColor(_RULE)
    canvas.setLineWidth(0.6)
    canvas.line(_MARGIN, _y(32 * mm), _PAGE_W - _MARGIN, _y(32 * mm))
    x, top, _, _ = _WINDOW
    for number, line in enumerate(style.sender):
        _text(canvas, x, _y(top + _SENDER_SIZE + number * _SENDER_LEADING), line, style.body,
              _SENDER_SIZE)


def _draw_code_box(canvas: Canvas, style: _Style) -> None:
    top = _CODE_BOX_TOP
    canvas.setFillColor(_GREY)
    canvas.roundRect(_MARGIN, _y(top + _CODE_BOX_HEIGHT), _PAGE_W - 2 * _MARGIN,
                     _CODE_BOX_HEIGHT, 3 * mm, stroke=0, fill=1)
    canvas.setFillColor(black)
    _text(canvas, _PAGE_W / 2, _y(top + 7 * mm), _CODE_LABEL, style.body, 11, anchor="centre")
    _text(canvas, _PAGE_W / 2, _y(top + _CODE_BOX_HEIGHT - 3.5 * mm),
          f"{style.vote_url}/vote", style.body, 9, anchor="centre")


def _draw_qr_caption(canvas: Canvas, style: _Style) -> None:
    centre = _QR_RIGHT - _QR_SIDE / 2
    _text(canvas, centre, _y(_QR_TOP + _QR_SIDE + _QR_QUIET + 2 * mm), _SCAN_LABEL, style.body,
          9, anchor="centre")


def _draw_sections(canvas: Canvas, style: _Style) -> None:
    column = (_PAGE_W - 2 * _MARGIN - _COLUMN_GAP) / 2
    x_en, x_zh = _MARGIN, _MARGIN + column + _COLUMN_GAP
    y = _y(_COLUMNS_TOP)
    for title_en, title_zh, text_en, text_zh in _sections(style):
        _text(canvas, x_en, y, title_en, style.body, 11, bold=True)
        _text(canvas, x_zh, y, title_zh, style.body, 11, bold=True)
        y -= 15
        end_en = _paragraph(canvas, x_en, y, column, text_en, style.body, 9.2, 12.6)
        end_zh = _paragraph(canvas, x_zh, y, column, text_zh, style.body, 9.6, 14.2)
        y = min(end_en, end_zh) - 8
    address = [line for line in style.return_address.splitlines() if line.strip()]
    _text(canvas, x_en, y, _RETURN_LABEL, style.body, 9.5, bold=True)
    for line in address:
        y -= 12
        _text(canvas, x_en, y, line.strip(), style.body, 9.2)
    if y < _BOTTOM_LIMIT:
        raise LetterError("the campaign names and return address are too long to fit one page")


def _draw_static(canvas: Canvas, style: _Style) -> None:
    """Everything that is the same on every letter (drawn once per batch as a form)."""
    _draw_header(canvas, style)
    _draw_code_box(canvas, style)
    _draw_qr_caption(canvas, style)
    _draw_sections(canvas, style)


def _qr_operators(matrix: tuple[bytearray, ...]) -> str:
    """PDF path operators filling the dark modules, one rectangle per horizontal run, in
    module units with y growing downwards (the caller sets the transformation)."""
    ops = []
    for row, modules in enumerate(matrix):
        col, size = 0, len(modules)
        while col < size:
            if modules[col]:
                start = col
                while col < size and modules[col]:
                    col += 1
                ops.append(f"{start} {row} {col - start} 1 re")
            else:
                col += 1
    return "\n".join(ops) + "\nf"


def vote_url(vote_url_base: str, code: str) -> str:
    """The URL in a letter's QR code: ``{base}/vote#code=XXXX-XXXX-XXXX-XX``.

    The code is in the fragment, which browsers never send to the server (SPEC section 3).

    Parameters
    ----------
    vote_url_base
        e.g. ``"https://awards.example.gov.hk"`` (a trailing slash is ignored).
    code
        A code in any accepted spelling.

    Returns
    -------
    str
        The URL, with the code grouped as printed.

    Raises
    ------
    CodeTypo
        If the code is malformed.
    """
    return f"{vote_url_base.rstrip('/')}/vote#code={format_code(code)}"


def _draw_qr(canvas: Canvas, url: str) -> None:
    matrix = segno.make(url, error="m", micro=False).matrix
    module = _QR_SIDE / len(matrix)
    left, top = _QR_RIGHT - _QR_SIDE, _y(_QR_TOP)
    canvas.setFillColor(black)
    canvas.addLiteral(f"q {module:.4f} 0 0 {-module:.4f} {left:.2f} {top:.2f} cm")
    canvas.addLiteral(_qr_operators(matrix))
    canvas.addLiteral("Q")


def _check_glyphs(owner: str, texts: Iterable[str], font: str) -> None:
    """Refuse text the font would print as empty boxes (a misdelivered or unreadable letter
    is worse than a stopped print run)."""
    face = pdfmetrics.getFont(font).face
    missing = sorted({ch for text in texts for ch in text
                      if not ch.isspace() and ord(ch) not in face.charToGlyph})
    if missing:
        raise LetterError(
            f"{owner}: the letter font has no glyph for {' '.join(missing)}; "
            f"set {CJK_FONT_ENV} to a font that has them"
        )


def _constant_texts(style: _Style) -> list[str]:
    labels = [_INVITATION_ZH, _INVITATION_EN, _SCAN_LABEL, _CODE_LABEL, _RETURN_LABEL,
              _SENDER_LABEL, _HOUSEHOLD_LABEL, style.return_address, style.vote_url,
              style.campaign_en, style.campaign_zh]
    return labels + [text for section in _sections(style) for text in section]


def _sender_lines(return_address: str, font: str) -> tuple[str, ...]:
    """The return address as printed in the envelope window, above the recipient."""
    joined = "  ".join(line.strip() for line in return_address.splitlines() if line.strip())
    lines = _wrap(_SENDER_LABEL + joined, font, _SENDER_SIZE, _WINDOW[2])
    if len(lines) > _SENDER_MAX_LINES:
        raise LetterError(
            f"the return address needs {len(lines)} lines in the envelope window; "
            f"at most {_SENDER_MAX_LINES} fit, so shorten it"
        )
    return tuple(lines)


def _address_lines(letter: Letter, font: str, room: float) -> tuple[list[str], float]:
    """Recipient lines and the largest font size (10 to 7 pt) whose lines fit ``room``
    points below the first baseline (descenders included)."""
    district = f"{letter.district_name_en}  {letter.district_name_zh}"
    address = (letter.address or "").strip()
    for size in (10.0, 9.0, 8.0, 7.0):
        lines = _wrap(address, font, size, _WINDOW[2]) if address else []
        lines = [line for line in lines if line] + [district]
        if (len(lines) - 1) * size * 1.25 + size * 0.3 <= room:
            return lines, size
    raise LetterError(
        f"household {letter.household_id}: the address does not fit the envelope window "
        "even at 7 pt; shorten it"
    )


def _draw_recipient(canvas: Canvas, letter: Letter, style: _Style) -> None:
    x, top, _, height = _WINDOW
    household_line = top + _SENDER_SIZE + len(style.sender) * _SENDER_LEADING + 8
    _text(canvas, x, _y(household_line), _HOUSEHOLD_LABEL + letter.household_id, style.body, 8.5)
    first_line = household_line + 14
    lines, size = _address_lines(letter, style.body, top + height - first_line)
    y = _y(first_line)
    for line in lines:
        _text(canvas, x, y, line, style.body, size)
        y -= size * 1.25


def _draw_letter(canvas: Canvas, letter: Letter, style: _Style) -> None:
    _check_glyphs(f"household {letter.household_id}", (letter.address or "",
                  letter.district_name_en, letter.district_name_zh, letter.household_id),
                  style.body)
    grouped = format_code(letter.code)
    canvas.doForm("static")
    _draw_recipient(canvas, letter, style)
    _text(canvas, _PAGE_W / 2, _y(_CODE_BOX_TOP + 19 * mm), grouped, style.mono, 30,
          anchor="centre")
    _draw_qr(canvas, vote_url(style.vote_url, grouped))
    _text(canvas, _PAGE_W - _MARGIN, _y(_PAGE_H - 10 * mm), letter.household_id, style.body,
          7, anchor="right")


def _render_batch(letters: list[Letter], style: _Style) -> bytes:
    """One small reportlab document; memory is released when it is returned."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1, invariant=1,
                    initialFontName=style.body)
    canvas.beginForm("static")
    _draw_static(canvas, style)
    canvas.endForm()
    for letter in letters:
        _draw_letter(canvas, letter, style)
        canvas.showPage()
    with _binary_streams():
        canvas.save()
    return buffer.getvalue()


@contextlib.contextmanager
def _binary_streams() -> Iterator[None]:
    """Flate without ASCII85 while saving: reportlab's ASCII85 encoder is pure Python and
    took a third of the time; binary streams are also smaller. The setting is read when
    the document is saved, so it is restored straight after."""
    saved = rl_config.useA85
    rl_config.useA85 = 0
    try:
        yield
    finally:
        rl_config.useA85 = saved


def write_letters_pdf(
    letters: Iterable[Letter],
    out: BinaryIO,
    *,
    campaign_name_en: str,
    campaign_name_zh: str,
    vote_url_base: str,
    return_address: str,
    progress: Callable[[int], None] | None = None,
    vote_by: dt.date | None = None,
    batch_size: int = LETTERS_PER_BATCH,
) -> int:
    """Write the print-ready bilingual letters PDF (SPEC section 3 "Letters").

    One A4 page per letter: campaign names (English and Traditional Chinese), what the award
    is, how to vote online (URL and a QR code for ``{vote_url_base}/vote#code=XXXX-XXXX-XXXX-XX``),
    the code in large grouped monospace characters, how to return the paper questionnaire,
    a privacy statement, the household id and the address block placed for a left-window
    DL/C5 envelope. Streams batch by batch with bounded memory.

    Parameters
    ----------
    letters
        The letters, in print order; consumed lazily.
    out
        Binary stream to write to (only ``write`` is used).
    campaign_name_en, campaign_name_zh
        Campaign names.
    vote_url_base
        Public site, e.g. ``"https://awards.example.gov.hk"``.
    return_address
        Where paper questionnaires go; may have several lines.
    progress
        Called with the number of letters written so far after each batch.
    vote_by
        Last day of voting, printed when given.
    batch_size
        Letters drawn per batch (memory is bounded by one batch; ``progress`` is called
        after each).

    Returns
    -------
    int
        Number of pages (letters) written.

    Raises
    ------
    LetterError
        If there are no letters, the font lacks a character of a letter, or a text does not
        fit its place on the page. Output written so far is incomplete: write to a temporary
        file and rename it on success.
    FontError
        If no usable Chinese font is found (:func:`awards.pdffonts.find_cjk_font`).
    CodeTypo
        If a letter's code is malformed.
    """
    if not return_address.strip():
        raise LetterError("a return address for paper questionnaires is required")
    body = cjk_font()
    style = _Style(body, mono_font(), campaign_name_en, campaign_name_zh,
                   vote_url_base.rstrip("/"), return_address, vote_by,
                   _sender_lines(return_address, body))
    _check_glyphs("campaign texts", _constant_texts(style), body)
    pdf = PdfConcatenator(out)
    written = 0
    for batch in _batches(letters, max(int(batch_size), 1)):
        pdf.add_document(_render_batch(batch, style))
        written += len(batch)
        if progress:
            progress(written)
    if not written:
        raise LetterError("there are no letters to print")
    pdf.close(title=f"{campaign_name_en} — letters")
    return written


def _batches(items: Iterable[Letter], size: int) -> Iterator[list[Letter]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch
