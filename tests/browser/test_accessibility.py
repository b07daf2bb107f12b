"""axe-core on every household page, in English and in Chinese, on a phone (WCAG 2.2 AA),
and on the main pages of the organisers, coordinators and judges on a phone, a tablet and a
desktop.

Each page is also saved under /tmp/shots (its first screen and, when longer, its end) for a
person to look at; each page also gets a few layout checks a person would otherwise make.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from awards.campaigns.config_file import parse_config
from awards.campaigns.services import load_campaign_config
from awards.extensions import db
from awards.voting.ballots import cast_web_ballot
from awards.voting.codes import format_code, generate_code

from ..audit.conftest import published  # noqa: F401
from ..conftest import MINIMAL_CONFIG, PASSWORD
from ..test_html_validity import voting_campaign
from .helpers import STAFF_DEVICES, describe, expect_receipt, layout_problems, run_axe, shot

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


# --- The staff's pages: organisers, a department's coordinator, judges -----------------

CONSOLE = "/organiser/c/csea-test"


def sign_in(page: Page, username: str) -> None:
    page.goto("/signin")
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.locator("main form [type=submit]").first.click()
    expect(page).not_to_have_url(re.compile(r"/signin"))


def staff_page_problems(page: Page, label: str) -> list[str]:
    """Save the page as ``label`` and say what is wrong with it: axe-core's violations of
    any impact, and a page that scrolls sideways."""
    shot(page, label)
    problems = []
    violations = run_axe(page)
    if violations:
        problems.append(describe(label, violations))
    width = page.evaluate("document.documentElement.scrollWidth - innerWidth")
    if width > 0:
        problems.append(f"{label}: the page scrolls sideways by {width}px")
    return problems


def organiser_pages(page: Page, published_slug: str, config: bytes):
    """Each organiser page in turn (a generator: the caller checks each as it comes)."""
    for name, url in [("campaigns", "/organiser/"), ("overview", CONSOLE),
                      ("setup", f"{CONSOLE}/setup"), ("new-campaign", "/organiser/new"),
                      ("entries", f"{CONSOLE}/entries"), ("households", f"{CONSOLE}/households"),
                      ("turnout", f"{CONSOLE}/turnout"), ("assignment", f"{CONSOLE}/assignment"),
                      ("judging", f"{CONSOLE}/judging"), ("people", "/organiser/people"),
                      ("sign-ins", "/organiser/sign-ins"),
                      ("entry-snapshot", f"{CONSOLE}/entries/B"),
                      ("score-sheets", f"{CONSOLE}/judging/sheets"),
                      ("config-upload", "/organiser/config/upload")]:
        page.goto(url)
        yield name
    page.goto("/organiser/c/csea-draft/setup")  # nothing frozen: every form is offered
    for summary in page.locator("#setup-criteria details.setup-add summary").all():
        summary.click()
    yield "setup-draft-criteria-open"
    page.goto("/organiser/config/upload?slug=csea-test")
    page.locator("input[name=config_file]").set_input_files(
        {"name": "csea-test.toml", "mimeType": "application/toml", "buffer": config})
    page.locator("main form [type=submit]").first.click()
    expect(page.locator("main")).to_contain_text("csea-test")
    yield "upload-preview"
    page.goto(CONSOLE)
    page.locator("form[action$='/voting/close'] [type=submit]").first.click()
    expect(page.locator("form[action$='/voting/close']")).to_be_visible()
    yield "confirm-close-voting"
    page.goto(f"/organiser/c/{published_slug}/audit")
    yield "audit-log"
    page.goto(f"/organiser/c/{published_slug}/results")
    yield "results"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_staff_pages_have_no_accessibility_violations(app, make_user, published, new_page,
                                                      lang):
    """Every organiser page, a coordinator's entry page and a judge's pages: no axe-core
    violation of any impact, in English and 中文, on a phone, a tablet and a desktop. Each
    page is saved under the screenshots folder as LANG-DEVICE-NN-NAME.png."""
    from sqlalchemy import select

    from awards.models import User

    if db.session.scalar(select(User).where(User.username == "olivia")) is None:
        make_user("organiser", "olivia")
    voting_campaign(make_user)
    load_campaign_config(parse_config(MINIMAL_CONFIG.replace("csea-test", "csea-draft")))
    published_slug = published.campaign.slug
    db.session.rollback()
    found: list[str] = []
    checked: list[str] = []
    for device, options in STAFF_DEVICES.items():
        pages = {who: new_page(lang, device=options, bypass_csp=True)
                 for who in ("olivia", "coord-a", "j02")}
        for username, page in pages.items():
            sign_in(page, username)
        config = pages["olivia"].request.get(f"{CONSOLE}/config.toml").body()
        config = config.replace(b"(test)", b"(test, renamed)")

        def check(page: Page, name: str, device: str = device) -> None:
            settled(page)
            expect(page.locator("html")).to_have_attribute(
                "lang", "zh-Hant-HK" if lang == "zh" else "en")
            number = sum(1 for c in checked if c.startswith(f"{lang}-{device}-")) + 1
            label = f"{lang}-{device}-{number:02d}-{name}"
            found.extend(staff_page_problems(page, label))
            checked.append(label)

        for name in organiser_pages(pages["olivia"], published_slug, config):
            check(pages["olivia"], name)
        pages["coord-a"].goto("/department/c/csea-test/entry")
        check(pages["coord-a"], "coordinator-entry")
        pages["j02"].goto("/judge/c/csea-test/")
        check(pages["j02"], "judge-home")
        pages["j02"].goto("/judge/c/csea-test/preliminary/B")
        check(pages["j02"], "scorecard")
    assert not found, (f"axe-core violations on {len(checked)} pages:\n" + "\n".join(found))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_confirmation_pages_have_no_accessibility_violations(app, make_user, new_page, lang):
    """The confirmation pages of the irreversible steps (draw the sample, issue the codes,
    open and close the vote), each asked from its page's own button: no axe-core violation
    and no sideways scroll on a phone, a tablet and a desktop. Between steps the step is
    done by its service. Saved as LANG-DEVICE-confirm-STEP.png."""
    from awards.phases import open_voting
    from awards.voting.households import draw_campaign_sample

    from ..test_html_validity import STEPS, steps_campaign
    from ..voting.conftest import SEED, issue

    make_user("organiser", "olivia")
    campaign = steps_campaign()
    db.session.rollback()
    pages = {device: new_page(lang, device=options, bypass_csp=True)
             for device, options in STAFF_DEVICES.items()}
    for page in pages.values():
        sign_in(page, "olivia")
    found: list[str] = []

    def ask(step: str, url: str, action: str, fill: dict[str, str] | None = None) -> None:
        for device, page in pages.items():
            page.goto(url)
            for field, value in (fill or {}).items():
                page.locator(f"form[action$='{action}'] [name={field}]").fill(value)
            page.locator(f"form[action$='{action}'] [type=submit]").first.click()
            expect(page.locator("section.confirm input[name=confirm]")).to_have_count(1)
            settled(page)
            found.extend(staff_page_problems(page, f"{lang}-{device}-confirm-{step}"))

    ask("sample", f"{STEPS}/households", "/households/sample", {"size": "90", "seed": SEED})
    draw_campaign_sample(campaign, 90, SEED)
    ask("codes", f"{STEPS}/households", "/households/codes")
    issue(campaign)
    ask("open-voting", STEPS, "/voting/open")
    open_voting(campaign)
    ask("close-voting", STEPS, "/voting/close")
    db.session.rollback()
    assert not found, "\n".join(found)
