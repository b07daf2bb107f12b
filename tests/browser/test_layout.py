"""What the walkthrough found on phones, tablets and desktops: charts that fit, tables that
show they scroll, pages that never scroll sideways."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from awards.extensions import db

from ..audit.conftest import published, published_snapshot  # noqa: F401
from .helpers import DESKTOP, PHONE

pytestmark = pytest.mark.browser


def overflowing(page: Page, selector: str) -> list[str]:
    """Elements under ``selector`` whose box reaches outside the viewport's width."""
    return page.evaluate("""sel => {
        const out = [];
        for (const el of document.querySelectorAll(sel)) {
            const r = el.getBoundingClientRect();
            if (r.width === 0 && r.height === 0) continue;
            if (r.left < -0.5 || r.right > innerWidth + 0.5)
                out.push(`${el.tagName} ${Math.round(r.left)}..${Math.round(r.right)}: `
                         + (el.textContent || el.outerHTML).slice(0, 60));
        }
        return out;
    }""", selector)


def bar_widths(page: Page, chart: str) -> list[float]:
    """Rendered widths of the chart's bars: the first rectangle of each department row."""
    return page.locator(f"{chart} g > rect:first-of-type").evaluate_all(
        "els => els.map(e => e.getBoundingClientRect().width)")


def results_url(published) -> str:
    slug = published.campaign.slug
    db.session.rollback()  # the live server's threads need the SQLite write lock
    return f"/results/{slug}"


def weighted_shares(page: Page) -> list[float]:
    """The 'Weighted share' column of the public vote table, as fractions."""
    cells = page.locator("section:has(#public-title) table tbody tr td:nth-of-type(1)")
    return [float(text.strip().rstrip("%")) / 100 for text in cells.all_inner_texts()]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_public_chart_fits_a_phone_with_bars_in_proportion(new_page, published, lang):
    page = new_page(lang, device=PHONE)
    page.goto(results_url(published))
    narrow = page.locator("section:has(#public-title) svg.chart-narrow")
    expect(narrow).to_be_visible()
    expect(page.locator("section:has(#public-title) svg.chart-wide")).to_be_hidden()

    widths, shares = bar_widths(page, "section:has(#public-title) svg.chart-narrow"), \
        weighted_shares(page)
    assert len(widths) == len(shares) >= 3
    assert len({round(w) for w in widths}) > 1, f"all bars the same length: {widths}"
    scale = widths[0] / shares[0]
    for width, share in zip(widths, shares):
        assert width == pytest.approx(share * scale, abs=1.5), (widths, shares)
    box = narrow.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert widths[0] > box["width"] / 3, "the longest bar uses little of the chart's width"
    # labels, legend, ticks and the axis title all inside the screen
    assert not overflowing(page, "svg.chart-narrow *")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # the text stays readable: at least 11 CSS pixels
    size = page.locator("svg.chart-narrow g text").first.evaluate(
        "el => el.getBoundingClientRect().height")
    assert size >= 11


def test_desktop_shows_the_wide_chart(new_page, published):
    page = new_page("en", device=DESKTOP)
    page.goto(results_url(published))
    wide = page.locator("section:has(#public-title) svg.chart-wide")
    expect(wide).to_be_visible()
    expect(page.locator("section:has(#public-title) svg.chart-narrow")).to_be_hidden()
    widths = bar_widths(page, "section:has(#public-title) svg.chart-wide")
    assert len({round(w) for w in widths}) > 1
    assert not overflowing(page, "svg.chart-wide *")
    # one id per chart version: no duplicates on the page
    ids = page.locator("[id]").evaluate_all("els => els.map(e => e.id)")
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_wide_table_scrolls_in_its_box_with_a_cue_and_the_department_stays(new_page,
                                                                          published, lang):
    page = new_page(lang, device=PHONE)
    page.goto(results_url(published))
    box = page.locator("section:has(#public-title) .table-scroll")
    assert box.evaluate("el => el.scrollWidth > el.clientWidth"), "the table fits: no test"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # the cue: a written hint above the box (with JavaScript), shadows drawn by CSS alone
    hint = page.locator("section:has(#public-title) .scroll-hint")
    expect(hint).to_be_visible()
    expect(hint).to_contain_text(
        "Scroll sideways to see every column" if lang == "en" else "左右捲動以查看所有欄目")
    assert "radial-gradient" in box.evaluate("el => getComputedStyle(el).backgroundImage")
    # a keyboard user can scroll it: a focusable region named after its table
    expect(box).to_have_attribute("role", "region")
    expect(box).to_have_attribute("tabindex", "0")
    box.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("el => el.scrollLeft > 0", arg=box.element_handle())
    # the department column stays in place while the numbers scroll under it
    key = box.locator("tbody tr:first-child th[scope=row]")
    number = box.locator("tbody tr:first-child td").last
    left_before = key.bounding_box()["x"]
    box.evaluate("el => el.scrollLeft = el.scrollWidth")
    page.wait_for_timeout(100)
    assert key.bounding_box()["x"] == pytest.approx(left_before, abs=1)
    expect(number).to_be_in_viewport()
    header = box.locator("thead th").first
    assert header.bounding_box()["x"] == pytest.approx(left_before, abs=1)


def test_a_table_that_fits_has_no_hint(new_page, published):
    page = new_page("en", device=DESKTOP)
    page.goto(results_url(published))
    box = page.locator("section:has(#public-title) .table-scroll")
    assert box.evaluate("el => el.scrollWidth <= el.clientWidth")
    expect(page.locator("section:has(#public-title) .scroll-hint")).to_have_count(0)
    assert box.get_attribute("role") is None


def sign_in(page: Page, username: str = "olivia") -> None:
    from ..conftest import PASSWORD

    page.goto("/signin")
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.locator("main form [type=submit]").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_households_page_fits_a_phone_and_styles_its_number_field(new_page, organiser,
                                                                   campaign, lang):
    import io

    from awards.voting.households import import_frame

    from ..voting.conftest import frame_csv

    import_frame(campaign, io.BytesIO(frame_csv()))
    slug = campaign.slug
    db.session.commit()
    db.session.rollback()
    page = new_page(lang, device=PHONE)
    sign_in(page)
    page.goto(f"/organiser/c/{slug}/households")
    size = page.locator("input[type=number]")
    expect(size).to_be_visible()
    style = size.evaluate("""el => { const s = getComputedStyle(el);
        return {border: s.borderTopWidth + ' ' + s.borderTopStyle, height: el.offsetHeight,
                font: s.fontSize, body: getComputedStyle(document.body).fontSize}; }""")
    assert style["border"] == "2px solid" and style["height"] >= 44, style
    assert style["font"] == style["body"], style  # not the browser's small default
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert not overflowing(page, "main *:not(.table-scroll *)")


def test_audit_log_on_a_phone_pages_without_javascript(new_page, organiser, published):
    """120 extra events with long data: 50 a page, short rows, page links that work with
    JavaScript switched off, and nothing pushes the page sideways."""
    from awards.audit.service import record

    slug = published.campaign.slug
    for number in range(120):
        record("scores_imported", slug, {"n": number, "note": "x" * 400}, chain=slug,
               actor="olivia")
    db.session.commit()
    db.session.rollback()
    page = new_page("zh", device=PHONE, java_script_enabled=False)
    sign_in(page)
    page.goto(f"/organiser/c/{slug}/audit?action=scores_imported")
    rows = page.locator("table.audit-log tbody tr")
    expect(rows).to_have_count(50)
    expect(page.locator("#filter-action option:checked")).to_have_text("已匯入評審評分")
    heights = sorted(rows.evaluate_all("els => els.map(e => e.getBoundingClientRect().height)"))
    assert heights[25] < 130, heights
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_role("link", name="較舊事件").click()
    expect(page.get_by_text("第 2 頁，共 3 頁")).to_be_visible()
    assert "action=scores_imported" in page.url and "page=2" in page.url
    expect(rows).to_have_count(50)
