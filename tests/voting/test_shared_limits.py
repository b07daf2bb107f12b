"""With REDIS_URL set, abuse counters are shared by every app process (SPEC section 9)."""

import os
import time
import uuid

import pytest
import redis
from sqlalchemy import select

from awards import create_app
from awards.audit.service import chain_events
from awards.extensions import db, limiter
from awards.models import Campaign
from awards.voting import abuse
from awards.voting.codes import generate_code
from awards.web.households import paced

from ..conftest import IsolatedClient
from .test_abuse_and_pages import browser
from .test_paced_refusals import assert_session_part_of_waits

# One database per xdist worker: the tests empty it before and after.
REDIS_URL = os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/{}".format(
    15 - int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0) % 3)


def test_failures_counted_in_one_process_slow_down_another(tmp_path, monkeypatch):
    redis.Redis.from_url(REDIS_URL).flushdb()
    address = f"198.51.100.{uuid.uuid4().int % 200 + 20}"
    apps = [create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/{i}.db",
                        "REDIS_URL": REDIS_URL, "RATELIMIT_STORAGE_URI": REDIS_URL})
            for i in (1, 2)]
    environ = {"REMOTE_ADDR": address}
    with apps[0].test_request_context(environ_base=environ):
        assert type(limiter.storage).__name__.startswith("Redis")
        for _ in range(10):
            abuse.note_failure()
    with apps[1].test_request_context(environ_base=environ):
        assert abuse.pacing().seconds > 0
    with apps[1].test_request_context(environ_base={"REMOTE_ADDR": "192.0.2.200"}):
        assert abuse.pacing().seconds == 0
    redis.Redis.from_url(REDIS_URL).flushdb()


def test_redis_url_selects_redis_storage(tmp_path, monkeypatch):
    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db",
                      "REDIS_URL": REDIS_URL})
    assert app.config["RATELIMIT_STORAGE_URI"] == REDIS_URL


# --------------------------------------------------------------------------- Redis scripts


@pytest.fixture
def redis_app(app):
    """An app on the same database as ``app`` whose counters live in Redis (as in
    production), its context pushed."""
    store = redis.Redis.from_url(REDIS_URL)
    store.flushdb()
    db.session.commit()  # SQLite: the test's own transaction would hold the write lock
    other = create_app({**{key: app.config[key] for key in (
        "SQLALCHEMY_DATABASE_URI", "TESTING", "EXPORTS_DIR", "ATTACHMENTS_DIR")
        if key in app.config}, "RATELIMIT_STORAGE_URI": REDIS_URL, "REDIS_URL": REDIS_URL})
    other.test_client_class = IsolatedClient
    with other.app_context():
        yield other
        db.session.remove()
        db.engine.dispose()
    store.flushdb()


class Clock:
    """Stands in for the ``time`` module in :mod:`awards.voting.abuse`."""

    def __init__(self):
        self.now = time.time()

    def time(self) -> float:
        return self.now


def test_on_redis_an_address_fails_five_times_then_waits_seconds_never_longer(
        redis_app, monkeypatch):
    clock = Clock()
    monkeypatch.setattr(abuse, "time", clock)
    with redis_app.test_request_context(environ_base={"REMOTE_ADDR": "198.51.100.7"}):
        assert type(limiter.storage).__name__.startswith("Redis")
        for _ in range(5):
            assert abuse.pacing().seconds == 0
            abuse.note_failure()
        assert 0 < abuse.pacing().seconds <= 10
        for _ in range(80):
            abuse.note_failure()
        assert 0 < abuse.pacing().seconds <= 15
        clock.now += 10.5  # the window has moved past every failure
        assert abuse.pacing().seconds == 0


def test_on_redis_a_fresh_address_in_a_busy_network_waits_seconds(redis_app):
    for i in range(400):
        with redis_app.test_request_context(
                environ_base={"REMOTE_ADDR": f"203.0.113.{i % 250 + 1}"}):
            abuse.note_failure()
    with redis_app.test_request_context(environ_base={"REMOTE_ADDR": "203.0.113.252"}):
        assert 0 < abuse.pacing().seconds <= 15
    with redis_app.test_request_context(environ_base={"REMOTE_ADDR": "198.51.100.99"}):
        assert abuse.pacing().seconds == 0


def test_on_redis_a_failed_guess_asks_redis_twice_and_counts_for_open_campaigns(
        open_campaign, redis_app, monkeypatch):
    redis_app.config["GUESS_ALARM_THRESHOLD"] = 3
    sent: list[str] = []
    connection = limiter.storage.get_connection()
    execute = connection.execute_command

    def counted(*args, **options):
        sent.append(str(args[0]))
        return execute(*args, **options)

    monkeypatch.setattr(connection, "execute_command", counted)
    for i in range(4):
        client = browser(redis_app, f"10.77.{i}.1")
        sent.clear()
        assert client.post("/vote", {"code": generate_code()}).status_code == 422
        # "may this client try?" and "count the failure": one script each
        assert len(sent) == 2 and set(sent) <= {"EVALSHA", "EVAL", "SCRIPT LOAD"}, sent
    campaign = db.session.scalars(select(Campaign)).one()  # read in this app's session
    assert abuse.failed_guesses(campaign) == 4
    assert campaign.guess_alarm_at is not None
    assert [e.action for e in chain_events(campaign.slug)].count("guess_alarm") == 1


def test_on_redis_the_part_of_a_wait_a_browser_session_imposes_is_told_apart(redis_app):
    assert_session_part_of_waits(redis_app)


def test_on_redis_a_replayed_refusal_ends_with_the_session_s_own_wait(
        open_campaign, letters, redis_app, monkeypatch):
    clock = Clock()
    monkeypatch.setattr(abuse, "time", clock)
    household = browser(redis_app, "10.1.0.1")
    answers = []
    for i in range(7):  # each from another network: only the session is paced
        household.client.environ_base["REMOTE_ADDR"] = f"10.{i + 2}.0.1"
        answers.append(household.post("/vote", {"code": generate_code()}).status_code)
    assert answers == [422] * 5 + [429] * 2
    # Ten and a half seconds later, in Redis's eyes and the middleware's alike: the
    # household's own code gets through at once.
    clock.now += 10.5
    later = paced.time.monotonic() + 10.5
    monkeypatch.setattr(paced.time, "monotonic", lambda: later)
    reply = household.post("/vote", {"code": letters[0].code})
    assert reply.status_code == 303 and reply.location.endswith("/vote/ballot")
