"""Browser fixtures: one Chromium (Debian's, never a downloaded one) per test session, a live
HTTP server per test, and a campaign whose ballot lists 28 real Hong Kong departments so the
pages are seen at their real length.

Contexts are cheap: every test opens its own (fresh cookies, its own viewport and language)
and they are closed before the server stops.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    expect,
    sync_playwright,
)

from ..conftest import MINIMAL_CONFIG
from ..live import LiveServer
from ..voting.conftest import (  # noqa: F401
    letters,
    letters_snapshot,
    open_campaign,
    open_snapshot,
    sampled_campaign,
    sampled_snapshot,
)
from .helpers import CHROMIUM, CHROMIUM_ARGS, DEPARTMENTS, LOCALES, PHONE, TIMEOUT_MS


@pytest.fixture
def config_text() -> str:
    """The test campaign with the 28 departments of the 2001-02 award instead of A-D; every
    department competes without an entry, so all 28 are on the ballot."""
    blocks = "".join(f'\n[[departments]]\ncode = "{code}"\nname_en = "{en}"\nname_zh = "{zh}"\n'
                     for code, en, zh in DEPARTMENTS)
    text, replaced = re.subn(r"\n\[\[departments\]\].*?(?=\n\[\[criteria\]\])", blocks,
                             MINIMAL_CONFIG, count=1, flags=re.S)
    text = text.replace('conflicts = ["A"]', 'conflicts = ["IMMD"]')
    text = text.replace("finalists = 3", "finalists = 8\nentries_required = false")
    assert replaced == 1 and '"IMMD"]' in text and "entries_required" in text
    return text


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                         headless=True)
    yield browser
    browser.close()


@pytest.fixture
def live(app) -> Iterator[LiveServer]:
    with LiveServer(app) as server:
        yield server


@pytest.fixture
def new_page(browser: Browser, live: LiveServer) -> Iterator[Callable[..., Page]]:
    """``new_page(lang="en", device=PHONE, **context_options)``: a page in a fresh context
    whose relative URLs go to the live server. Contexts close before the server stops."""
    contexts: list[BrowserContext] = []

    def make(lang: str = "en", device: dict | None = None, **options) -> Page:
        context = browser.new_context(base_url=live.url, locale=LOCALES[lang],
                                      **(device or PHONE), **options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()
