"""Entry attachments on the coordinator's page and their downloads (SPEC 5.1, 5.7): upload
and removal on a draft, refusals with nothing stored, the request limits, the snapshot's
list of files, and who may download what."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfWriter
from sqlalchemy import select

from awards.audit.chain import canonical_json
from awards.audit.service import chain_events
from awards.entries.attachments import CheckedFile, store
from awards.entries.services import return_for_amendment, set_eligibility
from awards.entries.snapshots import entry_snapshot, serialise, snapshot_intact
from awards.extensions import db
from awards.models import Attachment, Entry
from awards.phases import move_phase

from ..conftest import MINIMAL_CONFIG, PASSWORD, CsrfClient
from .conftest import CLOSE_AT, full_form

SLUG = "csea-test"
URL = f"/department/c/{SLUG}/entry"
UPLOAD = URL + "/attachments"
HTMX = {"HX-Request": "true"}
ZH = {"Accept-Language": "zh-HK"}


@pytest.fixture
def campaign_config() -> str:
    """The test campaign with a second judge who has no conflict with A."""
    return MINIMAL_CONFIG + '\n[[judges]]\nusername = "j02"\nname = "Judge Two"\n'


def a_pdf(pages: int = 1, width: int = 595) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=width, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def a_png(colour: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(out, "PNG")
    return out.getvalue()


def upload(client: CsrfClient, data: bytes, name: str, **kwargs):
    return client.post(UPLOAD, {"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data", **kwargs)


def stored(app) -> list[str]:
    folder = Path(app.config["ATTACHMENTS_DIR"])
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def rows() -> list[Attachment]:
    db.session.expire_all()
    return list(db.session.scalars(select(Attachment).order_by(Attachment.position)))


def signed_in(app, make_user, role: str, username: str, department: str | None = None):
    make_user(role, username, department)
    client = CsrfClient(app.test_client())
    response = client.signin(username, PASSWORD)
    assert response.status_code in (302, 303)
    return client


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------- upload


def test_a_plain_upload_lists_the_file_with_its_size_type_and_download_link(
        app, coord, open_campaign):
    data = a_pdf()
    response = upload(coord, data, "Annual report.pdf")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/entry#attachments")
    page = coord.get(URL).get_data(as_text=True)
    assert "Attached: Annual report.pdf" in page
    assert f'href="{UPLOAD}/{sha(data)}" download>Annual report.pdf</a>' in page
    assert '<td class="kind">PDF</td>' in page and f"{len(data):,} bytes" in page
    assert 'enctype="multipart/form-data"' in page and 'name="file"' in page
    [row] = rows()
    assert (row.filename, row.sha256, row.size, row.position, row.uploaded_by) == (
        "Annual report.pdf", sha(data), len(data), 0, "coord-a")
    assert stored(app) == [sha(data)]
    events = [e for e in chain_events(SLUG) if e.action == "attachment_added"]
    assert len(events) == 1 and events[0].subject == "A"
    assert json.loads(events[0].data)["sha256"] == sha(data)


def test_an_htmx_upload_answers_the_attachments_box_and_keeps_the_upload_order(
        coord, open_campaign):
    coord.post(URL, full_form(0))
    first = upload(coord, a_png(), "photo.png", headers=HTMX)
    assert first.status_code == 200
    html = first.get_data(as_text=True)
    assert html.lstrip().startswith('<section class="attachments-panel" id="attachments"')
    assert "Attached: photo.png" in html and "<html" not in html
    second = upload(coord, a_pdf(), "report.pdf", headers=HTMX).get_data(as_text=True)
    assert second.index(">photo.png</a>") < second.index(">report.pdf</a>")
    assert [(r.filename, r.position) for r in rows()] == [("photo.png", 0), ("report.pdf", 1)]
    # The upload does not change the text's version: an open page keeps autosaving.
    assert coord.post(URL, full_form(1, title="Still saving"), headers=HTMX).status_code == 200


def test_a_first_upload_before_any_save_starts_the_entry(coord, open_campaign):
    assert upload(coord, a_pdf(), "r.pdf").status_code == 303
    entry = db.session.scalar(select(Entry))
    assert entry.status == "draft" and entry.version == 0
    assert coord.post(URL, full_form(0)).status_code == 303  # the page's version 0 still saves


def assert_refused_storing_nothing(app, coord, data: bytes, name: str, status: int,
                                   english: str, chinese: str) -> None:
    """The upload is refused as a page (with the reason, in English) and as an htmx
    fragment (in Chinese), and nothing is stored either time."""
    response = upload(coord, data, name)
    assert response.status_code == status
    page = response.get_data(as_text=True)
    assert english in page and 'id="entry-form"' in page  # the entry page, with the reason
    fragment = upload(coord, data, name, headers={**HTMX, **ZH})
    assert fragment.status_code == status
    html = fragment.get_data(as_text=True)
    assert chinese in html and 'id="attachment-message"' in html and "<html" not in html
    assert stored(app) == [] and rows() == []


@pytest.mark.parametrize("data,name,status,english,chinese", [
    (b"<html><script>alert(1)</script></html>", "report.pdf", 415,
     "only PDF, PNG and JPEG files are accepted", "只接受 PDF、PNG 及 JPEG 檔案"),
    (b"", "empty.pdf", 400, "the file is empty", "檔案是空的"),
    (b"%PDF-1.7\nnot really", "broken.pdf", 400, "could not be read as PDF", "無法以 PDF 格式讀取"),
])
def test_refusals_answer_4xx_with_the_reason_and_store_nothing(
        app, coord, open_campaign, data, name, status, english, chinese):
    assert_refused_storing_nothing(app, coord, data, name, status, english, chinese)


def encrypted_pdf() -> bytes:
    from .test_attachments import pdf_bytes, plain_pdf

    writer = PdfWriter(clone_from=io.BytesIO(plain_pdf()))
    writer.encrypt(user_password="", owner_password="owner-secret", algorithm="AES-128")
    return pdf_bytes(writer)


def decompression_bomb() -> bytes:
    from .test_attachments import png_declaring

    return png_declaring(100_000, 100_000)  # ten gigapixels declared in a hundred bytes


def active_pdf(kind: str) -> bytes:
    from .test_attachments import pdf_with_javascript_name_tree, pdf_with_open_action

    return {"javascript": pdf_with_javascript_name_tree,
            "open_action": pdf_with_open_action}[kind]()


@pytest.mark.parametrize("make,name,status,english,chinese", [
    (lambda: active_pdf("javascript"), "script.pdf", 400,
     "the PDF contains active content (/JS, /JavaScript)",
     "此 PDF 含有不獲接受的動態內容（/JS, /JavaScript）"),
    (lambda: active_pdf("open_action"), "opens.pdf", 400,
     "the PDF contains active content (/OpenAction", "此 PDF 含有不獲接受的動態內容（/OpenAction"),
    (encrypted_pdf, "locked.pdf", 400,
     "the PDF is encrypted or protected by a password", "此 PDF 已加密"),
    (decompression_bomb, "bomb.png", 413,
     "the image has too many pixels (at most 50 million", "圖片像素過多（上限為 50 百萬像素）"),
], ids=["javascript", "open-action", "encrypted", "decompression-bomb"])
def test_dangerous_files_are_refused_through_the_upload_route_and_store_nothing(
        app, coord, open_campaign, make, name, status, english, chinese):
    data = make()
    assert coord.post(URL, full_form(0)).status_code == 303  # a draft with its text
    assert_refused_storing_nothing(app, coord, data, name, status, english, chinese)
    entry = db.session.scalar(select(Entry))
    assert entry.version == 1 and entry.title == "Faster licence renewals"  # text untouched


def test_no_file_chosen_is_refused(coord, open_campaign):
    response = coord.post(UPLOAD, {}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "choose a file to upload" in response.get_data(as_text=True)
    response = coord.post(UPLOAD, {"file": (io.BytesIO(b""), "")},
                          content_type="multipart/form-data", headers={**HTMX, **ZH})
    assert response.status_code == 422 and "請選擇要上載的檔案" in response.get_data(as_text=True)


def test_at_most_the_configured_number_of_attachments(app, coord, open_campaign):
    app.config["ENTRY_MAX_ATTACHMENTS"] = 2
    assert upload(coord, a_pdf(1), "one.pdf").status_code == 303
    assert upload(coord, a_pdf(2), "two.pdf").status_code == 303
    page = coord.get(URL).get_data(as_text=True)
    assert "has the most attachments allowed (2)" in page and 'name="file"' not in page
    third = a_pdf(3)
    response = upload(coord, third, "three.pdf", headers=ZH)
    assert response.status_code == 422
    assert "每份參賽資料最多可附 2 個檔案" in response.get_data(as_text=True)
    assert sha(third) not in stored(app) and len(rows()) == 2


def test_the_same_file_twice_is_refused(coord, open_campaign):
    data = a_pdf()
    upload(coord, data, "report.pdf")
    response = upload(coord, data, "copy.pdf")
    assert response.status_code == 422
    assert "already attached, as report.pdf" in response.get_data(as_text=True)
    assert len(rows()) == 1


def test_an_oversized_request_is_413_in_the_readers_language_and_nothing_is_stored(
        app, coord, open_campaign):
    big = b"%PDF-1.7\n" + b"0" * (11 * 2**20)
    response = upload(coord, big, "big.pdf", headers=ZH)
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "上載的檔案超過 10 MiB，沒有儲存任何內容" in page
    assert 'id="entry-form"' in page  # the entry page, not a bare error
    fragment = upload(coord, big, "big.pdf", headers=HTMX)
    assert fragment.status_code == 413
    assert "the upload is larger than 10 MiB" in fragment.get_data(as_text=True)
    assert stored(app) == [] and rows() == []


def test_a_file_just_over_the_limit_reaches_the_checker_and_is_refused(app, coord,
                                                                       open_campaign):
    data = b"%PDF-1.7\n" + b"0" * (10 * 2**20)
    response = upload(coord, data, "big.pdf")
    assert response.status_code == 413
    assert "the file is 10.1 MiB; the limit is 10 MiB" in response.get_data(as_text=True)
    assert stored(app) == []


def test_too_many_form_parts_are_refused_before_anything_is_read(app, coord, open_campaign):
    data = {f"extra-{i}": "x" for i in range(20)}
    data["file"] = (io.BytesIO(a_pdf()), "r.pdf")
    response = coord.post(UPLOAD, data, content_type="multipart/form-data")
    assert response.status_code == 413
    huge_field = {"note": "x" * (300 * 1024), "file": (io.BytesIO(a_pdf()), "r.pdf")}
    response = coord.post(UPLOAD, huge_field, content_type="multipart/form-data")
    assert response.status_code == 413
    assert stored(app) == [] and rows() == []


def test_the_upload_limits_apply_to_the_upload_route_only(app, coord, open_campaign):
    # The entry form itself is not held to the upload route's form limits.
    long_text = "字" * 15000
    response = coord.post(URL, full_form(0, **{"section-pledges": long_text}))
    assert response.status_code == 303


def test_without_csrf_nothing_is_stored(app, coord, open_campaign):
    response = coord.client.post(UPLOAD, data={"file": (io.BytesIO(a_pdf()), "r.pdf")},
                                 content_type="multipart/form-data")
    assert response.status_code == 400
    assert stored(app) == [] and rows() == []


# --------------------------------------------------------------------------- removal


def test_removing_an_attachment_from_the_draft(coord, open_campaign):
    upload(coord, a_pdf(1), "one.pdf")
    two = a_pdf(2)
    upload(coord, two, "two.pdf")
    response = coord.post(f"{UPLOAD}/{sha(two)}/remove", {}, headers=HTMX)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Removed: two.pdf" in html and ">two.pdf</a>" not in html and ">one.pdf</a>" in html
    assert [r.filename for r in rows()] == ["one.pdf"]
    assert [e.action for e in chain_events(SLUG)][-1] == "attachment_removed"
    missing = coord.post(f"{UPLOAD}/{sha(two)}/remove", {})
    assert missing.status_code == 404


# --------------------------------------------------------------------------- read-only entries


def test_after_submit_uploads_and_removals_answer_409_and_change_nothing(app, coord,
                                                                        open_campaign):
    data = a_pdf()
    upload(coord, data, "report.pdf")
    assert coord.post(URL + "/submit", full_form(0)).status_code == 200
    later = a_png()
    response = upload(coord, later, "late.png")
    assert response.status_code == 409
    assert "the entry has been submitted" in response.get_data(as_text=True)
    assert coord.post(f"{UPLOAD}/{sha(data)}/remove", {}).status_code == 409
    assert [r.filename for r in rows()] == ["report.pdf"] and sha(later) not in stored(app)
    page = coord.get(URL).get_data(as_text=True)
    assert ">report.pdf</a>" in page and 'name="file"' not in page and "Remove report.pdf" not in page


def test_after_the_deadline_the_attachments_are_read_only(app, coord, open_campaign,
                                                          frozen_clock):
    upload(coord, a_pdf(), "report.pdf")
    frozen_clock.at = CLOSE_AT + timedelta(minutes=16)
    response = upload(coord, a_png(), "late.png", headers=ZH)
    assert response.status_code == 409
    assert "截止時間已過" in response.get_data(as_text=True)
    assert len(rows()) == 1 and len(stored(app)) == 1


# --------------------------------------------------------------------------- the snapshot


def test_the_snapshot_lists_both_attachments_with_their_hashes_and_its_hash_is_stable(
        coord, open_campaign):
    first, second = a_png("blue"), a_pdf(2)
    upload(coord, first, "圖表.png")
    upload(coord, second, "report.pdf")
    response = coord.post(URL + "/submit", full_form(0))
    assert response.status_code == 200
    entry = db.session.scalar(select(Entry))
    snapshot = entry_snapshot(entry)
    png_bytes = Path(coord.application.config["ATTACHMENTS_DIR"], rows()[0].sha256).read_bytes()
    assert snapshot["attachments"] == [
        {"filename": "圖表.png", "sha256": sha(png_bytes), "content_type": "image/png",
         "size": len(png_bytes)},
        {"filename": "report.pdf", "sha256": sha(second), "content_type": "application/pdf",
         "size": len(second)},
    ]
    text, digest = serialise(snapshot)
    assert text == entry.snapshot == canonical_json(json.loads(entry.snapshot))
    assert digest == entry.snapshot_sha256 and snapshot_intact(entry)
    assert entry.snapshot_sha256 in response.get_data(as_text=True)


# --------------------------------------------------------------------------- downloads


@pytest.fixture
def submitted(app, coord, open_campaign, make_user):
    """A's entry submitted with a PDF and a PNG; B's coordinator uploaded a file of its own."""
    pdf, png = a_pdf(), a_png()
    upload(coord, pdf, "report.pdf")
    upload(coord, png, "chart.png")
    assert coord.post(URL + "/submit", full_form(0)).status_code == 200
    other = signed_in(app, make_user, "coordinator", "coord-b", "B")
    b_file = a_pdf(3)
    upload(other, b_file, "b-only.pdf")
    hashes = [r.sha256 for r in rows() if r.filename in ("report.pdf", "chart.png")]
    return {"pdf": sha(pdf), "png": hashes[1], "b": sha(b_file), "other": other,
            "pdf_bytes": pdf}


def test_the_coordinator_downloads_with_the_download_headers(coord, submitted):
    response = coord.get(f"{UPLOAD}/{submitted['pdf']}")
    assert response.status_code == 200
    assert response.data == submitted["pdf_bytes"]
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="report.pdf"'
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert coord.get(f"{UPLOAD}/{submitted['png']}").mimetype == "image/png"


def test_another_departments_coordinator_gets_404_and_never_sees_the_file(coord, submitted):
    other = submitted["other"]
    for digest in (submitted["pdf"], submitted["png"]):
        assert other.get(f"{UPLOAD}/{digest}").status_code == 404
    assert other.get(f"{UPLOAD}/{submitted['b']}").status_code == 200
    assert coord.get(f"{UPLOAD}/{submitted['b']}").status_code == 404  # and the other way


def test_organisers_and_auditors_download_every_departments_files(app, make_user, submitted):
    for role, name in (("organiser", "olivia"), ("auditor", "audrey")):
        client = signed_in(app, make_user, role, name)
        for digest in (submitted["pdf"], submitted["b"]):
            assert client.get(f"{UPLOAD}/{digest}").status_code == 200, (role, digest)


def test_a_hash_on_disk_but_attached_nowhere_here_is_404(app, make_user, submitted):
    data = b"%PDF-1.4 stored directly"
    store(CheckedFile(data=data, content_type="application/pdf", filename="x.pdf",
                      sha256=sha(data), size=len(data)))
    organiser = signed_in(app, make_user, "organiser", "olivia")
    assert organiser.get(f"{UPLOAD}/{sha(data)}").status_code == 404
    for bad in ("../../etc/passwd", submitted["pdf"].upper(), submitted["pdf"][:-1], "0" * 64):
        assert organiser.get(f"{UPLOAD}/{bad}").status_code == 404, bad
    assert organiser.get(f"/department/c/other-campaign/entry/attachments/"
                         f"{submitted['pdf']}").status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(app, submitted):
    response = app.test_client().get(f"{UPLOAD}/{submitted['pdf']}")
    assert response.status_code in (302, 401) and not response.data.startswith(b"%PDF")


def make_eligible_and_assign(campaign, *pairs: tuple[str, str]) -> None:
    from .. judging.conftest import assign  # noqa: PLC0415

    move_phase(campaign, "entries_closed")
    department_a = next(d for d in campaign.departments if d.code == "A")
    set_eligibility(campaign, [department_a], "eligible", "", actor="olivia")
    campaign.state = "adjudication"
    db.session.commit()
    by_judge: dict[str, list[str]] = {}
    for judge, code in pairs:
        by_judge.setdefault(judge, []).append(code)
    assign(campaign, by_judge)


def test_judges_download_the_snapshot_files_of_eligible_assigned_entries_only(
        app, make_user, open_campaign, submitted):
    j02 = signed_in(app, make_user, "judge", "j02")
    j01 = signed_in(app, make_user, "judge", "j01")  # conflicted with A in the config
    url = f"{UPLOAD}/{submitted['pdf']}"
    assert j02.get(url).status_code == 404  # not eligible, not assigned yet
    make_eligible_and_assign(open_campaign, ("j02", "B"), ("j01", "B"))
    assert j02.get(url).status_code == 404  # eligible, but not assigned to A
    from .. judging.conftest import assign  # noqa: PLC0415

    assign(open_campaign, {"j02": ["A"]})
    assert j02.get(url).status_code == 200
    assert j02.get(f"{UPLOAD}/{submitted['png']}").status_code == 200
    assert j02.get(f"{UPLOAD}/{submitted['b']}").status_code == 404  # B has no snapshot
    assert j01.get(url).status_code == 404  # conflicted
    page = j02.get(f"/judge/c/{SLUG}/preliminary/A").get_data(as_text=True)
    assert f'href="{url}" download>report.pdf</a>' in page


def test_the_organisers_snapshot_view_links_the_files(app, make_user, submitted):
    organiser = signed_in(app, make_user, "organiser", "olivia")
    page = organiser.get(f"/organiser/c/{SLUG}/entries/A").get_data(as_text=True)
    assert f'href="{UPLOAD}/{submitted["pdf"]}" download>report.pdf</a>' in page
    assert submitted["png"] in page


def test_a_returned_entrys_submitted_files_stay_downloadable_after_the_draft_changes(
        app, make_user, coord, open_campaign, submitted):
    department_a = next(d for d in open_campaign.departments if d.code == "A")
    return_for_amendment(open_campaign, department_a, "Add the staff survey",
                         actor="olivia")
    assert coord.post(f"{UPLOAD}/{submitted['png']}/remove", {}).status_code == 303
    assert [r.filename for r in rows() if r.entry_id == rows()[0].entry_id] == ["report.pdf"]
    assert coord.get(f"{UPLOAD}/{submitted['png']}").status_code == 200
    organiser = signed_in(app, make_user, "organiser", "olivia")
    assert organiser.get(f"{UPLOAD}/{submitted['png']}").status_code == 200
    assert submitted["other"].get(f"{UPLOAD}/{submitted['png']}").status_code == 404
