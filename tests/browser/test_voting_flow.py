"""The ballot's search box, the focus after each step and the order of the names, in
Chromium on a phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from awards.strokes import stroke_key, strokes
from awards.voting.codes import format_code

from .helpers import NAMES, choice, translator

pytestmark = pytest.mark.browser


def open_ballot(page: Page, code, lang: str = "en") -> None:
    t = translator(lang)
    page.goto(f"/vote#code={format_code(code)}")
    page.get_by_role("button", name=t("Continue")).tap()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        t("Choose up to %(n)s departments") % {"n": 3})


def test_enter_in_the_search_box_does_not_submit_the_ballot(new_page, open_campaign,
                                                            letters):
    page = new_page("en")
    open_ballot(page, letters[0].code)
    choice(page, "TD").check()  # a ballot that would go to the review page if submitted
    requests: list[str] = []
    page.on("request", lambda r: requests.append(f"{r.method} {r.url}"))
    search = page.get_by_role("searchbox", name="Find a department")
    search.type("water")
    search.press("Enter")
    page.wait_for_timeout(300)  # time for a submission to leave, were there one
    assert not [r for r in requests if "/vote/review" in r], requests
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose up to 3 departments")
    assert page.url.endswith("/vote/ballot")
    expect(page.locator(".choice:visible input")).to_have_count(1)
    expect(choice(page, "TD")).to_be_checked()
    # The box is not in the ballot form, so it is no implicit submitter even without this
    # page's script, and its text is never sent.
    assert page.evaluate("document.getElementById('filter').form") is None
    page.get_by_role("button", name="Check my choices").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your choices")


def test_focus_moves_to_the_new_steps_heading(new_page, open_campaign, letters):
    page = new_page("en")
    open_ballot(page, letters[1].code)
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_be_focused()
    choice(page, "WSD").check()
    page.get_by_role("button", name="Check my choices").tap()
    expect(heading).to_have_text("Check your choices")
    expect(heading).to_be_focused()
    page.get_by_role("button", name="Change my choices").tap()
    expect(heading).to_have_text("Choose up to 3 departments")
    expect(heading).to_be_focused()
    expect(choice(page, "WSD")).to_be_checked()
    page.get_by_role("button", name="Check my choices").tap()
    page.get_by_role("button", name="Confirm my vote").tap()
    expect(heading).to_have_text("Thank you. Your vote is recorded.")
    expect(heading).to_be_focused()
    # A heading is not a control: no focus ring is drawn around it.
    assert heading.evaluate("el => getComputedStyle(el).outlineStyle") == "none"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_ballot_order(new_page, open_campaign, letters, lang):
    """English: alphabetical. 中文: stroke order, as Hong Kong lists are sorted."""
    page = new_page(lang)
    open_ballot(page, letters[2].code, lang)
    codes = page.locator("input[name=choice]").evaluate_all("els => els.map(e => e.value)")
    shown = page.locator(".name-primary").all_inner_texts()
    assert shown == [NAMES[c][lang] for c in codes]
    assert sorted(codes) == sorted(NAMES)
    if lang == "en":
        assert shown == sorted(shown, key=str.lower)
        return
    assert shown == sorted(shown, key=stroke_key)
    firsts = [strokes(name[0]) for name in shown]
    assert firsts == sorted(firsts), list(zip(shown, firsts))
    assert shown[0] == "入境事務處" and shown[-1] == "懲教署"  # 2 and 19 strokes
