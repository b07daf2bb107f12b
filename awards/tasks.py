"""The kinds of queued job. Each takes its job row and a progress callback and returns the
name of its result file in the campaign's exports folder."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile

from awards.extensions import db
from awards.jobs import JobProgress, job_kind, start_job
from awards.models import Campaign, Job
from awards.storage import exports_dir
from awards.voting.letter_files import read_letters_csv, write_pdf


@job_kind("letters_pdf", retry_safe=True)
def letters_pdf(job: Job, progress: JobProgress) -> str:
    """The letters PDF of a ``letters-….csv`` export (``params["csv"]``), written beside it.

    Safe to run again: it only reads the CSV and writes its own temporary file, renamed over
    ``letters-….pdf`` once complete and only while this worker still holds the job, so a
    reader sees a whole PDF or none. It first deletes what a stopped attempt left.
    """

    campaign = db.session.get(Campaign, job.campaign_id)
    csv_path = exports_dir(campaign.slug) / json.loads(job.params)["csv"]
    pdf_path = csv_path.with_suffix(".pdf")
    _detach(campaign)
    for leftover in pdf_path.parent.glob(f".{pdf_path.name}.*.part"):
        leftover.unlink(missing_ok=True)  # a stopped attempt's; it holds plaintext codes
    descriptor, temporary = tempfile.mkstemp(dir=pdf_path.parent, suffix=".part",
                                             prefix=f".{pdf_path.name}.")
    try:
        with os.fdopen(descriptor, "wb") as stream:
            write_pdf(campaign, read_letters_csv(csv_path), stream, progress)
            stream.flush()
            os.fsync(stream.fileno())
        progress.confirm()
        os.replace(temporary, pdf_path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return pdf_path.name


def _detach(campaign: Campaign) -> None:
    """Load what the letters need, then end the read transaction: on SQLite an open
    transaction holds the write lock, which the web pages and the heartbeat need while the
    PDF is drawn."""
    _ = campaign.districts, campaign.name_en, campaign.name_zh, campaign.voting_closes_at
    db.session.expunge_all()
    db.session.commit()


def start_letters_pdf(campaign: Campaign, csv_name: str, total: int, actor: str) -> int:
    """Queue the letters PDF of ``csv_name`` (a letters CSV in the campaign's exports);
    returns the job's id."""
    return start_job(campaign.id, "letters_pdf", total, actor, {"csv": csv_name})


# --------------------------------------------------------------------------- judges' pack

JUDGES_PACK = "judges_pack"  # awards.entries.pack.PACK_JOB


@job_kind(JUDGES_PACK, retry_safe=True)
def judges_pack(job: Job, progress: JobProgress) -> str:
    """The judges' pack (SPEC 5.1) as ``judges-pack-….pdf`` in the campaign's exports
    (``params["name"]``). Safe to run again: it reads the snapshots and writes its own
    temporary file, renamed over the target once complete and only while this worker
    still holds the job."""
    from awards.entries.pack import eligible_snapshots, write_pack_file

    campaign = db.session.get(Campaign, job.campaign_id)
    target = exports_dir(campaign.slug) / json.loads(job.params)["name"]
    snapshots = eligible_snapshots(campaign)
    _ = campaign.name_en, campaign.name_zh
    db.session.expunge(campaign)
    db.session.commit()  # no read transaction held while the PDF is laid out (SQLite)
    staged = target.with_name(f".{target.stem}.staged.pdf")
    for leftover in [staged, *target.parent.glob(f".{staged.name}.*.part")]:
        leftover.unlink(missing_ok=True)  # what a stopped attempt left
    progress(0)
    try:
        write_pack_file(campaign, staged, snapshots)
        progress.confirm()
        os.replace(staged, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(staged)
        raise
    return target.name


def start_judges_pack(campaign: Campaign, name: str, total: int, actor: str) -> int:
    """Queue the judges' pack of ``campaign`` as the export ``name``; returns the job's id."""
    return start_job(campaign.id, JUDGES_PACK, total, actor, {"name": name})
