"""Bad input and request provenance: NUL bytes anywhere, redirect targets, cross-site posts
and forms behind a TLS-terminating proxy (no Referer under Referrer-Policy: no-referrer)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from werkzeug.middleware.proxy_fix import ProxyFix

from awards.extensions import db
from awards.models import AuditEvent, Invitation, VotingCode

from .conftest import PASSWORD, CsrfClient
from .voting.conftest import (  # noqa: F401
    config_text,
    letters,
    letters_snapshot,
    sampled_campaign,
    sampled_snapshot,
)

NUL_MESSAGE = "contains a character that is not allowed"
NUL_MESSAGE_ZH = "含有不容許的字元"


def audit_count() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


def signed_in(client, user) -> CsrfClient:
    client.signin(user.username, PASSWORD)
    return client


# --- NUL bytes: one guard, a 400 in the user's language, nothing written -----------------

def test_nul_in_signin_name_is_refused_in_english_and_chinese(client, organiser):
    before = audit_count()
    client.get("/signin")
    response = client.post("/signin", {"username": "oli\x00via", "password": PASSWORD})
    assert response.status_code == 400
    assert NUL_MESSAGE in response.get_data(as_text=True)
    assert "<html" in response.get_data(as_text=True)  # a whole page for a plain form
    assert audit_count() == before  # neither a sign-in nor a failure was recorded
    assert client.get("/organiser/").status_code == 302  # not signed in

    zh = CsrfClient(client.application.test_client())
    zh.get("/signin", headers={"Accept-Language": "zh-HK"})
    response = zh.post("/signin", {"username": "\x00", "password": "x"},
                       headers={"Accept-Language": "zh-HK"})
    assert response.status_code == 400 and NUL_MESSAGE_ZH in response.get_data(as_text=True)


def test_nul_in_reissue_id_is_refused_and_voids_nothing(client, organiser, letters):
    signed_in(client, organiser)
    client.get("/organiser/c/csea-test/households")
    before = audit_count()
    response = client.post("/organiser/c/csea-test/households/reissue",
                           {"household_id": letters[0].household_id + "\x00"})
    assert response.status_code == 400 and NUL_MESSAGE in response.get_data(as_text=True)
    assert audit_count() == before
    states = dict(db.session.execute(select(VotingCode.state, func.count())
                                     .group_by(VotingCode.state)).all())
    assert states == {"issued": 90}


def test_nul_in_invitation_form_is_refused_as_a_fragment_for_htmx(client, organiser):
    signed_in(client, organiser)
    client.get("/organiser/people")
    before = audit_count()
    response = client.post("/organiser/people",
                           {"role": "coordinator", "name": "Cora\x00", "department_code": "A"},
                           headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and NUL_MESSAGE in html
    assert "<html" not in html and 'role="alert"' in html  # the error fragment, in kind
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 0
    assert audit_count() == before


@pytest.mark.parametrize("query", ["action=x%00y", "actor=%00", "page=1%00", "a%00=1"])
def test_nul_in_audit_filter_is_refused(client, organiser, campaign, query):
    signed_in(client, organiser)
    response = client.get(f"/organiser/c/csea-test/audit?{query}")
    assert response.status_code == 400 and NUL_MESSAGE in response.get_data(as_text=True)
    fragment = client.get(f"/organiser/c/csea-test/audit?{query}",
                          headers={"HX-Request": "true"})
    assert fragment.status_code == 400 and "<html" not in fragment.get_data(as_text=True)


def test_nul_in_a_path_is_refused(client, organiser):
    signed_in(client, organiser)
    response = client.get("/organiser/c/csea%00test")
    assert response.status_code == 400 and NUL_MESSAGE in response.get_data(as_text=True)


# --- Redirect targets (sign-in ``next`` and the language switch) ------------------------

@pytest.mark.parametrize("raw", [
    "//evil.example/x", "/\t/evil.example", "/\n/evil.example", "/\\evil.example",
    "\\\\evil.example", "\\/evil.example", " //evil.example", "https://evil.example/",
    "javascript:alert(1)", "evil.example", "/\x0b/evil.example", "",
])
def test_same_site_path_refuses_other_hosts(raw):
    from awards.web.safe_urls import same_site_path

    assert same_site_path(raw, "/home") == "/home"


@pytest.mark.parametrize(("raw", "expected"), [
    ("/organiser/c/x?page=2", "/organiser/c/x?page=2"),
    ("/vote\r\n", "/vote"),
    ("/a\r\nSet-Cookie: x=1", "/aSet-Cookie: x=1"),  # one path, never a second header
    ("/results/x:y", "/results/x:y"),
])
def test_same_site_path_keeps_local_paths_as_the_browser_reads_them(raw, expected):
    from awards.web.safe_urls import same_site_path

    assert same_site_path(raw, "/home") == expected


@pytest.mark.parametrize("next_", ["/%09/evil.example", "/%5Cevil.example", "%2F%2Fevil.example",
                                   "/%0D%0A/evil.example"])
def test_signin_next_cannot_leave_the_site(client, organiser, next_):
    client.get("/signin")
    response = client.post(f"/signin?next={next_}",
                           {"username": "olivia", "password": PASSWORD})
    assert response.status_code == 303
    assert response.headers["Location"] == "/organiser/"


def test_signin_next_keeps_a_local_page(client, organiser):
    client.get("/signin")
    response = client.post("/signin?next=/organiser/people",
                           {"username": "olivia", "password": PASSWORD})
    assert response.headers["Location"] == "/organiser/people"


@pytest.mark.parametrize("next_", ["/\t/evil.example", "/\\evil.example", "//evil.example"])
def test_language_switch_cannot_leave_the_site(client, next_):
    response = client.post("/language", {"lang": "zh_Hant_HK", "next": next_})
    assert response.status_code == 303 and response.headers["Location"] == "/"


def test_language_switch_with_newlines_in_next_redirects_safely(client):
    response = client.post("/language", {"lang": "zh_Hant_HK",
                                         "next": "/vote\r\nSet-Cookie: a=b"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/voteSet-Cookie:%20a=b"
    assert "a=b" not in response.headers.get("Set-Cookie", "").split(";")[0]
    # The language was switched all the same.
    assert 'lang="zh-Hant-HK"' in client.get("/").get_data(as_text=True)


# --- Cross-site posts and HTTPS without a Referer -----------------------------------------

@pytest.mark.parametrize(("method", "fetch_site", "origin", "refused"), [
    ("POST", "same-origin", "null", False),
    ("POST", "none", None, False),
    ("POST", "cross-site", None, True),
    ("POST", "same-site", "https://other.awards.example", True),
    ("POST", None, "https://awards.example", False),
    ("POST", None, "https://awards.example/", False),
    ("POST", None, "http://awards.example", True),  # an HTTP page posting to HTTPS
    ("POST", None, "https://evil.example", True),
    ("POST", None, "null", False),  # only the token decides
    ("POST", None, None, False),
    ("GET", "cross-site", "https://evil.example", False),
])
def test_is_cross_site(method, fetch_site, origin, refused):
    from awards.web.request_guards import is_cross_site

    assert is_cross_site(method, fetch_site, origin, "https://awards.example") is refused


@pytest.fixture
def behind_tls_proxy(app):
    """The app as deployed: one trusted proxy (AWARDS_TRUSTED_PROXIES=1) that terminates
    TLS and says so with X-Forwarded-Proto (create_app wraps the same ProxyFix)."""
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
    return app


PROXY = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}


def test_signin_behind_tls_proxy_needs_no_referer(behind_tls_proxy, organiser):
    client = CsrfClient(behind_tls_proxy.test_client())
    client.get("/signin", headers=PROXY)
    response = client.post("/signin", {"username": "olivia", "password": PASSWORD},
                           headers={**PROXY, "Origin": "null", "Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 303, response.get_data(as_text=True)
    assert "Strict-Transport-Security" in response.headers
    plain = client.post("/signout", headers=PROXY)  # no provenance headers at all
    assert plain.status_code == 303


def test_cross_site_post_with_a_valid_token_is_refused(behind_tls_proxy, organiser):
    client = CsrfClient(behind_tls_proxy.test_client())
    client.get("/signin", headers=PROXY)
    before = audit_count()
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"},
                    {"Sec-Fetch-Site": "same-site", "Origin": "https://x.localhost"}):
        response = client.post("/signin", {"username": "olivia", "password": PASSWORD},
                               headers={**PROXY, **headers})
        assert response.status_code == 403, headers
        assert "sent from another website" in response.get_data(as_text=True)
    assert audit_count() == before
    same = client.post("/signin", {"username": "olivia", "password": PASSWORD},
                       headers={**PROXY, "Origin": "https://localhost"})
    assert same.status_code == 303


def test_cross_site_post_is_refused_over_plain_http_too(client, organiser):
    client.get("/signin")
    response = client.post("/signin", {"username": "olivia", "password": PASSWORD},
                           headers={"Origin": "http://evil.example"})
    assert response.status_code == 403
    assert client.get("/organiser/").status_code == 302
