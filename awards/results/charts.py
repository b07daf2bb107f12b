"""Charts of the results, built in Python from plain rows: no JavaScript, no inline styles.

A chart is a list of drawing primitives in a pixel coordinate system (y grows downwards),
drawn in one of two layouts (:class:`Layout`): ``WIDE``, labels beside the bars, and
``NARROW`` for phones, labels above them, so that no chart needs to scroll sideways or
shrinks its text below reading size.
:func:`to_svg` renders it as accessible inline SVG (``role="img"``, ``<title>``, ``<desc>``,
a ``<title>`` per row for pointer users); :mod:`awards.results.exports` draws the same
primitives with reportlab for the PDF report. Builders take already-translated text, so
this module knows nothing of Flask and a chart reads the same in English and Chinese.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from markupsafe import Markup, escape

INK = "#1b1f24"
MUTED = "#4a5360"
GRID = "#d5dbe3"
BRAND = "#0b4f8a"
BAR = "#9dbbdc"
ACCENT = "#b4410e"
OTHER = "#aab3be"
FONT_FAMILY = ('system-ui, "Noto Sans CJK TC", "Noto Sans TC", "WenQuanYi Micro Hei", '
               '"Microsoft JhengHei", sans-serif')

WIDTH = 860
LABEL_WIDTH = 300
ROW = 26
TOP = 56
BOTTOM = 42
RIGHT = 70
FONT = 13
MAX_LABEL_EM = 21.0
MIN_LABEL_WIDTH = 120
CUT_BAND = 24
NARROW_WIDTH = 340
NARROW_ROW = 40
PAD = 8
LEGEND_ROW = 22


@dataclass(frozen=True)
class Layout:
    """A chart's geometry. ``WIDE`` puts the labels in a column left of the bars (pages on
    tablets and desktops, and the PDF). ``NARROW`` is for phones: each label on its own
    line above its bar, so the bars get the whole width of a 340-unit view box that a phone
    shows at about its natural size, the legend one entry per line."""

    name: str
    width: float
    row: float
    right: float
    ticks: int
    labels_above: bool

    @property
    def max_label_em(self) -> float:
        return (self.width - 3 * PAD) / FONT if self.labels_above else MAX_LABEL_EM


WIDE = Layout("wide", WIDTH, ROW, RIGHT, 6, False)
NARROW = Layout("narrow", NARROW_WIDTH, NARROW_ROW, 52, 4, True)


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    fill: str
    stroke: str | None = None


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    stroke: str = INK
    width: float = 1.0
    dash: tuple[float, ...] | None = None


@dataclass(frozen=True)
class Circle:
    cx: float
    cy: float
    r: float
    fill: str
    stroke: str | None = None
    width: float = 1.0


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    size: float = FONT
    anchor: str = "start"  # start | middle | end
    fill: str = INK
    bold: bool = False
    halo: bool = False  # a white outline, so grid lines never cross the letters


@dataclass
class Group:
    """Primitives of one data row, with the tooltip text pointer users see."""

    title: str
    items: list = field(default_factory=list)


@dataclass
class Chart:
    """A chart: size, accessible title and description, and its primitives."""

    ident: str
    width: float
    height: float
    title: str
    desc: str
    items: list = field(default_factory=list)
    layout: str = "wide"


@dataclass(frozen=True)
class ShareRow:
    label: str
    share: float
    weighted: float
    low: float
    high: float
    tooltip: str = ""


@dataclass(frozen=True)
class JudgeRow:
    label: str
    raw_mean: float
    adjusted: float
    tooltip: str = ""


@dataclass(frozen=True)
class CombinedRow:
    label: str
    display: float
    finalist: bool
    tooltip: str = ""


def text_em(text: str) -> float:
    """Rough width of ``text`` in ems (wide East Asian characters count 1, Latin less)."""
    total = 0.0
    for ch in text:
        if unicodedata.east_asian_width(ch) in ("W", "F"):
            total += 1.0
        elif ch in "mwMW":
            total += 0.9
        elif ch.isupper():
            total += 0.72
        elif ch in " il.,;:'|!()":
            total += 0.33
        else:
            total += 0.61
    return total


def fit_label(text: str, max_em: float = MAX_LABEL_EM) -> str:
    """``text`` shortened with an ellipsis to about ``max_em`` ems."""
    if text_em(text) <= max_em:
        return text
    while text and text_em(text + "…") > max_em:
        text = text[:-1]
    return text.rstrip() + "…"


def nice_step(span: float, target: int = 6) -> float:
    """A round tick step (1, 2 or 5 × 10^k) giving about ``target`` ticks over ``span``."""
    if span <= 0:
        return 1.0
    raw = span / target
    power = 10 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 5, 10):
        if raw <= multiple * power:
            return multiple * power
    return 10 * power


def label_width(labels: Sequence[str]) -> float:
    """Width of the label column: the longest (shortened) label, within bounds."""
    widest = max((text_em(fit_label(label)) for label in labels), default=0.0)
    return max(MIN_LABEL_WIDTH, min(LABEL_WIDTH, widest * FONT + 24))


class _Axis:
    """Maps data values onto the plot's x range."""

    def __init__(self, low: float, high: float, x0: float, x1: float):
        self.low, self.high, self.x0, self.x1 = low, high, x0, x1

    def __call__(self, value: float) -> float:
        span = self.high - self.low or 1.0
        clipped = min(max(value, self.low), self.high)
        return self.x0 + (clipped - self.low) / span * (self.x1 - self.x0)


def _grid(chart: Chart, axis: _Axis, step: float, top: float, bottom: float, fmt) -> None:
    count = round((axis.high - axis.low) / step)
    for i in range(count + 1):
        value = axis.low + i * step
        x = axis(value)
        chart.items.append(Line(x, top, x, bottom, stroke=GRID))
        chart.items.append(Text(x, bottom + 18, fmt(value), size=12, anchor="middle",
                                fill=MUTED))


def _row_label(group: Group, layout: Layout, y: float, label: str, left: float) -> None:
    """The row's label: left of the bar (wide) or on the line above it (narrow)."""
    if layout.labels_above:
        group.items.append(Text(left, y - 12, fit_label(label, layout.max_label_em),
                                halo=True))
    else:
        group.items.append(Text(left - 10, y + 4.5, fit_label(label), anchor="end"))


def _top(layout: Layout, legend_entries: int) -> float:
    """Where the rows start: under the legend (one line wide, one line per entry narrow)."""
    if layout.labels_above:
        return LEGEND_ROW * legend_entries + 24
    return TOP


def _row_y(layout: Layout, top: float, i: int) -> float:
    """The y of row ``i``'s bar (its centre line)."""
    if layout.labels_above:
        return top + i * layout.row + 27
    return top + i * layout.row + layout.row / 2


def _plot_left(layout: Layout, labels: Sequence[str]) -> float:
    """Where bars start: after the label column (wide), or far enough in for the first
    tick's centred text (narrow)."""
    return 2 * PAD if layout.labels_above else label_width(labels)


def _axis_label(chart: Chart, layout: Layout, axis: "_Axis", text: str) -> None:
    if layout.labels_above:
        chart.items.append(Text(layout.width / 2, chart.height - 4,
                                fit_label(text, (layout.width - 2 * PAD) / 12), size=12,
                                anchor="middle", fill=MUTED))
    else:
        chart.items.append(Text((axis.x0 + axis.x1) / 2, chart.height - 4, text, size=12,
                                anchor="middle", fill=MUTED))


def public_shares_chart(
    rows: Sequence[ShareRow], *, title: str, desc: str, weighted_label: str,
    raw_label: str, axis_label: str, ident: str = "chart-public", layout: Layout = WIDE,
) -> Chart:
    """Weighted public share with its 95% interval (bar and whisker) and the raw share
    (ring) per department, largest weighted share first (SPEC 6.2-6.3)."""
    rows = sorted(rows, key=lambda r: (-r.weighted, r.label))
    top = _top(layout, 2)
    bottom = top + layout.row * len(rows)
    height = bottom + BOTTOM
    chart = Chart(ident, layout.width, height, title, desc, layout=layout.name)
    peak = max([r.high for r in rows] + [r.share for r in rows] + [0.05])
    step = nice_step(peak, layout.ticks)
    left = _plot_left(layout, [r.label for r in rows])
    axis = _Axis(0.0, step * math.ceil(peak / step), left, layout.width - layout.right)
    _legend(chart, layout, [("bar", weighted_label), ("ring", raw_label)], left)
    _grid(chart, axis, step, top - 6, bottom, lambda v: f"{v * 100:.0f}%")
    _axis_label(chart, layout, axis, axis_label)
    for i, row in enumerate(rows):
        y = _row_y(layout, top, i)
        group = Group(row.tooltip or row.label)
        _row_label(group, layout, y, row.label, left)
        group.items.append(Rect(axis.x0, y - 7, axis(row.weighted) - axis.x0, 14, BAR))
        lo, hi = axis(row.low), axis(row.high)
        group.items += [Line(lo, y, hi, y, width=1.6), Line(lo, y - 5, lo, y + 5, width=1.6),
                        Line(hi, y - 5, hi, y + 5, width=1.6)]
        group.items.append(Circle(axis(row.share), y, 4.5, "#ffffff", ACCENT, 2.2))
        group.items.append(Text(axis.x1 + 8, y + 4.5, f"{row.weighted * 100:.1f}%", size=12))
        chart.items.append(group)
    return chart


def judge_scores_chart(
    rows: Sequence[JudgeRow], *, title: str, desc: str, raw_label: str,
    adjusted_label: str, axis_label: str, ident: str = "chart-judges", layout: Layout = WIDE,
) -> Chart:
    """Judges' raw mean (ring) and adjusted score ``J`` (dot) per department, joined by a
    line so the adjustment for judge leniency shows as its length (SPEC 6.4)."""
    rows = sorted(rows, key=lambda r: (-r.adjusted, r.label))
    top = _top(layout, 2)
    bottom = top + layout.row * len(rows)
    chart = Chart(ident, layout.width, bottom + BOTTOM, title, desc, layout=layout.name)
    values = [v for r in rows for v in (r.raw_mean, r.adjusted)] or [0.0, 100.0]
    step = nice_step(max(values) - min(values) + 10, layout.ticks)
    low = max(0.0, step * math.floor((min(values) - 2) / step))
    high = min(100.0, step * math.ceil((max(values) + 2) / step))
    if high <= low:
        low, high = 0.0, 100.0
    left = _plot_left(layout, [r.label for r in rows])
    axis = _Axis(low, high, left, layout.width - layout.right)
    _legend(chart, layout, [("dot", adjusted_label), ("ring", raw_label)], left)
    _grid(chart, axis, step, top - 6, bottom, lambda v: f"{v:.0f}")
    _axis_label(chart, layout, axis, axis_label)
    for i, row in enumerate(rows):
        y = _row_y(layout, top, i)
        group = Group(row.tooltip or row.label)
        _row_label(group, layout, y, row.label, left)
        raw, adjusted = axis(row.raw_mean), axis(row.adjusted)
        group.items.append(Line(raw, y, adjusted, y, stroke=MUTED, width=2))
        group.items.append(Circle(raw, y, 5, "#ffffff", ACCENT, 2.2))
        group.items.append(Circle(adjusted, y, 5, BRAND))
        group.items.append(Text(axis.x1 + 8, y + 4.5, f"{row.adjusted:.1f}", size=12))
        chart.items.append(group)
    return chart


def combined_chart(
    rows: Sequence[CombinedRow], *, title: str, desc: str, finalist_label: str,
    other_label: str, cut_label: str, axis_label: str, ident: str = "chart-combined",
    layout: Layout = WIDE,
) -> Chart:
    """Display score ``T = 50 + 10·C`` per department in rank order, bars drawn from 50,
    finalists in the brand colour, and a band with a dashed line and the cut gap under the
    last finalist (SPEC 6.5-6.6)."""
    labels = [f"{i}. {row.label}" for i, row in enumerate(rows, start=1)]
    cut_after = next((i + 1 for i, row in enumerate(rows[:-1])
                      if row.finalist and not rows[i + 1].finalist), None)
    band = (CUT_BAND + (12 if layout.labels_above else 0)) if cut_after else 0
    top = _top(layout, 2)
    bottom = top + layout.row * len(rows) + band
    chart = Chart(ident, layout.width, bottom + BOTTOM, title, desc, layout=layout.name)
    values = [r.display for r in rows] or [50.0]
    spread = max(abs(v - 50) for v in values) + 2
    step = nice_step(2 * spread, layout.ticks)
    half = step * math.ceil(spread / step)
    left = _plot_left(layout, labels)
    axis = _Axis(50 - half, 50 + half, left, layout.width - layout.right)
    _legend(chart, layout, [("bar-brand", finalist_label), ("bar-other", other_label)], left)
    _grid(chart, axis, step, top - 6, bottom, lambda v: f"{v:.0f}")
    chart.items.append(Line(axis(50), top - 6, axis(50), bottom, stroke=INK, width=1.2))
    _axis_label(chart, layout, axis, axis_label)
    for i, row in enumerate(rows):
        y = _row_y(layout, top, i) + (band if cut_after and i >= cut_after else 0)
        group = Group(row.tooltip or row.label)
        _row_label(group, layout, y, labels[i], left)
        start, end = sorted((axis(50), axis(row.display)))
        group.items.append(Rect(start, y - 7, max(end - start, 1), 14,
                                BRAND if row.finalist else OTHER))
        group.items.append(Text(axis.x1 + 8, y + 4.5, f"{row.display:.1f}", size=12))
        chart.items.append(group)
    if cut_after:
        band_top = top + cut_after * layout.row
        chart.items.insert(0, Rect(PAD, band_top + 2, layout.width - 2 * PAD, band - 4,
                                   "#fff7f2"))
        if layout.labels_above:  # the note on its own line, the dashed line under it
            line_y, text = band_top + band - 9, Text(left, band_top + 17, fit_label(
                cut_label, layout.max_label_em * 13 / 12), size=12, fill=ACCENT, bold=True)
        else:
            line_y, text = band_top + band / 2, Text(
                left - 10, band_top + band / 2 + 4.5, fit_label(cut_label), size=12,
                anchor="end", fill=ACCENT, bold=True)
        chart.items.append(Line(axis.x0, line_y, layout.width - PAD, line_y, stroke=ACCENT,
                                width=2, dash=(6, 4)))
        chart.items.append(text)
    return chart


def _legend(chart: Chart, layout: Layout, entries: list[tuple[str, str]],
            left: float) -> None:
    x = left
    y = 22
    for kind, label in entries:
        if kind.startswith("bar"):
            colour = {"bar": BAR, "bar-brand": BRAND, "bar-other": OTHER}[kind]
            chart.items.append(Rect(x, y - 7, 22, 14, colour))
            if kind == "bar":
                chart.items.append(Line(x - 4 if x > 4 else x, y, x + 26, y, width=1.6))
        elif kind == "ring":
            chart.items.append(Circle(x + 11, y, 4.5, "#ffffff", ACCENT, 2.2))
        else:
            chart.items.append(Circle(x + 11, y, 5, BRAND))
        if layout.labels_above:
            chart.items.append(Text(x + 32, y + 4.5, fit_label(
                label, (layout.width - x - 32 - PAD) / FONT)))
            y += LEGEND_ROW
        else:
            chart.items.append(Text(x + 32, y + 4.5, label))
            x += 32 + text_em(label) * FONT + 28


def to_svg(chart: Chart) -> Markup:
    """The chart as inline SVG markup (safe: every text is escaped)."""
    ident = escape(chart.ident)
    parts = [
        (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" '
         f'class="chart-svg chart-{escape(chart.layout)}" '
         f'viewBox="0 0 {chart.width:g} {chart.height:g}" width="100%" '
         f'preserveAspectRatio="xMinYMin meet" aria-labelledby="{ident}-title {ident}-desc" '
         f'font-family="{escape(FONT_FAMILY)}">'),
        f'<title id="{ident}-title">{escape(chart.title)}</title>',
        f'<desc id="{ident}-desc">{escape(chart.desc)}</desc>',
        f'<rect x="0" y="0" width="{chart.width:g}" height="{chart.height:g}" fill="#ffffff"/>',
    ]
    for item in chart.items:
        parts.append(_svg_item(item))
    parts.append("</svg>")
    return Markup("".join(parts))


def _svg_item(item) -> str:
    if isinstance(item, Group):
        inner = "".join(_svg_item(i) for i in item.items)
        return f"<g><title>{escape(item.title)}</title>{inner}</g>"
    if isinstance(item, Rect):
        stroke = f' stroke="{item.stroke}"' if item.stroke else ""
        return (f'<rect x="{item.x:.1f}" y="{item.y:.1f}" width="{max(item.w, 0):.1f}" '
                f'height="{item.h:.1f}" fill="{item.fill}"{stroke}/>')
    if isinstance(item, Line):
        dash = f' stroke-dasharray="{" ".join(f"{d:g}" for d in item.dash)}"' if item.dash else ""
        return (f'<line x1="{item.x1:.1f}" y1="{item.y1:.1f}" x2="{item.x2:.1f}" '
                f'y2="{item.y2:.1f}" stroke="{item.stroke}" stroke-width="{item.width:g}"'
                f'{dash}/>')
    if isinstance(item, Circle):
        stroke = (f' stroke="{item.stroke}" stroke-width="{item.width:g}"'
                  if item.stroke else "")
        return (f'<circle cx="{item.cx:.1f}" cy="{item.cy:.1f}" r="{item.r:g}" '
                f'fill="{item.fill}"{stroke}/>')
    if isinstance(item, Text):
        weight = ' font-weight="700"' if item.bold else ""
        if item.halo:
            weight += ' stroke="#ffffff" stroke-width="4" paint-order="stroke"'
        return (f'<text x="{item.x:.1f}" y="{item.y:.1f}" font-size="{item.size:g}" '
                f'text-anchor="{item.anchor}" fill="{item.fill}"{weight}>'
                f"{escape(item.text)}</text>")
    raise TypeError(f"unknown chart item {item!r}")
