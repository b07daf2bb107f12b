"""Per-account sign-in throttle.

The per-address limit on ``/signin`` does not stop a password guesser who spreads attempts
over many addresses. So failures are also counted per username (whether or not the account
exists, so the throttle does not reveal which do): after ``STAFF_SIGNIN_FREE_FAILURES``
failures the account waits ``base * 2**k`` seconds before its next try, doubling with each
further failure up to ``STAFF_SIGNIN_DELAY_CAP``. Never a lockout: once the wait is over the
right password gets in and clears the count. Attempts refused while waiting are not checked
and not counted.

Counters live in Flask-Limiter's storage (memory, or Redis with ``REDIS_URL``), so every
app process sees the same waits.
"""

from __future__ import annotations

import hashlib
import math
import time

from flask import current_app

from awards.extensions import limiter

FAILURE_MEMORY_SECONDS = 24 * 3600
# Overridable in the app's configuration under the same names.
DEFAULTS = {
    "STAFF_SIGNIN_FREE_FAILURES": 5,
    "STAFF_SIGNIN_DELAY_BASE": 1,  # seconds
    "STAFF_SIGNIN_DELAY_CAP": 300,  # seconds
}


def _setting(name: str) -> int:
    return int(current_app.config.get(name, DEFAULTS[name]))


def _keys(username: str) -> tuple[str, str]:
    digest = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    return f"staff-signin:fail:{digest}", f"staff-signin:wait:{digest}"


def seconds_to_wait(username: str) -> int:
    """0 when ``username`` may try now; else the whole seconds left to wait."""
    _failures, wait_key = _keys(username)
    storage = limiter.storage
    if storage.get(wait_key) <= 0:
        return 0
    return max(1, math.ceil(storage.get_expiry(wait_key) - time.time()))


def delay_after(failures: int, free: int, base: int, cap: int) -> int:
    """Seconds to wait after ``failures`` consecutive failures (0 while within ``free``).

    >>> [delay_after(n, 5, 1, 300) for n in (4, 5, 6, 7, 20)]
    [0, 1, 2, 4, 300]
    """
    if failures < free:
        return 0
    return min(base * 2 ** min(failures - free, 30), cap)


def note_failure(username: str) -> int:
    """Count a failed sign-in for ``username``; returns the wait it now imposes (seconds)."""
    failure_key, wait_key = _keys(username)
    storage = limiter.storage
    failures = storage.incr(failure_key, FAILURE_MEMORY_SECONDS)
    delay = delay_after(failures, _setting("STAFF_SIGNIN_FREE_FAILURES"),
                        _setting("STAFF_SIGNIN_DELAY_BASE"), _setting("STAFF_SIGNIN_DELAY_CAP"))
    if delay:
        storage.clear(wait_key)
        storage.incr(wait_key, delay)
    return delay


def note_success(username: str) -> None:
    for key in _keys(username):
        limiter.storage.clear(key)
