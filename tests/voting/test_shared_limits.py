"""With REDIS_URL set, abuse counters are shared by every app process (SPEC section 9)."""

import os
import uuid

import redis

from awards import create_app
from awards.extensions import limiter
from awards.voting import abuse

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


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
        assert abuse.seconds_to_wait() > 0
    with apps[1].test_request_context(environ_base={"REMOTE_ADDR": "192.0.2.200"}):
        assert abuse.seconds_to_wait() == 0
    redis.Redis.from_url(REDIS_URL).flushdb()


def test_redis_url_selects_redis_storage(tmp_path, monkeypatch):
    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db",
                      "REDIS_URL": REDIS_URL})
    assert app.config["RATELIMIT_STORAGE_URI"] == REDIS_URL
