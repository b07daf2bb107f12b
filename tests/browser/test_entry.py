"""A department coordinator writes and submits the entry on a tablet, in Chinese, with the
keyboard only: autosave keeps the text across a reload and axe-core finds nothing."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from awards.extensions import db
from awards.models.base import utcnow
from awards.phases import move_phase

from ..conftest import MINIMAL_CONFIG, PASSWORD
from .helpers import describe, run_axe, shot, tab_to

TABLET = {"viewport": {"width": 1024, "height": 768}, "device_scale_factor": 1,
          "is_mobile": True, "has_touch": True}


@pytest.fixture
def config_text() -> str:
    return MINIMAL_CONFIG


@pytest.fixture
def entries_open(campaign):
    campaign.entries_close_at = utcnow() + timedelta(days=2)
    campaign.grace_minutes = 15
    db.session.commit()
    move_phase(campaign, "entries_open")
    return campaign


def type_into(page, selector: str, text: str) -> None:
    tab_to(page, page.locator(selector), limit=80)
    page.keyboard.type(text)


def no_violations(page, name: str) -> None:
    violations = run_axe(page)
    assert not violations, describe(name, violations)


def test_coordinator_writes_and_submits_on_a_tablet_in_chinese(new_page, make_user,
                                                               entries_open):
    make_user("coordinator", "coord-a", "A")
    page = new_page("zh", device=TABLET, bypass_csp=True)
    page.goto("/signin")
    type_into(page, "#username", "coord-a")
    type_into(page, "#password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/department/"))
    page.goto("/department/c/csea-test/entry")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hant-HK")
    expect(page.locator("h1")).to_contain_text("甲部門的參賽資料")
    expect(page.locator(".deadline-box")).to_contain_text("參賽截止時間")

    type_into(page, "#title", "更快捷的牌照續期服務")
    expect(page.locator("#save-status")).to_contain_text("coord-a", timeout=8000)
    page.reload()
    expect(page.locator("#title")).to_have_value("更快捷的牌照續期服務")

    type_into(page, "#summary", "縮短輪候時間，櫃位服務更親切。")
    type_into(page, "#section-pledges", "十二項服務承諾之中達到十一項。")
    type_into(page, "#section-courtesy", "所有櫃位人員均已完成淺白語言培訓。")
    type_into(page, "#pledge-0-service", "75% 的來電在 2 分鐘內接聽")
    type_into(page, "#pledge-0-target", "75%")
    type_into(page, "#pledge-0-achieved", "86%")
    type_into(page, "#contact_name", "陳大文")
    type_into(page, "#contact_email", "chan@example.gov.hk")
    type_into(page, "#contact_phone", "2123 4567")
    expect(page.locator("#version")).not_to_have_value("1", timeout=8000)
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    shot(page, "entry-tablet-zh")
    no_violations(page, "entry page (zh, tablet)")

    tab_to(page, page.get_by_role("button", name="提交參賽資料"), limit=120)
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("你的參賽資料已經提交")
    expect(page.locator("#snapshot-sha256")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    no_violations(page, "receipt (zh, tablet)")
    page.goto("/department/c/csea-test/entry")
    expect(page.locator("#title")).to_be_disabled()
    expect(page.locator("#title")).to_have_value("更快捷的牌照續期服務")
