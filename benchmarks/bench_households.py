"""Households through the database (SPEC 9): import a 2.7-million-household frame (real
district proportions), draw a 40,000 sample, issue 40,000 codes; on SQLite and PostgreSQL.

    python benchmarks/bench_households.py [--databases sqlite postgresql] [--scale 1.0]
"""

from __future__ import annotations

import argparse
import io
import resource
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import Timer, campaign_toml, scratch_database, synthetic_frame  # noqa: E402


def run(kind: str, frame: bytes, sample: int, workdir: Path) -> dict[str, float]:
    from flask_migrate import upgrade

    from awards import create_app
    from awards.campaigns.config_file import parse_config
    from awards.campaigns.services import load_campaign_config
    from awards.extensions import db
    from awards.voting.households import draw_campaign_sample, import_frame, issue_codes

    timings: dict[str, float] = {}
    with scratch_database(kind, workdir) as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade()
            campaign, _c, _n = load_campaign_config(parse_config(campaign_toml()))
            with Timer() as t:
                import_frame(campaign, io.BytesIO(frame))
            timings["frame import"] = t.seconds
            with Timer() as t:
                draw_campaign_sample(campaign, sample, "benchmark-seed-0123456789-abc")
            timings["sample draw"] = t.seconds
            letters: list = []
            with Timer() as t:
                issue_codes(campaign, letters.extend)
            timings["codes issue"] = t.seconds
            db.session.remove()
            db.engine.dispose()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--scale", type=float, default=1.0,
                        help="frame size relative to the 2021 census households (2,673,714)")
    parser.add_argument("--sample", type=int, default=40_000)
    args = parser.parse_args()
    frame = synthetic_frame(args.scale)
    households = frame.count(b"\n") - 1
    print(f"frame: {households:,} households ({len(frame) / 1e6:.0f} MB)")
    with tempfile.TemporaryDirectory() as tmp:
        for kind in args.databases:
            timings = run(kind, frame, args.sample, Path(tmp))
            for step, seconds in timings.items():
                print(f"{kind:>10}  {step:<13} {seconds:7.2f} s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of this process: {peak:,.0f} MB")


if __name__ == "__main__":
    main()
