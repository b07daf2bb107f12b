"""Ballots per second through the vote endpoint on PostgreSQL with gunicorn (SPEC 9).

Prepares a campaign with N issued codes in a scratch PostgreSQL database, starts gunicorn
(the real app), gives every simulated household a session by entering its code (not
timed), then times the confirmations (``POST /vote/confirm``: burn the code and insert the
ballot) with concurrent clients. In the same run it serves a bare WSGI endpoint
(``bare_vote.py``) that runs the same SQL statements with no framework around them, and
reports the ratio.

    python benchmarks/bench_vote.py --ballots 6000 --clients 16
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import ROOT, campaign_toml, scratch_database  # noqa: E402

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
PEPPER = "bench-pepper-0123456789"


def prepare(url: str, ballots: int) -> list[str]:
    """Campaign, frame, sample, codes, voting open; returns the plaintext codes."""
    os.environ["DATABASE_URL"] = url
    from flask_migrate import upgrade

    from awards import create_app
    from awards.campaigns.config_file import parse_config
    from awards.campaigns.services import load_campaign_config
    from awards.extensions import db
    from awards.phases import move_phase, open_voting
    from awards.voting.households import draw_campaign_sample, import_frame, issue_codes

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "CODE_PEPPER": PEPPER})
    codes: list[str] = []
    with app.app_context():
        upgrade()
        campaign, _c, _n = load_campaign_config(parse_config(campaign_toml()))
        frame = "household_id,district,address\n" + "".join(
            f"{d.code}{i:06d},{d.code},\n" for d in campaign.districts
            for i in range(ballots // len(campaign.districts) + 50))
        import io

        import_frame(campaign, io.BytesIO(frame.encode()))
        for state in ("entries_open", "entries_closed", "adjudication"):
            move_phase(campaign, state)
        draw_campaign_sample(campaign, ballots, "benchmark-seed-0123456789")
        issue_codes(campaign, lambda letters: codes.extend(l.code for l in letters))
        open_voting(campaign)
        db.engine.dispose()
    return codes


# A gunicorn configuration file that marks each worker ready once it has loaded the app.
READY_HOOK = """
import os, pathlib

def post_worker_init(worker):
    pathlib.Path(os.environ["BENCH_READY_DIR"], str(worker.pid)).touch()
"""


def gunicorn(app_spec: str, port: int, url: str, workers: int, threads: int) -> subprocess.Popen:
    """Start gunicorn and return once *every* worker has loaded the app (a worker's start
    costs seconds of CPU: timing while some still start would measure their imports)."""
    ready = Path(tempfile.mkdtemp(prefix="bench-ready-"))
    (ready / "hook.py").write_text(READY_HOOK)
    env = dict(os.environ, DATABASE_URL=url, AWARDS_CODE_PEPPER=PEPPER,
               SECRET_KEY="bench-secret", AWARDS_SIGNING_KEY="bench-signing",
               AWARDS_POINTER_KEY="bench-pointer", BENCH_READY_DIR=str(ready / "workers"),
               AWARDS_ENV="production", AWARDS_SECURE_COOKIES="0")
    (ready / "workers").mkdir()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ready / "hook.py"), "-w", str(workers),
         "-k", "gthread", "--threads", str(threads), "--keep-alive", "60",
         "-b", f"127.0.0.1:{port}", "--log-level", "warning", app_spec], cwd=ROOT, env=env)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if len(list((ready / "workers").iterdir())) >= workers:
            with contextlib.suppress(OSError):  # not listening yet: try again
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                conn.request("GET", "/healthz")
                conn.getresponse().read()
                return process
        time.sleep(0.1)
    process.kill()
    raise RuntimeError("gunicorn did not start")


class Household:
    """One client with its own cookie and CSRF token over a kept-alive connection."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookie = ""
        self.token = ""

    def send(self, method: str, path: str, form: list[tuple[str, str]] | None = None) -> int:
        try:
            return self._send(method, path, form)
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            self.conn.close()  # the server closed an idle keep-alive connection
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            return self._send(method, path, form)

    def headers(self) -> dict[str, str]:
        """Headers sent with every request (a subclass may add its own)."""
        return {"Cookie": self.cookie} if self.cookie else {}

    def _send(self, method: str, path: str, form: list[tuple[str, str]] | None = None) -> int:
        headers = self.headers()
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form + [("csrf_token", self.token)])
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        cookie = response.getheader("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        match = TOKEN.search(text)
        if match:
            self.token = match.group(1)
        return response.status


def run_clients(count: int, work) -> float:
    start = time.perf_counter()
    threads = [threading.Thread(target=work, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start


def bench_app(port: int, codes: list[str], clients: int) -> tuple[float, int]:
    households = [Household(port) for _ in codes]

    def enter(i: int) -> None:
        for h, code in zip(households[i::clients], codes[i::clients]):
            h.send("GET", "/vote")
            assert h.send("POST", "/vote", [("code", code)]) == 303
            # The household's browser goes quiet; holding thousands of idle connections
            # open would exceed gunicorn's 1,000 per worker and stall its accept queue.
            h.conn.close()

    run_clients(clients, enter)
    statuses: list[list[int]] = [[] for _ in range(clients)]

    def confirm(i: int) -> None:
        for h in households[i::clients]:
            statuses[i].append(h.send("POST", "/vote/confirm",
                                      [("choice", "HD"), ("choice", "IMMD")]))
            h.conn.close()

    seconds = run_clients(clients, confirm)
    answered = Counter(status for mine in statuses for status in mine)
    if set(answered) != {303}:
        print(f"vote endpoint answers other than 303: {dict(answered)}", file=sys.stderr)
    return seconds, answered[303]


def bare_sessions(url: str, codes: list[str]) -> list[str]:
    """Vote sessions for the bare endpoint, as code entry would leave them: a random token
    per household, its SHA-256 keying the code's HMAC. Returns ``campaign_id:token`` bodies."""
    import hashlib
    import secrets
    from datetime import datetime, timedelta, timezone

    import psycopg

    from awards.voting.codes import code_hmac

    expires = datetime.now(timezone.utc) + timedelta(hours=1)
    bodies, rows = [], []
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        campaign_id = conn.execute("SELECT id FROM campaigns WHERE slug = 'bench'").fetchone()[0]
        for code in codes:
            token = secrets.token_urlsafe(32)
            rows.append((hashlib.sha256(token.encode()).hexdigest(), campaign_id,
                         code_hmac(PEPPER.encode(), code), expires))
            bodies.append(f"{campaign_id}:{token}")
        with conn.cursor() as cursor:
            cursor.executemany("INSERT INTO vote_sessions (token_hash, campaign_id, code_hmac, "
                               "expires_at) VALUES (%s, %s, %s, %s)", rows)
    return bodies


def bench_bare(port: int, bodies: list[str], clients: int) -> tuple[float, int]:
    ok = [0] * clients

    def post(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for body in bodies[i::clients]:
            conn.request("POST", "/burn", body=body)
            response = conn.getresponse()
            response.read()
            ok[i] += response.status == 200
            conn.close()  # each household its own connection, as for the app

    seconds = run_clients(clients, post)
    return seconds, sum(ok)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ballots", type=int, default=6000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, scratch_database("postgresql", Path(tmp)) as url:
        print(f"preparing {args.ballots:,} codes ...", file=sys.stderr)
        codes = prepare(url, 2 * args.ballots)
        app_codes, bare_codes = codes[: args.ballots], codes[args.ballots:]
        server = gunicorn("app:app", 8701, url, args.workers, args.threads)
        try:
            seconds, stored = bench_app(8701, app_codes, args.clients)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait()
        bodies = bare_sessions(url, bare_codes)
        bare = gunicorn("benchmarks.bare_vote:app", 8702, url, args.workers, args.threads)
        try:
            bare_seconds, bare_stored = bench_bare(8702, bodies, args.clients)
        finally:
            bare.send_signal(signal.SIGTERM)
            bare.wait()
    app_rate, bare_rate = stored / seconds, bare_stored / bare_seconds
    print(f"vote endpoint (gunicorn {args.workers}x{args.threads} gthread, PostgreSQL): "
          f"{stored:,} ballots in {seconds:.2f} s = {app_rate:,.0f} ballots/s")
    print(f"bare endpoint (same SQL, no framework): {bare_stored:,} in {bare_seconds:.2f} s "
          f"= {bare_rate:,.0f}/s")
    print(f"ratio app/bare = {app_rate / bare_rate:.2f}")


if __name__ == "__main__":
    main()
