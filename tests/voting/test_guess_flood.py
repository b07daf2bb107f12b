"""A flood of guessed codes neither locks households out nor stalls voting (SPEC section 4),
and the vote session cookie carries nothing derived from the code."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import http.client
import re
import threading
import time
import urllib.parse
import zlib

import pytest
from flask.json.tag import TaggedJSONSerializer
from itsdangerous import URLSafeTimedSerializer
from markupsafe import escape
from sqlalchemy import event, select, update
from werkzeug.middleware.proxy_fix import ProxyFix

from awards.audit.service import chain_events
from awards.campaigns.config_file import parse_config
from awards.campaigns import services as campaign_services
from awards.campaigns.services import load_campaign_config
from awards.extensions import db
from awards.models import Campaign, VoteSession
from awards.models.base import utcnow
from awards.voting import abuse
from awards.voting.codes import code_hmac, format_code, generate_code, normalise_code
from awards.voting.households import pepper

from ..conftest import MINIMAL_CONFIG, TOKEN, open_the_vote_now
from ..live import HttpSession, LiveServer
from .test_abuse_and_pages import browser


def in_request(app, address: str):
    return app.test_request_context("/vote", method="POST",
                                    environ_base={"REMOTE_ADDR": address})


def other_campaign(slug: str, *, state: str = "adjudication", closed: bool = False):
    campaign, _created, _notes = load_campaign_config(parse_config(
        MINIMAL_CONFIG.replace('slug = "csea-test"', f'slug = "{slug}"')))
    open_the_vote_now(campaign)
    campaign.state = state
    if closed:
        campaign.voting_closes_at = utcnow() - dt.timedelta(minutes=1)
    db.session.commit()
    return campaign


def alarms(campaign) -> int:
    return [e.action for e in chain_events(campaign.slug)].count("guess_alarm")


class Statements:
    """Every SQL statement the engine runs while active (from any thread)."""

    def __init__(self):
        self.seen: list[str] = []

    def _record(self, _conn, _cursor, statement, *_args):
        self.seen.append(statement)

    def __enter__(self):
        event.listen(db.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc):
        event.remove(db.engine, "before_cursor_execute", self._record)


# --------------------------------------------------------------------------- pacing


def test_production_limits_let_a_valid_code_in_within_seconds_after_80_failures(app):
    assert "CODE_ADDRESS_LIMITS" not in app.config  # the shipped limits are under test
    with in_request(app, "198.51.100.9"):
        for _ in range(80):
            abuse.note_failure()
        wait = abuse.pacing().seconds
    assert 0 < wait <= 15


def test_a_fresh_address_in_a_network_with_400_failures_waits_seconds(app):
    for i in range(400):
        with in_request(app, f"203.0.113.{i % 250 + 1}"):
            abuse.note_failure()
    for i in range(400):
        with in_request(app, f"2001:db8:5:7::{i + 1:x}"):
            abuse.note_failure()
    for fresh in ("203.0.113.252", "2001:db8:5:7::ffff"):
        with in_request(app, fresh):
            wait = abuse.pacing().seconds
        assert 0 < wait <= 15, fresh


def test_a_flood_client_is_still_paced(app):
    with in_request(app, "198.51.100.10"):
        for _ in range(5):
            assert abuse.pacing().seconds == 0
            abuse.note_failure()
        assert abuse.pacing().seconds > 0


def test_a_client_changing_address_for_every_guess_is_paced_by_its_session(
        open_campaign, app):
    client = browser(app, "10.1.0.1")
    answers = []
    for i in range(7):
        client.client.environ_base["REMOTE_ADDR"] = f"10.{i + 2}.{i}.1"  # a new network each time
        answers.append(client.post("/vote", {"code": generate_code()}).status_code)
    assert answers == [422] * 5 + [429] * 2
    other = browser(app, "10.99.0.1")  # another browser is not slowed down by it
    assert other.post("/vote", {"code": generate_code()}).status_code == 422


@pytest.mark.slow
def test_valid_code_gets_through_within_15_s_after_80_wrong_codes_real_server(
        open_campaign, letters, app):
    with LiveServer(app) as server:
        household = HttpSession(server.url)
        household.request("/vote")
        answers = [household.request("/vote", {"code": generate_code()}).status
                   for _ in range(80)]
        assert answers[:5] == [422] * 5 and set(answers[5:]) == {429}
        last_failure = time.monotonic()
        while time.monotonic() - last_failure < 30:  # bounded: the old limits waited an hour
            reply = household.request("/vote", {"code": letters[0].code})
            if reply.status != 429:
                break
            assert "Please wait" in reply.body
            time.sleep(1)
        waited = time.monotonic() - last_failure
        assert reply.status == 303 and reply.location.endswith("/vote/ballot")
        assert waited <= 15


# --------------------------------------------------------------------------- counting


def test_counting_a_failed_guess_updates_no_row(open_campaign, app):
    client = browser(app, "192.0.2.60")
    with Statements() as sql:
        for _ in range(3):
            assert client.post("/vote", {"code": generate_code()}).status_code == 422
    writes = [s for s in sql.seen if re.match(r"\s*(UPDATE|INSERT|DELETE)", s, re.I)
              or "FOR UPDATE" in s.upper()]
    assert writes == []
    assert abuse.failed_guesses(open_campaign) == 3


def _flood(url: str, addresses: list[str], statuses: list[int]) -> None:
    """One client sending guessed codes, each from its own forwarded address."""
    host, port = urllib.parse.urlsplit(url).netloc.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    conn.request("GET", "/vote")
    response = conn.getresponse()
    cookie = response.getheader("Set-Cookie").split(";", 1)[0]
    token = TOKEN.search(response.read().decode()).group(1)
    for address in addresses:
        body = urllib.parse.urlencode({"code": generate_code(), "csrf_token": token})
        conn.request("POST", "/vote", body=body, headers={
            "Cookie": cookie, "X-Forwarded-For": address,
            "Content-Type": "application/x-www-form-urlencoded"})
        response = conn.getresponse()
        response.read()
        statuses.append(response.status)


def test_concurrent_guesses_on_two_open_campaigns_never_deadlock_and_alarm_once(
        open_campaign, letters, app):
    """On PostgreSQL the old counter updated both campaign rows in no fixed order."""
    second = other_campaign("csea-two")
    app.config["GUESS_ALARM_THRESHOLD"] = 100
    app.config["CODE_SESSION_LIMITS"] = "1000 per 10 seconds"  # each client keeps a session
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1)  # as with AWARDS_TRUSTED_PROXIES=1
    statuses: list[int] = []
    votes: list[int] = []

    def vote(session: HttpSession, code: str) -> None:
        session.request("/vote")
        session.request("/vote", {"code": code})
        session.request("/vote/review", {"choice": ["A"]})
        votes.append(session.request("/vote/confirm", {"choice": ["A"]}).status)

    with LiveServer(app) as server, Statements() as sql:
        workers = [threading.Thread(target=_flood, args=(
            server.url, [f"10.{t}.{i}.1" for i in range(25)], statuses)) for t in range(10)]
        workers += [threading.Thread(target=vote, args=(HttpSession(server.url), letter.code))
                    for letter in letters[:3]]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=120)
    assert statuses == [422] * 250  # no 5xx: no deadlock, no lock timeout
    assert votes == [303] * 3
    db.session.rollback()
    for campaign in (open_campaign, second):
        db.session.refresh(campaign)
        assert abuse.failed_guesses(campaign) == 250
        assert campaign.guess_alarm_at is not None and alarms(campaign) == 1
    campaign_updates = [s for s in sql.seen if re.match(r"\s*UPDATE campaigns", s, re.I)]
    assert campaign_updates and all("guess_alarm_at IS NULL" in s for s in campaign_updates)


def test_no_alarm_for_campaigns_whose_voting_is_not_open(open_campaign, app):
    closed = other_campaign("csea-closed", closed=True)
    later = other_campaign("csea-later", state="finalists_announced")
    app.config["GUESS_ALARM_THRESHOLD"] = 3
    for i in range(4):
        browser(app, f"10.9.{i}.1").post("/vote", {"code": generate_code()})
    for campaign in (open_campaign, closed, later):
        db.session.refresh(campaign)
    assert open_campaign.guess_alarm_at is not None and alarms(open_campaign) == 1
    for campaign in (closed, later):
        assert campaign.guess_alarm_at is None and alarms(campaign) == 0
        assert abuse.failed_guesses(campaign) == 0


def test_the_alarm_and_its_count_show_on_the_organiser_dashboard(open_campaign, app,
                                                                  organiser):
    from ..conftest import PASSWORD

    app.config["GUESS_ALARM_THRESHOLD"] = 3
    for i in range(4):
        browser(app, f"10.8.{i}.1").post("/vote", {"code": generate_code()})
    client = browser(app, "192.0.2.61")
    client.signin("olivia", PASSWORD)
    for path in ("/organiser/c/csea-test", "/organiser/c/csea-test/turnout"):
        page = client.get(path).get_data(as_text=True)
        assert "Alarm: 4 failed code attempts since voting opened" in page, path


# --------------------------------------------------------------------------- cookie


def _cookie_text(value: str) -> str:
    compressed = value.startswith(".")
    payload = value.lstrip(".").split(".", 1)[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    return (zlib.decompress(raw) if compressed else raw).decode()


def test_the_session_cookie_carries_nothing_derived_from_the_code(open_campaign, letters,
                                                                  app):
    code = letters[0].code
    digest = code_hmac(pepper(), normalise_code(code))
    tokens = []
    for _ in range(2):
        client = browser(app, "192.0.2.62")
        assert client.post("/vote", {"code": format_code(code)}).status_code == 303
        value = client.client.get_cookie("session").value
        text = _cookie_text(value)
        signer = URLSafeTimedSerializer(
            app.secret_key, salt="cookie-session", serializer=TaggedJSONSerializer(),
            signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1})
        vote = signer.loads(value)["vote"]
        assert set(vote) == {"token", "campaign", "at"}
        for secret in (digest, digest[:16], normalise_code(code), format_code(code)):
            assert secret.lower() not in text.lower()
        assert not re.search(r"[0-9a-f]{32}", str(vote))  # no hex digest of any kind
        tokens.append(vote["token"])
    assert tokens[0] != tokens[1]  # random, not derived from the code
    stored = db.session.scalars(select(VoteSession.token_hash)).all()
    assert sorted(stored) == sorted(hashlib.sha256(t.encode()).hexdigest() for t in tokens)


def test_a_vote_session_is_claimed_once_and_expires(open_campaign, letters, app):
    from .test_abuse_and_pages import vote

    client = browser(app, "192.0.2.63")
    done, receipt = vote(client, letters[1].code)
    assert done.status_code == 303 and "receipt-number" in receipt
    assert db.session.scalar(select(VoteSession).limit(1)) is None
    late = browser(app, "192.0.2.64")
    assert late.post("/vote", {"code": letters[2].code}).status_code == 303
    for row in db.session.scalars(select(VoteSession)):
        row.expires_at = utcnow() - dt.timedelta(seconds=1)
    db.session.commit()
    late.post("/vote/review", {"choice": ["A"]})
    expired = late.post("/vote/confirm", {"choice": ["A"]})
    assert expired.status_code == 409


# --------------------------------------------------------------------------- open votes


def test_open_votes_are_read_again_the_moment_a_window_closes(open_campaign, app,
                                                              monkeypatch):
    now = utcnow()
    open_campaign.voting_closes_at = now + dt.timedelta(seconds=0.3)
    db.session.commit()
    for module in (abuse, campaign_services):
        monkeypatch.setattr(module, "utcnow", lambda: now)
    assert [vote.id for vote in abuse.campaigns_voting_now()] == [open_campaign.id]
    later = now + dt.timedelta(seconds=0.4)  # within the second the answer is kept
    for module in (abuse, campaign_services):
        monkeypatch.setattr(module, "utcnow", lambda: later)
    assert abuse.campaigns_voting_now() == ()


def test_a_campaign_changed_elsewhere_is_seen_within_a_second(open_campaign, app,
                                                            monkeypatch):
    now = utcnow()
    monkeypatch.setattr(abuse, "utcnow", lambda: now)
    assert abuse.campaigns_voting_now()
    db.session.commit()
    with db.engine.begin() as other_process:  # another app process closing the vote
        other_process.execute(update(Campaign).values(state="finalists_announced"))
    soon = now + dt.timedelta(seconds=abuse.OPEN_VOTES_SECONDS - 0.1)
    monkeypatch.setattr(abuse, "utcnow", lambda: soon)
    assert abuse.campaigns_voting_now(), "held for at most a second"
    later = now + dt.timedelta(seconds=abuse.OPEN_VOTES_SECONDS + 0.1)
    monkeypatch.setattr(abuse, "utcnow", lambda: later)
    assert abuse.campaigns_voting_now() == ()


def test_unknown_used_and_void_codes_run_the_same_statements(open_campaign, letters, app):
    """The same answer and the same work: a household's letter must not tell, by how long
    the refusal takes, whether the household voted or had its code replaced."""
    from awards.voting.households import reissue_code

    from .test_abuse_and_pages import vote

    vote(browser(app, "192.0.2.90"), letters[0].code)
    reissue_code(open_campaign, letters[1].household_id, lambda _letters: None)
    db.session.commit()
    seen = []
    for n, code in enumerate((letters[0].code, letters[1].code, generate_code())):
        client = browser(app, f"192.0.2.{91 + n}")
        abuse.campaigns_voting_now()  # read the open votes now, not inside the request
        db.session.commit()
        with Statements() as sql:
            assert client.post("/vote", {"code": code}).status_code == 422
        seen.append(sql.seen)
    assert seen[0] == seen[1] == seen[2] and len(seen[0]) == 1, seen


def test_a_campaign_changed_in_this_process_is_seen_at_once(open_campaign, app):
    assert abuse.campaigns_voting_now()
    open_campaign.voting_closes_at = utcnow() - dt.timedelta(seconds=1)
    db.session.commit()
    assert abuse.campaigns_voting_now() == ()
    client = browser(app, "192.0.2.61")
    page = client.post("/vote", {"code": generate_code()})
    assert page.status_code == 403 and "Voting is not open" in page.get_data(as_text=True)


# --------------------------------------------------------------------------- the answer


def _without_tokens(page: str) -> str:
    return TOKEN.sub("token", re.sub(r'"X-CSRFToken": "[^"]+"', "token", page))


@pytest.mark.parametrize("typed", [None, '"><b>x</b>', "ABCD EFGH JKMN P"])
def test_a_refused_code_is_answered_with_the_page_a_fresh_render_gives(open_campaign, app,
                                                                        typed):
    """The answer is filled in from a page rendered once; it must be the page a render of
    its own would give, with this household's token and its own typed code, escaped."""
    answers = []
    for n, reuse in enumerate((True, True, False)):
        app.config["TEMPLATES_AUTO_RELOAD"] = not reuse  # the last one renders afresh
        client = browser(app, f"192.0.2.{70 + n}")
        code = typed or generate_code()
        page = client.post("/vote", {"code": code})
        assert page.status_code == 422
        body = page.get_data(as_text=True)
        tokens = TOKEN.findall(body) + re.findall(r'"X-CSRFToken": "([^"]+)"', body)
        assert len(tokens) == 3 and len(set(tokens)) == 1
        assert f'value="{escape(code)}"' in body
        answers.append(_without_tokens(body).replace(str(escape(code)), "typed"))
        client.token = tokens[0]
        assert client.post("/vote", {"code": code}).status_code == 422  # the token works
    assert answers[0] == answers[1] == answers[2]
    assert "<b>x" not in answers[0]


def test_the_refused_code_page_is_kept_per_language(open_campaign, app):
    english = browser(app, "192.0.2.80")
    chinese = browser(app, "192.0.2.81")
    chinese.post("/language", {"lang": "zh_Hant_HK", "next": "/vote"})
    first = english.post("/vote", {"code": generate_code()}).get_data(as_text=True)
    second = chinese.post("/vote", {"code": generate_code()}).get_data(as_text=True)
    again = english.post("/vote", {"code": generate_code()}).get_data(as_text=True)
    assert 'lang="en"' in first and 'lang="en"' in again
    assert 'lang="zh-Hant-HK"' in second and "此編號無法使用" in second
