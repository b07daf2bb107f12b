"""Verification page, public bundle download and the audit log viewer (SPEC sections 7, 9)."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import event, func, select, update

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
    from awards.publication.publish import republish

    republish(published.campaign, "Late conflict of interest found", "olivia")
    html = client.get(f"/verify/{SLUG}").get_data(as_text=True)
    assert "Late conflict of interest found" in html and "First publication" in html
    assert f"{SLUG}-audit-v3.zip" in html


def test_public_bundle_download_verifies_and_writes_nothing(published, client):
    statements = []

    def remember(conn, cursor, statement, *args):
        statements.append(statement.split()[0].upper())

    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        response = client.get(f"/verify/{SLUG}/bundle.zip")
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"] == \
        f'attachment; filename="{SLUG}-audit-v2.zip"'
    assert verify_bundle(response.data, published.campaign.signing_public_key) == []
    assert statements and not {"INSERT", "UPDATE", "DELETE"} & set(statements), statements


def cache_files(app) -> list[Path]:
    from awards.storage import exports_dir

    return sorted(exports_dir(SLUG).iterdir())


def test_public_bundle_is_built_once_and_served_from_the_exports_folder(published, client,
                                                                        app, monkeypatch):
    """An anonymous download must not rebuild and re-sign the bundle each time (DoS)."""
    from awards.publication import bundle as bundle_module

    first = client.get(f"/verify/{SLUG}/bundle.zip")
    [cached] = cache_files(app)
    assert cached.name.startswith("audit-bundle-v2-") and cached.read_bytes() == first.data

    def no_rebuild(*args, **kwargs):
        raise AssertionError("the bundle was rebuilt although nothing changed")

    monkeypatch.setattr(bundle_module, "build_bundle", no_rebuild)
    for _ in range(3):
        assert client.get(f"/verify/{SLUG}/bundle.zip").data == first.data
    monkeypatch.undo()

    record("note_added", SLUG, {"n": 1}, chain=SLUG, actor="olivia")  # a new audit head
    db.session.commit()
    second = client.get(f"/verify/{SLUG}/bundle.zip")
    assert second.data != first.data
    assert verify_bundle(second.data, published.campaign.signing_public_key) == []
    [cached] = cache_files(app)  # the stale file is gone, no temporary file is left
    assert cached.read_bytes() == second.data


def test_bundle_cache_key_follows_the_data_and_the_version(published, client, app):
    from awards.models import Score
    from awards.publication.publish import republish

    client.get(f"/verify/{SLUG}/bundle.zip")
    republish(published.campaign, "a correction", "olivia")
    response = client.get(f"/verify/{SLUG}/bundle.zip")
    assert response.headers["Content-Disposition"] == \
        f'attachment; filename="{SLUG}-audit-v3.zip"'
    assert [f.name[:16] for f in cache_files(app)] == ["audit-bundle-v3-"]
    score = db.session.scalars(select(Score)).first()
    score.value = score.value - 1 if score.value else 1  # behind the services' back
    db.session.commit()
    assert client.get(f"/verify/{SLUG}/bundle.zip").status_code == 409


def test_a_cache_that_cannot_be_written_still_serves_the_bundle(published, client, app,
                                                                 monkeypatch):
    from awards.publication import bundle as bundle_module

    def failing_replace(source, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(bundle_module.os, "replace", failing_replace)
    response = client.get(f"/verify/{SLUG}/bundle.zip")
    assert response.status_code == 200
    assert verify_bundle(response.data, published.campaign.signing_public_key) == []
    assert cache_files(app) == []  # neither a partial file nor the temporary one


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


def action_cell(code: str) -> str:
    """How the log's table shows a named action: its name, then its code."""
    from awards.labels import action_label

    return f'<td>{action_label(code)}<br><code class="action-code">{code}</code></td>'


def test_audit_log_needs_staff(published, client, make_user):
    response = client.get(f"/organiser/c/{SLUG}/audit")
    assert response.status_code in (302, 401)
    make_user("coordinator", "cora", "A")
    client.signin("cora", PASSWORD)
    assert client.get(f"/organiser/c/{SLUG}/audit").status_code == 403
    assert client.post(f"/organiser/c/{SLUG}/audit/bundle.zip").status_code == 403


def test_audit_log_shows_events_and_the_chain_check(published, signed_in):
    response = signed_in.get(f"/organiser/c/{SLUG}/audit")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    total = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.chain == SLUG))
    assert f"Hash chain intact: {total} events" in html
    assert action_cell("published") in html and action_cell("sample_drawn") in html
    assert "Prepare the audit bundle" in html and "Publish a corrected version" in html


def test_audit_log_filters_by_action_and_actor(published, signed_in):
    html = signed_in.get(f"/organiser/c/{SLUG}/audit?action=published").get_data(as_text=True)
    assert action_cell("published") in html and action_cell("sample_drawn") not in html
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
    assert "<html" not in html and action_cell("published") in html
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
    response = client.post(f"/organiser/c/{SLUG}/audit/bundle.zip")
    assert response.status_code == 200
    assert verify_bundle(response.data, published.campaign.signing_public_key) == []
    last = db.session.scalars(select(AuditEvent).where(AuditEvent.chain == SLUG)
                              .order_by(AuditEvent.seq.desc())).first()
    assert (last.action, last.actor) == ("bundle_exported", "audrey")


def test_staff_bundle_download_is_a_form_and_a_get_writes_nothing(published, signed_in):
    """SPEC 7 audits the export; a GET must not write, so the download is a POST form
    (shown to organisers once the bundle job has built the bundle)."""
    html = signed_in.get(f"/organiser/c/{SLUG}/audit").get_data(as_text=True)
    assert f'action="/organiser/c/{SLUG}/audit/bundle.zip"' not in html
    assert signed_in.post(f"/organiser/c/{SLUG}/audit/bundle-job").status_code == 303
    html = signed_in.get(f"/organiser/c/{SLUG}/audit").get_data(as_text=True)
    form = html.split(f'action="/organiser/c/{SLUG}/audit/bundle.zip"')[0].rsplit("<form", 1)[1]
    assert 'method="post"' in form
    assert f'href="/organiser/c/{SLUG}/audit/bundle.zip"' not in html
    before = count_events("bundle_exported")
    assert signed_in.get(f"/organiser/c/{SLUG}/audit/bundle.zip").status_code == 405
    assert signed_in.client.post(f"/organiser/c/{SLUG}/audit/bundle.zip").status_code == 400
    assert count_events("bundle_exported") == before
    response = signed_in.post(f"/organiser/c/{SLUG}/audit/bundle.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    [logged] = [json.loads(e.data) for e in db.session.scalars(select(AuditEvent).where(
        AuditEvent.chain == SLUG, AuditEvent.action == "bundle_exported"))]
    manifest = zipfile.ZipFile(io.BytesIO(response.data)).read("manifest.json")
    assert logged == {"version": 2, "manifest_sha256": hashlib.sha256(manifest).hexdigest()}


def test_organiser_publishes_from_the_page(final_judging_campaign, signed_in):
    html = signed_in.get(f"/organiser/c/{SLUG}/audit").get_data(as_text=True)
    assert "Publish results version 2" in html
    first = signed_in.post(f"/organiser/c/{SLUG}/publish", {})
    assert first.status_code == 200  # the confirmation page: nothing is published yet
    text = first.get_data(as_text=True)
    assert "Results version 2 becomes the published result" in text
    assert 'name="confirm" value="yes"' in text
    db.session.refresh(final_judging_campaign.campaign)
    assert final_judging_campaign.campaign.state == "final_judging"
    response = signed_in.post(f"/organiser/c/{SLUG}/publish", {"confirm": "yes"})
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
    first = signed_in.post(f"/organiser/c/{SLUG}/publish",
                           {"reason": "A mis-keyed score sheet"})
    assert "A mis-keyed score sheet" in first.get_data(as_text=True)
    assert count_events("published") == 1
    response = signed_in.post(f"/organiser/c/{SLUG}/publish",
                              {"reason": "A mis-keyed score sheet", "confirm": "yes"})
    assert response.status_code == 303
    events = [json.loads(e.data) for e in db.session.scalars(select(AuditEvent).where(
        AuditEvent.chain == SLUG, AuditEvent.action == "published"))]
    assert events[-1]["reason"] == "A mis-keyed score sheet"


def test_correction_without_a_reason_is_explained(published, signed_in):
    html = signed_in.post(f"/organiser/c/{SLUG}/publish", {"reason": ""}).get_data(
        as_text=True)
    assert "give the reason for the corrected version" in html
    assert 'name="confirm" value="yes"' not in html  # no button while it cannot be done
    signed_in.post(f"/organiser/c/{SLUG}/publish", {"reason": "", "confirm": "yes"})
    html = signed_in.get(f"/organiser/c/{SLUG}/audit").get_data(as_text=True)
    assert "give the reason for the corrected version" in html


# --------------------------------------------------------------------------- auditors and unpublished results

AUDITOR_PAGES = ("/organiser/", "/organiser/c/{slug}", "/organiser/c/{slug}/households",
                 "/organiser/c/{slug}/turnout", "/organiser/c/{slug}/audit",
                 "/organiser/c/{slug}/audit?action=results_computed",
                 "/organiser/c/{slug}/audit?actor=olivia", "/organiser/c/{slug}/results",
                 "/organiser/c/{slug}/results?version=1", "/organiser/c/{slug}/results?version=2",
                 "/results/{slug}", "/verify/{slug}", "/verify/{slug}/bundle.zip")


def auditor_client(client, make_user):
    make_user("auditor", "audrey")
    client.signin("audrey", PASSWORD)
    return client


def everything_the_auditor_reaches(client) -> str:
    """Every page, fragment and download an auditor can ask for, as one text (HTML entities
    decoded, zip members read), so a leak anywhere shows."""
    import html as html_module

    texts = []
    for url in AUDITOR_PAGES:
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(url.format(slug=SLUG), headers=headers)
            texts.append(response_text(response))
    for url in ("/organiser/c/{slug}/audit/bundle.zip",
                "/organiser/c/{slug}/results/export.csv",
                "/organiser/c/{slug}/results/export.xlsx",
                "/organiser/c/{slug}/results/export.pdf"):
        texts.append(response_text(client.post(url.format(slug=SLUG))))
    return html_module.unescape("\n".join(texts))


def response_text(response) -> str:
    if response.mimetype == "application/zip":
        archive = zipfile.ZipFile(io.BytesIO(response.data))
        return "\n".join(archive.read(name).decode("utf-8") for name in archive.namelist())
    if response.mimetype.startswith("text/") or response.mimetype == "application/json":
        return response.get_data(as_text=True)
    return response.data.decode("latin-1")  # xlsx/pdf bytes: a digest would still show


def results_secrets(campaign) -> list[str]:
    """What no one but an organiser may read before publication: each version's inputs
    digest (whole and as shortened on pages), and the results keys of the audit data."""
    from awards.models import ResultVersion

    digests = db.session.scalars(select(ResultVersion.inputs_digest).where(
        ResultVersion.campaign_id == campaign.id)).all()
    assert digests
    return ([d for d in digests] + [d[:12] for d in digests]
            + ['"finalists"', '"best_public_image"', '"inputs_digest"'])


def test_auditor_reads_nothing_of_the_results_before_publication(final_judging_campaign,
                                                                  client, make_user):
    """SPEC 9: results hidden before publication, also in the audit log's event data."""
    campaign = final_judging_campaign.campaign
    seen = everything_the_auditor_reaches(auditor_client(client, make_user))
    for secret in results_secrets(campaign):
        assert secret not in seen, secret
    html = client.get(f"/organiser/c/{SLUG}/audit?action=results_computed").get_data(
        as_text=True)
    assert "2 events match." in html  # that it happened is no secret
    assert html.count("Withheld until these results are published.") == 2


def test_organiser_reads_the_results_events_before_publication(final_judging_campaign,
                                                               signed_in):
    import html as html_module

    campaign = final_judging_campaign.campaign
    page = html_module.unescape(signed_in.get(
        f"/organiser/c/{SLUG}/audit?action=results_computed").get_data(as_text=True))
    assert "Withheld" not in page
    assert '"finalists"' in page and '"best_public_image"' in page
    assert results_secrets(campaign)[0][:40] in page


def test_auditor_reads_the_results_events_after_publication(published, client, make_user):
    import html as html_module

    auditor_client(client, make_user)
    page = html_module.unescape(client.get(
        f"/organiser/c/{SLUG}/audit?action=results_computed").get_data(as_text=True))
    assert "Withheld" not in page
    assert '"finalists"' in page and '"best_public_image"' in page
    for secret in results_secrets(published.campaign):
        assert secret in everything_the_auditor_reaches(client)


def test_a_pending_correction_stays_with_the_organisers(published, client, make_user):
    """After publication, a corrected version computed but not published yet is hidden from
    auditors everywhere: log data, version list, version page, exports, public bundle."""
    import html as html_module

    from awards.results.services import compute_campaign_results

    compute_campaign_results(published.campaign, "olivia", reason="A mis-keyed score sheet")
    auditor_client(client, make_user)
    page = html_module.unescape(client.get(
        f"/organiser/c/{SLUG}/audit?action=results_computed").get_data(as_text=True))
    assert "3 events match." in page
    assert page.count("Withheld until these results are published.") == 1
    assert '"version":3' not in page and '"version":2' in page
    results = client.get(f"/organiser/c/{SLUG}/results").get_data(as_text=True)
    assert "Version 2" in results and "Version 3" not in results
    assert "A mis-keyed score sheet" not in results
    assert client.get(f"/organiser/c/{SLUG}/results?version=3").status_code == 404
    assert client.post(f"/organiser/c/{SLUG}/results/export.csv?version=3").status_code == 404
    for response in (client.get(f"/verify/{SLUG}/bundle.zip"),
                     client.post(f"/organiser/c/{SLUG}/audit/bundle.zip")):
        archive = zipfile.ZipFile(io.BytesIO(response.data))
        events = [json.loads(line) for line in
                  archive.read("audit_log.jsonl").decode("utf-8").splitlines()]
        assert [e["data"]["version"] for e in events if e["action"] == "results_computed"] \
            == [1, 2]
        assert verify_bundle(response.data, published.campaign.signing_public_key) == []


def test_a_published_correction_shows_again(published, client, make_user):
    from awards.publication.publish import republish

    republish(published.campaign, "A mis-keyed score sheet", "olivia")
    auditor_client(client, make_user)
    page = client.get(f"/organiser/c/{SLUG}/audit?action=results_computed").get_data(
        as_text=True)
    assert "Withheld" not in page
    assert "Version 3" in client.get(f"/organiser/c/{SLUG}/results").get_data(as_text=True)
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/verify/{SLUG}/bundle.zip").data))
    assert '"version":3' in archive.read("audit_log.jsonl").decode("utf-8")


@pytest.mark.parametrize(("action", "data", "disclosed", "withheld"), [
    ("results_computed", '{"version":2,"finalists":["A"]}', 0, True),
    ("results_computed", '{"version":2,"finalists":["A"]}', 2, False),
    ("results_computed", '{"version":3,"finalists":["A"]}', 2, True),
    ("results_exported", '{"format":"csv","version":3}', 2, True),
    ("results_computed", '{"finalists":["A"]}', 5, True),
    ("results_computed", '{"version":true}', 5, True),
    ("results_computed", "[]", 5, True),
    ("sample_drawn", '{"seed":"x"}', 0, False),
])
def test_which_event_data_is_withheld(action, data, disclosed, withheld):
    from awards.publication.disclosure import withholds_data

    assert withholds_data(action, data, disclosed) is withheld


def test_audit_filter_names_actions_in_the_readers_language(published, signed_in):
    """The action filter lists names, not codes, in English and in 中文; the value sent is
    still the code, so filtering works the same in both languages."""
    html = signed_in.get(f"/organiser/c/{SLUG}/audit").get_data(as_text=True)
    assert '<option value="published">Results published</option>' in html
    assert '<option value="sample_drawn">Sample drawn</option>' in html
    assert ">published<" not in html.split('id="filter-action"')[1].split("</select>")[0]
    zh = signed_in.get(f"/organiser/c/{SLUG}/audit?action=published",
                       headers={"Accept-Language": "zh-HK"}).get_data(as_text=True)
    assert '<option value="published" selected>已公布結果</option>' in zh
    assert '<option value="sample_drawn">已抽出樣本</option>' in zh
    assert "<td>已公布結果<br>" in zh


def test_every_recorded_action_has_a_name_in_both_languages(app):
    """Every action a service records (found in the source) is named, and translated."""
    import re

    from babel.messages.pofile import read_po
    from awards.labels import AUDIT_ACTIONS

    from ..conftest import ROOT

    source = "\n".join(p.read_text(encoding="utf-8")
                       for p in (ROOT / "awards").rglob("*.py"))
    recorded = set(re.findall(r'\brecord\(\s*"([a-z_]+)"', source))
    recorded |= set(re.findall(r'_ACTION = "([a-z_]+)"', source))
    assert recorded and recorded - set(AUDIT_ACTIONS) == set()
    catalogue = ROOT / "awards/translations/zh_Hant_HK/LC_MESSAGES/messages.po"
    with catalogue.open("rb") as f:
        translated = {m.id: m.string for m in read_po(f) if m.id and m.string}
    for code, name in AUDIT_ACTIONS.items():
        assert translated.get(name._args[0]), f"{code}: {name._args[0]!r} has no 中文"


def test_audit_log_filters_by_day(published, signed_in):
    day = db.session.scalar(select(AuditEvent.at).where(AuditEvent.chain == SLUG))[:10]
    total = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.chain == SLUG))
    html = signed_in.get(f"/organiser/c/{SLUG}/audit?from={day}&to={day}").get_data(
        as_text=True)
    assert f"{total} events match." in html
    html = signed_in.get(f"/organiser/c/{SLUG}/audit?from=2000-01-01&to=2000-12-31")\
        .get_data(as_text=True)
    assert "0 events match." in html
    html = signed_in.get(f"/organiser/c/{SLUG}/audit?from=2999-01-01").get_data(as_text=True)
    assert "0 events match." in html
    assert 'name="from" value="2999-01-01"' in html


@pytest.mark.parametrize("query, field, english, chinese", [
    ("from=23/11/2026", "from", "Write the date as YYYY-MM-DD, for example 2026-11-23.",
     "請以「年年年年-月月-日日」格式填寫日期，例如 2026-11-23。"),
    ("from=2026-02-30", "from", "Write the date as YYYY-MM-DD, for example 2026-11-23.",
     "請以「年年年年-月月-日日」格式填寫日期，例如 2026-11-23。"),
    ("from=2026-12-01&to=2026-11-01", "to", "The last day comes before the first day.",
     "結束日期早於開始日期。"),
])
def test_a_bad_day_is_explained_and_ignored(published, signed_in, query, field, english,
                                            chinese):
    total = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.chain == SLUG))
    response = signed_in.get(f"/organiser/c/{SLUG}/audit?{query}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert english in html and f'id="filter-{field}-error"' in html
    assert f"{total} events match." in html  # the bad day filters nothing
    zh = signed_in.get(f"/organiser/c/{SLUG}/audit?{query}",
                       headers={"Accept-Language": "zh-HK"}).get_data(as_text=True)
    assert chinese in zh


def test_audit_log_shows_the_staff_chain_on_request(published, signed_in):
    from awards.models.audit import SYSTEM_CHAIN

    staff = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.chain == SYSTEM_CHAIN))
    html = signed_in.get(f"/organiser/c/{SLUG}/audit?chain={SYSTEM_CHAIN}").get_data(
        as_text=True)
    assert f"Hash chain intact: {staff} events" in html
    assert action_cell("staff_signed_in") in html and action_cell("published") not in html
    # any other chain name shows the campaign's own chain, never another campaign's
    html = signed_in.get(f"/organiser/c/{SLUG}/audit?chain=another-campaign").get_data(
        as_text=True)
    assert action_cell("published") in html


def test_page_links_keep_every_filter_and_work_without_javascript(published, signed_in):
    for number in range(120):
        record("note_added", SLUG, {"n": number}, chain=SLUG, actor="olivia")
    db.session.commit()
    day = db.session.scalar(select(AuditEvent.at).where(AuditEvent.chain == SLUG))[:10]
    html = signed_in.get(f"/organiser/c/{SLUG}/audit?action=note_added&from={day}&page=2")\
        .get_data(as_text=True)
    assert "Page 2 of 3" in html and html.count("<td>note_added</td>") == 50
    for page in (1, 3):
        assert (f"/organiser/c/{SLUG}/audit?page={page}&amp;action=note_added&amp;from={day}"
                in html)
    assert 'rel="prev"' in html and 'rel="next"' in html
