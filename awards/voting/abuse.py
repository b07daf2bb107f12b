"""Code-entry abuse control (SPEC section 4).

A guess succeeds with probability about 40,000 / 2**65, so these limits protect capacity and
raise the alarm; they do not try to stop guessing, and they never lock anybody out.

Pacing. Only failed, well-formed codes count. An address, and its /24 (IPv4) or /64 (IPv6)
network, may fail a few times within a short moving window; past that it is told to wait
until its oldest failure leaves the window. The windows are 10 seconds long, so a
household with a valid code behind a busy shared address (a mobile carrier's NAT, an
estate's Wi-Fi) waits seconds, never longer, however many failures came before; a flood
client is still paced to a few checks per window.

Alarm. Every failed guess is counted (globally: a code that matched nothing belongs to no
campaign) for each campaign whose voting is open, as an atomic increment in the
rate-limit store. No database row is locked or updated for it, so a flood of guesses never
queues real voters behind a shared row. Past the threshold each such campaign gets its
alarm once: one conditional ``UPDATE … WHERE guess_alarm_at IS NULL`` and one audit event.

Counters live in Flask-Limiter's storage: memory by default, Redis when ``REDIS_URL`` is
set, so several app processes share them.
"""

from __future__ import annotations

import ipaddress
import math
import time

from flask import current_app, g, has_request_context
from limits import parse_many
from sqlalchemy import select, update

from awards.audit.service import record
from awards.campaigns.services import voting_is_open
from awards.extensions import client_address, db, limiter
from awards.models import Campaign
from awards.models.base import utcnow

# An address may fail 5 times, its /24 or /64 (many households behind one NAT or provider)
# 50 times, in any 10 seconds. A window this short is what bounds every wait.
ADDRESS_LIMITS = "5 per 10 seconds"
NETWORK_LIMITS = "50 per 10 seconds"
ALARM_THRESHOLD = 500
# Guess counters outlive any voting window; they are keyed by the window's opening time.
COUNTER_SECONDS = 180 * 24 * 3600


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


# --------------------------------------------------------------------------- alarm


def _counter_key(campaign: Campaign) -> str | None:
    if campaign.voting_opens_at is None:
        return None
    return f"guess-fail:{campaign.id}:{int(campaign.voting_opens_at.timestamp())}"


def campaigns_voting_now() -> list[Campaign]:
    """Campaigns in adjudication whose voting window is open now, by id. Read once per
    request: checking a code and counting its failure ask the same question, and under a
    flood of guesses every saved query is capacity left for real voters."""
    if has_request_context() and "campaigns_voting_now" in g:
        return g.campaigns_voting_now
    candidates = db.session.scalars(
        select(Campaign).where(Campaign.state == "adjudication").order_by(Campaign.id))
    campaigns = [c for c in candidates if voting_is_open(c)]
    if has_request_context():
        g.campaigns_voting_now = campaigns
    return campaigns


def failed_guesses(campaign: Campaign) -> int:
    """Failed well-formed codes counted since this campaign's voting window opened."""
    key = _counter_key(campaign)
    return int(limiter.storage.get(key)) if key else 0


def note_failed_guess() -> None:
    """Count a failed well-formed code against the global budget of every campaign whose
    voting is open; past the threshold raise each one's alarm once."""
    threshold = current_app.config.get("GUESS_ALARM_THRESHOLD", ALARM_THRESHOLD)
    for campaign in campaigns_voting_now():
        count = limiter.storage.incr(_counter_key(campaign), COUNTER_SECONDS)
        if count >= threshold and campaign.guess_alarm_at is None:
            _raise_alarm(campaign, count, threshold)


def _raise_alarm(campaign: Campaign, count: int, threshold: int) -> None:
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
