"""Long organiser work (letters PDF, audit bundle, frame import: :mod:`awards.tasks`) on a
job queue.

The queue is Huey: a SQLite file under ``instance/`` by default, Redis when ``REDIS_URL`` is
set, and run synchronously in-process under test. Its worker is ``flask awards worker``
(:func:`run_worker`). The ``jobs`` row stays the record that every process reads:

* :func:`start_job` writes the row (``queued``) and puts its id on the queue;
* a worker **claims** the row (``queued`` → ``running``, a fresh ``lease_token``, one more
  attempt) and renews ``heartbeat_at`` while it works, from its progress calls and from a
  timer thread; a worker that no longer holds the lease stops (:class:`LeaseLost`);
* a ``running`` row whose heartbeat is older than ``JOB_LEASE_SECONDS`` belongs to a worker
  that stopped (killed, restarted, machine lost). :func:`recover_stale_job` queues it again
  when its kind is safe to repeat and attempts remain, and fails it with the reason
  otherwise. The page that polls a job, each worker at start and a periodic sweep all call
  it, so no job says "running" for ever.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from huey import Huey, RedisHuey, SqliteHuey, crontab
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from awards.exceptions import AwardsError
from awards.extensions import db
from awards.models import Job
from awards.models.base import utcnow

Progress = Callable[[int], None]
Work = Callable[[Job, "JobProgress"], str]
WORKER_STOPPED = "The worker stopped while running this job."


@dataclass(frozen=True)
class JobKind:
    """What a kind of job runs, and whether running it again after a failure is safe
    (it rewrites its output atomically and changes nothing else)."""

    work: Work
    retry_safe: bool


KINDS: dict[str, JobKind] = {}


def job_kind(name: str, *, retry_safe: bool) -> Callable[[Work], Work]:
    """Register ``work(job, progress) -> result`` as the job kind ``name`` (the result, kept
    in ``result_path``, is the name of a file in the campaign's exports, or a short text)."""

    def register(work: Work) -> Work:
        KINDS[name] = JobKind(work, retry_safe)
        return work

    return register


def registered_kinds() -> dict[str, JobKind]:
    """The kinds registered so far: :mod:`awards.tasks` registers them when it is imported
    (by the pages that start jobs and by the worker command)."""
    return KINDS


class LeaseLost(RuntimeError):
    """This worker's claim on the job ended (it was judged stopped and the job handed on)."""


# --------------------------------------------------------------------------- producing


def start_job(campaign_id: int, kind: str, total: int, actor: str,
              params: dict[str, Any]) -> int:
    """Record a queued job and put it on the queue; returns the job's id.

    Commits the session first, so that a synchronous (test) queue or a fast worker sees
    the row and the request holds no transaction while the work runs.
    """
    if kind not in registered_kinds():
        raise ValueError(f"unknown job kind {kind!r}")
    job = Job(campaign_id=campaign_id, kind=kind, total=total, status="queued",
              created_by=actor, params=json.dumps(params), attempts=0, heartbeat_at=utcnow())
    db.session.add(job)
    db.session.flush()
    job_id = job.id
    db.session.commit()
    enqueue(job_id)
    return job_id


def enqueue(job_id: int) -> None:
    """Put a job id on the queue (a duplicate is harmless: only one worker claims a row)."""
    queue_of(current_app._get_current_object()).run_job(job_id)  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- the lease


def lease_seconds() -> float:
    return float(current_app.config.get("JOB_LEASE_SECONDS", 60))


def is_stale(job: Job, now: dt.datetime | None = None) -> bool:
    """A ``running`` job whose last heartbeat is older than the lease."""
    if job.status != "running" or job.heartbeat_at is None:
        return False
    return (now or utcnow()) - _aware(job.heartbeat_at) > dt.timedelta(seconds=lease_seconds())


def waiting_long(job: Job) -> bool:
    """A job queued for longer than a lease: no worker is taking jobs (the page says so)."""
    if job.status != "queued" or job.heartbeat_at is None:
        return False
    return utcnow() - _aware(job.heartbeat_at) > dt.timedelta(seconds=lease_seconds())


def _aware(moment: dt.datetime) -> dt.datetime:
    """SQLite returns naive datetimes; they are stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def recover_stale_job(job: Job) -> str:
    """Hand on a job whose worker stopped; returns its status afterwards.

    Queued again (and put on the queue) when its kind is safe to repeat and it has had
    fewer than ``JOB_MAX_ATTEMPTS`` attempts; failed with :data:`WORKER_STOPPED` otherwise.
    The update is conditional on the lease it saw, so two processes recovering the same
    job at once act once.
    """
    if not is_stale(job):
        return job.status
    kind = registered_kinds().get(job.kind)
    again = kind is not None and kind.retry_safe and \
        job.attempts < int(current_app.config.get("JOB_MAX_ATTEMPTS", 3))
    values: dict[str, Any] = ({"status": "queued", "lease_token": None,
                               "heartbeat_at": utcnow()} if again else
                              {"status": "failed", "error": WORKER_STOPPED,
                               "finished_at": utcnow()})
    changed = db.session.execute(
        update(Job).where(Job.id == job.id, Job.status == "running",
                          Job.lease_token == job.lease_token).values(**values)).rowcount
    db.session.commit()
    if changed and again:
        current_app.logger.warning("job %s: its worker stopped; queued again", job.id)
        enqueue(job.id)
    db.session.refresh(job)
    return job.status


def latest_job(campaign_id: int, kind: str) -> Job | None:
    """The campaign's latest job of ``kind`` (recovered when stale), or None."""
    job = db.session.scalar(select(Job).where(Job.campaign_id == campaign_id, Job.kind == kind)
                            .order_by(Job.id.desc()).limit(1))
    if job is not None:
        recover_stale_job(job)
    return job


def recover_stale_jobs() -> int:
    """Recover every stale job (a worker at start, and once a minute); returns how many."""
    jobs = db.session.scalars(select(Job).where(Job.status == "running")).all()
    return sum(recover_stale_job(job) != "running" for job in jobs if is_stale(job))


def requeue_waiting_jobs() -> int:
    """Put every ``queued`` job on the queue again (a worker at start): a queue message
    taken by a worker that died before claiming it would otherwise be lost."""
    ids = db.session.scalars(select(Job.id).where(Job.status == "queued")).all()
    db.session.commit()
    for job_id in ids:
        enqueue(job_id)
    return len(ids)


# --------------------------------------------------------------------------- running


class JobProgress:
    """The ``progress(done)`` callback a job's work receives: records progress and renews
    the lease, or raises :class:`LeaseLost`. :meth:`confirm` checks the lease is still held
    (call it before publishing a result)."""

    def __init__(self, job_id: int, token: str):
        self.job_id, self.token = job_id, token

    def __call__(self, done: int | None = None) -> None:
        values: dict[str, Any] = {"heartbeat_at": utcnow()}
        if done is not None:
            values["done"] = done
        held = db.session.execute(update(Job).where(
            Job.id == self.job_id, Job.lease_token == self.token,
            Job.status == "running").values(**values)).rowcount
        db.session.commit()
        if not held:
            raise LeaseLost(f"job {self.job_id} was handed to another worker")

    def confirm(self) -> None:
        self(None)


def claim(job_id: int) -> str | None:
    """Take a queued job: returns the new lease token, or None when the job is not queued
    (already claimed, finished or failed)."""
    token = secrets.token_hex(16)
    taken = db.session.execute(update(Job).where(Job.id == job_id, Job.status == "queued")
                               .values(status="running", lease_token=token,
                                       attempts=Job.attempts + 1,
                                       heartbeat_at=utcnow())).rowcount
    db.session.commit()
    return token if taken else None


def _settle(job_id: int, token: str, **values: Any) -> None:
    db.session.execute(update(Job).where(Job.id == job_id, Job.lease_token == token)
                       .values(finished_at=utcnow(), **values))
    db.session.commit()


def run_job(job_id: int) -> None:
    """Claim and run one job (the queue task). Work that raises a domain error fails the
    job with its message; any other error fails it too unless the kind is safe to repeat
    and attempts remain, in which case it is queued again and the error re-raised so the
    queue retries it after ``JOB_RETRY_DELAY`` seconds."""
    token = claim(job_id)
    if token is None:
        return
    job = db.session.get(Job, job_id)
    kind = registered_kinds()[job.kind]
    progress = JobProgress(job_id, token)
    with _heartbeat(current_app._get_current_object(), job_id, token):  # type: ignore[attr-defined]
        try:
            result = kind.work(job, progress)
        except LeaseLost:
            db.session.rollback()
            current_app.logger.warning("job %s: lease lost; this worker stops", job_id)
            return
        except Exception as exc:
            db.session.rollback()
            _after_error(job_id, token, kind, exc)
            return
    _settle(job_id, token, status="done", result_path=result, done=job.total)


def _after_error(job_id: int, token: str, kind: JobKind, exc: Exception) -> None:

    current_app.logger.exception("job %s failed", job_id)
    attempts = db.session.scalar(select(Job.attempts).where(Job.id == job_id)) or 0
    # Errors that say what to change (or a missing input) would only fail again; others (a lost database
    # connection, a full disk) may pass.
    transient = not isinstance(exc, (AwardsError, ValueError, LookupError,
                                     FileNotFoundError))
    if kind.retry_safe and transient and \
            attempts < int(current_app.config.get("JOB_MAX_ATTEMPTS", 3)):
        db.session.execute(update(Job).where(Job.id == job_id, Job.lease_token == token)
                           .values(status="queued", lease_token=None,
                                   heartbeat_at=utcnow(), error=str(exc)))
        db.session.commit()
        raise RetryJob(str(exc)) from exc
    _settle(job_id, token, status="failed", error=str(exc) or type(exc).__name__)


class RetryJob(RuntimeError):
    """Raised to the queue so that it runs the task again after its retry delay."""


class _heartbeat:
    """Renew the lease every quarter lease from a timer thread while the work runs, so
    that only a worker that stopped loses it (the thread dies with its process)."""

    def __init__(self, app: Flask, job_id: int, token: str):
        self.engine, self.job_id, self.token = db.engine, job_id, token
        self.every = float(app.config.get("JOB_LEASE_SECONDS", 60)) / 4
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._beat, daemon=True,
                                       name=f"job-{job_id}-heartbeat")

    def __enter__(self) -> _heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop.set()
        self.thread.join()

    def _beat(self) -> None:
        while not self.stop.wait(self.every):
            try:
                with self.engine.begin() as connection:
                    connection.execute(update(Job).where(
                        Job.id == self.job_id, Job.lease_token == self.token,
                        Job.status == "running").values(heartbeat_at=utcnow()))
            except OperationalError:  # a busy database: the next beat tries again
                logging.getLogger(__name__).warning("job %s: heartbeat missed", self.job_id)


# --------------------------------------------------------------------------- the queue and its worker

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

        self.huey = build_huey(app.config, app.instance_path)
        retries = max(int(app.config.get("JOB_MAX_ATTEMPTS", 3)) - 1, 0)

        @self.huey.task(retries=retries, retry_delay=int(app.config.get("JOB_RETRY_DELAY", 30)),
                        name="run_job")
        def run_queued(job_id: int) -> None:
            with app.app_context():
                run_job(job_id)

        @self.huey.periodic_task(crontab(minute="*"), name="recover_stale_jobs")
        def recover() -> None:
            with app.app_context():
                recover_stale_jobs()

        self.run_job = run_queued


def queue_of(app: Flask) -> Queue:
    """The app's queue, made on first use."""
    if "awards_queue" not in app.extensions:
        app.extensions["awards_queue"] = Queue(app)
    return app.extensions["awards_queue"]


def run_worker(app: Flask, threads: int) -> None:
    """Recover what a stopped worker left, then consume the queue until SIGINT (finish the
    running jobs) or SIGTERM (stop now; their leases expire and they are handed on)."""

    queue = queue_of(app)
    if queue.huey.immediate:
        raise RuntimeError("the job queue runs in-process here (JOB_QUEUE_IMMEDIATE); "
                           "there is nothing for a worker to do")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    with app.app_context():
        recovered, waiting = recover_stale_jobs(), requeue_waiting_jobs()
    logging.getLogger("awards.jobs").info(
        "worker started: %d stale job(s) recovered, %d waiting job(s) queued",
        recovered, waiting)
    queue.huey.create_consumer(workers=threads, worker_type="thread", periodic=True,
                               initial_delay=0.1, max_delay=1.0).run()
