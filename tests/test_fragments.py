"""Fragment or page: one rule for every view and error (htmx 2 request headers).

A targeted htmx request gets a fragment; a boosted link or form (``hx-boost``, which every
household page uses) and a history restore swap the whole body and get a full page."""

from __future__ import annotations

import pytest

from awards.voting.codes import generate_code
from awards.web.fragments import wants_fragment

from .conftest import PASSWORD, CsrfClient
from .voting.conftest import (  # noqa: F401
    config_text,
    letters,
    letters_snapshot,
    open_campaign,
    open_snapshot,
    sampled_campaign,
    sampled_snapshot,
)

TARGETED = {"HX-Request": "true"}
BOOSTED = {"HX-Request": "true", "HX-Boosted": "true"}
RESTORE = {"HX-Request": "true", "HX-History-Restore-Request": "true"}


def is_page(response) -> bool:
    return "<html" in response.get_data(as_text=True)


@pytest.mark.parametrize(("headers", "fragment"), [
    ({}, False), (TARGETED, True), (BOOSTED, False), (RESTORE, False),
    ({"HX-Request": "false"}, False), ({"HX-Boosted": "true"}, False),
])
def test_wants_fragment(app, headers, fragment):
    with app.test_request_context("/", headers=headers):
        assert wants_fragment() is fragment


def test_boosted_receipt_check_over_its_rate_limit_gets_a_full_page(app):
    """The receipt check (a boosted household form) is limited to 30 posts a minute; the
    31st answers 429 as a whole page, which htmx swaps into the body."""
    client = CsrfClient(app.test_client())
    client.client.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    client.get("/receipt")
    statuses = [client.post("/receipt", {"ballot": "not-a-ballot"}, headers=BOOSTED)
                for _ in range(31)]
    assert {r.status_code for r in statuses[:30]} == {422}
    limited = statuses[30]
    assert limited.status_code == 429 and is_page(limited)
    assert "Too many attempts" in limited.get_data(as_text=True)
    targeted = client.post("/receipt", {"ballot": "not-a-ballot"}, headers=TARGETED)
    assert targeted.status_code == 429 and not is_page(targeted)
    assert "Too many attempts" in targeted.get_data(as_text=True)


def test_boosted_code_form_slowed_down_gets_a_full_page(open_campaign, app):
    client = CsrfClient(app.test_client())
    client.client.environ_base["REMOTE_ADDR"] = "198.51.100.8"
    client.get("/vote")
    statuses = [client.post("/vote", {"code": generate_code()}, headers=BOOSTED)
                for _ in range(6)]
    assert [r.status_code for r in statuses] == [422] * 5 + [429]
    assert all(is_page(r) for r in statuses)
    assert "Too many codes were tried" in statuses[-1].get_data(as_text=True)


def test_boosted_form_with_an_expired_token_gets_a_full_error_page(app):
    raw = app.test_client()
    boosted = raw.post("/vote", data={"code": "ABCD", "csrf_token": "stale"}, headers=BOOSTED)
    targeted = raw.post("/vote", data={"code": "ABCD", "csrf_token": "stale"},
                        headers=TARGETED)
    assert boosted.status_code == targeted.status_code == 400
    assert is_page(boosted) and not is_page(targeted)
    assert b"expired" in boosted.data and b"expired" in targeted.data


@pytest.mark.parametrize(("headers", "page"), [
    (BOOSTED, True), (RESTORE, True), (TARGETED, False), ({}, True)])
def test_not_found_page_or_fragment(client, headers, page):
    response = client.get("/no-such-page", headers=headers)
    assert response.status_code == 404 and is_page(response) is page
    assert b"Page not found" in response.data


@pytest.fixture
def organiser_client(client, organiser, campaign):
    client.signin("olivia", PASSWORD)
    return client


@pytest.mark.parametrize("url", [
    "/organiser/c/csea-test/audit", "/organiser/c/csea-test/results",
    "/organiser/c/csea-test/turnout", "/organiser/sign-ins"])
def test_views_answer_boosted_and_restored_requests_with_pages(organiser_client, url):
    for headers, page in ((BOOSTED, True), (RESTORE, True), (TARGETED, False), ({}, True)):
        response = organiser_client.get(url, headers=headers)
        assert response.status_code == 200, (url, headers)
        assert is_page(response) is page, (url, headers)
