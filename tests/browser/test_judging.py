"""A judge scores on a 10-inch tablet (SPEC 5.5): each tap is saved at once; offline the
changes stay on the tablet, survive a reload and are sent in order when the connection
returns; an expired sign-in keeps them too. The status line tells the truth at each step
and the database holds every change once, in order. Screenshots of the judge's pages in
both orientations and both languages go to /tmp/shots-cards."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from ..conftest import PASSWORD
from ..judging.conftest import campaign_config, judging  # noqa: F401
from .helpers import shot, translator

pytestmark = pytest.mark.browser

LANDSCAPE = {"viewport": {"width": 1024, "height": 768}, "has_touch": True,
             "device_scale_factor": 1}
PORTRAIT = {"viewport": {"width": 768, "height": 1024}, "has_touch": True,
            "device_scale_factor": 1}
CARD = "/judge/c/csea-test/preliminary/B"


def sign_in(page: Page, username: str = "j02", then: str = CARD) -> None:
    page.goto(f"/signin?next={then}")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form [type=submit]").click()
    expect(page).to_have_url(re.compile(re.escape(then) + "$"))
    # The address changes when the page starts arriving; wait for its style sheets before
    # anything measures the layout.
    page.wait_for_load_state("load")


def tap(page: Page, criterion: str, value: int) -> None:
    page.locator(f"label[for=score-{criterion}-{value}]").tap()


def stored_revisions() -> list[tuple[dict, str, int]]:
    from awards.extensions import db
    from awards.models import ScorecardRevision

    db.session.rollback()
    rows = db.session.scalars(select(ScorecardRevision).order_by(ScorecardRevision.id))
    found = [(json.loads(r.values_json), r.device, r.seq) for r in rows]
    db.session.rollback()  # end the read: the live server's threads need the SQLite lock
    return found


def test_offline_changes_survive_a_reload_and_arrive_once_in_order(new_page, judging):
    from awards.extensions import db

    db.session.rollback()  # the live server's threads need the SQLite write lock
    page = new_page("en", device=LANDSCAPE)
    sign_in(page)
    status = page.locator("#save-status")
    expect(status).to_have_text("Saved")

    tap(page, "pledges", 7)
    expect(status).to_have_text("Saved")
    expect(page.locator("#total-y")).to_have_text("—")
    assert [r[0] for r in stored_revisions()] == [{"pledges": 7}]

    page.context.set_offline(True)
    tap(page, "courtesy", 4)
    expect(status).to_have_text("Offline: 1 change kept on this tablet")
    tap(page, "courtesy", 5)
    tap(page, "pledges", 8)
    expect(status).to_have_text("Offline: 3 changes kept on this tablet")
    expect(page.locator("#total-y")).to_have_text(f"{100 * (0.4 * 0.8 + 0.6 * 0.5):.1f}")
    assert len(stored_revisions()) == 1

    # Reload while the server is still unreachable for saves: the page comes back with the
    # tablet's unsent values and says so.
    page.route("**/judge/c/**", lambda route: route.abort("internetdisconnected")
               if route.request.method == "POST" else route.continue_())
    page.context.set_offline(False)
    page.reload()
    expect(status).to_have_text("Offline: 3 changes kept on this tablet")
    expect(page.locator("#score-courtesy-5")).to_be_checked()
    expect(page.locator("#score-pledges-8")).to_be_checked()
    assert len(stored_revisions()) == 1

    page.unroute("**/judge/c/**")
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(status).to_have_text("Saved")
    revisions = stored_revisions()
    assert [r[0] for r in revisions] == [{"pledges": 7}, {"pledges": 7, "courtesy": 4},
                                         {"pledges": 7, "courtesy": 5},
                                         {"pledges": 8, "courtesy": 5}]
    devices = {r[1] for r in revisions}
    seqs = [r[2] for r in revisions]
    assert len(devices) == 1 and devices.pop().startswith("tab-")
    assert seqs == sorted(seqs) and len(set(seqs)) == 4
    # Nothing is left to send: another reload stays "Saved" and adds nothing.
    page.reload()
    expect(status).to_have_text("Saved")
    assert len(stored_revisions()) == 4

    page.get_by_role("button", name="Submit").tap()
    expect(page.locator(".chip-submitted")).to_be_visible()
    from awards.models import Scorecard

    db.session.rollback()
    assert db.session.scalar(select(Scorecard.status)) == "submitted"
    db.session.rollback()


def test_an_expired_sign_in_keeps_the_changes_until_signing_in_again(new_page, judging):
    from awards.extensions import db

    db.session.rollback()
    page = new_page("en", device=PORTRAIT)
    sign_in(page)
    status = page.locator("#save-status")
    expect(status).to_have_text("Saved")
    page.context.clear_cookies()  # the session ends (expired or signed out elsewhere)
    tap(page, "pledges", 3)
    expect(status).to_contain_text("Signed out: 1 change kept on this tablet")
    assert stored_revisions() == []
    status.get_by_role("link").click()
    page.locator("input[name=username]").fill("j02")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form [type=submit]").click()
    expect(page).to_have_url(re.compile(re.escape(CARD) + "$"))
    expect(status).to_have_text("Saved")
    assert [r[0] for r in stored_revisions()] == [{"pledges": 3}]


def test_buttons_are_large_enough_to_tap_and_there_is_no_slider(new_page, judging):
    from awards.extensions import db

    db.session.rollback()
    page = new_page("en", device=LANDSCAPE)
    sign_in(page)
    sizes = page.locator(".score-button").evaluate_all(
        "els => els.map(e => [e.getBoundingClientRect().width, e.getBoundingClientRect().height])")
    assert sizes and all(w >= 44 and h >= 44 for w, h in sizes)
    assert page.locator("input[type=range]").count() == 0
    assert page.locator("input[type=radio]:checked").count() == 0  # no default
    # Landscape: the entry on the left, the scorecard beside it.
    # Both boxes measured in one go, so the two numbers describe the same layout.
    entry, card = page.evaluate(
        "() => ['.entry-pane', '.card-pane'].map(s => {"
        " const r = document.querySelector(s).getBoundingClientRect(); return {x: r.x, y: r.y}; })")
    assert entry["x"] < card["x"] and abs(entry["y"] - card["y"]) < 5


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("orientation", ["landscape", "portrait"])
def test_screenshots_of_the_judge_pages(new_page, judging, lang, orientation):
    from awards.extensions import db

    db.session.rollback()
    device = LANDSCAPE if orientation == "landscape" else PORTRAIT
    page = new_page(lang, device=device)
    sign_in(page, then="/judge/c/csea-test/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hant-HK" if lang == "zh" else "en")
    zh = translator(lang)
    expect(page.locator(".progress-line")).to_contain_text(
        zh("%(done)s of %(total)s submitted").replace("%(done)s", "0").replace(
            "%(total)s", "3"))
    size = f"{device['viewport']['width']}x{device['viewport']['height']}"
    shot(page, f"cards-{lang}-judge-home-{size}", full_page=True)
    page.goto(CARD)
    tap(page, "pledges", 7)
    expect(page.locator("#save-status")).to_have_text(zh("Saved"))
    shot(page, f"cards-{lang}-scorecard-{size}")
