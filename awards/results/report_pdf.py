"""The PDF results report (reportlab): summary, awards, Best Public Image, the three charts
drawn from the same primitives as the pages' SVG, and the tables. Text follows the current
language; Chinese needs the CJK TrueType font the letters use."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from typing import Any
from xml.sax.saxutils import escape

from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from awards.models import Campaign, ResultVersion
from awards.pdffonts import cjk_font_or_helvetica, cjk_line_breaking
from awards.results import charts
from awards.results.services import version_results
from awards.results.view import (
    ResultsView,
    build_view,
    chart_sentences,
    is_chinese,
    local_name,
    percent,
)

MARGIN = 18 * mm
PAGE_WIDTH = A4[0] - 2 * MARGIN
MUTED = colors.HexColor("#4a5360")
ACCENT = colors.HexColor("#b4410e")


def pdf_font() -> str:
    """A registered font with Chinese glyphs (the one the letters use), or Helvetica when
    the machine has none."""
    cjk_line_breaking()
    return cjk_font_or_helvetica()


def chart_drawing(chart: charts.Chart, width: float, font: str):
    """The chart's primitives as a reportlab ``Drawing`` ``width`` points wide."""
    from reportlab.graphics.shapes import Circle, Drawing, Line, Rect, String
    from reportlab.lib.colors import HexColor

    scale = width / chart.width
    drawing = Drawing(width, chart.height * scale)

    def y(value: float) -> float:
        return (chart.height - value) * scale

    def add(item) -> None:
        if isinstance(item, charts.Group):
            for inner in item.items:
                add(inner)
        elif isinstance(item, charts.Rect):
            drawing.add(Rect(item.x * scale, y(item.y + item.h), max(item.w, 0) * scale,
                             item.h * scale, fillColor=HexColor(item.fill),
                             strokeColor=HexColor(item.stroke) if item.stroke else None,
                             strokeWidth=0.5))
        elif isinstance(item, charts.Line):
            drawing.add(Line(item.x1 * scale, y(item.y1), item.x2 * scale, y(item.y2),
                             strokeColor=HexColor(item.stroke),
                             strokeWidth=item.width * scale,
                             strokeDashArray=[d * scale for d in item.dash]
                             if item.dash else None))
        elif isinstance(item, charts.Circle):
            drawing.add(Circle(item.cx * scale, y(item.cy), item.r * scale,
                               fillColor=HexColor(item.fill),
                               strokeColor=HexColor(item.stroke) if item.stroke else None,
                               strokeWidth=item.width * scale))
        elif isinstance(item, charts.Text):
            drawing.add(String(item.x * scale, y(item.y), item.text, fontName=font,
                               fontSize=item.size * scale, fillColor=HexColor(item.fill),
                               textAnchor=item.anchor))

    drawing.add(Rect(0, 0, width, chart.height * scale, fillColor=HexColor("#ffffff"),
                     strokeColor=None))
    for item in chart.items:
        add(item)
    return drawing


class _Kit:
    """Paragraph styles and helpers for one report."""

    def __init__(self, font: str):
        self.font = font
        wrap = "CJK" if font != "Helvetica" and is_chinese() else None
        self.body = ParagraphStyle("body", fontName=font, fontSize=9.5, leading=14,
                                   alignment=TA_LEFT, wordWrap=wrap)
        self.small = ParagraphStyle("small", parent=self.body, fontSize=8, leading=11,
                                    textColor=MUTED)
        self.h1 = ParagraphStyle("h1", parent=self.body, fontSize=17, leading=22,
                                 spaceAfter=6)
        self.h2 = ParagraphStyle("h2", parent=self.body, fontSize=13, leading=18,
                                 spaceBefore=10, spaceAfter=4, keepWithNext=1,
                                 textColor=colors.HexColor("#0b4f8a"))
        self.cell = ParagraphStyle("cell", parent=self.body, fontSize=8.5, leading=11)

    def p(self, text: str, style: ParagraphStyle | None = None) -> Paragraph:
        return Paragraph(escape(text), style or self.body)

    def table(self, header: Sequence[str], rows: Sequence[Sequence[Any]],
              widths: Sequence[float], highlight: Callable[[int], bool] | None = None
              ) -> Table:
        data = [[self.p(h, self.cell) for h in header]]
        data += [[self.p(str(v), self.cell) for v in row] for row in rows]
        table = Table(data, colWidths=[w * mm for w in widths], repeatRows=1, hAlign="LEFT")
        style = [
            ("FONTNAME", (0, 0), (-1, -1), self.font),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e9edf3")),
            ("LINEBELOW", (0, 0), (-1, -1), 0.4, colors.HexColor("#c9d0d9")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
        style += [("LINEBELOW", (0, i + 1), (-1, i + 1), 1.6, ACCENT)
                  for i in range(len(rows)) if highlight and highlight(i)]
        table.setStyle(TableStyle(style))
        return table


def export_pdf(campaign: Campaign, version: ResultVersion) -> bytes:
    """The report of one result version as PDF bytes."""
    view = build_view(campaign, version_results(version))
    kit = _Kit(pdf_font())
    story = [*_summary(kit, campaign, version, view), PageBreak(), *_charts(kit, view),
             PageBreak(), *_tables(kit, view)]
    out = io.BytesIO()

    def footer(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(kit.font, 8)
        canvas.setFillColor(MUTED)
        canvas.drawString(MARGIN, 10 * mm, f"{campaign.slug} v{version.version}")
        canvas.drawRightString(A4[0] - MARGIN, 10 * mm, str(doc.page))
        canvas.restoreState()

    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN,
                            topMargin=16 * mm, bottomMargin=MARGIN,
                            title=f"{campaign.name_en} — results v{version.version}",
                            author="awards", subject=version.inputs_digest)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()


def _summary(kit: _Kit, campaign: Campaign, version: ResultVersion,
             view: ResultsView) -> list[Any]:
    story: list[Any] = [
        kit.p(local_name(campaign), kit.h1),
        kit.p(_("Results version %(version)s, computed %(when)s by %(who)s",
                version=version.version,
                when=version.computed_at.strftime("%Y-%m-%d %H:%M UTC"),
                who=version.computed_by)),
        kit.p(_("Inputs digest: %(digest)s", digest=version.inputs_digest), kit.small),
    ]
    if version.reason:
        story.append(kit.p(_("Reason: %(reason)s", reason=version.reason), kit.small))
    story += [Spacer(1, 4 * mm), kit.p(_("Finalists"), kit.h2),
              kit.p(", ".join(local_name(d) for d in view.finalists))]
    if view.final_rows:
        story += [kit.p(_("Final round and awards"), kit.h2), kit.table(
            [_("Place"), _("Department"), _("Final score"), _("Median"), _("Award")],
            [[r["rank"], local_name(r["dept"]), f"{r['score']:.2f}", f"{r['median']:.2f}",
              r["award_label"]] for r in view.final_rows],
            widths=[14, 80, 24, 20, 36])]
    story += [kit.p(_("Best Public Image Award"), kit.h2), kit.p(_best_sentence(view))]
    story += [kit.p("• " + warning, kit.small) for warning in view.warnings]
    return story


def _charts(kit: _Kit, view: ResultsView) -> list[Any]:
    sentences = chart_sentences()
    return [
        KeepTogether([kit.p(chart.title, kit.h2), kit.p(sentences[key], kit.small),
                      Spacer(1, 2 * mm), chart_drawing(chart, PAGE_WIDTH, kit.font)])
        for key, chart in view.charts().items()
    ]


def _tables(kit: _Kit, view: ResultsView) -> list[Any]:
    results = view.results
    finalists = len(results["finalists"])
    judge = results["judges"]["preliminary"]["scores"]
    shares = {r["department"]: r["weighted_share"] for r in view.public_rows}
    story: list[Any] = [kit.p(_("Combined ranking"), kit.h2), kit.table(
        [_("Rank"), _("Department"), _("Public share"), _("Judge score"), _("Combined C"),
         _("Display T")],
        [[r["rank"], local_name(r["dept"]), percent(shares.get(r["department"])),
          f"{judge.get(r['department'], 0):.2f}", f"{r['combined']:.4f}",
          f"{r['display']:.1f}"] for r in view.preliminary],
        widths=[12, 70, 24, 24, 22, 22], highlight=lambda i: i == finalists - 1)]
    gap = results.get("cut_gap")
    if gap is not None:
        story.append(kit.p(_("Finalist cut gap C(N) − C(N+1): %(gap).4f", gap=gap),
                           kit.small))
    story += [kit.p(_("Public vote"), kit.h2), kit.p(_public_summary(view), kit.small),
              kit.table(
        [_("Department"), _("Ballots"), _("Raw share"), _("Weighted share"),
         _("%(level)s interval", level="95%"), _("P(finalist)"), _("P(best public image)")],
        [[local_name(r["dept"]), f"{r['count']:,}", percent(r["share"]),
          percent(r["weighted_share"]), f"{percent(r['ci95'][0])} – {percent(r['ci95'][1])}",
          percent(r.get("p_finalist"), 0), percent(r.get("p_best_public_image"), 0)]
         for r in view.public_rows],
        widths=[48, 16, 18, 20, 32, 20, 20])]
    if view.effects:
        story += [kit.p(_("Judge effects (preliminary round)"), kit.h2), kit.table(
            [_("Judge"), _("Effect b")],
            [[name, f"{effect:+.2f}"] for name, effect in view.effects], widths=[30, 30])]
    story += [kit.p(_("Sensitivity of the finalists"), kit.h2), kit.table(
        [_("Judge method"), _("Public weight"), _("Finalists in order"),
         _("Compared with the result")],
        [[r["method_label"], f"{r['public_weight']:.1f}",
          r["error"] or ", ".join(d.code for d in r["depts"]), _sensitivity_flag(r)]
         for r in view.sensitivity],
        widths=[44, 18, 76, 36])]
    return story


def _sensitivity_flag(row: dict[str, Any]) -> str:
    if row.get("error"):
        return _("Cannot be applied")
    if row.get("set_differs"):
        return _("Different finalists")
    if row.get("differs"):
        return _("Same finalists, different order")
    return _("Same")


def _best_sentence(view: ResultsView) -> str:
    best = view.best
    name = local_name(best["dept"])
    share = percent(best["row"].get("weighted_share"))
    if best["conclusive"] is False:
        return _("%(name)s has the highest weighted public share (%(share)s), but the lead "
                 "is not statistically conclusive: in %(percent)s of resamples another "
                 "department came first.", name=name, share=share,
                 percent=best["others_percent"])
    return _("%(name)s has the highest weighted public share (%(share)s).", name=name,
             share=share)


def _public_summary(view: ResultsView) -> str:
    pub = view.results["public"]
    deff = pub.get("deff")
    return _("%(returned)s returns: %(valid)s valid, %(spoilt)s spoilt. Design effect "
             "%(deff)s, effective sample size %(neff)s.",
             returned=f"{pub['returned']:,}", valid=f"{pub['valid']:,}",
             spoilt=f"{pub['spoilt']:,}", deff=f"{deff:.3f}" if deff is not None else "–",
             neff=f"{pub['n_eff']:,.0f}")
