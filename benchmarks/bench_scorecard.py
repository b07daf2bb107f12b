"""Scorecard saves under load (SPEC 9: median under 50 ms with 20 judges saving at once, on
PostgreSQL under gunicorn).

Prepares a campaign of 28 departments and 20 judges in a scratch PostgreSQL database, solves
the preliminary assignment, starts gunicorn with the production settings, signs every judge
in (each from its own address, through one trusted proxy, each tablet a process of its own),
then times saves as the tablet
script sends them (``Accept: application/json``, ``version``, ``device``, ``seq``; each save
changes one score of one of the judge's assigned scorecards) in two patterns:

- **at once** (the bar): in each round the 20 judges press at the same instant (a barrier),
  and the round ends when every save is answered;
- **closed loop** (a stress test no panel produces): each judge saves again as soon as the
  previous save is answered, so 20 saves are always in flight.

In the same run, the same 20 clients time the app's cheapest page (``/healthz``: one
``SELECT 1``) at once in the same way: the floor any request pays on this server.

    python benchmarks/bench_scorecard.py --saves 40
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_vote import PEPPER, Household, gunicorn  # noqa: E402
from benchmarks.common import campaign_toml, scratch_database  # noqa: E402

JUDGES = 20
PASSWORD = "bench-password-1234"


def prepare(url: str) -> dict[str, list[str]]:
    """The campaign with its judges active and the assignment solved; returns each judge's
    assigned department codes."""
    os.environ["DATABASE_URL"] = url
    from flask_migrate import upgrade

    from awards import create_app
    from awards.accounts.services import set_user_password
    from awards.campaigns.config_file import parse_config
    from awards.campaigns.services import load_campaign_config
    from awards.extensions import db
    from awards.judging.assign import assign_preliminary
    from awards.phases import move_phase

    judges = "".join(f'\n[[judges]]\nusername = "j{i:02d}"\nname = "Judge {i}"\n'
                     for i in range(1, JUDGES + 1))
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "CODE_PEPPER": PEPPER})
    with app.app_context():
        upgrade()
        campaign, _created, _notes = load_campaign_config(parse_config(campaign_toml() + judges))
        for i in range(1, JUDGES + 1):
            set_user_password(f"j{i:02d}", PASSWORD)
        for state in ("entries_open", "entries_closed", "adjudication"):
            move_phase(campaign, state)
        pairs = assign_preliminary(campaign).solution.pairs
        criteria = [c.code for c in campaign.criteria if c.round == "preliminary"]
        db.engine.dispose()
    assigned: dict[str, list[str]] = {}
    for judge, code in pairs:
        assigned.setdefault(judge, []).append(code)
    assigned["_criteria"] = criteria
    return assigned


class Judge(Household):
    """A judge's tablet: its own cookie, CSRF token and address (via X-Forwarded-For)."""

    def __init__(self, port: int, address: str):
        super().__init__(port)
        self.address = address

    def headers(self) -> dict[str, str]:
        return {**super().headers(), "X-Forwarded-For": self.address}

    def save(self, path: str, form: list[tuple[str, str]]) -> tuple[int, dict]:
        """POST a save as the tablet script does; returns the status and the JSON body."""
        import urllib.parse

        headers = {**self.headers(), "Accept": "application/json",
                   "Content-Type": "application/x-www-form-urlencoded"}
        body = urllib.parse.urlencode(form + [("csrf_token", self.token)])
        self.conn.request("POST", path, body=body, headers=headers)
        response = self.conn.getresponse()
        return response.status, json.loads(response.read() or b"{}")


def tablet(port: int, username: str, number: int, codes: list[str], criteria: list[str],
           saves: int, barrier, results) -> None:
    """One judge's tablet, in its own process (as on its own device: no client shares an
    interpreter lock with another). Sends back its three lists of times in seconds."""
    device = Judge(port, f"10.1.{number}.1")
    device.send("GET", "/signin")
    status = device.send("POST", "/signin", [("username", username), ("password", PASSWORD)])
    assert status in (302, 303), f"sign-in of {username} answered {status}"
    versions: dict[str, int] = {}
    for code in codes:  # open each scorecard once: its CSRF token and version
        device.send("GET", f"/judge/c/bench/preliminary/{code}")
        versions[code] = 0
    at_once, looped, floor = [], [], []
    barrier.wait()
    for seq in range(1, 2 * saves + 1):
        if seq <= saves:
            barrier.wait()  # the round begins when every judge presses
        code = codes[seq % len(codes)]
        criterion = criteria[seq % len(criteria)]
        form = [("version", str(versions[code])), ("device", f"tablet-{username}"),
                ("seq", str(seq)), ("action", "save"), (f"score-{criterion}", str(seq % 11))]
        began = time.perf_counter()
        status, body = device.save(f"/judge/c/bench/preliminary/{code}", form)
        (at_once if seq <= saves else looped).append(time.perf_counter() - began)
        assert status == 200 and body.get("ok"), (status, body)
        versions[code] = body["state"]["version"]
    for _ in range(saves):  # the floor, after every judge's closed loop has ended
        barrier.wait()
        began = time.perf_counter()
        assert device.send("GET", "/healthz") == 200
        floor.append(time.perf_counter() - began)
    results.put((at_once, looped, floor))


def run(port: int, assigned: dict[str, list[str]],
        saves: int) -> tuple[list[float], list[float], list[float]]:
    """Every judge's tablet at once; returns the at-once save times, the floor's and the
    closed loop's."""
    criteria = assigned.pop("_criteria")
    judges = sorted(assigned)
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(len(judges)), context.Queue()
    processes = [context.Process(target=tablet, args=(port, username, number,
                                                      assigned[username], criteria, saves,
                                                      barrier, results))
                 for number, username in enumerate(judges, start=1)]
    for process in processes:
        process.start()
    save_times: list[float] = []
    loop_times: list[float] = []
    floor_times: list[float] = []
    for _ in processes:
        at_once, looped, floor = results.get(timeout=600)
        save_times += at_once
        loop_times += looped
        floor_times += floor
    for process in processes:
        process.join()
        assert process.exitcode == 0, f"a tablet failed (exit code {process.exitcode})"
    return save_times, floor_times, loop_times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--saves", type=int, default=40, help="saves per judge")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, scratch_database("postgresql", Path(tmp)) as url:
        print("preparing the campaign, its judges and the assignment ...", file=sys.stderr)
        assigned = prepare(url)
        os.environ["AWARDS_TRUSTED_PROXIES"] = "1"
        server = gunicorn("app:app", 8721, url, args.workers, args.threads)
        try:
            saves, floor, looped = run(8721, assigned, args.saves)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait()
    def summary(times: list[float]) -> str:
        ordered = sorted(times)
        p95 = ordered[int(0.95 * (len(ordered) - 1))]
        return (f"median {1000 * statistics.median(ordered):.1f} ms, p95 {1000 * p95:.1f} ms, "
                f"{len(ordered):,} requests")
    print(f"scorecard saves, {JUDGES} judges pressing at once (gunicorn {args.workers}x"
          f"{args.threads} gthread, PostgreSQL): {summary(saves)}")
    print(f"closed loop, {JUDGES} saves always in flight: {summary(looped)}")
    print(f"floor: GET /healthz, {JUDGES} clients at once: {summary(floor)}")
    print(f"ratio of medians save/floor = "
          f"{statistics.median(saves) / statistics.median(floor):.2f}")


if __name__ == "__main__":
    main()
