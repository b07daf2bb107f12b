"""Helpers shared by the benchmarks: a throw-away database and a prepared campaign."""

from __future__ import annotations

import io
import os
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("AWARDS_SHARED_DATA", ROOT / "awards" / "data"))
POSTGRES = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@contextmanager
def scratch_database(kind: str, workdir: Path):
    """Yield a URL to an empty database: a SQLite file, or a new PostgreSQL database that is
    dropped afterwards."""
    if kind == "sqlite":
        path = workdir / f"bench-{uuid.uuid4().hex[:8]}.db"
        yield f"sqlite:///{path}"
        path.unlink(missing_ok=True)
        return
    name = f"awards_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def district_rows() -> list[dict[str, str]]:
    import csv

    with (SHARED_DATA / "hk_districts.csv").open(encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


def department_rows(count: int = 28) -> list[dict[str, str]]:
    import csv

    with (SHARED_DATA / "hk_departments.csv").open(encoding="utf-8") as stream:
        return sorted(csv.DictReader(stream), key=lambda d: d["code"])[:count]


def campaign_toml(slug: str = "bench", entries_required: bool = False) -> str:
    lines = ["[campaign]", f'slug = "{slug}"', 'name_en = "Benchmark"', 'name_zh = "基準"',
             "max_choices = 3", "finalists = 8",
             f"entries_required = {'true' if entries_required else 'false'}", ""]
    for d in district_rows():
        lines += ["[[districts]]", f'code = "{d["code"]}"', f'name_en = "{d["name_en"]}"',
                  f'name_zh = "{d["name_zh"]}"', f"households = {d['households_2021']}", ""]
    for d in department_rows():
        name = d["name_en"].replace('"', "'")
        lines += ["[[departments]]", f'code = "{d["code"]}"', f'name_en = "{name}"',
                  f'name_zh = "{d["name_zh"]}"', ""]
    lines += ["[[criteria]]", 'round = "preliminary"', 'code = "overall"', 'name_en = "Overall"',
              'name_zh = "整體"', "weight = 1.0", "max = 10", ""]
    return "\n".join(lines)


def synthetic_frame(scale: float = 1.0) -> bytes:
    """A frame CSV with the census households of each district times ``scale``, each with a
    quoted address of realistic length (about 60 characters, a comma inside)."""
    out = io.StringIO()
    out.write("household_id,district,address\n")
    for d in district_rows():
        code, name = d["code"], d["name_en"]
        for i in range(int(int(d["households_2021"]) * scale)):
            out.write(f'{code}{i:07d},{code},"Flat {"ABCDEFGH"[i % 8]}, {i % 40 + 1}/F, '
                      f'Block {i // 320 % 12 + 1}, {i // 3840 + 1} Garden Road, {name}"\n')
    return out.getvalue().encode()


class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start
