"""The bare comparison endpoint for bench_vote.py: a plain WSGI app that runs only the two
SQL statements of a vote (burn the code, insert the ballot) in one transaction."""

from __future__ import annotations

import os
import secrets
import threading
from datetime import date

import psycopg

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_local = threading.local()


def connection() -> psycopg.Connection:
    if not hasattr(_local, "conn"):
        url = os.environ["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
        _local.conn = psycopg.connect(url)
    return _local.conn


def app(environ, start_response):
    if environ["PATH_INFO"] == "/healthz":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]
    digest = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)).decode()
    conn = connection()
    with conn.transaction():
        row = conn.execute(
            "UPDATE voting_codes SET state = 'used', channel = 'web', day = %s "
            "WHERE code_hmac = %s AND state = 'issued' RETURNING campaign_id, district_id",
            (date.today(), digest)).fetchone()
        if row is not None:
            conn.execute(
                "INSERT INTO ballots (id, campaign_id, district_id, choices, channel, status, "
                "day) VALUES (%s, %s, %s, %s, 'web', 'valid', %s)",
                ("".join(secrets.choice(ALPHABET) for _ in range(16)), row[0], row[1],
                 "HD;IMMD", date.today()))
    start_response("200 OK" if row else "409 Conflict", [("Content-Type", "text/plain")])
    return [b"ok" if row else b"used"]
