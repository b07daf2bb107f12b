"""Staff sign-in hardening: per-account throttle, failed sign-ins in the audit log and on
the organisers' sign-ins page, and sign-out that ends the session on the server."""

from __future__ import annotations

import os
import time
import uuid

from sqlalchemy import select

from awards import create_app
from awards.audit.service import chain_events
from awards.extensions import db
from awards.models import AuditEvent
from awards.models.audit import SYSTEM_CHAIN

from .conftest import PASSWORD, CsrfClient

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/12")


def attempt(client, username: str, password: str, address: str, lang: str = "en"):
    """One sign-in POST as a browser at ``address`` would send it."""
    headers = {"Accept-Language": lang}
    client.get("/signin", environ_base={"REMOTE_ADDR": address}, headers=headers)
    return client.post("/signin", {"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address}, headers=headers)


def fail_five_times(app, username: str) -> None:
    """Five wrong passwords, each from its own address and browser (a spread-out guesser)."""
    for n in range(5):
        response = attempt(CsrfClient(app.test_client()), username, "wrong password!!",
                           f"198.51.100.{n + 1}")
        assert response.status_code == 200, n


# --- Per-account throttle ---------------------------------------------------------------

class Clock:
    """``time.time`` moved forward on demand instead of sleeping: the throttle and the rate
    limiter's memory storage read their expiries from it."""

    def __init__(self, monkeypatch):
        self.offset = 0.0
        real = time.time
        monkeypatch.setattr(time, "time", lambda: real() + self.offset)

    def advance(self, seconds: float) -> None:
        self.offset += seconds


def test_failures_from_many_addresses_slow_down_the_account_with_growing_waits(
        app, organiser, monkeypatch):
    clock = Clock(monkeypatch)
    fail_five_times(app, "olivia")
    client = CsrfClient(app.test_client())
    # A sixth address, and the right password: the account must wait, password unchecked.
    waiting = attempt(client, "olivia", PASSWORD, "203.0.113.7")
    assert waiting.status_code == 429
    assert int(waiting.headers["Retry-After"]) >= 1
    assert ("Too many failed sign-ins for this username. Please wait 1 second before"
            in waiting.get_data(as_text=True))
    assert client.get("/organiser/").status_code == 302

    clock.advance(1.2)
    again = attempt(client, "olivia", "wrong again!!!!", "203.0.113.8")
    assert again.status_code == 200  # checked and refused: the wait doubles
    doubled = attempt(client, "olivia", PASSWORD, "203.0.113.9")
    assert doubled.status_code == 429 and "Please wait 2 seconds" in doubled.get_data(
        as_text=True)

    clock.advance(2.2)  # never a lockout: after the wait the right password gets in
    assert attempt(client, "olivia", PASSWORD, "203.0.113.10").status_code == 303
    # ... and a success clears the count.
    other = CsrfClient(app.test_client())
    assert attempt(other, "olivia", "wrong password!!", "203.0.113.11").status_code == 200
    assert attempt(other, "olivia", PASSWORD, "203.0.113.12").status_code == 303


def test_other_accounts_are_not_slowed_down(app, organiser, make_user):
    make_user("auditor", "audrey")
    fail_five_times(app, "olivia")
    assert attempt(CsrfClient(app.test_client()), "audrey", PASSWORD,
                   "203.0.113.20").status_code == 303


def test_unknown_usernames_are_throttled_alike(app, organiser):
    """The throttle must not tell which usernames exist."""
    fail_five_times(app, "nobody")
    response = attempt(CsrfClient(app.test_client()), "Nobody ", "x" * 12, "203.0.113.30",
                       lang="zh-HK")
    assert response.status_code == 429
    assert "登入失敗次數過多。請等候 1 秒後再試" in response.get_data(as_text=True)


def test_the_wait_is_capped():
    from awards.accounts.throttle import delay_after

    waits = [delay_after(n, 5, 1, 300) for n in range(1, 40)]
    assert waits[:4] == [0, 0, 0, 0] and waits[4:8] == [1, 2, 4, 8]
    assert max(waits) == 300 and waits[-1] == 300


def test_the_throttle_is_shared_between_processes_through_redis(tmp_path):
    """Two app processes with REDIS_URL: failures counted by one make the other wait."""
    from awards.extensions import limiter
    from awards.accounts import throttle

    apps = [create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/{i}.db",
                        "REDIS_URL": REDIS_URL, "RATELIMIT_STORAGE_URI": REDIS_URL})
            for i in (1, 2)]
    name = f"user-{uuid.uuid4().hex[:12]}"
    with apps[0].test_request_context():
        assert type(limiter.storage).__name__.startswith("Redis")
        assert [throttle.note_failure(name) for _ in range(6)] == [0, 0, 0, 0, 1, 2]
    with apps[1].test_request_context():
        assert throttle.seconds_to_wait(name) == 2
        assert throttle.seconds_to_wait("someone-else") == 0
        throttle.note_success(name)
        assert throttle.seconds_to_wait(name) == 0


# --- Failed sign-ins are audited and visible to organisers -----------------------------

def test_failed_signins_are_audit_events_without_the_password(app, client, organiser):
    attempt(client, "olivia", "Hunter2-not-it!", "198.51.100.40")
    attempt(client, "nobody", "Another-secret-1", "198.51.100.41")
    attempt(client, "My Secret Pass", "whatever", "198.51.100.42")  # password in the name box
    events = [e for e in chain_events(SYSTEM_CHAIN) if e.action == "staff_signin_failed"]
    assert [(e.subject, e.actor) for e in events] == [
        ("olivia", "anonymous"), ("nobody", "anonymous"), ("(not a valid username)", "anonymous")]
    import json

    assert [json.loads(e.data)["reason"] for e in events] == [
        "wrong_password", "unknown_user", "unknown_user"]
    assert json.loads(events[0].data)["address"] == "198.51.100.40"
    stored = " ".join(e.data + e.subject for e in db.session.scalars(select(AuditEvent)))
    for secret in ("Hunter2-not-it!", "Another-secret-1", "my secret pass"):
        assert secret.lower() not in stored.lower()


def test_organisers_and_auditors_see_signins_and_failures(app, client, organiser, make_user):
    make_user("auditor", "audrey")
    make_user("judge", "jude")
    attempt(CsrfClient(app.test_client()), "olivia", "wrong password!!", "198.51.100.50")
    attempt(client, "olivia", PASSWORD, "198.51.100.51")
    page = client.get("/organiser/sign-ins").get_data(as_text=True)
    assert "Staff sign-ins" in page and "wrong password" in page and "198.51.100.50" in page
    assert "signed in" in page
    failed = client.get("/organiser/sign-ins?failed=1", headers={"HX-Request": "true"})
    html = failed.get_data(as_text=True)
    assert failed.status_code == 200 and "<html" not in html
    assert "1 event matches." in html and "198.51.100.50" in html and "198.51.100.51" not in html

    auditor = CsrfClient(app.test_client())
    auditor.signin("audrey", PASSWORD)
    assert auditor.get("/organiser/sign-ins").status_code == 200
    judge = CsrfClient(app.test_client())
    judge.signin("jude", PASSWORD)
    assert judge.get("/organiser/sign-ins").status_code == 403


# --- Sign-out ends the session on the server --------------------------------------------

def copy_session(source, app) -> CsrfClient:
    """A second browser holding a copy of ``source``'s session cookie."""
    cookie = source.get_cookie("session")
    thief = CsrfClient(app.test_client())
    thief.set_cookie("session", cookie.value, domain=cookie.domain)
    return thief


def test_a_copied_cookie_stops_working_after_sign_out(app, client, organiser):
    client.signin("olivia", PASSWORD)
    thief = copy_session(client, app)
    assert thief.get("/organiser/").status_code == 200  # the copy works while signed in
    assert client.post("/signout").status_code == 303
    assert client.get("/organiser/").status_code == 302
    assert thief.get("/organiser/").status_code == 302  # ... and not after sign-out
    assert thief.get("/organiser/people").status_code == 302
    assert [e.action for e in chain_events(SYSTEM_CHAIN)][-1] == "staff_signed_out"


def test_signing_out_one_browser_leaves_the_others_signed_in(app, client, organiser):
    client.signin("olivia", PASSWORD)
    tablet = CsrfClient(app.test_client())
    tablet.signin("olivia", PASSWORD)
    client.post("/signout")
    assert tablet.get("/organiser/").status_code == 200


def test_a_new_password_ends_earlier_sessions(app, client, organiser):
    from awards.accounts.services import create_user

    client.signin("olivia", PASSWORD)
    thief = copy_session(client, app)
    organiser.active = False
    db.session.commit()
    create_user("organiser", "olivia", "a brand new password")  # reactivates with it
    assert organiser.active
    assert thief.get("/organiser/").status_code == 302
    assert client.get("/organiser/").status_code == 302


def test_an_idle_session_expires(app, client, organiser):
    from datetime import timedelta

    from awards.models.users import StaffSession

    client.signin("olivia", PASSWORD)
    row = db.session.scalar(select(StaffSession))
    row.last_seen_at = row.last_seen_at - timedelta(hours=13)
    db.session.commit()
    assert client.get("/organiser/").status_code == 302
