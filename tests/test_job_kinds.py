"""The audit bundle and the household frame import as queued jobs: the page starts the job
(run at once under test), the job's result is what the synchronous call produces, and a
failed job shows its reason."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func, select

from awards.extensions import db
from awards.models import AuditEvent, Household, Job
from awards.storage import exports_dir

from .audit.conftest import (  # noqa: F401  (the campaigns, from their snapshots)
    final_judging_campaign,
    final_judging_snapshot,
    published,
    published_snapshot,
)
from .audit.test_pages import SLUG
from .conftest import PASSWORD
from .voting.conftest import frame_csv


def only_job(kind: str) -> Job:
    db.session.expire_all()
    [job] = db.session.scalars(select(Job).where(Job.kind == kind)).all()
    assert job.status in ("done", "failed"), job.status  # run in the request under test
    return job


@pytest.fixture
def organiser_client(client, organiser):
    client.signin("olivia", PASSWORD)
    return client


# --------------------------------------------------------------------------- audit bundle


def test_the_bundle_job_keeps_the_bundle_the_synchronous_build_makes(published,
                                                                     organiser_client):
    from awards.publication.bundle import CACHE_PREFIX, build_bundle

    client = organiser_client
    page = client.get(f"/organiser/c/{SLUG}/audit").get_data(as_text=True)
    assert "Prepare the audit bundle" in page
    assert client.post(f"/organiser/c/{SLUG}/audit/bundle-job").status_code == 303
    job = only_job("audit_bundle")
    assert job.status == "done", job.error
    assert (job.done, job.total) == (3, 3) and job.created_by == "olivia"
    expected = build_bundle(published.campaign)
    assert job.result_path == expected.filename
    [kept] = exports_dir(SLUG).glob(f"{CACHE_PREFIX}*.zip")
    assert kept.read_bytes() == expected.data
    fragment = client.get(f"/organiser/c/{SLUG}/jobs/{job.id}",
                          headers={"HX-Request": "true"}).get_data(as_text=True)
    assert expected.filename in fragment and "hx-trigger" not in fragment
    assert f'action="/organiser/c/{SLUG}/audit/bundle.zip"' in fragment
    exported = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "bundle_exported"))
    download = client.post(f"/organiser/c/{SLUG}/audit/bundle.zip")
    assert download.status_code == 200 and download.data == expected.data
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "bundle_exported")) == exported + 1


def test_a_bundle_job_before_publication_fails_with_the_reason(final_judging_campaign,
                                                               organiser_client):
    client = organiser_client
    assert client.post(f"/organiser/c/{SLUG}/audit/bundle-job").status_code == 303
    job = only_job("audit_bundle")
    assert job.status == "failed" and "is not published" in job.error
    fragment = client.get(f"/organiser/c/{SLUG}/jobs/{job.id}",
                          headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "failed" in fragment and "is not published" in fragment


def test_only_organisers_start_the_bundle_job(published, client, make_user):
    make_user("auditor", "audrey")
    client.signin("audrey", PASSWORD)
    page = client.get(f"/organiser/c/{SLUG}/audit").get_data(as_text=True)
    assert "Prepare the audit bundle" not in page and "Download the audit bundle" in page
    assert client.post(f"/organiser/c/{SLUG}/audit/bundle-job").status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Job)) == 0


# --------------------------------------------------------------------------- frame import


@pytest.fixture
def queued_frames(app):
    """Every frame upload goes to the queue (in production, those over 1 MB)."""
    app.config["FRAME_JOB_BYTES"] = 0


def uploads() -> list:
    return list(exports_dir("csea-test").glob(".frame-upload-*"))


def test_a_large_frame_is_imported_by_a_job_as_the_synchronous_import_does(
        queued_frames, organiser_client, campaign):
    from awards.voting.households import import_frame

    client = organiser_client
    client.get("/organiser/c/csea-test/households")
    response = client.post("/organiser/c/csea-test/households/frame",
                           {"frame": (io.BytesIO(frame_csv()), "frame.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 303
    job = only_job("frame_import")
    assert job.status == "done", job.error
    assert json.loads(job.params)["upload"].startswith(".frame-upload-")
    assert uploads() == []  # the upload (addresses) is deleted once imported
    households = db.session.scalar(select(func.count()).select_from(Household))
    db.session.refresh(campaign)
    assert job.result_path == campaign.frame_digest
    assert import_frame(campaign, io.BytesIO(frame_csv())) == job.result_path
    assert db.session.scalar(select(func.count()).select_from(Household)) == households > 0
    page = client.get("/organiser/c/csea-test/households").get_data(as_text=True)
    assert f"Frame imported. Its digest is {job.result_path}." in page


def test_a_bad_large_frame_fails_with_its_lines_and_writes_nothing(queued_frames,
                                                                   organiser_client,
                                                                   campaign):
    client = organiser_client
    client.get("/organiser/c/csea-test/households")
    bad = b"household_id,district,address\nX,ZZ,\nY,KT,\n"
    assert client.post("/organiser/c/csea-test/households/frame",
                       {"frame": (io.BytesIO(bad), "frame.csv")},
                       content_type="multipart/form-data").status_code == 303
    job = only_job("frame_import")
    assert job.status == "failed" and "line 2" in job.error
    assert db.session.scalar(select(func.count()).select_from(Household)) == 0
    assert uploads() == []
    page = client.get("/organiser/c/csea-test/households").get_data(as_text=True)
    assert "failed" in page and "<li>line 2: " in page


def test_a_refused_frame_job_records_the_refusal(queued_frames, organiser_client, campaign):
    """Once the sample is drawn the frame is frozen: the job fails with the reason and the
    refused change is in the audit log, as when the page imports it itself."""
    from awards.voting.households import draw_campaign_sample, import_frame

    from .voting.conftest import SEED

    import_frame(campaign, io.BytesIO(frame_csv()))
    draw_campaign_sample(campaign, 20, SEED)
    client = organiser_client
    client.get("/organiser/c/csea-test/households")
    client.post("/organiser/c/csea-test/households/frame",
                {"frame": (io.BytesIO(frame_csv()), "frame.csv")},
                content_type="multipart/form-data")
    job = only_job("frame_import")
    assert job.status == "failed" and "the frame can no longer be replaced" in job.error
    refused = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "change_refused")).all()
    assert len(refused) == 1 and '"change":"frame"' in refused[0].data
    assert uploads() == []


def test_small_frames_are_still_imported_in_the_request(organiser_client, campaign):
    client = organiser_client
    client.get("/organiser/c/csea-test/households")
    response = client.post("/organiser/c/csea-test/households/frame",
                           {"frame": (io.BytesIO(frame_csv()), "frame.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(Job)) == 0
    assert db.session.scalar(select(func.count()).select_from(Household)) > 0
