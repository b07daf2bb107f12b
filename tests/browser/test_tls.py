"""Forms behind a TLS-terminating reverse proxy, as the README deploys the app: gunicorn
(2 workers, production settings, secure cookies, one trusted proxy) behind a loopback HTTPS
proxy that adds X-Forwarded-For and X-Forwarded-Proto. Under Referrer-Policy: no-referrer
browsers send no Referer, and every form must still work; a post from another site must
not. The server, proxy and data are made once for the module."""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import text

from ..deployed import ROOT, Gunicorn, TlsProxy, self_signed_certificate
from ..live import HttpSession
from .helpers import DESKTOP, PHONE, TIMEOUT_MS, choice, expect_receipt

# One xdist worker runs the module, so the deployment is made once (tests/conftest.py).
pytestmark = [pytest.mark.browser, pytest.mark.slow]

SECRETS = {
    "SECRET_KEY": "tls-test-secret-key-0123456789abcdef",
    "AWARDS_CODE_PEPPER": "tls-test-code-pepper-0123456789abcdef",
    "AWARDS_SIGNING_KEY": "tls-test-signing-key-0123456789abcdef",
    "AWARDS_POINTER_KEY": "tls-test-pointer-key-0123456789abcdef",
}


@dataclass
class Deployment:
    url: str
    proxy: TlsProxy
    codes: list[str]
    username: str
    password: str
    slug: str


def production_environment(database: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWARDS_", "DATABASE_URL", "REDIS_URL", "SECRET_KEY"))}
    return {**env, **SECRETS, "AWARDS_ENV": "production", "DATABASE_URL": database,
            "AWARDS_TRUSTED_PROXIES": "1", "AWARDS_SECURE_COOKIES": "1",
            "AWARDS_PUBLIC_URL": "https://127.0.0.1"}


def truncate_all(database_url: str) -> None:
    """Leave the shared PostgreSQL test database empty, as every test's ``app`` does."""
    from awards import create_app
    from awards.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True})
    with app.app_context():
        names = ", ".join(t.name for t in db.metadata.sorted_tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        db.session.commit()
        db.engine.dispose()


@pytest.fixture(scope="module")
def deployment(tmp_path_factory, database_url) -> Iterator[Deployment]:
    directory = tmp_path_factory.mktemp("tls")
    database = database_url or f"sqlite:///{directory / 'awards.db'}"
    env = production_environment(database)
    # Seeded while gunicorn starts: its workers touch no table before the first request.
    seeding = subprocess.Popen([sys.executable, "-m", "tests.deployed", "seed"], cwd=ROOT,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    cert, key = self_signed_certificate(directory)
    try:
        with Gunicorn(env, directory / "gunicorn.log") as server, \
                TlsProxy(server.port, cert, key) as proxy:
            out, err = seeding.communicate(timeout=120)
            assert seeding.returncode == 0, err
            data = json.loads(out.strip().splitlines()[-1])
            yield Deployment(proxy.url, proxy, data["codes"], data["username"],
                             data["password"], data["slug"])
    finally:
        if seeding.poll() is None:
            seeding.kill()
            seeding.wait()
        if database_url:
            truncate_all(database_url)


@pytest.fixture
def https_page(browser: Browser, deployment: Deployment) -> Iterator[Page]:
    context = browser.new_context(base_url=deployment.url, ignore_https_errors=True,
                                  locale="en-GB", **PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def forwarded_posts(deployment: Deployment, path: str) -> list[str]:
    return [head.decode("latin-1") for head in deployment.proxy.forwarded
            if head.startswith(f"POST {path}".encode())]


def test_household_votes_over_https(https_page: Page, deployment: Deployment):
    page = https_page
    page.goto(f"/vote#code={deployment.codes[0]}")
    page.get_by_role("button", name="Continue").click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Choose up to 3 departments")
    for code in ("B", "D"):
        choice(page, code).check()
    page.get_by_role("button", name="Check my choices").click()
    expect(heading).to_have_text("Check your choices")
    page.get_by_role("button", name="Confirm my vote").click()
    expect(heading).to_have_text("Thank you. Your vote is recorded.")
    expect_receipt(page)

    # What made the old check fail: the browser's posts carried no Referer.
    posts = forwarded_posts(deployment, "/vote")
    assert posts and not [p for p in posts if "\r\nreferer:" in p.lower()], posts
    assert all("sec-fetch-site: same-origin" in p.lower() for p in posts), posts
    session = [c for c in page.context.cookies() if c["name"] == "session"]
    assert session and session[0]["secure"] and session[0]["httpOnly"], session


def test_household_switches_language_over_https(https_page: Page, deployment: Deployment):
    page = https_page
    page.goto("/")
    page.get_by_role("button", name="中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hant-HK")
    assert page.url == deployment.url + "/"


def test_organiser_signs_in_and_out_over_https(browser: Browser, deployment: Deployment):
    context = browser.new_context(base_url=deployment.url, ignore_https_errors=True,
                                  locale="en-GB", **DESKTOP)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto("/signin")
    page.get_by_label("Username").fill(deployment.username)
    page.get_by_label("Password").fill(deployment.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Campaigns")
    assert page.url == deployment.url + "/organiser/"
    page.get_by_role("link", name="Sign-ins").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff sign-ins")
    expect(page.locator("table.audit-log")).to_contain_text(deployment.username)
    page.get_by_role("button", name=f"Sign out ({deployment.username})").click()
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    context.close()


def unverified() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def test_cross_site_posts_are_refused_and_same_origin_ones_pass(deployment: Deployment):
    """A plain HTTP client through the TLS hop: a post with a valid token but another
    site's Origin or Sec-Fetch-Site is refused; without a Referer, from this site, it
    passes."""
    client = HttpSession(deployment.url, unverified())
    page = client.request("/signin")
    assert page.status == 200 and client.token
    assert "max-age" in (page.headers.get("Strict-Transport-Security") or "")
    credentials = {"username": deployment.username, "password": deployment.password}
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"},
                    {"Origin": f"http://127.0.0.1:{deployment.proxy.port}"}):
        refused = client.request("/signin", credentials, headers)
        assert refused.status == 403, (headers, refused.status)
        assert "sent from another website" in refused.body
    assert client.request("/organiser/").status == 302  # not signed in

    same = client.request("/signin", credentials, {"Origin": "null",
                                                   "Sec-Fetch-Site": "same-origin"})
    assert same.status == 303 and same.location == "/organiser/", same.body[:300]
    cookies = same.headers.get_all("Set-Cookie") or []
    assert cookies and all("Secure" in c and "HttpOnly" in c for c in cookies), cookies
    assert client.request("/organiser/").status == 200
