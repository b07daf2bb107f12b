"""The bare comparison endpoint for bench_vote.py: a plain WSGI app that runs only the SQL of
a vote, as the vote endpoint does, with no framework around it: read the campaign, claim the
vote session, burn the code, put the ballot in the inbox, count the inbox, commit; and, when
the inbox holds 100 ballots, the mixer's statements (move a random batch to ``ballots``,
then ``VACUUM FULL`` or ``TRUNCATE`` the inbox)."""

from __future__ import annotations

import hashlib
import os
import random
import secrets
import threading
from datetime import date, datetime, timezone

import psycopg

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
POOL = 50
_local = threading.local()
_random = random.SystemRandom()


def connection() -> psycopg.Connection:
    if not hasattr(_local, "conn"):
        url = os.environ["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
        _local.conn = psycopg.connect(url)
    return _local.conn


def mix(campaign_id: int) -> None:
    conn = connection()
    with conn.transaction():
        if not conn.execute("SELECT pg_try_advisory_xact_lock(%s, %s)",
                            (0x6D6978, campaign_id)).fetchone()[0]:
            return
        waiting = [r[0] for r in conn.execute(
            "SELECT id FROM ballot_inbox WHERE campaign_id = %s", (campaign_id,))]
        if len(waiting) < 2 * POOL:
            return
        chosen = _random.sample(waiting, len(waiting) - POOL)
        rows = {r[0]: r for r in conn.execute(
            "DELETE FROM ballot_inbox WHERE id = ANY(%s) RETURNING id, campaign_id, "
            "district_id, choices, channel, status, day", (chosen,))}
        with conn.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO ballots (id, campaign_id, district_id, choices, channel, status, "
                "day) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                [rows[i] for i in chosen if i in rows])
    with conn.transaction():
        conn.execute("SET LOCAL lock_timeout = '5s'")
        conn.execute("LOCK TABLE ballot_inbox IN ACCESS EXCLUSIVE MODE")
        empty = not conn.execute("SELECT EXISTS (SELECT 1 FROM ballot_inbox)").fetchone()[0]
        if empty:
            conn.execute("TRUNCATE ballot_inbox")
    if not empty:
        conn.autocommit = True
        try:
            conn.execute("SET lock_timeout = '5s'")
            conn.execute("VACUUM FULL ballot_inbox")
        finally:
            conn.autocommit = False


def app(environ, start_response):
    if environ["PATH_INFO"] == "/healthz":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)).decode()
    campaign_id, token = body.split(":", 1)
    conn = connection()
    today = date.today()
    receipt = None
    with conn.transaction():
        state = conn.execute("SELECT state, voting_closes_at FROM campaigns WHERE id = %s",
                             (int(campaign_id),)).fetchone()
        digest = conn.execute(
            "DELETE FROM vote_sessions WHERE token_hash = %s AND expires_at > %s "
            "RETURNING code_hmac",
            (hashlib.sha256(token.encode()).hexdigest(), datetime.now(timezone.utc))).fetchone()
        row = None
        if state is not None and digest is not None:
            row = conn.execute(
                "UPDATE voting_codes SET state = 'used', channel = 'web', day = %s "
                "WHERE code_hmac = %s AND campaign_id = %s AND state = 'issued' "
                "RETURNING district_id", (today, digest[0], int(campaign_id))).fetchone()
        if row is not None:
            receipt = "".join(secrets.choice(ALPHABET) for _ in range(16))
            conn.execute(
                "INSERT INTO ballot_inbox (id, campaign_id, district_id, choices, channel, "
                "status, day) VALUES (%s, %s, %s, %s, 'web', 'valid', %s)",
                (receipt, int(campaign_id), row[0], "HD;IMMD", today))
            waiting = conn.execute("SELECT count(*) FROM ballot_inbox WHERE campaign_id = %s",
                                   (int(campaign_id),)).fetchone()[0]
    if receipt is not None and waiting >= 2 * POOL:
        mix(int(campaign_id))
    start_response("200 OK" if receipt else "409 Conflict", [("Content-Type", "text/plain")])
    return [b"ok" if receipt else b"used"]
