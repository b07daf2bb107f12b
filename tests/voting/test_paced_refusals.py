"""A paced browser session's later posts of the code form are answered before the
application runs, with the answer the application gave (SPEC section 4: a flood of guessed
codes must not slow real voters)."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import subprocess
import sys
import time
import urllib.parse

import pytest
import redis
from flask import session

from awards.extensions import db
from awards.voting import abuse
from awards.voting.codes import format_code, generate_code
from awards.web.households import paced

from ..conftest import TOKEN
from ..deployed import ROOT, Gunicorn
from .test_abuse_and_pages import browser

WAIT = re.compile(r"Please wait (\d+) seconds")
GUNICORN_REDIS = os.environ.get("TEST_GUNICORN_REDIS_URL", "redis://127.0.0.1:6379/10")
PRODUCTION_SECRETS = {name: f"paced-test-{name.lower()}-0123456789abcdef" for name in (
    "SECRET_KEY", "AWARDS_CODE_PEPPER", "AWARDS_SIGNING_KEY", "AWARDS_POINTER_KEY")}


def paced_session(app, first_network: int = 2):
    """A browser that failed five codes, each from another network (so that only its
    session is paced), then was refused once by the application."""
    client = browser(app, "10.1.0.1")
    answers = []
    for i in range(6):
        client.client.environ_base["REMOTE_ADDR"] = f"10.{first_network + i}.0.1"
        answers.append(client.post("/vote", {"code": generate_code()}))
    assert [a.status_code for a in answers] == [422] * 5 + [429]
    return client, answers[-1]


def application_must_not_run(monkeypatch) -> None:
    """From now on, fail the test if a code post reaches the view's pacing check."""
    def ran():
        raise AssertionError("the application answered")
    monkeypatch.setattr(abuse, "pacing", ran)


def without_length(headers) -> list[tuple[str, str]]:
    return sorted((k, v) for k, v in headers.items() if k != "Content-Length")


def test_a_paced_session_is_answered_as_before_without_the_application(open_campaign, app,
                                                                      monkeypatch):
    client, first = paced_session(app)
    first_page = first.get_data(as_text=True)
    typed = format_code(generate_code()).lower()
    application_must_not_run(monkeypatch)
    client.client.environ_base["REMOTE_ADDR"] = "10.77.0.1"
    again = client.post("/vote", {"code": typed})
    page = again.get_data(as_text=True)
    assert again.status_code == 429
    assert without_length(again.headers) == without_length(first.headers)
    assert int(again.headers["Content-Length"]) == len(again.get_data())
    # The same page but for the typed code and the seconds left (at most the window).
    seconds = int(WAIT.search(page).group(1))
    assert 1 <= seconds <= 10
    assert f'value="{typed}"' in page
    first_code = re.search(r'name="code"[^>]*value="([^"]*)"', first_page).group(1)
    assert WAIT.sub("", page.replace(typed, "X")) == WAIT.sub(
        "", first_page.replace(first_code, "X"))
    assert "\ue000" not in page


def test_the_typed_code_is_escaped_as_the_form_would():
    page = f'<input name="code" value="{paced.CODE_HOLE}"> wait {paced.SECONDS_HOLE} s'
    assert paced.fill(page, '"><b>', 7) == '<input name="code" value="&#34;&gt;&lt;b&gt;"> wait 7 s'
    assert paced.fill(page, None) == f'<input name="code" value=""> wait {paced.SECONDS_HOLE} s'


def test_a_typo_from_a_paced_session_reaches_the_application(open_campaign, app):
    client, _first = paced_session(app)
    typo = client.post("/vote", {"code": "ABCD-EFGH"})
    assert typo.status_code == 422
    assert "It has 14 letters and numbers" in typo.get_data(as_text=True)


def counting_pacing(monkeypatch) -> list[int]:
    """From now on, count the code posts that reach the view's pacing check."""
    calls: list[int] = []
    real = abuse.pacing
    monkeypatch.setattr(abuse, "pacing", lambda: calls.append(1) or real())
    return calls


def test_other_sessions_and_other_languages_take_the_full_path(open_campaign, app,
                                                               monkeypatch):
    client, _first = paced_session(app)
    other = browser(app, "10.99.0.1")
    assert other.post("/vote", {"code": generate_code()}).status_code == 422
    calls = counting_pacing(monkeypatch)
    # The browser now asks for Chinese: the application answers, in Chinese.
    refused = client.post("/vote", {"code": generate_code()},
                          headers={"Accept-Language": "zh-HK,zh;q=0.9"})
    assert refused.status_code == 429 and calls == [1]
    assert "請等候" in refused.get_data(as_text=True)
    # A language chosen on the site makes the session permanent: its cookie is refreshed
    # with every answer, so none is remembered.
    client.post("/language", {"lang": "zh_Hant_HK", "next": "/vote"})
    client.get("/vote")
    for _ in range(2):
        refused = client.post("/vote", {"code": generate_code()})
        assert refused.status_code == 429 and "Set-Cookie" in refused.headers
    assert calls == [1, 1, 1] and "請等候" in refused.get_data(as_text=True)


def test_a_wait_the_address_imposes_is_not_replayed(open_campaign, app, monkeypatch):
    for i in range(5):  # five browsers fail once each from one address
        assert browser(app, "10.5.5.5").post(
            "/vote", {"code": generate_code()}).status_code == 422
    client = browser(app, "10.5.5.5")
    for _ in range(2):  # (the first answer to a new session's post sets its cookie again)
        assert client.post("/vote", {"code": generate_code()}).status_code == 429
    client.client.environ_base["REMOTE_ADDR"] = "10.6.6.6"  # the same browser elsewhere
    assert client.post("/vote", {"code": generate_code()}).status_code == 422
    # A session and an address failing together: the session's own wait binds.
    for _ in range(5):
        assert client.post("/vote", {"code": generate_code()}).status_code in (422, 429)
    application_must_not_run(monkeypatch)
    assert client.post("/vote", {"code": generate_code()}).status_code == 429


def test_a_post_the_replay_cannot_read_reaches_the_application(open_campaign, app,
                                                               monkeypatch):
    client, _first = paced_session(app)
    calls = counting_pacing(monkeypatch)
    code = generate_code()
    # A NUL in any field: the application's guard answers (and read the body put back).
    nul = client.post("/vote", {"code": code, "note": "a\x00b"})
    assert nul.status_code == 400 and calls == []
    # A query string, and a body too long for a code form: the view answers.
    assert client.post("/vote?x=1", {"code": code}).status_code == 429
    assert client.post("/vote", {"code": code, "pad": "x" * 5000}).status_code == 429
    # Bytes no browser sends (a form is percent-encoded): the application reads the post.
    raw = client.client.post("/vote", data=b"code=" + code.encode() + b"\xb2&csrf_token="
                             + client.csrf().encode(),
                             content_type="application/x-www-form-urlencoded")
    assert raw.status_code == 400 and calls == [1, 1]  # it could not read the form either


def test_the_remembered_refusals_stay_bounded(monkeypatch):
    monkeypatch.setattr(paced, "_MOST_REMEMBERED", 3)
    middleware = paced.PacedSessions(lambda environ, start: [b""], "session")
    now = paced.time.monotonic()

    def refusal(until):
        return paced._Refusal(until, "", "429 TOO MANY REQUESTS", (), "page")

    middleware._remember("old", refusal(now - 1))
    middleware._remember("a", refusal(now + 5))
    middleware._remember("b", refusal(now + 5))
    middleware._remember("c", refusal(now + 5))  # full: the expired one goes
    assert set(middleware.refusals) == {"a", "b", "c"}
    middleware._remember("d", refusal(now + 5))  # full of live ones: start again
    assert set(middleware.refusals) == {"d"}


def assert_session_part_of_waits(app) -> None:
    """A wait names the part the browser session's own failures impose: the one a replay
    may keep answering, wherever the session goes."""
    @contextlib.contextmanager
    def client(address: str, secret: str):
        with app.test_request_context("/vote", method="POST",
                                      environ_base={"REMOTE_ADDR": address}):
            session["csrf_token"] = secret
            yield

    with client("198.51.100.70", "secret-a"):
        for _ in range(5):
            abuse.note_failure()
        pace = abuse.pacing()
        assert 1 <= pace.seconds <= 10
        assert 0 < pace.session_until - time.monotonic() <= 10
    with client("198.51.100.70", "secret-b"):  # another session at that address
        pace = abuse.pacing()
        assert pace.seconds >= 1 and pace.session_until is None
    with client("203.0.113.70", "secret-a"):  # the session at another address
        pace = abuse.pacing()
        assert pace.seconds >= 1 and pace.session_until is not None
    time.sleep(0.05)
    with client("203.0.113.80", "secret-d"):  # a later address's wait ends later
        for _ in range(5):
            abuse.note_failure()
    with client("203.0.113.80", "secret-a"):
        pace = abuse.pacing()
        assert pace.seconds >= 1 and pace.session_until is None
    with client("203.0.113.71", "secret-c"):
        assert abuse.pacing() == abuse.Pacing(0)


def test_the_part_of_a_wait_a_browser_session_imposes_is_told_apart(app):
    assert_session_part_of_waits(app)


# --------------------------------------------------------------------------- real server


class KeptAliveBrowser:
    """One browser over one kept-alive HTTP connection, as a flood tool or a phone keeps
    it: every answer must leave the connection ready for the next request."""

    def __init__(self, port: int):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookie = self.token = ""

    def send(self, path: str, form: dict | None = None, address: str = "10.1.0.1"):
        headers = {"X-Forwarded-For": address, "Cookie": self.cookie}
        body = None
        if form is not None:
            body = urllib.parse.urlencode({**form, "csrf_token": self.token}, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.connection.request("POST" if form is not None else "GET", path, body, headers)
        response = self.connection.getresponse()
        text = response.read().decode()
        if response.getheader("Set-Cookie"):
            self.cookie = response.getheader("Set-Cookie").split(";", 1)[0]
        if match := TOKEN.search(text):
            self.token = match.group(1)
        return response.status, text, response.getheader("Location")


@pytest.mark.slow
def test_through_gunicorn_a_paced_household_waits_seconds_then_votes(app, tmp_path):
    """gunicorn (production settings, its workers sharing their counters in Redis) and one
    kept-alive connection, as a flood tool or a phone keeps it: the worker that refused the
    session answers its later posts itself, the connection stays good, and the household's
    own code gets through when the session's wait ends."""
    store = redis.Redis.from_url(GUNICORN_REDIS)
    store.flushdb()
    env = {**{k: v for k, v in os.environ.items()
              if not k.startswith(("AWARDS_", "DATABASE_URL", "REDIS_URL", "SECRET_KEY"))},
           **PRODUCTION_SECRETS, "AWARDS_ENV": "production", "AWARDS_TRUSTED_PROXIES": "1",
           "AWARDS_SECURE_COOKIES": "0", "REDIS_URL": GUNICORN_REDIS,
           "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"]}
    db.session.commit()
    seeded = subprocess.run([sys.executable, "-m", "tests.deployed", "seed"], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=120)
    assert seeded.returncode == 0, seeded.stderr
    code = json.loads(seeded.stdout.strip().splitlines()[-1])["codes"][0]
    try:
        with Gunicorn(env, tmp_path / "gunicorn.log") as server:
            household = KeptAliveBrowser(server.port)
            household.send("/vote")

            def guess(i: int, statuses: list[int]) -> None:
                typed = format_code(generate_code()).lower()
                status, page, _ = household.send("/vote", {"code": typed}, f"10.{i}.0.1")
                statuses.append(status)
                assert f'value="{typed}"' in page
                if status == 429:
                    assert 1 <= int(WAIT.search(page).group(1)) <= 10

            statuses: list[int] = []
            for i in range(6):  # each from another network: only the session is paced
                guess(i + 2, statuses)
            assert statuses == [422] * 5 + [429]
            paced_at = time.monotonic()
            # Redis forgets every failure: the application would now check (and refuse,
            # 422) each code; the worker's remembered refusal answers instead.
            store.flushdb()
            later: list[int] = []
            for i in range(10):
                guess(i + 20, later)
            assert later == [429] * 10
            assert household.send("/vote")[0] == 200  # the connection is still good
            while True:
                status, _page, location = household.send("/vote", {"code": code},
                                                          "10.99.0.1")
                if status != 429 or time.monotonic() - paced_at > 15:
                    break
                time.sleep(0.5)
            assert status == 303 and location.endswith("/vote/ballot")
            assert time.monotonic() - paced_at <= 11
    finally:
        store.flushdb()
