"""Writing letters (CSV and PDF) for a campaign; shared by the command line and the
organiser pages."""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from flask import current_app

from awards.csvfile import unescape_formula
from awards.models import Campaign
from awards.voting.codes import parse_code
from awards.voting.households import IssuedLetter
from awards.voting.letters import LETTERS_PER_BATCH, Letter, write_letters_csv, write_letters_pdf


def csv_deliverer(path: Path, announce: Callable[[str], None] | None = None
                  ) -> Callable[[list[IssuedLetter]], None]:
    """A ``deliver`` callback for :func:`issue_codes`: writes ``letters.csv`` to a new file,
    flushed and synced to disk before the codes are committed."""

    def deliver(letters: list[IssuedLetter]) -> None:
        with path.open("x", newline="", encoding="utf-8") as stream:
            write_letters_csv(((l.household_id, l.district, l.code, l.address)
                               for l in letters), stream)
            stream.flush()
            os.fsync(stream.fileno())
        if announce:
            announce(f"wrote {len(letters):,} letters to {path}")

    return deliver


def read_letters_csv(path: Path) -> Iterator[IssuedLetter]:
    """Letters back from a ``letters.csv`` export (to print the PDF later)."""
    with path.open(encoding="utf-8", newline="") as stream:
        for row in csv.DictReader(stream):
            yield IssuedLetter(unescape_formula(row["household_id"]), unescape_formula(row["district"]),
                               parse_code(row["code"]), unescape_formula(row["address"]) or None)


def write_pdf(campaign: Campaign, letters: Iterable[IssuedLetter], out: BinaryIO,
              progress: Callable[[int], None] | None = None) -> int:
    """The print-ready bilingual letters PDF; streams page by page."""
    names = {d.code: (d.name_en, d.name_zh) for d in campaign.districts}
    config = current_app.config
    return write_letters_pdf(
        (Letter(l.household_id, *names[l.district], l.code, l.address) for l in letters),
        out, campaign_name_en=campaign.name_en, campaign_name_zh=campaign.name_zh,
        vote_url_base=config["PUBLIC_BASE_URL"],
        return_address=config.get("RETURN_ADDRESS", "Award Secretariat\nFreepost"),
        progress=progress, batch_size=config.get("LETTERS_PER_BATCH", LETTERS_PER_BATCH),
        vote_by=campaign.voting_closes_at.date() if campaign.voting_closes_at else None)


def write_pdf_file(campaign: Campaign, letters: Iterable[IssuedLetter], path: Path,
                   progress: Callable[[int], None] | None = None) -> int:
    """Write the letters PDF to ``path`` atomically: a failure part-way leaves no file (the
    partial output is removed), a success appears at once under its final name."""
    partial = path.with_name(path.name + ".part")
    try:
        with partial.open("wb") as stream:
            pages = write_pdf(campaign, letters, stream, progress)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return pages
