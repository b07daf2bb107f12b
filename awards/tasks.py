"""The kinds of queued job. Each takes its job row and a progress callback and returns its
result: the name of a file in the campaign's exports folder (letters PDF, audit bundle) or
the frame digest (frame import).

A job kind is the use-case boundary of its work, like a request or a command: a refused
change is recorded (:func:`rollback_use_case`) before the job fails with its reason.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select

from awards.campaigns.services import rollback_use_case
from awards.exceptions import AwardsError, InvalidInput
from awards.extensions import db
from awards.jobs import JobProgress, job_kind, start_job
from awards.models import Campaign, Job
from awards.publication.bundle import BUNDLE_STEPS, cached_bundle
from awards.storage import exports_dir
from awards.voting.households import import_frame
from awards.voting.letter_files import read_letters_csv, write_pdf

FRAME_UPLOAD_PREFIX = ".frame-upload-"  # never listed nor served: a dot, not a letter, first
SHOWN_LINE_ERRORS = 200


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
# --------------------------------------------------------------------------- audit bundle


@job_kind("audit_bundle", retry_safe=True)
def audit_bundle(job: Job, progress: JobProgress) -> str:
    """Build (or find) the signed audit bundle of the published version and keep it in the
    exports folder, where the download reads it (:func:`cached_bundle`). Safe to run again:
    it writes its file atomically and nothing to the database. Returns the bundle's name."""
    campaign = db.session.get(Campaign, job.campaign_id)
    bundle = cached_bundle(campaign, progress)
    progress.confirm()
    return bundle.filename


def start_audit_bundle(campaign: Campaign, actor: str) -> int:
    """Queue the audit bundle's build; returns the job's id."""
    return start_job(campaign.id, "audit_bundle", BUNDLE_STEPS, actor, {})


# --------------------------------------------------------------------------- frame import


@job_kind("frame_import", retry_safe=False)
def frame_import(job: Job, progress: JobProgress) -> str:
    """Import an uploaded frame file (``params["upload"]`` in the exports folder), then
    delete the upload, whatever the outcome (it holds addresses). Not repeated after a
    failure: the organiser uploads the file again. Returns the frame digest.

    Raises
    ------
    InvalidInput
        The file's errors, one line each (the first 200), after its summary; nothing is
        written.
    """
    campaign = db.session.get(Campaign, job.campaign_id)
    upload = exports_dir(campaign.slug) / json.loads(job.params)["upload"]
    try:
        with upload.open("rb") as stream:
            progress(0)
            digest = import_frame(campaign, stream)
    except InvalidInput as exc:
        rollback_use_case()
        raise InvalidInput(_with_lines(exc), exc.errors, code=exc.code,
                           **exc.params) from None
    except AwardsError:
        rollback_use_case()  # a refused change is recorded, as at a request's end
        raise
    finally:
        upload.unlink(missing_ok=True)
    return digest


def _with_lines(exc: InvalidInput) -> str:
    lines = [f"line {line}: {message}" if line else message
             for line, message in exc.errors[:SHOWN_LINE_ERRORS]]
    if len(exc.errors) > SHOWN_LINE_ERRORS:
        lines.append(f"and {len(exc.errors) - SHOWN_LINE_ERRORS} more")
    return "\n".join([str(exc), *lines])


def start_frame_import(campaign: Campaign, stream: BinaryIO, actor: str) -> int:
    """Save an uploaded frame beside the campaign's exports (under a name that is never
    listed or served) and queue its import; returns the job's id. Uploads that no queued
    or running import needs any more (a worker stopped in the middle) are deleted first."""
    folder = exports_dir(campaign.slug)
    _delete_forgotten_uploads(campaign, folder)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    name = f"{FRAME_UPLOAD_PREFIX}{stamp}-{secrets.token_hex(8)}.csv"
    descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".part")
    try:
        with os.fdopen(descriptor, "wb") as out:
            while chunk := stream.read(1 << 20):
                out.write(chunk)
        os.replace(temporary, folder / name)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return start_job(campaign.id, "frame_import", 1, actor, {"upload": name})


def _delete_forgotten_uploads(campaign: Campaign, folder: Path) -> None:
    active = db.session.scalars(select(Job.params).where(
        Job.campaign_id == campaign.id, Job.kind == "frame_import",
        Job.status.in_(("queued", "running")))).all()
    needed = {json.loads(params).get("upload") for params in active}
    for path in folder.glob(f"{FRAME_UPLOAD_PREFIX}*"):
        if path.name not in needed:
            path.unlink(missing_ok=True)
