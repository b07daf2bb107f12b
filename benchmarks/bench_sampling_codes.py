"""Benchmark: frame import, sample draw and code issue at Hong Kong scale (SPEC sections 3, 9).

Builds a synthetic frame of 2.7 million households spread over the 18 districts in the
proportions of the 2021 census (``hk_districts.csv``), then times:

1. allocation (S1) + selection (S2) of 40,000 households;
2. 40,000 codes with their HMACs and the commitment;
3. writing the frame as CSV to a temporary directory (not part of the target), then
   ``parse_frame`` + ``frame_digest`` on it.

Run: ``.venv/bin/python benchmarks/bench_sampling_codes.py [--households N] [--sample N]
[--data-dir DIR]``.
"""

from __future__ import annotations

import argparse
import csv
import resource
import secrets
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from awards.voting.codes import code_hmac, codes_commitment, generate_code
from awards.voting.frame import frame_digest, parse_frame
from awards.voting.sampling import draw_sample

DEFAULT_DATA = Path(__file__).resolve().parents[1] / "awards" / "data"
SEED = "3546311556112163624615351222"
T = TypeVar("T")


def timed(label: str, action: Callable[[], T]) -> T:
    started = time.perf_counter()
    result = action()
    print(f"{label:<48} {time.perf_counter() - started:8.2f} s", flush=True)
    return result


def district_sizes(data_dir: Path, households: int) -> dict[str, int]:
    """Census household counts scaled to ``households`` (floors; the rest to the largest)."""
    with (data_dir / "hk_districts.csv").open(encoding="utf-8") as handle:
        census = {row["code"]: int(row["households_2021"]) for row in csv.DictReader(handle)}
    total = sum(census.values())
    sizes = {code: households * count // total for code, count in census.items()}
    sizes[max(census, key=census.__getitem__)] += households - sum(sizes.values())
    return sizes


def synthetic_frames(sizes: dict[str, int]) -> dict[str, list[str]]:
    """Household ids already in canonical (ascending) order per district."""
    return {code: [f"{code}{k:07d}" for k in range(size)] for code, size in sizes.items()}


def write_frame_csv(path: Path, frames: dict[str, list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("household_id,district,address\n")
        for code, ids in frames.items():
            handle.writelines(f'{hid},{code},"Flat {k % 40 + 1}, {k % 30 + 1}/F, Block {k % 7}, '
                              f'{code} Estate"\n' for k, hid in enumerate(ids))


def issue_codes(count: int, pepper: bytes) -> str:
    hmacs = [code_hmac(pepper, generate_code()) for _ in range(count)]
    return codes_commitment(hmacs)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=2_700_000)
    parser.add_argument("--sample", type=int, default=40_000)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args(argv)

    sizes = district_sizes(args.data_dir, args.households)
    frames = timed(f"build synthetic frame ({args.households:,} ids)",
                   lambda: synthetic_frames(sizes))
    sample = timed(f"allocate + draw {args.sample:,} over {len(frames)} districts",
                   lambda: draw_sample(SEED, frames, args.sample))
    assert sum(map(len, sample.values())) == args.sample
    commitment = timed(f"generate {args.sample:,} codes + HMACs + commitment",
                       lambda: issue_codes(args.sample, secrets.token_bytes(32)))
    print(f"  commitment {commitment[:16]}…")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "frame.csv"
        timed("write frame CSV (setup, not a target)", lambda: write_frame_csv(path, frames))
        size_mb = path.stat().st_size / 1e6
        frames.clear(), sample.clear()  # free them before measuring the parse
        rss_before = peak_rss_mb()

        def parse_and_digest() -> str:
            with path.open("rb") as handle:
                rows = parse_frame(handle, set(sizes))
            return frame_digest(rows)

        digest = timed(f"parse + validate + digest ({size_mb:.0f} MB CSV)", parse_and_digest)
        print(f"  frame digest {digest[:16]}…  peak RSS {peak_rss_mb():.0f} MB "
              f"(before parsing {rss_before:.0f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
