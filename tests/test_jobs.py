"""The job queue: jobs run synchronously under test; a real worker killed in the middle of
the letters PDF leaves a job that is handed on and completed (never "running" for ever);
a job out of attempts is failed with the reason."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

import awards.tasks  # noqa: F401  (registers the job kinds)
from awards import create_app
from awards.extensions import db
from awards.jobs import WORKER_STOPPED, JobProgress, LeaseLost, recover_stale_job, start_job
from awards.models import Job
from awards.models.base import utcnow

from .conftest import MINIMAL_CONFIG, PASSWORD, ROOT

LETTERS = 240  # ten batches of 24 pages (AWARDS_LETTERS_PER_BATCH below)
BATCH = 24


def _job() -> Job:
    """The only job, read in a transaction of its own and detached, so that reading its
    attributes starts no transaction (on SQLite a transaction holds the write lock)."""
    db.session.rollback()
    job = db.session.scalar(select(Job))
    db.session.expunge(job)
    db.session.commit()
    return job


def _stale_job(campaign, attempts: int) -> Job:
    job = Job(campaign_id=campaign.id, kind="letters_pdf", status="running", total=10,
              created_by="olivia", params=json.dumps({"csv": "letters-x.csv"}),
              attempts=attempts, lease_token="a" * 32,
              heartbeat_at=utcnow() - dt.timedelta(minutes=10))
    db.session.add(job)
    db.session.commit()
    return job


def test_a_job_out_of_attempts_is_failed_with_the_reason(app, client, organiser, campaign):
    job = _stale_job(campaign, attempts=app.config["JOB_MAX_ATTEMPTS"])
    client.signin("olivia", PASSWORD)
    fragment = client.get(f"/organiser/c/csea-test/jobs/{job.id}",
                          headers={"HX-Request": "true"}).get_data(as_text=True)
    assert WORKER_STOPPED in fragment and "hx-trigger" not in fragment
    assert _job().status == "failed" and _job().error == WORKER_STOPPED


def test_a_live_lease_is_left_alone_and_fences_a_stopped_worker(app, campaign):
    job = _stale_job(campaign, attempts=1)
    job.heartbeat_at = utcnow()
    db.session.commit()
    assert recover_stale_job(job) == "running"
    job.heartbeat_at = utcnow() - dt.timedelta(minutes=10)
    job.attempts = app.config["JOB_MAX_ATTEMPTS"]
    db.session.commit()
    assert recover_stale_job(job) == "failed"
    with pytest.raises(LeaseLost):
        JobProgress(job.id, "a" * 32)(5)  # the old worker may not write on
    assert _job().done == 0


def test_a_job_is_queued_and_runs_synchronously_under_test(app, campaign):
    job_id = start_job(campaign.id, "letters_pdf", 1, "olivia", {"csv": "missing.csv"})
    job = db.session.get(Job, job_id)
    assert job.status == "failed" and "missing.csv" in job.error and job.attempts == 1


# --------------------------------------------------------------------------- a real worker


def _write_letters_csv(path: Path, count: int) -> None:
    from awards.voting.codes import generate_code
    from awards.voting.letters import write_letters_csv

    districts = ("KT", "ST", "IS")
    with path.open("w", newline="", encoding="utf-8") as stream:
        write_letters_csv(((f"H{i:05d}", districts[i % 3], generate_code(),
                            f"Flat {i}, Test Road") for i in range(count)), stream)


def _page_count(pdf: Path) -> int:
    if shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True,
                              check=True).stdout
        return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf.read_bytes()))


class Worker:
    """``flask awards worker`` as a process of its own, logging to a file."""

    def __init__(self, env: dict[str, str], log: Path):
        self.log = log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "app", "awards", "worker",
             "--threads", "1"], cwd=ROOT, env=env, stdout=self.log, stderr=self.log)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


def _until(condition, seconds: float, what: str, log: Path, every: float = 0.2):
    """Poll ``condition`` until it returns something true, within a deadline."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"{what} within {seconds} s; worker log:\n"
                         + log.read_text(errors="replace")[-3000:])


@pytest.fixture
def worker_setup(tmp_path):
    """An app on a SQLite file and a SQLite queue file, as a worker process sees them."""
    from awards.campaigns.config_file import parse_config
    from awards.campaigns.services import load_campaign_config

    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'app.db'}",
               AWARDS_JOB_QUEUE_FILE=str(tmp_path / "queue.db"),
               AWARDS_EXPORTS_DIR=str(tmp_path / "exports"),
               AWARDS_JOB_LEASE_SECONDS="2", AWARDS_LETTERS_PER_BATCH=str(BATCH),
               AWARDS_ENV="development")
    env.pop("REDIS_URL", None)
    app = create_app({"SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"], "TESTING": True,
                      "JOB_QUEUE_IMMEDIATE": False, "RATELIMIT_STORAGE_URI": "memory://",
                      "JOB_QUEUE_FILE": env["AWARDS_JOB_QUEUE_FILE"],
                      "EXPORTS_DIR": env["AWARDS_EXPORTS_DIR"], "JOB_LEASE_SECONDS": 2})
    with app.app_context():
        db.create_all()
        campaign, _created, _notes = load_campaign_config(parse_config(MINIMAL_CONFIG))
        yield app, campaign, env
        db.session.remove()
        db.engine.dispose()


@pytest.mark.slow
def test_a_worker_killed_mid_letters_is_replaced_and_the_pdf_completes(worker_setup,
                                                                        tmp_path):
    from awards.accounts.services import create_user
    from awards.storage import exports_dir

    from .conftest import CsrfClient

    app, campaign, env = worker_setup
    create_user("organiser", "olivia", PASSWORD)
    folder = exports_dir(campaign.slug)
    _write_letters_csv(folder / "letters-big.csv", LETTERS)
    job_id = start_job(campaign.id, "letters_pdf", LETTERS, "olivia", {"csv": "letters-big.csv"})
    assert _job().status == "queued"  # on the queue file, not run in this process
    log = tmp_path / "worker.log"

    # Killed as soon as its first batch is recorded, with nine batches still to draw.
    first = Worker(env, log)
    try:
        _until(lambda: _job().done >= BATCH, 120, "the first worker wrote no batch", log,
               every=0.02)
    finally:
        first.kill()
    killed = _job()
    assert killed.status == "running" and killed.done < LETTERS  # left for ever before
    part = list(folder.glob(".letters-big.pdf.*.part"))  # killed mid-write
    assert len(part) == 1 and part[0].stat().st_size > 0

    client = CsrfClient(app.test_client())
    client.signin("olivia", PASSWORD)
    url = f"/organiser/c/{campaign.slug}/jobs/{job_id}"

    def poll() -> str | None:
        text = client.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
        return None if "<progress" in text else text

    fragment = _until(poll, 30, "the page still said running", log)
    assert "The worker stopped; the job will start again." in fragment
    assert _job().status == "queued" and _job().attempts == 1

    second = Worker(env, log)
    try:
        _until(lambda: _job().status in ("done", "failed"), 240, "the job did not end", log,
               every=0.1)
    finally:
        second.stop()
    job = _job()
    assert job.status == "done", job.error
    assert job.attempts == 2 and job.done == LETTERS
    pdf = folder / "letters-big.pdf"
    assert _page_count(pdf) == LETTERS
    assert pdf.read_bytes().rstrip().endswith(b"%%EOF")
    assert not list(folder.glob("*.part"))  # the stopped attempt's partial file is gone
    final = client.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "letters-big.pdf" in final and "hx-trigger" not in final
