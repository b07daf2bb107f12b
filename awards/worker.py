"""The job queue (Huey) and its worker.

Storage: a SQLite file (``JOB_QUEUE_FILE``, default ``instance/job-queue.db``) so that
``make run`` needs no broker, or Redis when ``REDIS_URL`` is set (production, several
machines). With ``JOB_QUEUE_IMMEDIATE`` (default: on when ``TESTING``) a queued task runs at once, in the
process and thread that queued it.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask
from huey import Huey, RedisHuey, SqliteHuey, crontab

QUEUE_NAME = "awards-jobs"


def build_huey(config: dict[str, Any], instance_path: str) -> Huey:
    """The Huey instance the configuration asks for (results are not kept: progress and
    results live in the ``jobs`` table)."""
    immediate = config.get("JOB_QUEUE_IMMEDIATE")
    if immediate is None:
        immediate = bool(config.get("TESTING"))
    options: dict[str, Any] = {"results": False, "immediate": immediate}
    if config.get("REDIS_URL") and not config.get("JOB_QUEUE_FILE"):
        return RedisHuey(QUEUE_NAME, url=config["REDIS_URL"], **options)
    filename = config.get("JOB_QUEUE_FILE") or str(Path(instance_path) / "job-queue.db")
    Path(filename).parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(QUEUE_NAME, filename=filename, **options)


class Queue:
    """The app's queue: the Huey instance and its tasks, each run in an app context."""

    def __init__(self, app: Flask):
        from . import jobs

        self.huey = build_huey(app.config, app.instance_path)
        retries = max(int(app.config.get("JOB_MAX_ATTEMPTS", 3)) - 1, 0)

        @self.huey.task(retries=retries, retry_delay=int(app.config.get("JOB_RETRY_DELAY", 30)),
                        name="run_job")
        def run_job(job_id: int) -> None:
            with app.app_context():
                jobs.run_job(job_id)

        @self.huey.periodic_task(crontab(minute="*"), name="recover_stale_jobs")
        def recover() -> None:
            with app.app_context():
                jobs.recover_stale_jobs()

        self.run_job = run_job


def queue_of(app: Flask) -> Queue:
    """The app's queue, made on first use."""
    if "awards_queue" not in app.extensions:
        app.extensions["awards_queue"] = Queue(app)
    return app.extensions["awards_queue"]


def run_worker(app: Flask, threads: int) -> None:
    """Recover what a stopped worker left, then consume the queue until SIGINT (finish the
    running jobs) or SIGTERM (stop now; their leases expire and they are handed on)."""
    from .jobs import recover_stale_jobs, requeue_waiting_jobs

    queue = queue_of(app)
    if queue.huey.immediate:
        raise RuntimeError("the job queue runs in-process here (JOB_QUEUE_IMMEDIATE); "
                           "there is nothing for a worker to do")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    with app.app_context():
        recovered, waiting = recover_stale_jobs(), requeue_waiting_jobs()
    logging.getLogger("awards.worker").info(
        "worker started: %d stale job(s) recovered, %d waiting job(s) queued",
        recovered, waiting)
    queue.huey.create_consumer(workers=threads, worker_type="thread", periodic=True,
                               initial_delay=0.1, max_delay=1.0).run()
