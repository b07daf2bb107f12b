"""Benchmark: the 40,000-letter PDF, time and memory (SPEC sections 3 "Letters" and 9).

Letters are produced lazily by a generator, so the input does not count against memory.
Resident memory is sampled after every batch: bounded memory shows as a flat line after the
first batches, whatever the number of letters. ``--tracemalloc`` also reports the Python heap
peak (slower).

Run: ``.venv/bin/python benchmarks/bench_letters.py [--letters N] [--out FILE]``.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

from awards.voting.codes import generate_code
from awards.voting.letters import Letter, write_letters_pdf

DISTRICTS = [("Kwun Tong", "觀塘"), ("Sha Tin", "沙田"), ("Islands", "離島"),
             ("Sham Shui Po", "深水埗")]


def letters(count: int) -> Iterator[Letter]:
    for k in range(count):
        name_en, name_zh = DISTRICTS[k % len(DISTRICTS)]
        address = (f"Flat {k % 40 + 1}, {k % 30 + 1}/F, Block {'ABCDEFG'[k % 7]}, Lok Fu Estate\n"
                   f"198 Junction Road, Kowloon\n九龍聯合道198號樂富邨{'ABCDEFG'[k % 7]}座")
        yield Letter(f"H{k:08d}", name_en, name_zh, generate_code(), address)


def rss_mb() -> float:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=40_000)
    parser.add_argument("--out", type=Path, help="keep the PDF here (default: a temp file)")
    parser.add_argument("--tracemalloc", action="store_true")
    args = parser.parse_args(argv)

    samples: list[tuple[int, float]] = []
    started = time.perf_counter()

    def progress(done: int) -> None:
        samples.append((done, rss_mb()))
        elapsed = time.perf_counter() - started
        print(f"\r{done:>7,} letters  {elapsed:6.1f} s  RSS {samples[-1][1]:6.1f} MB",
              end="", file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        path = args.out or Path(tmp) / "letters.pdf"
        if args.tracemalloc:
            tracemalloc.start()
        with path.open("wb") as out:
            pages = write_letters_pdf(
                letters(args.letters), out, progress=progress,
                campaign_name_en="Customer Service Excellence Award 2001-02",
                campaign_name_zh="2001-02年度顧客服務卓越獎",
                vote_url_base="https://awards.example.gov.hk",
                return_address="Award Secretariat, Efficiency Unit\n"
                               "13/F, West Wing, Central Government Offices, Central, Hong Kong\n"
                               "香港中環中區政府合署西座13樓 效率促進組",
            )
        elapsed = time.perf_counter() - started
        print(file=sys.stderr)
        size = path.stat().st_size
    print(f"letters            {pages:,}")
    print(f"time               {elapsed:.1f} s  ({pages / elapsed:.0f} letters/s, "
          f"{1000 * elapsed / pages:.2f} ms/letter)")
    print(f"file size          {size / 1e6:.1f} MB  ({size / pages / 1024:.2f} KiB/letter)")
    first, mid, last = samples[0], samples[len(samples) // 2], samples[-1]
    print(f"RSS after batches  {first[0]:,}: {first[1]:.1f} MB   {mid[0]:,}: {mid[1]:.1f} MB   "
          f"{last[0]:,}: {last[1]:.1f} MB")
    print(f"peak RSS           {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f} MB")
    if args.tracemalloc:
        print(f"tracemalloc peak   {tracemalloc.get_traced_memory()[1] / 2**20:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
