"""A household votes on a phone: from the QR link, by keyboard alone, without JavaScript, and
with the ballot's filter and choice limit (SPEC sections 1 and 4)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from awards.extensions import db
from awards.models import Ballot, InboxBallot
from awards.voting.codes import format_code

from .helpers import (
    DESKTOP,
    NAMES,
    choice,
    expect_receipt,
    focus_is_visible,
    has_cjk,
    obscured_by_sticky_bar,
    shot,
    tab_to,
    translator,
)

pytestmark = pytest.mark.browser


def stored_ballot(receipt: str) -> Ballot | InboxBallot:
    """The ballot in the tally, or in the inbox waiting for the mixer."""
    db.session.expire_all()
    number = receipt.replace("-", "")
    ballot = db.session.get(Ballot, number) or db.session.get(InboxBallot, number)
    assert ballot is not None, f"no ballot stored under the receipt {receipt}"
    return ballot


def switch_to_chinese(page: Page) -> None:
    """The header's language button, as a household would press it."""
    page.get_by_role("button", name="中文").tap()
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hant-HK")
    expect(page.get_by_role("button", name="English")).to_be_visible()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_household_votes_from_the_qr_link_on_a_phone(new_page, open_campaign, letters,
                                                     lang):
    t = translator(lang)
    page = new_page("en")  # the phone asks for English; the household picks Chinese itself
    if lang == "zh":
        page.goto("/")
        switch_to_chinese(page)
        expect(page.get_by_role("heading", level=1)).to_have_text(t("Service Excellence Award"))

    code = format_code(letters[0].code)
    page.goto(f"/vote#code={code}")
    field = page.get_by_role("textbox", name=t("Your voting code"))
    expect(field).to_have_value(code)
    expect(field).to_be_focused()
    # The fragment is gone from the address bar (and so from history and shared screenshots).
    assert page.evaluate("location.hash") == "" and code not in page.url, page.url
    expect(page.get_by_role("heading", level=1)).to_have_text(
        t("Vote for the best public service"))
    shot(page, f"{lang}-phone-1-code", end=False)

    page.get_by_role("button", name=t("Continue")).tap()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        t("Choose up to %(n)s departments") % {"n": 3})
    counter = page.locator(".counter")
    template = t("%(chosen)s of %(max)s chosen")
    expect(counter).to_have_text(template % {"chosen": 0, "max": 3})
    for n, code_ in enumerate(["TD", "HKO"], start=1):
        box = choice(page, code_)
        page.get_by_text(NAMES[code_][lang], exact=True).tap()  # tap the name, not the box
        expect(box).to_be_checked()
        expect(counter).to_have_text(template % {"chosen": n, "max": 3})
    shot(page, f"{lang}-phone-2-ballot", end=False)
    expect(page.get_by_text(NAMES["TD"]["en" if lang == "zh" else "zh"])).to_be_visible()

    page.get_by_role("button", name=t("Check my choices")).tap()
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Check your choices"))
    picked = page.locator(".picked li")
    expect(picked).to_have_count(2)
    for code_ in ("TD", "HKO"):
        expect(picked.filter(has_text=NAMES[code_][lang])).to_have_count(1)
    shot(page, f"{lang}-phone-3-review", end=False)

    page.get_by_role("button", name=t("Confirm my vote")).tap()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        t("Thank you. Your vote is recorded."))
    receipt = expect_receipt(page)
    expect(page.get_by_role("button", name=t("Print this receipt"))).to_be_visible()
    shot(page, f"{lang}-phone-4-receipt", end=False)
    assert stored_ballot(receipt).choices == "HKO;TD"
    if lang == "zh":
        assert has_cjk(page.locator("main").inner_text())


def test_reload_and_back_show_no_error_and_no_trace_of_the_choices(new_page, open_campaign,
                                                                  letters):
    """A family's shared phone. Mobile browsers reload tabs they had discarded, and people
    press Back: no step may answer with an error page, and once the vote is cast nothing
    kept on the phone (htmx's history cache in localStorage included) shows the choices."""
    page = new_page("en")
    page.goto(f"/vote#code={format_code(letters[4].code)}")
    page.get_by_role("button", name="Continue").click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Choose up to 3 departments")
    for code in ("MD", "CAD"):
        choice(page, code).check()
    page.get_by_role("button", name="Check my choices").click()
    expect(heading).to_have_text("Check your choices")

    page.reload()
    expect(heading).to_have_text(re.compile("^(Check your choices|Choose up to 3 departments)$"))
    page.goto("/vote/ballot")
    for code in ("MD", "CAD"):
        choice(page, code).check()
    page.get_by_role("button", name="Check my choices").click()
    page.get_by_role("button", name="Confirm my vote").click()
    receipt = expect_receipt(page)

    kept = page.evaluate("() => JSON.stringify([localStorage, sessionStorage])")
    secrets = [NAMES[c][lang] for c in ("MD", "CAD") for lang in ("en", "zh")]
    assert not [s for s in secrets if s in kept], \
        f"the phone keeps the household's choices in web storage: {kept[:300]}"
    page.go_back()
    expect(heading).to_have_text(
        re.compile("^(Vote for the best public service|Choose up to 3 departments)$"))
    expect(page.locator(".picked")).to_have_count(0)
    assert stored_ballot(receipt).choices == "CAD;MD"


def test_sticky_submit_bar_never_hides_the_department_in_focus(new_page, open_campaign,
                                                               letters):
    """WCAG 2.2 SC 2.4.11: tabbing down the 28 departments on a phone, the focused one is
    never under the sticky "Check my choices" bar."""
    page = new_page("en")
    page.goto(f"/vote#code={format_code(letters[0].code)}")
    page.get_by_role("button", name="Continue").click()
    boxes = page.locator("input[name=choice]")
    expect(boxes).to_have_count(28)
    boxes.first.focus()
    covered = {}
    for i in range(28):
        if i:
            page.keyboard.press("Tab")
        item = page.locator(".choice").nth(i)
        hidden = obscured_by_sticky_bar(page, item)
        if hidden > 0:
            covered[item.inner_text().splitlines()[0]] = round(hidden)
    assert not covered, f"the sticky bar covers the focused department (px): {covered}"


def test_whole_vote_by_keyboard_alone(new_page, open_campaign, letters):
    page = new_page("en", device=DESKTOP)
    page.goto("/vote")
    keyboard = page.keyboard

    keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    assert focus_is_visible(page)["onScreen"], "the skip link stays off screen when focused"
    keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    keyboard.press("Tab")
    field = page.get_by_role("textbox", name="Your voting code")
    expect(field).to_be_focused()
    focus = focus_is_visible(page)
    assert focus["focusVisible"] and focus["outline"] == "solid 3px" and focus["onScreen"], focus

    keyboard.type(format_code(letters[1].code).lower())  # small letters are fine too
    keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose up to 3 departments")
    for code in ("EMSD", "WSD"):
        tab_to(page, choice(page, code))
        assert focus_is_visible(page)["focusVisible"]
        keyboard.press("Space")
        expect(choice(page, code)).to_be_checked()
    expect(page.locator(".counter")).to_have_text("2 of 3 chosen")
    tab_to(page, page.get_by_role("button", name="Check my choices"))
    keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Check your choices")
    tab_to(page, page.get_by_role("button", name="Confirm my vote"))
    assert focus_is_visible(page)["focusVisible"]
    keyboard.press("Enter")
    receipt = expect_receipt(page)
    assert stored_ballot(receipt).choices == "EMSD;WSD"


def test_vote_without_javascript(new_page, open_campaign, letters):
    """Plain forms and full page loads; the JavaScript-only helpers stay hidden."""
    page = new_page("en", java_script_enabled=False)
    code = format_code(letters[2].code)
    page.goto(f"/vote#code={code}")
    field = page.get_by_role("textbox", name="Your voting code")
    expect(field).to_have_value("")  # nothing reads the fragment without JavaScript
    # The Help opens without JavaScript and says what the household sees here.
    page.locator("details.panel summary").click()
    expect(page.locator("details.panel")).to_contain_text(
        "Without JavaScript (switched off in some browsers), the code is not filled in")
    field.fill(code)
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Choose up to 3 departments")
    expect(page.locator(".counter")).to_be_hidden()
    expect(page.locator(".filter-field")).to_be_hidden()
    expect(page.get_by_role("searchbox")).to_have_count(0)
    page.get_by_role("button", name="Check my choices").click()  # nothing ticked
    expect(page.locator(".error-summary")).to_have_text("Please choose at least one department.")

    for code_ in ("IRD", "LR"):
        choice(page, code_).check()
    page.get_by_role("button", name="Check my choices").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your choices")
    page.get_by_role("button", name="Confirm my vote").click()
    receipt = expect_receipt(page)
    expect(page.locator(".print-button")).to_be_hidden()
    assert stored_ballot(receipt).choices == "IRD;LR"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_filter_box_and_choice_limit(new_page, open_campaign, letters, lang):
    page = new_page(lang)
    t = translator(lang)
    page.goto(f"/vote#code={format_code(letters[3].code)}")
    page.get_by_role("button", name=t("Continue")).tap()
    items = page.locator(".choice")
    expect(items).to_have_count(28)

    search = page.get_by_role("searchbox", name=t("Find a department"))
    for typed, expected in [("immig", ["IMMD"]), ("入境", ["IMMD"]), ("LANDS", ["LANDSD"]),
                            ("water", ["WSD"]), ("署", None)]:
        search.fill(typed)
        visible = page.locator(".choice:visible input")
        if expected is None:  # every department whose Chinese name has 署
            expect(visible).to_have_count(sum("署" in NAMES[c]["zh"] for c in NAMES))
        else:
            expect(visible).to_have_count(len(expected))
            assert visible.evaluate_all("els => els.map(e => e.value)") == expected
    search.fill("zzz")
    expect(page.locator(".choice:visible")).to_have_count(0)
    expect(page.get_by_text(t("No department matches. Clear the search box to see them all.")))\
        .to_be_visible()
    search.fill("")
    expect(items).to_have_count(28)
    expect(page.locator(".choice:visible")).to_have_count(28)
    expect(page.locator(".no-match")).to_be_hidden()

    counter = page.locator(".counter")
    for code in ("FSD", "CSD", "AFCD"):
        choice(page, code).check()
    expect(counter).to_contain_text(t("You have chosen the most you can. "
                                      "Untick one to choose another."))
    expect(page.locator("input[name=choice]:disabled")).to_have_count(25)
    expect(choice(page, "IMMD")).to_be_disabled()
    choice(page, "CSD").uncheck()
    expect(page.locator("input[name=choice]:disabled")).to_have_count(0)
    expect(counter).to_have_text(t("%(chosen)s of %(max)s chosen") % {"chosen": 2, "max": 3})
    choice(page, "IMMD").check()
    page.get_by_role("button", name=t("Check my choices")).tap()
    expect(page.locator(".picked li")).to_have_count(3)
