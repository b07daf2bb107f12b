"""Real votes during a flood of guessed codes (SPEC section 4: a flood must not slow voters).

Prepares a campaign with issued codes in a scratch PostgreSQL database and starts gunicorn
(the real app, production settings, Redis for the rate-limit store, one trusted proxy so
that ``X-Forwarded-For`` gives each simulated client its own address). Then, twice:

1. no flood: ``--voters`` households vote (code entry, then confirmation), ``--voter-threads``
   at a time; each vote is timed;
2. flood: the same again while ``--flood`` clients send random well-formed codes (valid
   check symbol) as fast as the server answers, each from a random address in 10.0.0.0/8,
   keeping a browser session (or, with ``--sessions``, a new one per guess, or none).

Reports the median vote time of each run and their ratio (target < 3), every 5xx answer
(target 0), and the deadlocks PostgreSQL counted in the database (target 0).

    python benchmarks/bench_guess_flood.py --voters 400 --flood 30
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import signal
import socket
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text  # noqa: E402

from benchmarks.bench_vote import Household, gunicorn, prepare, run_clients  # noqa: E402
from benchmarks.common import scratch_database  # noqa: E402

REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Client(Household):
    """A household (or a flooder) whose requests come through the trusted proxy from
    ``address``."""

    def __init__(self, port: int, address: str):
        super().__init__(port)
        self.address = address

    def headers(self) -> dict[str, str]:
        return {**super().headers(), "X-Forwarded-For": self.address}


def vote_times(port: int, codes: list[str], threads: int, first_address: int
               ) -> tuple[list[float], list[int]]:
    """Each household enters its code and confirms; returns the seconds each vote took
    and every status that was not the expected one."""
    times: list[float] = []
    odd: list[int] = []

    def work(i: int) -> None:
        for n in range(i, len(codes), threads):
            number = first_address + n
            client = Client(port, f"172.{16 + number // 65536}.{number // 256 % 256}."
                                  f"{number % 256}")
            client.send("GET", "/vote")
            start = time.perf_counter()
            entered = client.send("POST", "/vote", [("code", codes[n])])
            confirmed = client.send("POST", "/vote/confirm",
                                    [("choice", "HD"), ("choice", "IMMD")])
            times.append(time.perf_counter() - start)
            odd.extend(s for s, want in ((entered, 303), (confirmed, 303)) if s != want)
            client.conn.close()

    run_clients(threads, work)
    return times, odd


def flood(port: int, stop, results, seconds: float, sessions: str) -> None:
    """Random well-formed codes from random addresses until told to stop (bounded); puts
    the count of each answer's status on ``results``. Runs in a process of its own.
    ``sessions``: "keep" (one browser session, as an HTTP client with a cookie jar),
    "fresh" (every guess from a new session: the client drops its cookie and fetches the
    code page again, so that no per-session limit applies) or "none" (posts without a
    cookie or a CSRF token, as a tool that never fetches the page)."""
    from awards.voting.codes import generate_code

    rng = random.Random()
    statuses: Counter[int] = Counter()
    client = Client(port, "10.0.0.1")
    if sessions != "none":
        client.send("GET", "/vote")
    deadline = time.monotonic() + seconds
    while not stop.is_set() and time.monotonic() < deadline:
        client.address = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        if sessions == "fresh":
            client.cookie = ""
            statuses[client.send("GET", "/vote")] += 1
        statuses[client.send("POST", "/vote", [("code", generate_code())])] += 1
        if sessions == "none":
            client.cookie = client.token = ""
    results.put(dict(statuses))


def deadlocks(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as connection:
        count = connection.execute(text(
            "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
        )).scalar()
    engine.dispose()
    return int(count or 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--voters", type=int, default=400)
    parser.add_argument("--voter-threads", type=int, default=8)
    parser.add_argument("--flood", type=int, default=30)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--max-seconds", type=float, default=300)
    parser.add_argument("--sessions", choices=("keep", "fresh", "none"), default="keep",
                        help="flood clients keep one browser session, take a new one for "
                             "every guess (GET, then POST), or post without any")
    parser.add_argument("--fresh-sessions", action="store_const", const="fresh",
                        dest="sessions", help="the same as --sessions fresh")
    args = parser.parse_args()
    import redis

    redis.Redis.from_url(REDIS).flushdb()
    os.environ.update(REDIS_URL=REDIS, AWARDS_TRUSTED_PROXIES="1")
    with tempfile.TemporaryDirectory() as tmp, scratch_database("postgresql", Path(tmp)) as url:
        print(f"preparing {2 * args.voters:,} codes ...", file=sys.stderr)
        codes = prepare(url, 2 * args.voters)
        port = free_port()
        server = gunicorn("app:app", port, url, args.workers, args.threads)
        try:
            calm, calm_odd = vote_times(port, codes[: args.voters], args.voter_threads, 0)
            deadlocks_before = deadlocks(url)
            # Each flooder is a process of its own, as an attacker's clients are other
            # machines: as threads of this process they would hold its interpreter lock
            # while the voters' threads wait for it, timing this client rather than the
            # server. Forked before any thread of this process runs.
            context = multiprocessing.get_context("fork")
            stop, results = context.Event(), context.Queue()
            flooders = [context.Process(target=flood, args=(port, stop, results,
                                                             args.max_seconds,
                                                             args.sessions))
                        for _ in range(args.flood)]
            for flooder in flooders:
                flooder.start()
            time.sleep(2)  # let the flood build up
            stormy, stormy_odd = vote_times(port, codes[args.voters:], args.voter_threads,
                                            args.voters)
            stop.set()
            statuses: Counter[int] = Counter()
            for _flooder in flooders:
                statuses.update(results.get())
            for flooder in flooders:
                flooder.join()
            found_deadlocks = deadlocks(url) - deadlocks_before
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait()
    redis.Redis.from_url(REDIS).flushdb()
    calm_median, stormy_median = statistics.median(calm), statistics.median(stormy)
    server_errors = sum(n for s, n in statuses.items() if s >= 500) + sum(
        1 for s in calm_odd + stormy_odd if s >= 500)
    print(f"gunicorn {args.workers}x{args.threads} gthread, PostgreSQL, Redis limits, "
          "flood " + {"keep": "keeping its sessions", "fresh": "with a fresh session per guess",
                      "none": "without sessions"}[args.sessions])
    print(f"no flood: {len(calm)} votes, median {calm_median * 1000:.1f} ms, "
          f"unexpected answers {len(calm_odd)}")
    print(f"{args.flood} flood clients: {len(stormy)} votes, median "
          f"{stormy_median * 1000:.1f} ms, unexpected answers {len(stormy_odd)}")
    print(f"flood requests by status: {dict(sorted(statuses.items()))}")
    print(f"ratio flood/no flood = {stormy_median / calm_median:.2f}")
    print(f"5xx answers: {server_errors}; deadlocks: {found_deadlocks}")


if __name__ == "__main__":
    main()
