"""An organiser signs in on the real sign-in page and reads the campaign in Chinese."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from ..conftest import PASSWORD
from .helpers import DESKTOP, has_cjk, shot, translator

pytestmark = pytest.mark.browser


def test_organiser_signs_in_opens_the_campaign_and_switches_to_chinese(new_page, organiser,
                                                                       open_campaign):
    from awards.extensions import db

    zh = translator("zh")
    slug, name_en, name_zh = open_campaign.slug, open_campaign.name_en, open_campaign.name_zh
    db.session.rollback()  # the live server's threads need the SQLite write lock
    page = new_page("en", device=DESKTOP)
    page.goto("/")
    page.get_by_role("link", name="Staff sign in").click()
    page.get_by_label("Username").fill("olivia")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(re.compile(r"/organiser/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Campaigns")
    expect(page.get_by_role("button", name=re.compile(r"Sign out \(olivia\)"))).to_be_visible()
    page.get_by_role("link", name=name_en).click()

    expect(page).to_have_url(re.compile(rf"/organiser/c/{slug}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(name_en)
    expect(page.get_by_text("Voting is open", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Next step")).to_be_visible()
    shot(page, "en-organiser-campaign-1280", full_page=True)
    page.get_by_role("button", name="Close voting…").click()  # asks first, closes nothing
    expect(page.get_by_role("heading", name="Confirm: Close voting")).to_be_visible()
    page.get_by_role("link", name="Cancel").click()
    expect(page.get_by_text("Voting is open", exact=True)).to_be_visible()

    page.get_by_role("button", name="中文").click()
    expect(page).to_have_url(re.compile(rf"/organiser/c/{slug}$"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hant-HK")
    nav = page.get_by_role("navigation", name=zh("Main"))
    expect(nav.get_by_role("link", name=zh("Campaigns"))).to_be_visible()
    assert zh("Campaigns") == "評選活動"
    expect(page.get_by_role("heading", level=1)).to_have_text(name_zh)
    expect(page.get_by_role("heading", name=zh("Phase"))).to_be_visible()
    assert has_cjk(page.locator("main").inner_text())
    shot(page, "zh-organiser-campaign-1280", full_page=True)

    phone = new_page("en")  # the home page, in Chinese, on a household's phone
    phone.goto("/")
    phone.get_by_role("button", name="中文").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(zh("Service Excellence Award"))
    expect(phone.get_by_role("link", name=zh("Staff sign in"))).to_be_visible()
    shot(phone, "zh-home-390x844", end=False)
