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


ENTRY = "/department/c/csea-test/entry"


def coordinator_on_the_entry_page(new_page, make_user, lang: str = "en"):
    """Department A's coordinator, signed in on a tablet in ``lang``, on the entry page."""
    make_user("coordinator", "coord-a", "A")
    page = new_page(lang, device=TABLET)
    page.goto("/signin")
    page.fill("#username", "coord-a")
    page.fill("#password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/department/"))
    page.goto(ENTRY)
    return page


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


def test_text_typed_offline_is_kept_on_the_device_and_saved_once_when_back(
        new_page, make_user, entries_open):
    from sqlalchemy import select

    from awards.models import Entry

    page = coordinator_on_the_entry_page(new_page, make_user)
    url = ENTRY
    page.fill("#title", "Saved while online")
    expect(page.locator("#save-status")).to_contain_text("coord-a")
    expect(page.locator("#version")).to_have_value("1")

    page.context.set_offline(True)
    page.fill("#summary", "Typed while the connection was down.")
    status = page.locator("#save-status")
    expect(status).to_contain_text("Not saved: your text is kept on this device")
    key = "awards-entry:csea-test:A:coord-a"
    kept = page.evaluate("key => localStorage.getItem(key)", key)
    assert kept and "Typed while the connection was down." in kept

    # Back online, but the save route still fails: the text survives a reload.
    blocked = [True]

    def refuse_saves(route):
        if route.request.method == "POST" and blocked[0]:
            route.abort()
        else:
            route.continue_()

    page.route(f"**{url}", refuse_saves)
    page.context.set_offline(False)
    page.reload()
    summary = page.locator("#summary")
    expect(summary).to_have_value("Typed while the connection was down.")
    expect(summary).to_have_class(re.compile(r"\brestored\b"))
    expect(status).to_contain_text("Not saved: your text is kept on this device")
    db.session.expire_all()
    assert db.session.scalar(select(Entry.summary)) == ""
    db.session.rollback()  # SQLite: no transaction left open for the server's writes

    saves = []
    page.on("requestfinished", lambda request: saves.append(request.url)
            if request.method == "POST" and request.url.endswith(url) else None)
    blocked[0] = False  # the save route works again
    expect(status).to_contain_text("Saved at", timeout=15_000)
    expect(summary).not_to_have_class(re.compile(r"\brestored\b"))
    assert page.evaluate("key => localStorage.getItem(key)", key) is None
    page.wait_for_timeout(6_000)  # longer than the retry timer: nothing is sent again
    assert len(saves) == 1, saves
    db.session.expire_all()
    entry = db.session.scalar(select(Entry))
    assert (entry.summary, entry.title, entry.version) == (
        "Typed while the connection was down.", "Saved while online", 2)
    db.session.rollback()
    page.reload()
    expect(summary).to_have_value("Typed while the connection was down.")
    expect(summary).not_to_have_class(re.compile(r"\brestored\b"))


def test_kept_text_that_someone_else_overtook_shows_both_texts(new_page, make_user,
                                                                entries_open):
    from awards.entries.drafts import EntryTexts
    from awards.entries.services import save_draft

    page = coordinator_on_the_entry_page(new_page, make_user)
    page.fill("#title", "First title")
    expect(page.locator("#version")).to_have_value("1")
    page.context.set_offline(True)
    page.fill("#title", "My offline title")
    expect(page.locator("#save-status")).to_contain_text("kept on this device")
    department = next(d for d in entries_open.departments if d.code == "A")
    save_draft(entries_open, department, EntryTexts(title="A colleague's title"), 1,
               actor="coord-a2")
    db.session.rollback()
    page.context.set_offline(False)
    page.reload()
    expect(page.locator("#title")).to_have_value("My offline title")
    conflict = page.locator("#conflict-box")
    expect(conflict).to_contain_text("My offline title")
    expect(conflict).to_contain_text("A colleague's title")


@pytest.mark.parametrize("how", ["session row", "cookie"])
def test_text_typed_after_the_sign_in_ended_is_kept_and_saved_once_after_signing_in(
        new_page, make_user, entries_open, how):
    from urllib.parse import urlsplit

    from sqlalchemy import select, update

    from awards.models import Entry
    from awards.models.users import StaffSession

    page = coordinator_on_the_entry_page(new_page, make_user)
    url = ENTRY
    page.fill("#title", "Saved while signed in")
    expect(page.locator("#version")).to_have_value("1")
    if how == "session row":  # signed out elsewhere, or idle too long
        db.session.execute(update(StaffSession).values(revoked_at=utcnow()))
        db.session.commit()
    else:
        page.context.clear_cookies()
    saves = []
    page.on("requestfinished", lambda request: saves.append(request.url)
            if request.method == "POST" and urlsplit(request.url).path == url else None)

    page.fill("#summary", "Typed after the sign-in ended.")
    status = page.locator("#save-status")
    expect(status).to_contain_text("Signed out: your text is kept on this device")
    summary = page.locator("#summary")
    expect(summary).to_have_value("Typed after the sign-in ended.")  # the form stayed
    assert page.locator("#entry-form .error-panel").count() == 0
    key = "awards-entry:csea-test:A:coord-a"
    kept = page.evaluate("key => localStorage.getItem(key)", key)
    assert kept and "Typed after the sign-in ended." in kept
    page.wait_for_timeout(6_000)  # longer than the retry timer: nothing more is sent
    assert len(saves) == 1, saves
    db.session.expire_all()
    assert db.session.scalar(select(Entry.summary)) == ""
    db.session.rollback()  # SQLite: no transaction left open for the server's writes

    status.get_by_role("link", name="Sign in again").click()
    page.fill("#username", "coord-a")
    page.fill("#password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(re.escape(url) + "$"))
    expect(summary).to_have_value("Typed after the sign-in ended.")
    expect(status).to_contain_text("Saved at", timeout=15_000)
    assert page.evaluate("key => localStorage.getItem(key)", key) is None
    page.wait_for_timeout(6_000)
    assert len(saves) == 2, saves  # the refused one, then exactly one save
    db.session.expire_all()
    entry = db.session.scalar(select(Entry))
    assert (entry.summary, entry.title, entry.version) == (
        "Typed after the sign-in ended.", "Saved while signed in", 2)
    db.session.rollback()


def test_an_error_answer_to_an_autosave_leaves_the_fields_and_keeps_the_text(
        new_page, make_user, entries_open):
    page = coordinator_on_the_entry_page(new_page, make_user)
    url = ENTRY
    answers = {"status": 500}

    def fail_saves(route):
        if route.request.method == "POST":
            route.fulfill(status=answers["status"], content_type="text/html",
                          body='<section class="panel error-panel" role="alert">'
                               "<h1>Something went wrong on our side</h1>"
                               "<p>The error has been recorded.</p></section>")
        else:
            route.continue_()

    page.route(f"**{url}", fail_saves)
    page.fill("#title", "A title the server could not take")
    problem = page.locator("#save-problem")
    expect(problem).to_contain_text("Not saved: Something went wrong on our side")
    expect(page.locator("#save-status")).to_contain_text("your text is kept on this device")
    expect(page.locator("#title")).to_have_value("A title the server could not take")
    assert page.locator("#entry-form .error-panel").count() == 0
    assert page.locator("#summary").count() == 1
    key = "awards-entry:csea-test:A:coord-a"
    kept = page.evaluate("key => localStorage.getItem(key)", key)
    assert "A title the server could not take" in kept
    answers["status"] = 413
    with page.expect_response(lambda r: r.request.method == "POST" and r.status == 413):
        page.fill("#summary", "More text")
    expect(page.locator("#summary")).to_have_value("More text")
    expect(problem).to_contain_text("Not saved:")
    assert "More text" in page.evaluate("key => localStorage.getItem(key)", key)
    page.unroute(f"**{url}")
    page.reload()
    expect(page.locator("#title")).to_have_value("A title the server could not take")
    expect(page.locator("#save-status")).to_contain_text("Saved at", timeout=15_000)
    expect(problem).to_be_empty()


def test_attachments_upload_and_remove_in_place_on_a_tablet(new_page, make_user,
                                                            entries_open, tmp_path):
    from pathlib import Path

    from PIL import Image
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    report = tmp_path / "2025-26 年度服務承諾報告.pdf"
    with report.open("wb") as out:
        writer.write(out)
    chart = tmp_path / "waiting-times-chart.png"
    Image.new("RGB", (800, 500), "steelblue").save(chart)
    fake = tmp_path / "minutes.pdf"
    fake.write_bytes(b"<html><body>not a PDF</body></html>")

    page = coordinator_on_the_entry_page(new_page, make_user, "zh")
    page.fill("#title", "更快捷的牌照續期服務")
    expect(page.locator("#version")).to_have_value("1")
    box = page.locator("#attachments-box")
    for path in (report, chart):
        page.set_input_files("#attachment-file", str(path))
        page.get_by_role("button", name="上載").click()
        expect(box).to_contain_text(f"已附上：{path.name}")
    page.set_input_files("#attachment-file", str(fake))
    page.get_by_role("button", name="上載").click()
    expect(box.locator("#attachment-message")).to_contain_text("只接受 PDF、PNG 及 JPEG 檔案")
    expect(box.locator("tbody tr")).to_have_count(2)
    expect(page.locator("#title")).to_have_value("更快捷的牌照續期服務")  # the page stayed
    expect(page.locator("#version")).to_have_value("1")
    box.scroll_into_view_if_needed()
    shot(page, "entry-attachments-tablet-zh", end=False)
    with page.expect_download() as download:
        box.get_by_role("link", name=report.name).click()
    assert download.value.suggested_filename == report.name
    assert Path(download.value.path()).read_bytes() == report.read_bytes()
    box.get_by_role("button", name=f"移除 {chart.name}").click()
    expect(box).to_contain_text(f"已移除：{chart.name}")
    expect(box.locator("tbody tr")).to_have_count(1)
    page.set_viewport_size({"width": 390, "height": 844})
    box.scroll_into_view_if_needed()
    shot(page, "entry-attachments-phone-zh", end=False)


def test_the_time_left_counts_down_on_the_page(new_page, make_user, campaign):
    campaign.entries_close_at = utcnow() + timedelta(seconds=72)
    campaign.grace_minutes = 15
    db.session.commit()
    move_phase(campaign, "entries_open")
    page = coordinator_on_the_entry_page(new_page, make_user)
    countdown = page.locator("time.countdown")
    served = int(countdown.get_attribute("data-seconds-left"))
    assert 61 <= served <= 72
    # The server's text, then the same count going down without a reload.
    expect(countdown).to_have_text("0 h 1 min left")
    expect(countdown).to_have_text("0 h 0 min left", timeout=(served - 60 + 4) * 1000)
    assert int(countdown.get_attribute("data-seconds-left")) == served  # no new request
