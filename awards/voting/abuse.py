"""Code-entry abuse control (SPEC section 4).

Only failed, well-formed codes count. An address (and its /24 or /64 network) that fails
too often is slowed down: it must wait, for at most a few minutes, before its next try. It
is never locked out, so a household behind a shared address still gets in with a valid
code once the wait is over. Counters live in Flask-Limiter's storage: memory by default,
Redis when ``REDIS_URL`` is set, so several app processes share them.
"""

from __future__ import annotations

import ipaddress
import math
import time

from flask import current_app
from limits import parse_many

from ..extensions import client_address, limiter

# An address may fail 10 times a minute; a /24 or /64 (many households behind one NAT or
# provider) 60 times a minute. Longer windows cap sustained guessing.
ADDRESS_LIMITS = "10/minute;40/hour"
NETWORK_LIMITS = "60/minute;400/hour"


def network_of(address: str) -> str:
    """The /24 (IPv4) or /64 (IPv6) network of an address, as text."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    prefix = 24 if ip.version == 4 else 64
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def _keys() -> list[tuple[str, str]]:
    address = client_address()
    config = current_app.config
    return [
        (config.get("CODE_ADDRESS_LIMITS", ADDRESS_LIMITS), f"code-fail:ip:{address}"),
        (config.get("CODE_NETWORK_LIMITS", NETWORK_LIMITS),
         f"code-fail:net:{network_of(address)}"),
    ]


def seconds_to_wait() -> int:
    """0 when this client may try a code now; otherwise how long to wait (seconds)."""
    strategy = limiter.limiter
    wait = 0.0
    for limits, key in _keys():
        for item in parse_many(limits):
            if not strategy.test(item, key):
                reset_at, _remaining = strategy.get_window_stats(item, key)
                wait = max(wait, reset_at - time.time(), 1.0)
    return math.ceil(wait)


def note_failure() -> None:
    """Count one failed well-formed code for this client and its network."""
    strategy = limiter.limiter
    for limits, key in _keys():
        for item in parse_many(limits):
            strategy.hit(item, key)
