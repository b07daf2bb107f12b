"""Organiser pages for households, letters, turnout and paper returns."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from awards.extensions import db
from awards.models import Household, Job, VotingCode
from awards.voting.codes import format_code

from ..conftest import PASSWORD
from ..voting.conftest import SEED, frame_csv, stored_ballots


def signed_in(client, organiser):
    client.signin("olivia", PASSWORD)
    return client


def test_frame_sample_codes_and_letters_through_the_pages(client, organiser, campaign, app):
    from awards.phases import move_phase

    signed_in(client, organiser)
    client.get("/organiser/c/csea-test/households")
    bad = client.post("/organiser/c/csea-test/households/frame",
                      {"frame": (io.BytesIO(b"household_id,district,address\nX,ZZ,\n"),
                                 "frame.csv")}, content_type="multipart/form-data")
    assert bad.status_code == 422
    assert "line 2" in bad.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Household)) == 0
    good = client.post("/organiser/c/csea-test/households/frame",
                       {"frame": (io.BytesIO(frame_csv()), "frame.csv")},
                       content_type="multipart/form-data")
    assert good.status_code == 303
    short = client.post("/organiser/c/csea-test/households/sample",
                        {"size": "20", "seed": "too short"})
    assert short.status_code == 422
    drawn = client.post("/organiser/c/csea-test/households/sample",
                        {"size": "30", "seed": SEED, "confirm": "yes"})
    assert drawn.status_code == 303
    for state in ("entries_open", "entries_closed", "adjudication"):
        move_phase(campaign, state)
    issued = client.post("/organiser/c/csea-test/households/codes", {"confirm": "yes"})
    assert issued.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(VotingCode)) == 30
    page = client.get("/organiser/c/csea-test/households").get_data(as_text=True)
    name = next(part.split('"')[0] for part in page.split("/exports/letters-")[1:]
                if part.split('"')[0].endswith(".csv"))
    csv_text = client.get(f"/organiser/c/csea-test/exports/letters-{name}").data.decode(
        "utf-8", "replace")
    assert csv_text.startswith("household_id,district,code,address"), name
    assert len(csv_text.strip().splitlines()) == 31
    job = _wait_for_job()
    assert job.status == "done", job.error
    fragment = client.get(f"/organiser/c/csea-test/jobs/{job.id}",
                          headers={"HX-Request": "true"}).get_data(as_text=True)
    assert job.result_path in fragment and "hx-trigger" not in fragment
    pdf = client.get(f"/organiser/c/csea-test/exports/{job.result_path}")
    assert pdf.data.startswith(b"%PDF") and pdf.headers["Content-Type"] == "application/pdf"


def _wait_for_job() -> Job:
    """Under test the queue runs a job at once, inside the request that queued it."""
    job = db.session.scalar(select(Job))
    assert job is not None and job.status in ("done", "failed"), job and job.status
    return job


def test_export_download_refuses_path_tricks(client, organiser, campaign):
    signed_in(client, organiser)
    for name in ("..%2Fapp.py", ".hidden", "nope.csv"):
        assert client.get(f"/organiser/c/csea-test/exports/{name}").status_code == 404


def test_reissue_and_purge_pages(client, organiser, letters, sampled_campaign):
    signed_in(client, organiser)
    client.get("/organiser/c/csea-test/households")
    response = client.post("/organiser/c/csea-test/households/reissue",
                           {"household_id": letters[0].household_id})
    assert response.status_code == 303
    states = dict(db.session.execute(select(VotingCode.state, func.count())
                                     .group_by(VotingCode.state)).all())
    assert states == {"issued": 90, "void": 1}
    missing = client.post("/organiser/c/csea-test/households/reissue",
                          {"household_id": "NOPE"})
    assert missing.status_code == 422 and "no sampled household" in missing.get_data(
        as_text=True)
    unconfirmed = client.post("/organiser/c/csea-test/households/purge", {})
    assert unconfirmed.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(Household).where(
        Household.address.is_not(None))) == 140
    client.post("/organiser/c/csea-test/households/purge", {"confirm": "purge"})
    assert db.session.scalar(select(func.count()).select_from(Household).where(
        Household.address.is_not(None))) == 0


def test_turnout_is_banded_while_open_and_polls(client, organiser, open_campaign, letters):
    from awards.voting.ballots import cast_web_ballot

    for letter in letters[:12]:
        cast_web_ballot(open_campaign, letter.code, ["A"])
    signed_in(client, organiser)
    page = client.get("/organiser/c/csea-test/turnout").get_data(as_text=True)
    assert "10–49" in page and "<10" in page.replace("&lt;", "<")
    assert ">12<" not in page
    fragment = client.get("/organiser/c/csea-test/turnout", headers={"HX-Request": "true"})
    text = fragment.get_data(as_text=True)
    assert text.startswith('<section id="turnout"') and 'hx-trigger="every 10s"' in text


def test_paper_upload_page(client, organiser, open_campaign, letters):
    signed_in(client, organiser)
    client.get("/organiser/c/csea-test/turnout")
    body = f"code,choices\n{format_code(letters[0].code)},A;B\n{letters[1].code},ZZ\n"
    bad = client.post("/organiser/c/csea-test/turnout/paper",
                      {"returns": (io.BytesIO(body.encode()), "r.csv")},
                      content_type="multipart/form-data")
    assert bad.status_code == 422 and "line 3" in bad.get_data(as_text=True)
    assert stored_ballots() == 0
    body = f"code,choices\n{format_code(letters[0].code)},A;B\n{letters[1].code},\n"
    good = client.post("/organiser/c/csea-test/turnout/paper",
                       {"returns": (io.BytesIO(body.encode()), "r.csv")},
                       content_type="multipart/form-data")
    assert good.status_code == 200
    assert stored_ballots() == 2


def test_auditor_sees_but_cannot_act(client, make_user, campaign):
    make_user("auditor", "audrey")
    client.signin("audrey", PASSWORD)
    assert client.get("/organiser/c/csea-test/households").status_code == 200
    response = client.post("/organiser/c/csea-test/households/frame",
                           {"frame": (io.BytesIO(frame_csv()), "f.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 403


def test_purge_deletes_the_letter_files(client, organiser, sampled_campaign, app):
    from awards.storage import exports_dir

    signed_in(client, organiser)
    client.get("/organiser/c/csea-test/households")
    client.post("/organiser/c/csea-test/households/codes", {"confirm": "yes"})
    _wait_for_job()
    folder = exports_dir("csea-test")
    assert any(folder.glob("letters-*.csv"))
    client.post("/organiser/c/csea-test/households/purge", {"confirm": "purge"})
    assert not any(folder.glob("letter*"))
