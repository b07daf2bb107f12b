"""What the organiser's households page shows of letter files and letter jobs: the files
written under the campaign's exports folder and the recent jobs, each job handed on or
failed first when its worker stopped (so the page never waits on it for ever)."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from awards.extensions import db
from awards.jobs import recover_stale_job
from awards.models import Campaign, Job
from awards.storage import exports_dir

# Names the application gives its exports; anything else in a URL is not one of them.
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,120}$")
RECENT_JOBS = 5


def letter_exports(campaign: Campaign) -> list[str]:
    """The campaign's letter files, newest name first."""
    return sorted((path.name for path in exports_dir(campaign.slug).iterdir()
                   if path.name.startswith("letter")), reverse=True)


def export_file(campaign: Campaign, name: str) -> Path | None:
    """The export file called ``name``, or None when the name is not a plain file name or
    there is no such file."""
    if not SAFE_NAME.match(name):
        return None
    path = exports_dir(campaign.slug) / name
    return path if path.is_file() else None


HOUSEHOLD_JOBS = ("letters_pdf", "frame_import")  # the jobs the households page shows


def recent_jobs(campaign: Campaign, limit: int = RECENT_JOBS) -> list[Job]:
    """The campaign's latest letter and frame-import jobs, newest first, stale ones
    recovered."""
    jobs = list(db.session.scalars(select(Job).where(Job.campaign_id == campaign.id,
                                                     Job.kind.in_(HOUSEHOLD_JOBS))
                                   .order_by(Job.id.desc()).limit(limit)))
    for job in jobs:
        recover_stale_job(job)
    return jobs


def campaign_job(campaign: Campaign, job_id: int) -> Job | None:
    """The job ``job_id`` if it belongs to ``campaign`` (recovered when stale), else None."""
    job = db.session.get(Job, job_id)
    if job is None or job.campaign_id != campaign.id:
        return None
    recover_stale_job(job)
    return job
