"""Constants, the household's departments, page helpers and axe-core for the browser tests."""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Callable
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po
from playwright.sync_api import Locator, Page, expect

from ..conftest import ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
# Screenshots for people to look at (`make screenshots`): saved only when AWARDS_SHOTS names
# a folder. No test reads them back, and saving them was a third of a page check's time.
SHOTS = Path(os.environ["AWARDS_SHOTS"]) if os.environ.get("AWARDS_SHOTS") else None
AXE = ROOT / "node_modules/axe-core/axe.min.js"
CATALOGUE = ROOT / "awards/translations/zh_Hant_HK/LC_MESSAGES/messages.po"

# A household's phone (an iPhone 12-14 sized screen).
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
# The staff's screens: a phone, a tablet held upright and an office monitor.
STAFF_DEVICES = {"phone": PHONE, "tablet": {"viewport": {"width": 768, "height": 1024}},
                 "desktop": {"viewport": {"width": 1440, "height": 900}}}
LOCALES = {"en": "en-GB", "zh": "zh-HK"}  # Accept-Language the browser sends
# Fail in seconds, not in Playwright's default 30 s: every page here answers in milliseconds.
TIMEOUT_MS = 8_000

DEPARTMENTS = [
    ("IMMD", "Immigration Department", "入境事務處"),
    ("HKPF", "Hong Kong Police Force", "香港警務處"),
    ("FEHD", "Food and Environmental Hygiene Department", "食物環境衞生署"),
    ("LCSD", "Leisure and Cultural Services Department", "康樂及文化事務署"),
    ("HD", "Housing Department", "房屋署"),
    ("TD", "Transport Department", "運輸署"),
    ("IRD", "Inland Revenue Department", "稅務局"),
    ("LD", "Labour Department", "勞工處"),
    ("SWD", "Social Welfare Department", "社會福利署"),
    ("DH", "Department of Health", "衞生署"),
    ("FSD", "Fire Services Department", "消防處"),
    ("CED", "Customs and Excise Department", "香港海關"),
    ("POST", "Hongkong Post", "香港郵政"),
    ("WSD", "Water Supplies Department", "水務署"),
    ("LANDSD", "Lands Department", "地政總署"),
    ("BD", "Buildings Department", "屋宇署"),
    ("EPD", "Environmental Protection Department", "環境保護署"),
    ("HAD", "Home Affairs Department", "民政事務總署"),
    ("RVD", "Rating and Valuation Department", "差餉物業估價署"),
    ("LR", "Land Registry", "土地註冊處"),
    ("CSD", "Correctional Services Department", "懲教署"),
    ("AFCD", "Agriculture, Fisheries and Conservation Department", "漁農自然護理署"),
    ("MD", "Marine Department", "海事處"),
    ("HKO", "Hong Kong Observatory", "香港天文台"),
    ("EMSD", "Electrical and Mechanical Services Department", "機電工程署"),
    ("TRY", "Treasury", "庫務署"),
    ("ISD", "Information Services Department", "政府新聞處"),
    ("CAD", "Civil Aviation Department", "民航處"),
]
NAMES = {code: {"en": en, "zh": zh} for code, en, zh in DEPARTMENTS}


# Crockford base32, grouped 4-4-4-4 (SPEC section 4: the receipt is the 16-symbol ballot id).
RECEIPT = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$")


def shot(page: Page, name: str, *, full_page: bool = False, end: bool = True) -> None:
    """Save what the screen shows as ``NAME.png`` (when screenshots are asked for); with
    ``end``, a long page also gets ``NAME-end.png``, scrolled to the bottom (a full-page
    capture draws the sticky bar where the first screen had it, which is not what anybody
    sees)."""
    if SHOTS is None:
        return
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)
    long = page.evaluate("document.documentElement.scrollHeight > innerHeight")
    if end and not full_page and long:
        page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
        page.screenshot(path=str(SHOTS / f"{name}-end.png"))
        page.evaluate("window.scrollTo(0, 0)")


def choice(page: Page, code: str) -> Locator:
    return page.locator(f"#choice-{code}")


def tab_to(page: Page, target: Locator, limit: int = 60) -> None:
    """Press Tab until ``target`` has the focus (keyboard only)."""
    handle = target.element_handle()
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("el => document.activeElement === el", handle):
            return
    raise AssertionError(f"{limit} presses of Tab never reached {target}")


def focus_is_visible(page: Page) -> dict:
    """What a sighted keyboard user sees of the focused element."""
    return page.evaluate("""() => {
        const el = document.activeElement, style = getComputedStyle(el);
        const box = el.getBoundingClientRect();
        return {id: el.id, tag: el.tagName, focusVisible: el.matches(':focus-visible'),
                outline: style.outlineStyle + ' ' + style.outlineWidth,
                onScreen: box.bottom > 0 && box.top < innerHeight && box.right > 0
                          && box.left < innerWidth};
    }""")


def obscured_by_sticky_bar(page: Page, target: Locator) -> float:
    """How many CSS pixels of ``target`` the sticky submit bar covers (0 when none)."""
    return page.evaluate("""el => {
        const bar = document.querySelector('.sticky-submit').getBoundingClientRect();
        const box = el.getBoundingClientRect();
        return Math.max(0, Math.min(box.bottom, bar.bottom) - Math.max(box.top, bar.top));
    }""", target.element_handle())


def run_axe(page: Page) -> list[dict]:
    """axe-core's violations on the page as it is now (the context must bypass the CSP)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    return page.evaluate("""async () => {
        const result = await axe.run(document, {
            resultTypes: ['violations'],
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa',
                                            'wcag22aa', 'best-practice']}});
        return result.violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
            nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html,
                                      summary: n.failureSummary}))}));
    }""")


def layout_problems(page: Page) -> list[str]:
    """What a person would see wrong on a phone: sideways scrolling, buttons and fields
    smaller than 44 px (elderly fingers), progress steps wrapping, content glued to the
    header."""
    return page.evaluate("""() => {
        const problems = [];
        const shown = el => el.getClientRects().length > 0
                            && getComputedStyle(el).visibility !== 'hidden';
        const width = document.documentElement.scrollWidth;
        if (width > innerWidth) problems.push(`the page scrolls sideways (${width}px)`);
        const targets = 'button, input:not([type=hidden]):not([type=checkbox]), select, '
                        + 'textarea, summary, .choice label';
        for (const el of document.querySelectorAll(targets)) {
            if (!shown(el)) continue;
            const r = el.getBoundingClientRect();
            if (r.height < 44 || r.width < 44)
                problems.push(`tap target ${Math.round(r.width)}x${Math.round(r.height)}px: `
                              + el.outerHTML.slice(0, 90));
        }
        const steps = new Set([...document.querySelectorAll('.steps li')]
                              .map(li => Math.round(li.getBoundingClientRect().top)));
        if (steps.size > 1) problems.push(`the progress steps wrap onto ${steps.size} rows`);
        const header = document.querySelector('.site-header').getBoundingClientRect().bottom;
        const first = document.querySelector('main > :not(.flashes), main > .flashes');
        const gap = first.getBoundingClientRect().top - header;
        if (gap < 8) problems.push(`the content starts ${Math.round(gap)}px under the header`);
        return problems;
    }""")


def describe(page_name: str, violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{page_name}: [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:5]:
            summary = " / ".join(s.strip() for s in (node["summary"] or "").splitlines()[1:3])
            lines.append(f"    at {node['target']}: {node['html'][:120]}")
            lines.append(f"       {summary[:300]}")
        if len(v["nodes"]) > 5:
            lines.append(f"    … and {len(v['nodes']) - 5} more elements")
    return "\n".join(lines)


def expect_receipt(page: Page) -> str:
    number = page.locator(".receipt-number")
    expect(number).to_have_text(RECEIPT)
    rows = number.evaluate("""el => {
        const range = document.createRange();
        range.selectNodeContents(el);
        return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
    }""")
    assert rows == 1, f"the receipt number is broken over {rows} lines"
    return number.inner_text()


@cache
def _catalogue() -> dict[str, str]:
    with CATALOGUE.open("rb") as f:
        return {m.id: m.string for m in read_po(f, locale="zh_Hant_HK") if m.id and m.string}


def translator(lang: str) -> Callable[[str], str]:
    """``t(msgid)``: the text a page shows in ``lang``. For Chinese it is the catalogue's
    translation, and a message the catalogue lacks fails the test (the page would show
    English to a household that asked for Chinese)."""
    if lang == "en":
        return lambda msgid: msgid

    def t(msgid: str) -> str:
        text = _catalogue().get(msgid)
        assert text and has_cjk(text), (
            f"{msgid!r} has no Traditional Chinese translation in {CATALOGUE.relative_to(ROOT)}")
        return text

    return t


def has_cjk(text: str) -> bool:
    return any(unicodedata.name(ch, "").startswith("CJK") for ch in text)
