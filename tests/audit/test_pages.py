"""Verification page, public bundle download and the audit log viewer (SPEC sections 7, 9)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from awards.audit.service import record
from awards.audit.verify import verify_bundle
from awards.extensions import db
from awards.models import AuditEvent

from ..conftest import PASSWORD

SLUG = "csea-worked"


def count_events(action: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.chain == SLUG, AuditEvent.action == action))


# --------------------------------------------------------------------------- public pages


@pytest.mark.parametrize("url", ["/verify/{slug}", "/verify/{slug}/bundle.zip",
                                 "/verify/{slug}/verify.py"])
def test_nothing_public_before_publication(final_judging_campaign, client, url):
    assert client.get(url.format(slug=SLUG)).status_code == 404
    assert client.get(url.format(slug="no-such-campaign")).status_code == 404


def test_verification_page_in_english(published, client):
    response = client.get(f"/verify/{SLUG}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    key = published.campaign.signing_public_key
    assert '<html lang="en">' in html
    assert "Verify the results" in html
    assert key in html
    assert f'href="/verify/{SLUG}/bundle.zip"' in html
    assert f"python verify.py {SLUG}-audit-v2.zip --public-key {key}" in html
    assert f"python -m awards.audit.verify {SLUG}-audit-v2.zip" in html
    assert 'action="/receipt"' in html and 'name="ballot"' in html
    assert 'name="csrf_token"' in html
    assert "ballots.csv" in html and "First publication" in html
    assert 'style="' not in html and "<script>" not in html


def test_verification_page_in_chinese(published, client):
    response = client.get(f"/verify/{SLUG}", headers={"Accept-Language": "zh-HK,zh;q=0.9"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="zh-Hant-HK">' in html
    assert published.campaign.signing_public_key in html
    assert "顧客服務卓越獎（示例）" in html


def test_verification_page_lists_corrections(published, client):
    from awards.audit.publish import republish

    republish(published.campaign, "Late conflict of interest found", "olivia")
    html = client.get(f"/verify/{SLUG}").get_data(as_text=True)
    assert "Late conflict of interest found" in html and "First publication" in html
    assert f"{SLUG}-audit-v3.zip" in html


def test_public_bundle_download_verifies_and_is_not_logged(published, client):
    before = count_events("bundle_exported")
    response = client.get(f"/verify/{SLUG}/bundle.zip")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"] == \
        f'attachment; filename="{SLUG}-audit-v2.zip"'
    assert verify_bundle(response.data, published.campaign.signing_public_key) == []
    assert count_events("bundle_exported") == before


def test_verifier_source_download(published, client):
    from awards.audit import verify

    response = client.get(f"/verify/{SLUG}/verify.py")
    assert response.status_code == 200
    assert response.data == Path(verify.__file__).read_bytes()
    assert 'filename="verify.py"' in response.headers["Content-Disposition"]


def test_receipt_form_on_the_page_checks_a_ballot(published, client):
    client.get(f"/verify/{SLUG}")
    receipt = published.web_ballots[0]
    response = client.post("/receipt", {"ballot": receipt})
    assert response.status_code == 200
    assert "is in the count" in response.get_data(as_text=True)


# --------------------------------------------------------------------------- audit log viewer


@pytest.fixture
def signed_in(client, organiser):
    client.signin("olivia", PASSWORD)
    return client


def test_audit_log_needs_staff(published, client, make_user):
    response = client.get(f"/organiser/c/{SLUG}/audit")
    assert response.status_code in (302, 401)
    make_user("coordinator", "cora", "A")
    client.signin("cora", PASSWORD)
    assert client.get(f"/organiser/c/{SLUG}/audit").status_code == 403
    assert client.get(f"/organiser/c/{SLUG}/audit/bundle.zip").status_code == 403


def test_audit_log_shows_events_and_the_chain_check(published, signed_in):
    response = signed_in.get(f"/organiser/c/{SLUG}/audit")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    total = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.chain == SLUG))
    assert f"Hash chain intact: {total} events" in html
    assert "<td>published</td>" in html and "<td>sample_drawn</td>" in html
    assert "Download the audit bundle" in html and "Publish a corrected version" in html


def test_audit_log_filters_by_action_and_actor(published, signed_in):
    html = signed_in.get(f"/organiser/c/{SLUG}/audit?action=published").get_data(as_text=True)
    assert "<td>published</td>" in html and "<td>sample_drawn</td>" not in html
    assert "1 event matches." in html
    html = signed_in.get(f"/organiser/c/{SLUG}/audit?actor=olivia").get_data(as_text=True)
    rows = html.split("<tbody>")[1].split("</tbody>")[0]
    assert rows.count("<tr>") == db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(
            AuditEvent.chain == SLUG, AuditEvent.actor == "olivia"))
    assert "<td>system</td>" not in rows
    html = signed_in.get(f"/organiser/c/{SLUG}/audit?action=nothing").get_data(as_text=True)
    assert "0 events match." in html


def test_audit_log_paginates_with_filters_kept(published, signed_in):
    for number in range(60):
        record("note_added", SLUG, {"n": number}, chain=SLUG, actor="olivia")
    db.session.commit()
    html = signed_in.get(f"/organiser/c/{SLUG}/audit?action=note_added").get_data(
        as_text=True)
    assert "Page 1 of 2" in html
    assert f"/organiser/c/{SLUG}/audit?page=2&amp;action=note_added" in html
    page2 = signed_in.get(f"/organiser/c/{SLUG}/audit?action=note_added&page=2").get_data(
        as_text=True)
    assert "Page 2 of 2" in page2 and page2.count("<td>note_added</td>") == 10
    assert "Newer events" in page2
    assert signed_in.get(f"/organiser/c/{SLUG}/audit?page=99").status_code == 200


def test_audit_log_fragment_for_htmx(published, signed_in):
    response = signed_in.get(f"/organiser/c/{SLUG}/audit?action=published",
                             headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html and "<td>published</td>" in html
    assert "HX-Request" in response.headers.get("Vary", "")


def test_broken_chain_is_shown(published, signed_in):
    db.session.execute(update(AuditEvent).where(AuditEvent.chain == SLUG,
                                                AuditEvent.seq == 3).values(actor="mallory"))
    db.session.commit()
    html = signed_in.get(f"/organiser/c/{SLUG}/audit").get_data(as_text=True)
    assert "Hash chain broken at event 3: event 3 was altered (hash mismatch)" in html


def test_auditor_reads_the_log_and_downloads_the_bundle(published, client, make_user):
    make_user("auditor", "audrey")
    client.signin("audrey", PASSWORD)
    html = client.get(f"/organiser/c/{SLUG}/audit").get_data(as_text=True)
    assert "Download the audit bundle" in html
    assert "Publish a corrected version" not in html  # organisers only
    response = client.get(f"/organiser/c/{SLUG}/audit/bundle.zip")
    assert response.status_code == 200
    assert verify_bundle(response.data, published.campaign.signing_public_key) == []
    last = db.session.scalars(select(AuditEvent).where(AuditEvent.chain == SLUG)
                              .order_by(AuditEvent.seq.desc())).first()
    assert (last.action, last.actor) == ("bundle_exported", "audrey")


def test_organiser_publishes_from_the_page(final_judging_campaign, signed_in):
    html = signed_in.get(f"/organiser/c/{SLUG}/audit").get_data(as_text=True)
    assert "Publish results version 2" in html
    response = signed_in.post(f"/organiser/c/{SLUG}/publish", {})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/organiser/c/{SLUG}/audit")
    campaign = final_judging_campaign.campaign
    db.session.refresh(campaign)
    assert campaign.state == "published"
    page = signed_in.get(f"/organiser/c/{SLUG}/audit").get_data(as_text=True)
    assert "Results version 2 is published and signed." in page


def test_publish_form_needs_csrf_and_an_organiser(final_judging_campaign, client,
                                                  make_user):
    make_user("auditor", "audrey")
    client.signin("audrey", PASSWORD)
    assert client.post(f"/organiser/c/{SLUG}/publish", {}).status_code == 403
    assert client.client.post(f"/organiser/c/{SLUG}/publish").status_code in (400, 403)
    db.session.refresh(final_judging_campaign.campaign)
    assert final_judging_campaign.campaign.state == "final_judging"


def test_correction_from_the_page(published, signed_in):
    response = signed_in.post(f"/organiser/c/{SLUG}/publish",
                              {"reason": "A mis-keyed score sheet"})
    assert response.status_code == 303
    events = [json.loads(e.data) for e in db.session.scalars(select(AuditEvent).where(
        AuditEvent.chain == SLUG, AuditEvent.action == "published"))]
    assert events[-1]["reason"] == "A mis-keyed score sheet"


def test_correction_without_a_reason_is_explained(published, signed_in):
    signed_in.post(f"/organiser/c/{SLUG}/publish", {"reason": ""})
    html = signed_in.get(f"/organiser/c/{SLUG}/audit").get_data(as_text=True)
    assert "give the reason for the corrected version" in html
