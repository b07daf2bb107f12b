"""Background jobs for long organiser tasks (the letters PDF). A job runs in a thread of the
process that started it; its progress lives in the ``jobs`` table so that any process can
answer the page that polls it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from flask import Flask, current_app

from .extensions import db
from .models import Job
from .models.base import utcnow

Work = Callable[[Callable[[int], None]], str]


def exports_dir(slug: str) -> Path:
    """Where a campaign's exports (letters, bundles) are written: ``EXPORTS_DIR/SLUG``
    (default ``instance/exports/SLUG``)."""
    root = current_app.config.get("EXPORTS_DIR") or Path(current_app.instance_path) / "exports"
    path = Path(root) / slug
    path.mkdir(parents=True, exist_ok=True)
    return path


def start_job(campaign_id: int, kind: str, total: int, actor: str, work: Work) -> Job:
    """Create a job row and run ``work(progress)`` in a thread with an app context.

    ``work`` returns the file name of its result (inside the campaign's exports folder).
    """
    job = Job(campaign_id=campaign_id, kind=kind, total=total, status="running",
              created_by=actor)
    db.session.add(job)
    db.session.commit()
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    thread = threading.Thread(target=_run, args=(app, job.id, work), daemon=True,
                              name=f"job-{job.id}")
    thread.start()
    return job


def _run(app: Flask, job_id: int, work: Work) -> None:
    with app.app_context():
        def progress(done: int) -> None:
            db.session.query(Job).filter_by(id=job_id).update({"done": done})
            db.session.commit()

        try:
            result = work(progress)
        except Exception as exc:  # the page shows the reason; the log has the traceback
            app.logger.exception("job %s failed", job_id)
            db.session.rollback()
            db.session.query(Job).filter_by(id=job_id).update(
                {"status": "failed", "error": str(exc), "finished_at": utcnow()})
        else:
            db.session.query(Job).filter_by(id=job_id).update(
                {"status": "done", "result_path": result, "finished_at": utcnow()})
        db.session.commit()
        db.session.remove()
