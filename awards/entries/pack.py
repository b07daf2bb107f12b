"""The judges' pack of a campaign (SPEC 5.1, 8): the submitted snapshots of its eligible
entries for the preliminary round, laid out by :func:`awards.entries.pack_pdf.write_pack`
and written whole or not at all (a temporary file renamed over the target)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from awards.entries.pack_pdf import write_pack
from awards.entries.snapshots import entry_snapshot
from awards.exceptions import LifecycleError
from awards.extensions import db
from awards.jobs import recover_stale_job
from awards.models import Campaign, Department, Entry, Job

PACK_ROUND = "preliminary"
PACK_JOB = "judges_pack"  # the job kind of awards.tasks.judges_pack


def eligible_snapshots(campaign: Campaign) -> list[dict[str, Any]]:
    """The snapshots of the campaign's eligible entries, by department code, then category.

    Raises
    ------
    LifecycleError
        ``pack.nothing_eligible`` when no entry is eligible: there is nothing to print.
    """
    rows = db.session.execute(
        select(Entry, Department.code).join(Department, Department.id == Entry.department_id)
        .where(Entry.campaign_id == campaign.id, Entry.eligibility == "eligible",
               Entry.snapshot.is_not(None))
        .order_by(Department.code, Entry.category_id)).all()
    snapshots = [snapshot for entry, _code in rows
                 if (snapshot := entry_snapshot(entry)) is not None]
    if not snapshots:
        raise LifecycleError(f"'{campaign.slug}' has no eligible entry: mark submitted "
                             "entries eligible before printing the judges' pack",
                             code="pack.nothing_eligible", slug=campaign.slug)
    return snapshots


def round_labels() -> tuple[str, str]:
    """The preliminary round's name in English and in Chinese."""
    with force_locale("en"):
        english = _("Preliminary round")
    with force_locale("zh_Hant_HK"):
        chinese = _("Preliminary round")
    return english, chinese


def write_pack_file(campaign: Campaign, target: Path,
                    snapshots: list[dict[str, Any]] | None = None,
                    say: Callable[[str], None] | None = None) -> int:
    """Write the judges' pack to ``target`` (complete, or not at all); returns its pages.

    Raises
    ------
    LifecycleError
        ``pack.nothing_eligible``, before anything is written.
    """
    snapshots = eligible_snapshots(campaign) if snapshots is None else snapshots
    english, chinese = round_labels()
    if say:
        say(f"laying out {len(snapshots)} eligible "
            f"{'entry' if len(snapshots) == 1 else 'entries'} ...")
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.",
                                             suffix=".part")
    try:
        with os.fdopen(descriptor, "wb") as stream:
            pages = write_pack(stream, campaign_name_en=campaign.name_en,
                               campaign_name_zh=campaign.name_zh, round_label_en=english,
                               round_label_zh=chinese, snapshots=snapshots)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return pages


def pack_jobs(campaign: Campaign, limit: int = 3) -> list[Job]:
    """The campaign's latest judges' pack jobs, newest first, stale ones handed on or
    failed first (so the page never waits on a stopped worker)."""
    jobs = list(db.session.scalars(select(Job).where(
        Job.campaign_id == campaign.id, Job.kind == PACK_JOB)
        .order_by(Job.id.desc()).limit(limit)))
    for job in jobs:
        recover_stale_job(job)
    return jobs
