"""Charts are SVG built in Python: accessible, escaped, no inline style or script."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from awards.results import charts

SVG = "{http://www.w3.org/2000/svg}"


def _public_chart():
    rows = [charts.ShareRow("Immigration Department", 0.30, 0.32, 0.29, 0.35, "tip A"),
            charts.ShareRow("<script>入境事務處</script>", 0.40, 0.38, 0.35, 0.41)]
    return charts.public_shares_chart(rows, title="Shares & CIs", desc="One sentence.",
                                      weighted_label="Weighted", raw_label="Raw",
                                      axis_label="Share")


def test_svg_is_accessible_well_formed_and_escaped():
    svg = str(charts.to_svg(_public_chart()))
    root = ET.fromstring(svg)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "chart-public-title chart-public-desc"
    assert root.find(f"{SVG}title").text == "Shares & CIs"
    assert root.find(f"{SVG}desc").text == "One sentence."
    assert "<script>" not in svg and "style=" not in svg
    assert "&lt;script&gt;入境事務處" in svg
    # one group per department with its tooltip
    assert next(g.find(f"{SVG}title").text for g in root.iter(f"{SVG}g")) == "<script>入境事務處</script>"


def test_largest_weighted_share_first_and_axis_covers_intervals():
    chart = _public_chart()
    groups = [item for item in chart.items if isinstance(item, charts.Group)]
    assert groups[0].title.startswith("<script>")
    ticks = [i.text for i in chart.items if isinstance(i, charts.Text) and i.text.endswith("%")]
    assert ticks[0] == "0%" and int(ticks[-1][:-1]) >= 41


def test_combined_chart_draws_the_cut_after_the_last_finalist():
    rows = [charts.CombinedRow("A", 62.5, True), charts.CombinedRow("B", 55.0, True),
            charts.CombinedRow("C", 40.0, False)]
    chart = charts.combined_chart(rows, title="t", desc="d", finalist_label="Finalist",
                                  other_label="Other", cut_label="cut 0.75", axis_label="T")
    dashed = [i for i in chart.items if isinstance(i, charts.Line) and i.dash]
    assert len(dashed) == 1
    assert dashed[0].y1 == charts.TOP + 2 * charts.ROW + charts.CUT_BAND / 2
    assert any(isinstance(i, charts.Text) and i.text == "cut 0.75" for i in chart.items)


def test_label_column_fits_the_labels():
    assert charts.label_width(["甲部門"]) == charts.MIN_LABEL_WIDTH
    assert charts.label_width(["Agriculture, Fisheries and Conservation Department"]) \
        >= charts.LABEL_WIDTH - 10


def test_long_labels_are_shortened():
    label = charts.fit_label("Agriculture, Fisheries and Conservation Department")
    assert label.endswith("…") and charts.text_em(label) <= charts.MAX_LABEL_EM
    assert charts.fit_label("漁農自然護理署") == "漁農自然護理署"


def test_nice_steps():
    assert charts.nice_step(0.45) == 0.1
    assert charts.nice_step(30) == 5


def _bars(chart):
    """The bar of each department row (its first rectangle), in row order."""
    return [next(i for i in g.items if isinstance(i, charts.Rect))
            for g in chart.items if isinstance(g, charts.Group)]


def _texts(chart):
    for item in chart.items:
        for i in (item.items if isinstance(item, charts.Group) else [item]):
            if isinstance(i, charts.Text):
                yield i


LONG = "Agriculture, Fisheries and Conservation Department"


def test_narrow_layout_puts_labels_above_full_width_bars():
    rows = [charts.ShareRow(LONG, 0.20, 0.20, 0.18, 0.22),
            charts.ShareRow("Land Registry", 0.10, 0.10, 0.08, 0.12),
            charts.ShareRow("入境事務處", 0.05, 0.05, 0.04, 0.06)]
    chart = charts.public_shares_chart(rows, title="t", desc="d", weighted_label="Weighted",
                                       raw_label="Raw", axis_label="Share of valid ballots",
                                       ident="chart-public-narrow", layout=charts.NARROW)
    assert chart.width == charts.NARROW_WIDTH and chart.layout == "narrow"
    bars = _bars(chart)
    # bars proportional to the values, starting at the left edge of the plot
    assert len({b.x for b in bars}) == 1 and bars[0].x < 20
    assert [round(b.w / bars[0].w, 3) for b in bars] == [1.0, 0.5, 0.25]
    assert bars[0].w > chart.width / 2
    labels = [t for t in _texts(chart) if t.halo]
    assert [t.anchor for t in labels] == ["start"] * 3
    for label, bar in zip(labels, bars):
        assert label.y < bar.y and label.x == bar.x  # above its bar, aligned with it
    # every text fits inside the view box
    for text in _texts(chart):
        em = charts.text_em(text.text) * text.size
        left = {"start": text.x, "middle": text.x - em / 2, "end": text.x - em}[text.anchor]
        assert left >= 0 and left + em <= chart.width + 1, text
    assert labels[0].text.endswith("…")
    svg = str(charts.to_svg(chart))
    assert 'class="chart-svg chart-narrow"' in svg and 'id="chart-public-narrow-title"' in svg
    assert 'viewBox="0 0 340 ' in svg and 'width="100%"' in svg


def test_narrow_combined_chart_keeps_the_cut_between_the_finalists_and_the_rest():
    rows = [charts.CombinedRow("A", 62.5, True), charts.CombinedRow("B", 55.0, True),
            charts.CombinedRow("C", 40.0, False)]
    chart = charts.combined_chart(rows, title="t", desc="d", finalist_label="Finalist",
                                  other_label="Other", cut_label="cut 0.75", axis_label="T",
                                  layout=charts.NARROW)
    bars = _bars(chart)
    dashed = next(i for i in chart.items if isinstance(i, charts.Line) and i.dash)
    assert bars[1].y + bars[1].h < dashed.y1 < bars[2].y
    cut = next(t for t in _texts(chart) if t.text == "cut 0.75")
    assert bars[1].y + bars[1].h < cut.y < dashed.y1 and cut.anchor == "start"


def test_wide_layout_is_the_default_and_unchanged():
    chart = _public_chart()
    assert chart.width == charts.WIDTH and chart.layout == "wide"
    assert 'class="chart-svg chart-wide"' in str(charts.to_svg(chart))
