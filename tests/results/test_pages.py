"""Organiser results page, compute button, exports and the public page (plain and htmx)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from sqlalchemy import func, select

from awards.audit.service import chain_events
from awards.extensions import db
from awards.models import AuditEvent, Department, ResultVersion
from awards.models.base import utcnow
from awards.results.services import compute_campaign_results

from ..conftest import PASSWORD

HX = {"HX-Request": "true"}
PAGE = "/organiser/c/example/results"


@pytest.fixture
def computed(scored):
    scored.bootstrap = 200
    db.session.commit()
    compute_campaign_results(scored, actor="olivia")
    return scored


def mark_published(campaign, *versions: int) -> None:
    """What :func:`awards.publication.publish.publish` leaves behind, without its preconditions
    (the example campaign has no sample or signing key): the campaign published and the
    given versions (default: the latest) stamped as published."""
    rows = db.session.scalars(select(ResultVersion).order_by(ResultVersion.version)).all()
    for row in rows:
        if row.version in versions or (not versions and row is rows[-1]):
            row.published_at = row.computed_at
    campaign.state = "published"
    db.session.commit()


def export(client, fmt: str, **kwargs):
    """Download an export the way the page does: a POST form with the CSRF token."""
    return client.post(f"{PAGE}/export.{fmt}", **kwargs)


def open_voting_now(campaign) -> None:
    """Voting open: the campaign in adjudication with a window that started an hour ago."""
    campaign.state = "adjudication"
    campaign.voting_opens_at = utcnow() - dt.timedelta(hours=1)
    from ..conftest import open_the_vote_now

    open_the_vote_now(campaign)
    campaign.voting_closes_at = None
    db.session.commit()


def assert_safe_html(html: str) -> None:
    """The CSP forbids inline styles and inline scripts."""
    assert "style=" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)


@pytest.mark.parametrize("headers", [{}, HX], ids=["page", "htmx"])
def test_organiser_page_shows_every_part(signed_in, computed, headers):
    response = signed_in.get(PAGE, headers=headers)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert_safe_html(html)
    assert ("<!doctype html>" in html) == (not headers)
    assert 'id="results-page"' in html
    for text in ("Public vote", "Best Public Image Award", "not statistically conclusive",
                 "% of resamples another department came first", "Judge effects",
                 "J01", "+7.71", "Combined ranking", "Finalist cut", "0.7079",
                 "Sensitivity of the finalists", "Final round and awards", "Grand Award",
                 "Department B", "Compute results again", "export.xlsx", "export.pdf"):
        assert text in html, text
    # three charts, each wide (tablets, desktops) and narrow (phones)
    assert html.count('role="img"') == 6 and html.count("<desc") == 6
    assert html.count("chart-svg chart-wide") == html.count("chart-svg chart-narrow") == 3
    assert "j1" not in re.sub(r"<[^>]+>", "", html).split()  # usernames stay private


def test_organiser_page_in_chinese(signed_in, computed):
    response = signed_in.get(PAGE, headers={"Accept-Language": "zh-HK"})
    html = response.get_data(as_text=True)
    assert "乙部門" in html and "大獎" in html
    assert 'lang="zh-Hant-HK"' in html


def test_page_before_any_result(signed_in, example):
    response = signed_in.get(PAGE)
    assert response.status_code == 200
    assert "No results have been computed" in response.get_data(as_text=True)


@pytest.mark.parametrize("headers", [{}, HX], ids=["page", "htmx"])
def test_compute_button(signed_in, scored, headers):
    scored.bootstrap = 100
    db.session.commit()
    signed_in.get(PAGE)
    response = signed_in.post(PAGE + "/compute", headers=headers)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(PAGE)
    assert db.session.scalar(select(ResultVersion.computed_by)) == "olivia"
    page = signed_in.get(PAGE, headers=headers).get_data(as_text=True)
    assert "Results version 1 computed." in page


@pytest.mark.parametrize("headers", [{}, HX], ids=["page", "htmx"])
def test_compute_error_is_shown(signed_in, example, headers):
    signed_in.get(PAGE)
    response = signed_in.post(PAGE + "/compute", headers=headers)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "The results could not be computed." in html
    assert "fewer than 2 complete preliminary scorecard" in html
    assert ("<!doctype html>" in html) == (not headers)


@pytest.mark.parametrize("headers", [{}, HX], ids=["page", "htmx"])
def test_no_compute_button_while_voting_is_open(signed_in, scored, headers):
    """SPEC 4: exact counts taken while the vote runs could link ballots to households."""
    from awards.phases import close_voting

    open_voting_now(scored)
    html = signed_in.get(PAGE, headers=headers).get_data(as_text=True)
    assert "close voting before computing results" in html
    assert "Compute results" not in html and 'action="/organiser/c/example/results/compute"' \
        not in html
    response = signed_in.post(PAGE + "/compute", headers=headers)
    assert response.status_code == 422
    assert ("close voting before computing results: exact counts while voting is open could "
            "link ballots to households") in response.get_data(as_text=True)
    assert db.session.scalar(select(ResultVersion)) is None
    close_voting(scored)
    assert "Compute results" in signed_in.get(PAGE, headers=headers).get_data(as_text=True)


def test_compute_needs_csrf(signed_in, scored):
    response = signed_in.client.post(PAGE + "/compute", data={})
    assert response.status_code == 400
    assert db.session.scalar(select(ResultVersion)) is None


def test_recompute_after_publication_needs_reason_and_stays_unpublished(signed_in,
                                                                         computed, client):
    mark_published(computed)
    page = signed_in.get(PAGE).get_data(as_text=True)
    assert 'name="reason"' in page
    response = signed_in.post(PAGE + "/compute")
    assert response.status_code == 409
    assert "give a reason" in response.get_data(as_text=True)
    response = signed_in.post(PAGE + "/compute", {"reason": "late paper returns"})
    assert response.status_code == 303
    second = db.session.scalar(select(ResultVersion).where(ResultVersion.version == 2))
    assert second.reason == "late paper returns" and second.published_at is None
    assert "Not published" in signed_in.get(PAGE).get_data(as_text=True)
    public = client.get("/results/example").get_data(as_text=True)
    assert "late paper returns" not in public and "?version=2" not in public
    assert client.get("/results/example?version=2").status_code == 404


def test_auditor_sees_nothing_before_publication(client, make_user, computed):
    """SPEC 1 and 9: auditors read *published* results; organisers see them at any time."""
    make_user("auditor", "audrey")
    client.signin("audrey", PASSWORD)
    before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    assert client.get(PAGE).status_code == 404
    assert client.get(PAGE, headers=HX).status_code == 404
    assert client.get(PAGE + "?version=1").status_code == 404
    for fmt in ("csv", "xlsx", "pdf"):
        assert export(client, fmt).status_code == 404
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == before


def test_auditor_reads_after_publication_but_cannot_compute(client, make_user, computed):
    make_user("auditor", "audrey")
    client.signin("audrey", PASSWORD)
    mark_published(computed)
    html = client.get(PAGE).get_data(as_text=True)
    assert "Best Public Image" in html and "Compute results" not in html
    assert export(client, "csv").status_code == 200
    assert client.post(PAGE + "/compute").status_code == 403


@pytest.mark.parametrize("role", ["judge", "coordinator"])
def test_other_staff_are_refused(client, make_user, computed, role):
    make_user(role, "someone", department="A" if role == "coordinator" else None)
    client.signin("someone", PASSWORD)
    assert client.get(PAGE).status_code == 403
    assert export(client, "csv").status_code == 403


def test_anonymous_is_asked_to_sign_in(client, computed):
    response = client.get(PAGE)
    assert response.status_code in (302, 401)
    assert export(client, "pdf").status_code in (302, 401)


def test_earlier_version_and_unknown_version(signed_in, computed):
    compute_campaign_results(computed)
    html = signed_in.get(PAGE + "?version=1").get_data(as_text=True)
    assert "An earlier version" in html
    assert signed_in.get(PAGE + "?version=9").status_code == 404


@pytest.mark.parametrize("headers", [{}, HX], ids=["page", "htmx"])
@pytest.mark.parametrize("fmt,mimetype,magic", [
    ("csv", "text/csv", b"\xef\xbb\xbfrank,department"),
    ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b"PK"),
    ("pdf", "application/pdf", b"%PDF"),
])
def test_exports_download(signed_in, computed, fmt, mimetype, magic, headers):
    response = export(signed_in, fmt, headers=headers)
    assert response.status_code == 200
    assert response.mimetype == mimetype
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="example-results-v1.{fmt}"')
    assert response.data.startswith(magic)
    event = chain_events("example")[-1]
    assert (event.action, event.actor) == ("results_exported", "olivia")


def test_exports_are_forms_with_csrf_and_a_get_writes_nothing(signed_in, computed):
    """SPEC 7 audits every export, and a GET must not write: the downloads are POST forms."""
    html = signed_in.get(PAGE).get_data(as_text=True)
    for fmt in ("csv", "xlsx", "pdf"):
        url = f"/organiser/c/example/results/export.{fmt}?version=1"
        assert f'<form method="post" class="inline-form" action="{url}">' in html
        assert f'href="{url}' not in html
    before = len(chain_events("example"))
    assert signed_in.get(PAGE + "/export.csv").status_code == 405
    assert signed_in.client.post(PAGE + "/export.csv").status_code == 400  # no CSRF token
    assert len(chain_events("example")) == before


def test_xlsx_has_the_four_sheets(signed_in, computed):
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(export(signed_in, "xlsx").data))
    assert book.sheetnames == ["public", "judges", "combined", "final"]
    combined = list(book["combined"].iter_rows(values_only=True))
    assert combined[0][:2] == ("rank", "department") and combined[1][1] == "B"
    final = list(book["final"].iter_rows(values_only=True))
    assert final[1][1] == "B" and final[1][6] == "Grand Award" and final[1][7] == "大獎"


def test_csv_has_ranking_and_shares_and_escapes_formulas(signed_in, computed):
    dept = db.session.scalar(select(Department).where(Department.code == "B"))
    dept.name_en = "=HYPERLINK(\"http://evil\")"
    dept.name_zh = "@SUM(1)"
    db.session.commit()
    text = export(signed_in, "csv").data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["department"] for r in rows] == ["B", "A", "D", "E", "C"]
    first = rows[0]
    assert first["name_en"].startswith("'=") and first["name_zh"] == "'@SUM(1)"
    assert first["finalist"] == "yes" and first["award"] == "Grand Award"
    assert float(first["weighted_share"]) == pytest.approx(0.393998, abs=1e-6)
    assert float(rows[4]["combined"]) < 0  # numbers stay numbers


def test_pdf_has_chinese_font_and_charts(signed_in, computed):
    data = export(signed_in, "pdf", headers={"Accept-Language": "zh-HK"}).data
    assert data.startswith(b"%PDF") and len(data) > 5000


def test_unknown_export_format(signed_in, computed):
    assert export(signed_in, "doc").status_code == 404


def test_export_without_results(signed_in, example):
    assert export(signed_in, "csv").status_code == 404


@pytest.mark.parametrize("headers", [{}, HX], ids=["page", "htmx"])
def test_public_page_is_404_until_published(client, computed, headers):
    assert client.get("/results/example", headers=headers).status_code == 404
    computed.state = "finalists_announced"
    db.session.commit()
    assert client.get("/results/example", headers=headers).status_code == 404
    mark_published(computed)
    response = client.get("/results/example", headers=headers)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert_safe_html(html)
    assert ("<!doctype html>" in html) == (not headers)
    for text in ("Grand Award", "Department B", "Best Public Image Award",
                 "not statistically conclusive", "/verify/example", 'role="img"'):
        assert text in html, text
    assert "Judge effects" not in html


def test_public_page_shows_the_latest_published_version(client, computed):
    mark_published(computed)
    compute_campaign_results(computed, reason="corrected census total")
    html = client.get("/results/example").get_data(as_text=True)
    assert "corrected census total" not in html  # computed, not published
    mark_published(computed, 1, 2)  # as awards.publication.publish.republish does
    html = client.get("/results/example").get_data(as_text=True)
    assert "corrected census total" in html and "?version=1" in html
    old = client.get("/results/example?version=1").get_data(as_text=True)
    assert "which has been replaced" in old
    assert client.get("/results/example?version=7").status_code == 404


def test_public_page_unknown_campaign(client):
    assert client.get("/results/nothing").status_code == 404


def test_results_styles_are_in_the_app_stylesheet(client):
    response = client.get("/static/css/app.css")
    assert response.status_code == 200 and response.mimetype == "text/css"
    assert ".results" in response.get_data(as_text=True)


def test_without_bootstrap_or_final_round(signed_in, example):
    """Diagnostics switched off and no final-round scores yet: every view still renders."""
    from awards.results.scores_import import import_scores

    from .conftest import example_sheet

    example.bootstrap = 0
    example.finalists = 5  # every department is a finalist: no cut line
    db.session.commit()
    import_scores(example, example_sheet(final=False))
    compute_campaign_results(example)
    html = signed_in.get(PAGE).get_data(as_text=True)
    assert "No resampling was run" in html
    assert "The final round has not been scored yet" in html
    assert "Finalist cut:" not in html
    for fmt in ("csv", "xlsx", "pdf"):
        assert export(signed_in, fmt).status_code == 200
    mark_published(example)
    assert signed_in.get("/results/example").status_code == 200


def test_auditor_never_sees_an_unpublished_correction(client, make_user, computed):
    """After publication a recomputed version stays with the organisers until published."""
    mark_published(computed)
    compute_campaign_results(computed, actor="olivia", reason="late paper returns")
    make_user("auditor", "audrey")
    client.signin("audrey", PASSWORD)
    for headers in ({}, HX):
        html = client.get(PAGE, headers=headers).get_data(as_text=True)
        assert "Version 1" in html and "Version 2" not in html
        assert "late paper returns" not in html and "?version=2" not in html
    assert client.get(PAGE + "?version=2").status_code == 404
    for fmt in ("csv", "xlsx", "pdf"):
        assert export(client, fmt, query_string={"version": 2}).status_code == 404
