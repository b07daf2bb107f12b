"""The judges' pack from the command line (``flask awards entries export SLUG --pdf``) and
from the organiser's entries page (a queued job, then the download)."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from awards.entries.drafts import EntryTexts
from awards.entries.services import save_draft, set_eligibility, submit_entry
from awards.extensions import db
from awards.models import Job
from awards.phases import move_phase

from ..conftest import PASSWORD, CsrfClient

SLUG = "csea-test"


def write_entry(campaign, code: str, title: str) -> None:
    department = next(d for d in campaign.departments if d.code == code)
    texts = EntryTexts(title=title, summary=f"Summary of {code}.",
                       sections={"pledges": "Met them.", "courtesy": "Always polite."},
                       pledges=[("Answer calls", "75%", "86%")], contact_name="Chan",
                       contact_email="chan@example.gov.hk", contact_phone="2123 4567")
    save_draft(campaign, department, texts, 0, actor="coord")
    submit_entry(campaign, department, actor="coord")


@pytest.fixture
def judged(open_campaign):
    """A and B eligible, C ineligible, D without an entry."""
    for code, title in (("A", "Faster licences"), ("B", "Plain letters"),
                        ("C", "Late forms")):
        write_entry(open_campaign, code, title)
    move_phase(open_campaign, "entries_closed")
    departments = {d.code: d for d in open_campaign.departments}
    set_eligibility(open_campaign, [departments["A"], departments["B"]], "eligible", "",
                    actor="olivia")
    set_eligibility(open_campaign, [departments["C"]], "ineligible", "Out of scope",
                    actor="olivia")
    return open_campaign


def pdf_text(data: bytes) -> tuple[int, str, str]:
    reader = PdfReader(io.BytesIO(data))
    return (len(reader.pages), reader.pages[0].extract_text(),
            "\n".join(page.extract_text() for page in reader.pages))


def test_the_command_writes_the_eligible_entries_only(runner, judged, tmp_path):
    target = tmp_path / "pack.pdf"
    result = runner.invoke(args=["awards", "entries", "export", SLUG, "--pdf", str(target)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert "2 eligible entries (A, B)" in result.stderr and "pages" in result.stderr
    pages, contents, everything = pdf_text(target.read_bytes())
    assert pages >= 3
    assert "Department A" in contents and "Department B" in contents
    assert "甲部門" in contents and "乙部門" in contents
    assert "Department C" not in everything and "Late forms" not in everything
    assert "Department D" not in everything
    assert "Faster licences" in everything and "Plain letters" in everything
    assert "Preliminary round" in contents and "初選" in contents
    for entry_hash in re.findall(r"[0-9a-f]{64}", everything):
        assert len(entry_hash) == 64


def test_nothing_eligible_exits_1_with_one_line_and_writes_nothing(runner, open_campaign,
                                                                    tmp_path):
    write_entry(open_campaign, "A", "Faster licences")  # submitted, never marked eligible
    out = tmp_path / "out"
    out.mkdir()
    target = out / "pack.pdf"
    result = runner.invoke(args=["awards", "entries", "export", SLUG, "--pdf", str(target)])
    assert result.exit_code == 1
    assert result.stderr.strip().count("\n") == 0
    assert "has no eligible entry" in result.stderr
    assert not target.exists() and list(out.iterdir()) == []


def test_an_unknown_campaign_or_folder_exits_1(runner, judged, tmp_path):
    result = runner.invoke(args=["awards", "entries", "export", "nope", "--pdf",
                                 str(tmp_path / "p.pdf")])
    assert result.exit_code == 1 and "no campaign 'nope'" in result.stderr
    result = runner.invoke(args=["awards", "entries", "export", SLUG, "--pdf",
                                 str(tmp_path / "missing" / "p.pdf")])
    assert result.exit_code == 1 and "cannot write" in result.stderr


def client_for(app, make_user, role: str, username: str, department: str | None = None):
    make_user(role, username, department)
    client = CsrfClient(app.test_client())
    client.signin(username, PASSWORD)
    return client


def test_the_organisers_button_queues_the_pack_and_offers_the_download(app, make_user,
                                                                      judged):
    organiser = client_for(app, make_user, "organiser", "olivia")
    page = organiser.get(f"/organiser/c/{SLUG}/entries").get_data(as_text=True)
    assert re.search(r"Prepare the judges(&#39;|')? pack \(2 eligible entries\)", page), page
    response = organiser.post(f"/organiser/c/{SLUG}/entries/pack", {})
    assert response.status_code == 303
    job = db.session.query(Job).one()
    assert job.kind == "judges_pack" and job.status == "done", job.error
    page = organiser.get(f"/organiser/c/{SLUG}/entries").get_data(as_text=True)
    assert "being prepared" in page
    link = re.search(r'href="(/organiser/c/csea-test/exports/(judges-pack-[0-9TZ]+\.pdf))"',
                     page)
    assert link, page
    download = organiser.get(link.group(1))
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    _pages, contents, everything = pdf_text(download.data)
    assert "Department A" in contents and "Department C" not in everything
    # The households page keeps to letter files.
    households = organiser.get(f"/organiser/c/{SLUG}/households").get_data(as_text=True)
    assert link.group(2) not in households


def test_the_button_refuses_when_nothing_is_eligible(app, make_user, open_campaign):
    organiser = client_for(app, make_user, "organiser", "olivia")
    page = organiser.get(f"/organiser/c/{SLUG}/entries").get_data(as_text=True)
    assert "No entry is eligible yet" in page
    response = organiser.post(f"/organiser/c/{SLUG}/entries/pack", {},
                              headers={"Accept-Language": "zh-HK"}, follow_redirects=True)
    assert "沒有合資格的參賽資料" in response.get_data(as_text=True)
    assert db.session.query(Job).count() == 0


def test_only_organisers_may_prepare_the_pack(app, make_user, judged):
    for role, name, department in (("auditor", "audrey", None),
                                   ("coordinator", "coord-a", "A")):
        client = client_for(app, make_user, role, name, department)
        assert client.post(f"/organiser/c/{SLUG}/entries/pack", {}).status_code in (403, 404)
    auditor_page = client_for(app, make_user, "auditor", "audrey2").get(
        f"/organiser/c/{SLUG}/entries").get_data(as_text=True)
    assert "Prepare the judges" not in auditor_page
    assert db.session.query(Job).count() == 0
