"""Benchmark: results with the bootstrap, loading from the database included (SPEC 9).

28 departments, the 18 Hong Kong districts (2021 census households), B = 2000, and
40,000 and 1,000,000 ballots stored in the ballot table. Times, per size:

* ``load``: :func:`awards.results.services.load_scoring_data` (one ``GROUP BY`` over the
  ballots, the scores, the inputs digest rows);
* ``engine``: :func:`awards.scoring.compute_results` on those inputs;
* ``total``: :func:`awards.results.services.compute_campaign_results` end to end (load,
  engine, digest, storing the version and its audit event) — the figure the SPEC bars
  (2 s for 40,000 ballots, 20 s for 1,000,000) apply to.

Usage::

    .venv/bin/python benchmarks/bench_results.py                       # temporary SQLite file
    .venv/bin/python benchmarks/bench_results.py \\
        --database-url postgresql://postgres@127.0.0.1:5432/postgres   # creates awards_bench

With a PostgreSQL URL the script connects to that server, creates the database
``awards_bench`` (refusing if it exists), and drops it at the end. Synthetic voters pick
1-3 departments (30/30/40%) with log-normal popularity; ballots are spread over districts in
proportion to households and inserted in bulk (``executemany`` on SQLite, ``COPY`` on
PostgreSQL). Twelve judges score every department five times (a connected design), through
the paper score-sheet import.
"""

from __future__ import annotations

import argparse
import base64
import csv
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DATA = Path(os.environ.get("AWARDS_SHARED_DATA",
                           Path(__file__).resolve().parents[1] / "awards" / "data"))
SIZES = (40_000, 1_000_000)
BENCH_DB = "awards_bench"
SEED = "bench-results-seed-2026-0001"
JUDGES = 12
PER_DEPARTMENT = 5


def read(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def toml(slug: str, bootstrap: int) -> str:
    q = lambda s: '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
    lines = ["[campaign]", f"slug = {q(slug)}", 'name_en = "Benchmark"', 'name_zh = "基準"',
             "max_choices = 3", "finalists = 8", f"bootstrap = {bootstrap}",
             "entries_required = false", ""]
    for d in read("hk_districts.csv"):
        lines += ["[[districts]]", f"code = {q(d['code'])}", f"name_en = {q(d['name_en'])}",
                  f"name_zh = {q(d['name_zh'])}", f"households = {d['households_2021']}", ""]
    for d in departments():
        lines += ["[[departments]]", f"code = {q(d['code'])}", f"name_en = {q(d['name_en'])}",
                  f"name_zh = {q(d['name_zh'])}", ""]
    lines += ["[[criteria]]", 'round = "preliminary"', 'code = "service"',
              'name_en = "Service"', 'name_zh = "服務"', "weight = 0.6", "max = 10", "",
              "[[criteria]]", 'round = "preliminary"', 'code = "pledges"',
              'name_en = "Pledges"', 'name_zh = "承諾"', "weight = 0.4", "max = 10", ""]
    for j in range(1, JUDGES + 1):
        lines += ["[[judges]]", f'username = "bench-j{j:02d}"', f'name = "Judge {j:02d}"', ""]
    return "\n".join(lines)


def departments() -> list[dict[str, str]]:
    return sorted(read("hk_departments.csv"), key=lambda d: d["code"])[:28]


def ballot_rows(campaign_id: int, codes: list[str], districts: list[tuple[str, int, int]],
                count: int, rng: np.random.Generator):
    """``count`` synthetic valid ballots as insert tuples; ``districts`` holds
    ``(code, id, households)``. Plain data only: the rows are generated while the database
    connection is busy with the bulk insert."""
    ids = {code: pk for code, pk, _ in districts}
    weights = np.array([n for _, _, n in districts], dtype=float)
    district_of = rng.choice([code for code, _, _ in districts], size=count,
                             p=weights / weights.sum())
    popularity = rng.lognormal(0.0, 0.8, size=len(codes))
    popularity /= popularity.sum()
    sizes = rng.choice([1, 2, 3], size=count, p=[0.3, 0.3, 0.4])
    raw = os.urandom(10 * count)
    day = "2026-03-01"
    for i in range(count):
        picked = rng.choice(len(codes), size=sizes[i], replace=False, p=popularity)
        choices = ";".join(sorted(codes[k] for k in picked))
        ballot = base64.b32encode(raw[10 * i: 10 * i + 10]).decode()
        yield (ballot, campaign_id, ids[district_of[i]], choices, "web", "valid", day)


def insert_ballots(db, campaign, count: int, rng: np.random.Generator) -> None:
    rows = ballot_rows(campaign.id, [d.code for d in campaign.departments],
                       [(d.code, d.id, d.households) for d in campaign.districts], count, rng)
    columns = "id, campaign_id, district_id, choices, channel, status, day"
    connection = db.session.connection()
    raw = connection.connection.driver_connection
    if db.engine.dialect.name == "postgresql":
        with raw.cursor() as cursor, cursor.copy(
                f"COPY ballots ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        cursor = raw.cursor()
        batch: list[tuple] = []
        for row in rows:
            batch.append(row)
            if len(batch) == 50_000:
                cursor.executemany(f"INSERT INTO ballots ({columns}) VALUES (?,?,?,?,?,?,?)",
                                   batch)
                batch.clear()
        if batch:
            cursor.executemany(f"INSERT INTO ballots ({columns}) VALUES (?,?,?,?,?,?,?)",
                               batch)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.exec_driver_sql("VACUUM ANALYZE ballots")
    else:
        db.session.execute(db.text("ANALYZE"))
        db.session.commit()


def score_sheet(campaign, rng: np.random.Generator) -> str:
    """Every department scored by five judges in a rotating (connected) design."""
    codes = [d.code for d in campaign.departments]
    lines = ["round,judge,department,criterion,score"]
    quality = rng.normal(6.5, 1.0, size=len(codes))
    bias = rng.normal(0.0, 0.7, size=JUDGES)
    for d, code in enumerate(codes):
        for k in range(PER_DEPARTMENT):
            j = (d + k) % JUDGES
            for criterion in ("service", "pledges"):
                score = int(np.clip(round(quality[d] + bias[j] + rng.normal(0, 0.8)), 0, 10))
                lines.append(f"preliminary,bench-j{j + 1:02d},{code},{criterion},{score}")
    return "\n".join(lines) + "\n"


def bench_size(app, size: int, bootstrap: int, repeat: int) -> dict[str, float]:
    from awards.campaigns.config_file import parse_config
    from awards.campaigns.services import load_campaign_config
    from awards.extensions import db
    from awards.results.scores_import import import_scores
    from awards.results.services import compute_campaign_results, load_scoring_data
    from awards.scoring import compute_results

    rng = np.random.default_rng(size)
    campaign, *_ = load_campaign_config(parse_config(toml(f"bench-{size}", bootstrap)))
    campaign.seed = SEED
    db.session.commit()
    import_scores(campaign, score_sheet(campaign, rng), actor="bench")
    started = time.perf_counter()
    insert_ballots(db, campaign, size, rng)
    print(f"  inserted {size:,} ballots in {time.perf_counter() - started:.1f} s", flush=True)
    timings: dict[str, list[float]] = {"load": [], "engine": [], "total": []}
    for _ in range(repeat):
        db.session.expire_all()
        t0 = time.perf_counter()
        data = load_scoring_data(campaign)
        t1 = time.perf_counter()
        compute_results(data.public, data.scores, data.config)
        t2 = time.perf_counter()
        db.session.expire_all()
        version = compute_campaign_results(campaign, actor="bench")
        t3 = time.perf_counter()
        timings["load"].append(t1 - t0)
        timings["engine"].append(t2 - t1)
        timings["total"].append(t3 - t2)
    print(f"  version {version.version}, inputs digest {version.inputs_digest[:16]}…",
          flush=True)
    return {key: statistics.median(values) for key, values in timings.items()}


def run(url: str, sizes: list[int], bootstrap: int, repeat: int) -> None:
    from awards import create_app
    from awards.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True,
                      "RATELIMIT_STORAGE_URI": "memory://"})
    with app.app_context():
        db.create_all()
        print(f"database: {db.engine.dialect.name}; bootstrap B = {bootstrap}; "
              f"median of {repeat} runs", flush=True)
        results = {}
        for size in sizes:
            print(f"{size:,} ballots:", flush=True)
            results[size] = bench_size(app, size, bootstrap, repeat)
        print(f"\n{'ballots':>10} {'load':>9} {'engine':>9} {'total':>9}")
        for size, t in results.items():
            print(f"{size:>10,} {t['load']:>8.2f}s {t['engine']:>8.2f}s {t['total']:>8.2f}s")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak memory (maximum resident size of this process): {peak:.0f} MB")
        db.session.remove()
        db.engine.dispose()


def postgres_bench(url: str, sizes: list[int], bootstrap: int, repeat: int) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from awards import normalise_database_url

    admin_url = make_url(normalise_database_url(url))
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                    {"n": BENCH_DB}).scalar()
        if exists:
            sys.exit(f"database {BENCH_DB} exists; drop it first (it belongs to this "
                     "benchmark)")
        connection.execute(text(f'CREATE DATABASE "{BENCH_DB}"'))
    try:
        run(admin_url.set(database=BENCH_DB).render_as_string(hide_password=False), sizes,
            bootstrap, repeat)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None,
                        help="PostgreSQL server URL (a database awards_bench is created and "
                             "dropped); default: a temporary SQLite file")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--bootstrap", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    url = args.database_url
    if url and url.startswith(("postgres://", "postgresql")):
        postgres_bench(url, args.sizes, args.bootstrap, args.repeat)
        return
    if url:
        run(url, args.sizes, args.bootstrap, args.repeat)
        return
    with tempfile.TemporaryDirectory() as tmp:
        run(f"sqlite:///{Path(tmp) / 'bench.db'}", args.sizes, args.bootstrap, args.repeat)


if __name__ == "__main__":
    main()
