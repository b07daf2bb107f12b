"""The judges' pack (SPEC 5.1): the eligible entries of a round as one print-ready A4 PDF.

A cover with the contents (each entry's department in both languages, its title and first
page), then each entry's submitted snapshot (format ``awards-entry/1``): department, title,
summary, one section per criterion, the performance-pledge table (its header repeated on
every page it spans), the contact, the attachments' names, sizes and SHA-256, and the
snapshot's own SHA-256 (of its canonical JSON, SPEC section 7), which is what the
coordinator's receipt and the audit log carry. Labels are bilingual; every page says
"Page x of y".

Pure function of plain data: no Flask, no database. Laid out with reportlab's platypus, so
long texts split across pages; paragraphs with Chinese wrap between any two characters
(``wordWrap="CJK"``). The document is laid out twice: the first pass finds each entry's
first page and the page count, which the contents and footers of the second pass print.
"""

from __future__ import annotations

import hashlib
import io
import re
from typing import Any, BinaryIO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from awards.audit.chain import canonical_json
from awards.pdffonts import cjk_font, cjk_line_breaking

MARGIN = 18 * mm
TOP = 20 * mm
BOTTOM = 20 * mm
WIDTH = A4[0] - 2 * MARGIN
LABEL = 50 * mm  # the label column of the entry's facts and contact
INK = colors.HexColor("#1d232b")
MUTED = colors.HexColor("#4a5360")
BLUE = colors.HexColor("#0b4f8a")
RULE = colors.HexColor("#c9d0d9")
HEADER_FILL = colors.HexColor("#e9edf3")
MONO = "Courier"  # a standard PDF font: hashes stay extractable as plain text
_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\U00020000-\U0003ffff]")
_MAX_PASSES = 4


def snapshot_sha256(snapshot: dict[str, Any]) -> str:
    """SHA-256 hex of the snapshot's canonical JSON in UTF-8 (SPEC 5.1 and section 7)."""
    return hashlib.sha256(canonical_json(snapshot).encode("utf-8")).hexdigest()


def write_pack(
    out: BinaryIO,
    *,
    campaign_name_en: str,
    campaign_name_zh: str,
    round_label_en: str,
    round_label_zh: str,
    snapshots: list[dict],
) -> int:
    """Write the judges' pack of ``snapshots`` (in the order given) to ``out``.

    Parameters
    ----------
    out
        A binary stream; the whole PDF is written at the end.
    campaign_name_en, campaign_name_zh, round_label_en, round_label_zh
        Printed on the cover and in every footer.
    snapshots
        Submitted entry snapshots (``awards-entry/1``), as parsed from their canonical JSON.

    Returns
    -------
    int
        The number of pages written.

    Raises
    ------
    awards.pdffonts.FontError
        If no font with Chinese glyphs is found.
    """
    cjk_line_breaking()
    kit = _Kit(cjk_font())
    hashes = [snapshot_sha256(snapshot) for snapshot in snapshots]
    title = f"{campaign_name_en} — {round_label_en}"
    layout = _Layout(starts={}, total=0)
    for _ in range(_MAX_PASSES):
        measured = _Layout(starts={}, total=0)
        document = _document(kit, title, measured, layout,
                             f"{campaign_name_en} · {round_label_en}",
                             f"{campaign_name_zh} · {round_label_zh}")
        story = _cover(kit, campaign_name_en, campaign_name_zh, round_label_en,
                       round_label_zh, snapshots, layout)
        for index, (snapshot, digest) in enumerate(zip(snapshots, hashes, strict=True)):
            story += [PageBreak(), _EntryStart(index, _short_label(snapshot), measured)]
            story += _entry(kit, snapshot, digest)
        document.build(story)
        measured.total = document.page
        if measured == layout:
            break
        layout = measured
    # Kept in memory until the numbers are right; a layout that still moves after the last
    # pass (a page number gaining a digit, say) is printed as that pass laid it out.
    out.write(document.filename.getvalue())
    return measured.total


# --------------------------------------------------------------------------- layout


class _Layout:
    """Where each entry starts and how many pages there are, as measured by one pass."""

    def __init__(self, starts: dict[int, int], total: int) -> None:
        self.starts = starts
        self.total = total
        self.current: str = ""  # the entry whose pages are being drawn (running header)

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, _Layout) and self.starts == other.starts
                and self.total == other.total)

    __hash__ = None  # type: ignore[assignment]


class _EntryStart(Flowable):
    """Takes no space; records the page an entry starts on and adds its bookmark."""

    def __init__(self, index: int, label: str, layout: _Layout) -> None:
        super().__init__()
        self.index, self.label, self.layout = index, label, layout

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        page = self.canv.getPageNumber()
        self.layout.starts[self.index] = page
        self.layout.current = self.label
        key = f"entry-{self.index}"
        self.canv.bookmarkPage(key)
        self.canv.addOutlineEntry(self.label, key, level=0)


def _document(kit: _Kit, title: str, measured: _Layout, known: _Layout, footer_en: str,
              footer_zh: str) -> BaseDocTemplate:
    def page_end(canvas, document) -> None:
        total = known.total or "?"
        page = canvas.getPageNumber()
        canvas.saveState()
        canvas.setFont(kit.font, 7.5)
        canvas.setFillColor(MUTED)
        canvas.setStrokeColor(RULE)
        canvas.line(MARGIN, BOTTOM - 5 * mm, A4[0] - MARGIN, BOTTOM - 5 * mm)
        canvas.drawString(MARGIN, BOTTOM - 9 * mm, footer_en)
        canvas.drawString(MARGIN, BOTTOM - 12.5 * mm, footer_zh)
        canvas.drawRightString(A4[0] - MARGIN, BOTTOM - 9 * mm,
                               f"Page {page} of {total}")
        canvas.drawRightString(A4[0] - MARGIN, BOTTOM - 12.5 * mm,
                               f"第 {page} 頁，共 {total} 頁")
        if page > 1 and measured.current:
            canvas.drawRightString(A4[0] - MARGIN, A4[1] - TOP + 6 * mm, measured.current)
            canvas.line(MARGIN, A4[1] - TOP + 4 * mm, A4[0] - MARGIN, A4[1] - TOP + 4 * mm)
        canvas.restoreState()

    frame = Frame(MARGIN, BOTTOM, WIDTH, A4[1] - TOP - BOTTOM, id="body",
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
    document = BaseDocTemplate(io.BytesIO(), pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN,
                               topMargin=TOP, bottomMargin=BOTTOM, title=title,
                               author="awards", subject="Judges' pack 評審資料冊",
                               invariant=1)
    document.addPageTemplates([PageTemplate("page", [frame], onPageEnd=page_end)])
    return document


class _Kit:
    """Paragraph styles for one pack; Chinese text gets the CJK line-breaking rule."""

    def __init__(self, font: str) -> None:
        self.font = font
        base = ParagraphStyle("body", fontName=font, fontSize=10, leading=15,
                              textColor=INK, spaceAfter=5)
        self.styles = {
            "body": base,
            "small": ParagraphStyle("small", parent=base, fontSize=8.5, leading=12,
                                    textColor=MUTED, spaceAfter=2),
            "cell": ParagraphStyle("cell", parent=base, fontSize=9, leading=12.5,
                                   spaceAfter=0),
            "head": ParagraphStyle("head", parent=base, fontSize=8.5, leading=11.5,
                                   textColor=MUTED, spaceAfter=0),
            "cover": ParagraphStyle("cover", parent=base, fontSize=22, leading=30,
                                    spaceAfter=2),
            "cover2": ParagraphStyle("cover2", parent=base, fontSize=14, leading=20,
                                     textColor=MUTED, spaceAfter=2),
            "dept": ParagraphStyle("dept", parent=base, fontSize=11, leading=15,
                                   textColor=MUTED, spaceAfter=1),
            "title": ParagraphStyle("title", parent=base, fontSize=18, leading=24,
                                    spaceBefore=4, spaceAfter=6),
            "h2": ParagraphStyle("h2", parent=base, fontSize=13, leading=18,
                                 textColor=BLUE, spaceBefore=12, spaceAfter=5,
                                 keepWithNext=1),
            "mono": ParagraphStyle("mono", parent=base, fontName=MONO, fontSize=8,
                                   leading=10.5, spaceAfter=0),
        }

    def p(self, text: Any, style: str = "body") -> Paragraph:
        """A paragraph of plain ``text`` (escaped; newlines kept as line breaks)."""
        text = "" if text is None else str(text)
        chosen = self.styles[style]
        if _CJK.search(text):
            chosen = ParagraphStyle(f"{style}-cjk", parent=chosen, wordWrap="CJK")
        return Paragraph(escape(text).replace("\n", "<br/>"), chosen)

    def paragraphs(self, text: Any) -> list[Paragraph]:
        """Plain text as paragraphs: one per non-blank line (SNAPSHOT.md: newlines are
        paragraph breaks)."""
        lines = [line.strip() for line in str(text or "").splitlines()]
        return [self.p(line) for line in lines if line] or [self.p("—", "small")]

    def table(self, rows: list[list[Any]], widths: list[float], *, header: bool = True,
              style: list[tuple] | None = None, split_rows: bool = True) -> Table:
        table = Table(rows, colWidths=widths, repeatRows=1 if header else 0,
                      splitInRow=1 if split_rows else 0, hAlign="LEFT")
        commands = [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
            ("LEFTPADDING", (0, 0), (-1, -1), 4),
            ("RIGHTPADDING", (0, 0), (-1, -1), 4),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ]
        if header:
            commands += [("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
                         ("LINEBELOW", (0, 0), (-1, 0), 0.8, MUTED)]
        table.setStyle(TableStyle(commands + (style or [])))
        return table


# --------------------------------------------------------------------------- content


def _department(snapshot: dict[str, Any]) -> dict[str, str]:
    department = snapshot.get("department") or {}
    return {key: str(department.get(key) or "") for key in ("code", "name_en", "name_zh")}


def _short_label(snapshot: dict[str, Any]) -> str:
    department = _department(snapshot)
    names = " ".join(part for part in (department["name_en"], department["name_zh"]) if part)
    return f"{department['code']} · {names}" if department["code"] else names


def _cover(kit: _Kit, name_en: str, name_zh: str, round_en: str, round_zh: str,
           snapshots: list[dict], layout: _Layout) -> list[Any]:
    story: list[Any] = [
        Spacer(1, 18 * mm),
        kit.p("Judges' pack 評審資料冊", "cover2"),
        kit.p(name_en, "cover"),
        kit.p(name_zh, "cover"),
        Spacer(1, 3 * mm),
        kit.p(f"{round_en} {round_zh}", "cover2"),
        kit.p(f"{len(snapshots)} {'entry' if len(snapshots) == 1 else 'entries'} · "
              f"{len(snapshots)} 份參賽資料", "small"),
        Spacer(1, 10 * mm),
        # Not kept with the table: a long contents table starts on the cover and runs on,
        # instead of leaving the cover empty.
        Paragraph(escape("Contents 目錄"), ParagraphStyle("contents", parent=kit.styles["h2"],
                                                        keepWithNext=0, wordWrap="CJK")),
    ]
    rows: list[list[Any]] = [[kit.p("#", "head"), kit.p("Department 部門", "head"),
                              kit.p("Title 標題", "head"), kit.p("Page 頁", "head")]]
    for index, snapshot in enumerate(snapshots):
        department = _department(snapshot)
        page = layout.starts.get(index)
        rows.append([
            kit.p(index + 1, "cell"),
            [kit.p(department["name_en"], "cell"), _name_and_code(kit, department)],
            kit.p(snapshot.get("title"), "cell"),
            kit.p("" if page is None else page, "cell"),
        ])
    if not snapshots:
        rows.append(["", kit.p("No entries 沒有參賽資料", "cell"), "", ""])
    story.append(kit.table(rows, [10 * mm, 62 * mm, WIDTH - 88 * mm, 16 * mm],
                           style=[("ALIGN", (3, 0), (3, -1), "RIGHT")], split_rows=False))
    return story


def _name_and_code(kit: _Kit, department: dict[str, str]) -> Paragraph:
    """The Chinese name with the code after it, muted, on one line: two lines a row keep
    the contents of some thirty entries on two pages."""
    style = ParagraphStyle("cell-cjk", parent=kit.styles["cell"], wordWrap="CJK")
    code = (f' <font color="{MUTED.hexval().replace("0x", "#")}" size="8">'
            f'{escape(department["code"])}</font>') if department["code"] else ""
    return Paragraph(escape(department["name_zh"]) + code, style)


def _entry(kit: _Kit, snapshot: dict[str, Any], digest: str) -> list[Any]:
    department = _department(snapshot)
    attachments = snapshot.get("attachments") or []
    submitted = str(snapshot.get("submitted_at") or "—")
    if snapshot.get("grace"):
        submitted += " (in the grace period 寬限期內提交)"
    story: list[Any] = [
        kit.p(f"{department['name_en']}  {department['name_zh']}  ({department['code']})",
              "dept"),
        kit.p(snapshot.get("title") or "—", "title"),
        kit.table([
            [kit.p("Category 類別", "head"), kit.p(snapshot.get("category") or "—", "cell")],
            [kit.p("Submitted 提交時間", "head"), kit.p(submitted, "cell")],
            [kit.p("Snapshot SHA-256 快照雜湊值", "head"), kit.p(digest, "mono")],
            [kit.p("Attachments 附件", "head"),
             kit.p(len(attachments) if attachments else "None 沒有", "cell")],
        ], [LABEL, WIDTH - LABEL], header=False),
        kit.p("Summary 摘要", "h2"),
        *kit.paragraphs(snapshot.get("summary")),
    ]
    for number, section in enumerate(snapshot.get("sections") or [], start=1):
        heading = " ".join(part for part in (section.get("name_en"), section.get("name_zh"))
                           if part) or str(section.get("criterion") or "")
        story += [CondPageBreak(30 * mm), kit.p(f"{number}. {heading}", "h2"),
                  *kit.paragraphs(section.get("body"))]
    story += [CondPageBreak(30 * mm), kit.p("Performance pledges 服務承諾", "h2"),
              _pledges(kit, snapshot.get("pledges") or [])]
    story += [KeepTogether([kit.p("Contact 聯絡人", "h2"),
                            _contact(kit, snapshot.get("contact") or {})])]
    if attachments:  # none: the facts at the top say so, and no page is left nearly empty
        story += [CondPageBreak(30 * mm), kit.p("Attachments 附件", "h2"),
                  _attachments(kit, attachments)]
    return story


def _pledges(kit: _Kit, pledges: list[dict]) -> Any:
    if not pledges:
        return kit.p("No pledges 沒有服務承諾", "small")
    rows = [[kit.p("#", "head"), kit.p("Service 服務", "head"), kit.p("Target 目標", "head"),
             kit.p("Achieved 達標情況", "head")]]
    rows += [[kit.p(number, "cell"), kit.p(pledge.get("service"), "cell"),
              kit.p(pledge.get("target"), "cell"), kit.p(pledge.get("achieved"), "cell")]
             for number, pledge in enumerate(pledges, start=1)]
    rest = WIDTH - 8 * mm
    return kit.table(rows, [8 * mm, rest * 0.5, rest * 0.28, rest * 0.22])


def _contact(kit: _Kit, contact: dict[str, Any]) -> Table:
    rows = [[kit.p(label, "head"), kit.p(contact.get(key) or "—", "cell")]
            for label, key in (("Name 姓名", "name"), ("E-mail 電郵", "email"),
                               ("Phone 電話", "phone"))]
    return kit.table(rows, [LABEL, WIDTH - LABEL], header=False)


def _attachments(kit: _Kit, attachments: list[dict]) -> Any:
    if not attachments:
        return kit.p("No attachments 沒有附件", "small")
    rows = [[kit.p("#", "head"), kit.p("File 檔案", "head"), kit.p("Size 大小", "head"),
             kit.p("SHA-256", "head")]]
    for number, attachment in enumerate(attachments, start=1):
        rows.append([
            kit.p(number, "cell"),
            [kit.p(attachment.get("filename") or "—", "cell"),
             kit.p(attachment.get("content_type") or "", "head")],
            kit.p(_size(attachment.get("size")), "cell"),
            kit.p(_split_hash(str(attachment.get("sha256") or "")), "mono"),
        ])
    return kit.table(rows, [8 * mm, WIDTH - 8 * mm - 26 * mm - 62 * mm, 26 * mm, 62 * mm])


def _split_hash(digest: str) -> str:
    """A 64-digit hash on two lines of 32, which a narrow column can hold."""
    return digest if len(digest) <= 32 else f"{digest[:32]}\n{digest[32:]}"


def _size(size: Any) -> str:
    if not isinstance(size, int) or size < 0:
        return "—"
    if size < 1024:
        return f"{size:,} bytes"
    if size < 2**20:
        return f"{size / 1024:.1f} KiB\n{size:,} bytes"
    return f"{size / 2**20:.1f} MiB\n{size:,} bytes"
