"""Code-entry abuse control (SPEC section 4).

A guess succeeds with probability about 40,000 / 2**65, so these limits protect capacity and
raise the alarm; they do not try to stop guessing, and they never lock anybody out.

Pacing. Only failed, well-formed codes count. An address, its /24 (IPv4) or /64 (IPv6)
network, and a browser session may each fail a few times within a short moving window;
past that the client is told to wait until its oldest failure leaves the window. The
session counts because one client may send from many addresses (a botnet, rotating
proxies): it must then fetch a fresh page for every guess. The windows are 10 seconds
long, so a household with a valid code behind a busy shared address (a mobile carrier's
NAT, an estate's Wi-Fi) waits seconds, never longer, however many failures came before; a
flood client is still paced to a few checks per window.

Alarm. Every failed guess is counted (globally: a code that matched nothing belongs to no
campaign) for each campaign whose voting is open, as an atomic increment in the
rate-limit store. No database row is locked or updated for it, so a flood of guesses never
queues real voters behind a shared row. Past the threshold each such campaign gets its
alarm once: one conditional ``UPDATE … WHERE guess_alarm_at IS NULL`` and one audit event.

Counters live in Flask-Limiter's storage: memory by default, Redis when ``REDIS_URL`` is
set, so several app processes share them. On Redis each question is one round trip (a
script: "how long must this client wait?", then, after a failed code, "count it for the
client, its network and every open campaign"); a failed guess costs capacity that real
voters need, and five round trips cost as much as the database lookup.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from time import monotonic

from flask import current_app, has_app_context, has_request_context, session
from limits import RateLimitItem, parse_many
from limits.storage import RedisStorage
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from awards.audit.service import record
from awards.campaigns.services import as_utc, voting_window_is_open
from awards.extensions import client_address, db, limiter
from awards.models import Campaign
from awards.models.base import utcnow

# An address may fail 5 times, its /24 or /64 (many households behind one NAT or provider)
# 50 times, in any 10 seconds. A window this short is what bounds every wait.
ADDRESS_LIMITS = "5 per 10 seconds"
NETWORK_LIMITS = "50 per 10 seconds"
SESSION_LIMITS = ADDRESS_LIMITS  # a browser session, from whatever addresses
ALARM_THRESHOLD = 500
# Guess counters outlive any voting window; they are keyed by the window's opening time.
COUNTER_SECONDS = 180 * 24 * 3600
REDIS_PREFIX = "awards:"
_SESSION_KEY = "code-fail:session:"

# KEYS: one list of failure times per limit, newest first. ARGV: now, the position of the
# first of the browser session's lists (past the end: none), then each list's limit and window
# (seconds). Returns the seconds until the client may try again (0 now), and how many of
# them the session's own failures impose: when a list holds `limit` failures inside the
# window, until the oldest of them leaves it.
_WAIT_SCRIPT = """
local now, first_session = tonumber(ARGV[1]), tonumber(ARGV[2])
local wait, session_wait = 0, 0
for i, key in ipairs(KEYS) do
  local limit, window = tonumber(ARGV[1 + 2 * i]), tonumber(ARGV[2 + 2 * i])
  local entry = redis.call('lindex', key, limit - 1)
  if entry then
    local left = tonumber(entry) + window - now
    if left > wait then wait = left end
    if i >= first_session and left > session_wait then session_wait = left end
  end
end
return {tostring(wait), tostring(session_wait)}
"""

# KEYS: the failure lists, then the campaigns' guess counters. ARGV: now, the number of
# lists, each list's limit and window, then the counters' lifetime. Records the failure in
# every list (trimmed to its limit), adds one to every counter; returns the counters.
_FAIL_SCRIPT = """
local now, lists = ARGV[1], tonumber(ARGV[2])
for i = 1, lists do
  local limit, window = tonumber(ARGV[1 + 2 * i]), tonumber(ARGV[2 + 2 * i])
  redis.call('lpush', KEYS[i], now)
  redis.call('ltrim', KEYS[i], 0, limit - 1)
  redis.call('expire', KEYS[i], math.ceil(window))
end
local lifetime = tonumber(ARGV[3 + 2 * lists])
local counts = {}
for i = lists + 1, #KEYS do
  local count = redis.call('incr', KEYS[i])
  if count == 1 then redis.call('expire', KEYS[i], lifetime) end
  counts[#counts + 1] = count
end
return counts
"""


def network_of(address: str) -> str:
    """The /24 (IPv4) or /64 (IPv6) network of an address, as text."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    prefix = 24 if ip.version == 4 else 64
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def _keys() -> list[tuple[str, str]]:
    """(limits setting, counter key) of every pacing limit for this client: its address, its
    network, then (once it has one) its browser session."""
    address = client_address()
    config = current_app.config
    keys = [
        (config.get("CODE_ADDRESS_LIMITS", ADDRESS_LIMITS), f"code-fail:ip:{address}"),
        (config.get("CODE_NETWORK_LIMITS", NETWORK_LIMITS),
         f"code-fail:net:{network_of(address)}"),
    ]
    browser = _browser_session()
    if browser:
        keys.append((config.get("CODE_SESSION_LIMITS", SESSION_LIMITS),
                     f"{_SESSION_KEY}{browser}"))
    return keys


def _browser_session() -> str | None:
    """A name for this browser's session (from the secret its CSRF tokens are signed with,
    hashed: the counter's key must not carry it), or None before it has one."""
    if not has_request_context():
        return None
    secret = session.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
    if not isinstance(secret, str):
        return None
    return hashlib.sha256(secret.encode()).hexdigest()[:24]


def _limit_items() -> list[tuple[str, str, RateLimitItem]]:
    """(limits setting, counter key, parsed limit) of every pacing limit for this client."""
    return [(limits, key, item) for limits, key in _keys() for item in parse_many(limits)]


def _windows() -> list[tuple[str, int, float]]:
    """(key, limit, window seconds) of every pacing limit for this client: one list of
    failure times per limit (a setting may give several, e.g. "5 per 10 seconds; 20 per
    minute")."""
    return [(f"{key}:{item.amount}/{item.get_expiry()}", item.amount, item.get_expiry())
            for _limits, key, item in _limit_items()]


def _redis():
    """The Redis client and its two scripts, or None when the store is not Redis."""
    storage = limiter.storage
    if not isinstance(storage, RedisStorage):
        return None
    scripts = getattr(storage, "_awards_scripts", None)
    if scripts is None:
        client = storage.get_connection()
        scripts = storage._awards_scripts = (client.register_script(_WAIT_SCRIPT),
                                             client.register_script(_FAIL_SCRIPT))
    return scripts


@dataclass(frozen=True)
class Pacing:
    """How long this client must wait before trying a code."""

    seconds: int  # whole seconds, at least 1 when it must wait at all; 0: it may try now
    # When the browser session's own failures impose the whole wait: the time.monotonic()
    # at which it ends (taken from before the store was asked). Until then the same
    # session is refused whatever it sends and from wherever, so its refusal may be
    # answered again without asking (see awards.web.households.paced). Otherwise None.
    session_until: float | None = None


def pacing() -> Pacing:
    """Whether this client may try a code now, and if not for how long (and why)."""
    asked = monotonic()
    scripts = _redis()
    if scripts is not None:
        windows = _windows()
        sessions = [key.startswith(_SESSION_KEY) for key, _l, _w in windows]
        first_session = sessions.index(True) + 1 if True in sessions else len(windows) + 1
        arguments = [time.time(), first_session] + [n for _key, limit, window in windows
                                                    for n in (limit, window)]
        left, session_left = (float(n) for n in scripts[0](
            keys=[REDIS_PREFIX + key for key, _l, _w in windows], args=arguments))
        waiting = left > 0
    else:
        strategy = limiter.limiter
        now = time.time()
        left = session_left = 0.0
        waiting = False
        for _limits, key, item in _limit_items():
            if not strategy.test(item, key):
                waiting = True
                reset_at, _remaining = strategy.get_window_stats(item, key)
                left = max(left, reset_at - now)
                if key.startswith(_SESSION_KEY):
                    session_left = max(session_left, reset_at - now)
    if not waiting:
        return Pacing(0)
    alone = session_left > 0 and session_left >= left
    return Pacing(math.ceil(max(left, 1.0)), asked + session_left if alone else None)


def note_failure() -> None:
    """Count one failed well-formed code for this client and its network."""
    _count_failure([])


def _count_failure(counters: list[str]) -> list[int]:
    """Count a failed code for this client and its network, and add one to each of the
    campaign guess ``counters``; returns the counters' new values."""
    scripts = _redis()
    if scripts is not None:
        windows = _windows()
        arguments = ([time.time(), len(windows)]
                     + [n for _key, limit, window in windows for n in (limit, window)]
                     + [COUNTER_SECONDS])
        keys = [REDIS_PREFIX + key for key, _l, _w in windows]
        return [int(n) for n in scripts[1](keys=keys + [REDIS_PREFIX + c for c in counters],
                                           args=arguments)]
    strategy = limiter.limiter
    for _limits, key, item in _limit_items():
        strategy.hit(item, key)
    return [limiter.storage.incr(counter, COUNTER_SECONDS) for counter in counters]


# --------------------------------------------------------------------------- alarm


@dataclass(frozen=True)
class OpenVote:
    """What counting a guess needs of a campaign whose vote is open (attribute names as on
    :class:`Campaign`, so the same window rule applies)."""

    id: int
    slug: str
    frozen_at: datetime | None
    codes_commitment: str | None
    voting_opens_at: datetime | None
    voting_closes_at: datetime | None
    guess_alarm_at: datetime | None


# Campaigns whose vote is open are read at most this often per process (and again at once
# when a window opens or closes, or this process changes a campaign): every code entry,
# and every guess of a flood, asks which votes are open.
OPEN_VOTES_SECONDS = 1.0
_OPEN_VOTES = "awards.open_votes"
_OPEN_VOTES_QUERY = (
    select(Campaign.id, Campaign.slug, Campaign.frozen_at, Campaign.codes_commitment,
           Campaign.voting_opens_at, Campaign.voting_closes_at, Campaign.guess_alarm_at)
    .where(Campaign.state == "adjudication").order_by(Campaign.id))


def _counter_key(campaign: Campaign | OpenVote) -> str | None:
    if campaign.voting_opens_at is None:
        return None
    opens = as_utc(campaign.voting_opens_at)
    return f"guess-fail:{campaign.id}:{int(opens.timestamp())}"


def campaigns_voting_now() -> tuple[OpenVote, ...]:
    """Campaigns in adjudication whose voting window is open now, by id.

    Kept per process for at most :data:`OPEN_VOTES_SECONDS`, and never past the next
    opening or closing time of a campaign in adjudication; forgotten as soon as this
    process writes a campaign. Another process's change (an organiser moving a phase or a
    window) is seen within that second. The answer only decides whether a well-formed code
    is told "voting is not open" without a lookup and which alarms a failure counts
    towards: a code that is accepted is checked against its campaign's own row.
    """
    cache = current_app.extensions
    held = cache.get(_OPEN_VOTES)
    now = utcnow()
    if held is not None and now < held[0]:
        return held[1]
    rows = [OpenVote(*row) for row in db.session.execute(_OPEN_VOTES_QUERY)]
    times = [as_utc(t) for row in rows for t in (row.voting_opens_at, row.voting_closes_at)
             if t is not None and as_utc(t) > now]
    until = min([now + timedelta(seconds=OPEN_VOTES_SECONDS), *times])
    votes = tuple(row for row in rows if voting_window_is_open(row))
    cache[_OPEN_VOTES] = (until, votes)
    return votes


def forget_open_votes() -> None:
    """Read the open votes again at the next question (after this process changed a
    campaign)."""
    if has_app_context():
        current_app.extensions.pop(_OPEN_VOTES, None)


@event.listens_for(Session, "after_flush")
def _campaign_flushed(session, _context) -> None:
    if any(isinstance(obj, Campaign) for obj in (*session.new, *session.dirty,
                                                 *session.deleted)):
        forget_open_votes()
        session.info[_OPEN_VOTES] = True


@event.listens_for(Session, "after_commit")
def _campaign_committed(session) -> None:
    """Forget again at the commit: another thread may have read the old rows between the
    flush and the commit."""
    if session.info.pop(_OPEN_VOTES, False):
        forget_open_votes()


@event.listens_for(Session, "do_orm_execute")
def _campaign_updated(state) -> None:
    if ((state.is_update or state.is_delete) and state.bind_mapper is not None
            and state.bind_mapper.class_ is Campaign):
        forget_open_votes()
        state.session.info[_OPEN_VOTES] = True


def failed_guesses(campaign: Campaign) -> int:
    """Failed well-formed codes counted since this campaign's voting window opened."""
    key = _counter_key(campaign)
    if key is None:
        return 0
    scripts = _redis()
    if scripts is not None:
        return int(limiter.storage.get_connection().get(REDIS_PREFIX + key) or 0)
    return int(limiter.storage.get(key))


def note_failed_guess() -> None:
    """Count a failed well-formed code: for this client and its network (pacing), and
    against the global budget of every campaign whose voting is open; past the threshold
    raise each one's alarm once."""
    threshold = current_app.config.get("GUESS_ALARM_THRESHOLD", ALARM_THRESHOLD)
    votes = campaigns_voting_now()
    counts = _count_failure([_counter_key(vote) for vote in votes])
    for vote, count in zip(votes, counts):
        if count >= threshold and vote.guess_alarm_at is None:
            _raise_alarm(vote, count, threshold)


def _raise_alarm(campaign: OpenVote, count: int, threshold: int) -> None:
    """Set the campaign's alarm and audit it, once: of simultaneous callers only the one
    whose conditional update matches the row records the event."""
    claimed = db.session.execute(
        update(Campaign)
        .where(Campaign.id == campaign.id, Campaign.guess_alarm_at.is_(None))
        .values(guess_alarm_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed == 1:
        record("guess_alarm", campaign.slug, {"failed_guesses": count, "threshold": threshold},
               chain=campaign.slug, actor="system")
    db.session.commit()
    forget_open_votes()
