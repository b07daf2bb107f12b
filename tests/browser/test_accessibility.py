"""axe-core on every household page, in English and in Chinese, on a phone (WCAG 2.2 AA).

Each page is also saved under /tmp/shots (its first screen and, when longer, its end) for a
person to look at; each page also gets a few layout checks a person would otherwise make.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from awards.voting.ballots import cast_web_ballot
from awards.voting.codes import format_code, generate_code

from .helpers import describe, expect_receipt, layout_problems, run_axe, shot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SERIOUS = {"serious", "critical"}


def settled(page: Page) -> None:
    """htmx has finished swapping the page in (boosted forms swap the body in place)."""
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_household_pages_have_no_serious_accessibility_violations(new_page, open_campaign,
                                                                  letters, lang):
    # axe-core is injected into the page, which the app's Content-Security-Policy forbids
    # (script-src 'self', no inline script): these contexts alone bypass the CSP.
    page = new_page(lang, bypass_csp=True)
    submit = page.locator("main form [type=submit]").first
    found: list[str] = []
    checked: list[str] = []

    def check(name: str) -> None:
        settled(page)
        expect(page.locator("html")).to_have_attribute(
            "lang", "zh-Hant-HK" if lang == "zh" else "en")
        shot(page, f"{lang}-{len(checked) + 1:02d}-{name}")
        serious = [v for v in run_axe(page) if v["impact"] in SERIOUS]
        if serious:
            found.append(describe(f"{name} ({lang})", serious))
        found.extend(f"{name} ({lang}): {problem}" for problem in layout_problems(page))
        checked.append(name)

    page.goto("/")
    check("home")
    page.goto("/vote")
    check("vote-start")
    page.goto("/vote/ballot")  # no code entered yet: back to the start with a notice
    expect(page.locator(".flash")).to_be_visible()
    check("vote-start-notice")

    code_field = page.locator("#code")
    code_field.fill("ABCD-EFGH")
    submit.click()
    expect(page.locator("#code-error")).to_be_visible()
    expect(code_field).to_have_attribute("aria-invalid", "true")
    check("vote-start-typo")
    code_field.fill(format_code(generate_code()))
    submit.click()
    expect(page.locator("#code-error")).to_be_visible()
    check("vote-start-unusable-code")

    code_field.fill(format_code(letters[0].code))
    submit.click()
    expect(page.locator(".ballot-form")).to_be_visible()
    check("ballot")
    ballot_submit = page.locator(".ballot-form [type=submit]")
    ballot_submit.click()
    expect(page.locator("#ballot-error")).to_be_visible()
    check("ballot-error")
    for code in ("HD", "SWD"):
        page.locator(f"#choice-{code}").check()
    check("ballot-two-ticked")
    page.locator("#choice-DH").check()
    check("ballot-full")
    ballot_submit.click()
    expect(page.locator(".picked li")).to_have_count(3)
    check("review")
    submit.click()
    receipt = expect_receipt(page)
    check("receipt")

    page.goto("/receipt")
    check("receipt-check")
    ballot_field = page.locator("#ballot")
    for typed, name in [(receipt.lower(), "receipt-check-found"),
                        ("0000-0000-0000-0000", "receipt-check-missing"),
                        ("1234", "receipt-check-typo")]:
        ballot_field.fill(typed)
        submit.click()
        expect(page.locator(".result-ok" if name.endswith("found") else
                            ".result-missing" if name.endswith("missing") else
                            "#ballot-error")).to_be_visible()
        check(name)

    # The same code confirmed elsewhere (another phone of the household) in the meantime.
    page.goto("/vote")
    code_field.fill(format_code(letters[1].code))
    submit.click()
    page.locator("#choice-TD").check()
    page.locator(".ballot-form [type=submit]").click()
    expect(page.locator(".picked li")).to_have_count(1)
    cast_web_ballot(open_campaign, letters[1].code, ["TD"])
    submit.click()
    expect(page.locator("main section[role=alert] h1")).to_be_visible()
    check("vote-code-already-used")

    assert not found, (f"serious or critical axe-core violations and layout problems on "
                       f"{len(checked)} pages:\n" + "\n".join(found))
