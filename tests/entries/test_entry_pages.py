"""The coordinator's entry page (SPEC 5.1, 5.7): autosave and 409 with two clients, the
deadline and its grace period on a frozen clock, extensions, submit locking, the 422 list,
access and bad input."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from awards.audit.service import chain_events
from awards.entries.services import extend_deadline
from awards.extensions import db
from awards.models import Entry, Pledge

from ..conftest import PASSWORD, CsrfClient
from .conftest import CLOSE_AT, full_form

URL = "/department/c/csea-test/entry"
SUBMIT = URL + "/submit"
HTMX = {"HX-Request": "true"}


def second_client(app, make_user, username="coord-a2", department="A",
                  role="coordinator") -> CsrfClient:
    make_user(role, username, department)
    other = CsrfClient(app.test_client())
    other.signin(username, PASSWORD)
    return other


def stored_entry() -> Entry | None:
    db.session.expire_all()
    return db.session.scalar(select(Entry))


def test_plain_save_then_the_page_shows_it_and_who_saved(coord, open_campaign):
    page = coord.get(URL).get_data(as_text=True)
    for name in ('name="title"', 'name="summary"', 'name="section-pledges"',
                 'name="section-courtesy"', 'name="pledge-0-service"', 'name="pledge-0-target"',
                 'name="pledge-0-achieved"', 'name="contact_name"', 'name="contact_email"',
                 'name="contact_phone"', 'name="version" value="0"',
                 'hx-trigger="input changed delay:1s"'):
        assert name in page
    assert "weight 40%" in page and "Performance pledges met" in page
    response = coord.post(URL, full_form(0))
    assert response.status_code == 303
    page = coord.get(URL).get_data(as_text=True)
    assert "Faster licence renewals" in page and "by coord-a" in page
    assert 'name="version" value="1"' in page
    entry = stored_entry()
    assert entry.version == 1 and entry.updated_by == "coord-a"
    assert [(p.service, p.target, p.achieved) for p in entry.pledges] == [
        ("Answer 75% of calls within 2 minutes", "75%", "86%")]


def test_autosave_with_htmx_answers_the_new_version_out_of_band(coord, open_campaign):
    response = coord.post(URL, full_form(0, title="Draft one"), headers=HTMX)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="version" name="version" value="1" hx-swap-oob="true"' in html
    assert 'id="save-status" hx-swap-oob="innerHTML"' in html and "Saved at" in html
    response = coord.post(URL, full_form(1, title="Draft two"), headers=HTMX)
    assert 'value="2"' in response.get_data(as_text=True)
    assert stored_entry().title == "Draft two"


def test_two_clients_the_stale_save_is_409_shows_both_and_changes_nothing(
        app, make_user, coord, open_campaign):
    other = second_client(app, make_user)
    assert coord.post(URL, full_form(0, title="Mine first")).status_code == 303
    # The other tab still holds version 0 … then 1 after its reload; both start from 1.
    assert other.post(URL, full_form(1, summary="Their summary")).status_code == 303
    response = coord.post(URL, full_form(1, summary="My summary"))
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "My summary" in html and "Their summary" in html  # both texts on the page
    assert 'name="overwrite_version" value="2"' in html
    entry = stored_entry()
    assert entry.summary == "Their summary" and entry.version == 2
    # htmx autosave: 409 with the comparison swapped in, still nothing written.
    response = coord.post(URL, full_form(1, summary="My summary"), headers=HTMX)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert 'id="conflict-box" hx-swap-oob="innerHTML"' in html and "Their summary" in html
    assert stored_entry().summary == "Their summary"
    # Keeping mine is a deliberate save against the version shown in the comparison.
    response = coord.post(URL, full_form(1, summary="My summary", overwrite_version="2"))
    assert response.status_code == 303
    assert stored_entry().summary == "My summary" and stored_entry().version == 3


def test_two_first_saves_one_wins_the_other_gets_409(app, make_user, coord, open_campaign):
    other = second_client(app, make_user)
    assert coord.post(URL, full_form(0, title="First")).status_code == 303
    response = other.post(URL, full_form(0, title="Second"))
    assert response.status_code == 409
    assert stored_entry().title == "First"
    assert db.session.query(Entry).count() == 1


def test_pledge_rows_add_remove_and_reorder_without_javascript(coord, open_campaign):
    form = full_form(0, **{"pledge-1-service": "Issue a licence in 10 days",
                           "pledge-1-target": "95%", "pledge-1-achieved": "97%"})
    response = coord.post(URL, dict(form, action="add-pledge"))
    assert response.status_code == 303 and "blank=2" in response.headers["Location"]
    assert 'name="pledge-3-service"' in coord.get(response.headers["Location"]).get_data(
        as_text=True)
    coord.post(URL, dict(form, version="1", action="down-pledge-0"))
    rows = [p.service for p in stored_entry().pledges]
    assert rows == ["Issue a licence in 10 days", "Answer 75% of calls within 2 minutes"]
    page = coord.get(URL).get_data(as_text=True)
    coord.post(URL, {**full_form(2), "pledge-0-service": "Issue a licence in 10 days",
                     "pledge-0-target": "95%", "pledge-0-achieved": "97%",
                     "pledge-1-service": "Answer 75% of calls within 2 minutes",
                     "pledge-1-target": "75%", "pledge-1-achieved": "86%",
                     "action": "remove-pledge-0"})
    assert [p.service for p in stored_entry().pledges] == [
        "Answer 75% of calls within 2 minutes"]
    assert "Move pledge 1 up" not in page


def test_submit_incomplete_is_422_listing_what_is_missing(coord, open_campaign):
    coord.post(URL, {"version": "0", "title": "Only a title"})
    response = coord.post(SUBMIT, {})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for missing in ("Summary", "Narrative for Performance pledges met",
                    "Narrative for Courtesy", "At least one performance pledge",
                    "Contact name", "Contact e-mail", "Contact phone"):
        assert f"<li>{missing}" in html
    assert "<li>Title" not in html
    entry = stored_entry()
    assert entry.status == "draft" and entry.snapshot is None


def test_submit_with_the_page_saves_then_locks_and_answers_the_hash(coord, open_campaign):
    response = coord.post(SUBMIT, full_form(0))
    assert response.status_code == 200
    entry = stored_entry()
    assert entry.status == "submitted" and len(entry.snapshot_sha256) == 64
    assert entry.snapshot_sha256 in response.get_data(as_text=True)
    events = [e for e in chain_events("csea-test") if e.action == "entry_submitted"]
    assert len(events) == 1 and json.loads(events[0].data)["sha256"] == entry.snapshot_sha256
    # A save after submitting: 409, nothing changes.
    before = (entry.title, entry.version, entry.snapshot)
    response = coord.post(URL, full_form(entry.version, title="Sneaky change"))
    assert response.status_code == 409
    response = coord.post(URL, full_form(entry.version, title="Sneaky"), headers=HTMX)
    assert response.status_code == 409
    assert coord.post(SUBMIT, {}).status_code == 409
    entry = stored_entry()
    assert (entry.title, entry.version, entry.snapshot) == before
    page = coord.get(URL).get_data(as_text=True)
    assert "hx-post" not in page and "<fieldset disabled>" in page
    assert coord.get(URL + "/receipt").status_code == 200


def test_deadline_grace_and_read_only_after_on_the_server_clock(coord, open_campaign,
                                                                 frozen_clock):
    assert coord.post(URL, full_form(0)).status_code == 303
    page = coord.get(URL).get_data(as_text=True)
    assert "Entries close at 2026-11-30 18:00 Hong Kong time" in page and "1 d 1 h left" in page
    frozen_clock.at = CLOSE_AT + timedelta(minutes=5)  # inside the 15-minute grace period
    page = coord.get(URL).get_data(as_text=True)
    assert "Grace period until 2026-11-30 18:15 Hong Kong time" in page
    assert coord.post(URL, full_form(1, title="Late edit")).status_code == 303
    frozen_clock.at = CLOSE_AT + timedelta(minutes=15)  # the grace period is over
    response = coord.post(URL, full_form(2, title="Too late"))
    assert response.status_code == 409
    assert "the deadline for entries has passed" in response.get_data(as_text=True)
    assert coord.post(SUBMIT, {}).status_code == 409
    entry = stored_entry()
    assert entry.title == "Late edit" and entry.status == "draft"
    page = coord.get(URL).get_data(as_text=True)
    assert "read-only" in page and "hx-post" not in page


def test_a_submission_in_the_grace_period_is_accepted_and_marked(coord, open_campaign,
                                                                  frozen_clock):
    coord.post(URL, full_form(0))
    frozen_clock.at = CLOSE_AT + timedelta(minutes=14, seconds=59)
    response = coord.post(SUBMIT, {})
    assert response.status_code == 200
    assert "Submitted in the grace period" in response.get_data(as_text=True)
    entry = stored_entry()
    assert entry.submitted_in_grace
    assert json.loads(entry.snapshot)["grace"] is True


def test_an_extension_reopens_one_department_only(app, make_user, coord, open_campaign,
                                                  frozen_clock):
    other = second_client(app, make_user, "coord-b", "B")
    frozen_clock.at = CLOSE_AT + timedelta(hours=1)
    assert coord.post(URL, full_form(0)).status_code == 409
    extend_deadline(open_campaign, open_campaign.departments[0],
                    CLOSE_AT + timedelta(days=2), "server outage at the department",
                    actor="olivia")
    assert coord.post(URL, full_form(0)).status_code == 303
    assert "server outage at the department" in coord.get(URL).get_data(as_text=True)
    assert other.post(URL, full_form(0)).status_code == 409
    event = chain_events("csea-test")[-2]  # entry_started follows it
    assert event.action == "deadline_extended" and event.subject == "A"
    assert "server outage" in event.data


def test_another_departments_coordinator_never_sees_the_entry(app, make_user, coord,
                                                               open_campaign):
    coord.post(URL, full_form(0, title="A's secret plan"))
    outsider = second_client(app, make_user, "coord-x", "X")  # not in the campaign
    assert outsider.get(URL).status_code == 404
    assert outsider.post(URL, full_form(0)).status_code == 404
    assert outsider.post(SUBMIT, {}).status_code == 404
    other = second_client(app, make_user, "coord-b", "B")
    assert "A&#39;s secret plan" not in other.get(URL).get_data(as_text=True)
    assert other.get(URL + "/receipt").status_code == 404
    judge = second_client(app, make_user, "judge-z", None, role="judge")
    assert judge.get(URL).status_code in (403, 404)


def test_nul_bytes_are_refused_and_nothing_is_written(coord, open_campaign):
    response = coord.post(URL, full_form(0, summary="bad\x00byte"))
    assert response.status_code == 400
    assert "null character" in response.get_data(as_text=True)
    assert stored_entry() is None


def test_over_long_and_control_characters_are_refused_in_the_users_language(
        coord, open_campaign):
    response = coord.post(URL, full_form(0, title="x" * 301))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Title is too long: 301 characters, at most 300; nothing was saved" in html
    assert 'value="' + "x" * 301 + '"' in html  # what was typed is still on the page
    assert stored_entry() is None
    response = coord.post(URL, full_form(0, **{"pledge-0-target": "75\x07%"}), headers=HTMX)
    assert response.status_code == 422
    assert "Pledge row 1, target contains a character that is not allowed (U+0007)" in \
        response.get_data(as_text=True)
    coord.post("/language", {"lang": "zh_Hant_HK", "next": "/"})
    response = coord.post(URL, full_form(0, **{"section-courtesy": "y" * 20001}))
    assert response.status_code == 422
    assert "太長" in response.get_data(as_text=True)
    assert stored_entry() is None
    assert db.session.query(Pledge).count() == 0


def organiser_client(app, make_user) -> CsrfClient:
    make_user("organiser", "olivia")
    client = CsrfClient(app.test_client())
    client.signin("olivia", PASSWORD)
    return client


RETURN = "/organiser/c/csea-test/entries/A/return"


def submitted_then_closed(coord, campaign, frozen_clock) -> Entry:
    from awards.phases import move_phase

    assert coord.post(URL, full_form(0)).status_code == 303
    assert coord.post(SUBMIT, {}).status_code == 200
    frozen_clock.at = CLOSE_AT + timedelta(hours=3)
    move_phase(campaign, "entries_closed")
    return stored_entry()


def test_returning_after_entries_close_reopens_the_department_until_the_given_time(
        app, make_user, coord, open_campaign, frozen_clock):
    from awards.models import DeadlineExtension

    submitted_then_closed(coord, open_campaign, frozen_clock)
    olivia = organiser_client(app, make_user)
    page = olivia.get("/organiser/c/csea-test/entries").get_data(as_text=True)
    # Closed: the return form asks until when, suggesting three days on at 18:00.
    assert 'name="reopen_until" value="2026-12-03T18:00"' in page
    response = olivia.post(RETURN, {"reason": "Pledge figures lack a period",
                                    "reopen_until": "2026-12-04T12:00"})
    assert response.status_code == 303
    page = olivia.get("/organiser/c/csea-test/entries").get_data(as_text=True)
    assert "A may amend and submit it until 2026-12-04 12:00 Hong Kong time" in page
    assert "Extended until 2026-12-04 12:00 Hong Kong time" in page
    extension = db.session.scalar(select(DeadlineExtension))
    assert extension.reason == "Pledge figures lack a period"
    events = chain_events("csea-test")[-2:]
    assert [(e.action, e.subject) for e in events] == [("entry_returned", "A"),
                                                       ("deadline_extended", "A")]
    assert json.loads(events[1].data) == {"until": "2026-12-04T04:00:00Z",
                                          "reason": "Pledge figures lack a period"}
    # The coordinator can amend and submit again; the other departments stay closed.
    entry = stored_entry()
    assert entry.status == "draft"
    page = coord.get(URL).get_data(as_text=True)
    assert "hx-post" in page and "Pledge figures lack a period" in page
    response = coord.post(URL, full_form(entry.version, title="Amended title"))
    assert response.status_code == 303
    response = coord.post(SUBMIT, {})
    assert response.status_code == 200
    entry = stored_entry()
    assert (entry.status, entry.title) == ("submitted", "Amended title")
    assert json.loads(entry.snapshot)["title"] == "Amended title"
    other = second_client(app, make_user, "coord-b", "B")
    assert other.post(URL, full_form(0)).status_code == 409


@pytest.mark.parametrize("reopen_until, message", [
    ("", "A 的參賽已截止"),
    ("2026-11-30T12:00", "新的截止時間必須在將來"),  # already past on the server clock
    ("next Tuesday", "請以日期及時間輸入新的截止時間"),
])
def test_returning_a_closed_entry_without_a_valid_reopening_time_changes_nothing(
        app, make_user, coord, open_campaign, frozen_clock, reopen_until, message):
    from awards.models import DeadlineExtension

    before = submitted_then_closed(coord, open_campaign, frozen_clock)
    before = (before.status, before.version, before.snapshot_sha256, before.eligibility)
    events = len(chain_events("csea-test"))
    olivia = organiser_client(app, make_user)
    olivia.post("/language", {"lang": "zh_Hant_HK", "next": "/"})
    response = olivia.post(RETURN, {"reason": "Pledge figures lack a period",
                                    "reopen_until": reopen_until})
    assert response.status_code == 303
    page = olivia.get("/organiser/c/csea-test/entries").get_data(as_text=True)
    assert message in page
    entry = stored_entry()
    assert (entry.status, entry.version, entry.snapshot_sha256, entry.eligibility) == before
    assert db.session.scalar(select(DeadlineExtension)) is None
    assert [e.action for e in chain_events("csea-test")[events:]] == []
    assert coord.post(URL, full_form(entry.version)).status_code == 409


def expire_sign_in(coord: CsrfClient, how: str) -> None:
    """End the coordinator's sign-in as the browser would find it: the server-side session
    revoked (signed out elsewhere, or idle) or the session cookie gone."""
    from sqlalchemy import update

    from awards.models.base import utcnow
    from awards.models.users import StaffSession

    if how == "session row":
        db.session.execute(update(StaffSession).values(revoked_at=utcnow()))
        db.session.commit()
    else:
        name = coord.application.config.get("SESSION_COOKIE_NAME", "session")
        coord.delete_cookie(name)


@pytest.mark.parametrize("how", ["session row", "cookie"])
def test_an_autosave_after_the_sign_in_expired_answers_401_not_a_redirect(
        coord, open_campaign, how):
    assert coord.post(URL, full_form(0, title="Before")).status_code == 303
    coord.get(URL)  # the page's CSRF token, as the browser holds it
    expire_sign_in(coord, how)
    response = coord.post(URL, full_form(1, title="Typed after expiry"), headers=HTMX)
    assert response.status_code == 401
    assert "Location" not in response.headers and "X-Entry-Saved" not in response.headers
    assert "Please sign in" in response.get_data(as_text=True)
    # A script asking for JSON gets the same answer, as JSON.
    response = coord.post(URL, full_form(1, title="Typed after expiry"),
                          headers={"Accept": "application/json"})
    assert response.status_code == 401 and response.get_json()["status"] == 401
    entry = stored_entry()
    assert (entry.title, entry.version) == ("Before", 1)


def test_a_plain_page_after_the_sign_in_expired_still_goes_to_the_sign_in_page(
        coord, open_campaign):
    expire_sign_in(coord, "session row")
    response = coord.get(URL)
    assert response.status_code == 302 and "/signin" in response.headers["Location"]
    response = coord.get(URL, headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert response.status_code == 302  # a boosted page load follows it to the sign-in page


def test_only_a_real_autosave_carries_the_saved_marker(coord, open_campaign):
    response = coord.post(URL, full_form(0, title="Draft one"), headers=HTMX)
    assert response.headers["X-Entry-Saved"] == "1"
    assert '<div id="save-problem" hx-swap-oob="innerHTML"></div>' in response.get_data(
        as_text=True)
    response = coord.post(URL, full_form(0, title="Stale"), headers=HTMX)
    assert response.status_code == 409 and "X-Entry-Saved" not in response.headers
    page = coord.get(URL).get_data(as_text=True)
    # Error answers go to the status region, never over the form's fields.
    assert 'hx-target="#save-problem"' in page and 'id="save-problem"' in page


def test_the_time_left_is_shown_before_the_deadline_and_during_the_grace_period(
        coord, open_campaign, frozen_clock):
    import re

    def countdown(page: str) -> tuple[str, str, str]:
        match = re.search(r'<time class="countdown" datetime="([^"]+)" data-seconds-left="(\d+)"'
                          r'[^>]*>([^<]*)</time>', page)
        assert match, "no countdown on the page"
        return match.groups()

    page = coord.get(URL).get_data(as_text=True)
    assert countdown(page) == ("2026-11-30T10:00:00Z", str(25 * 3600), "1 d 1 h left")
    assert 'data-hours-format="{hours} h {minutes} min left"' in page
    frozen_clock.at = CLOSE_AT + timedelta(minutes=5, seconds=30)  # 9.5 min of grace left
    page = coord.get(URL).get_data(as_text=True)
    assert "Grace period until 2026-11-30 18:15 Hong Kong time" in page
    assert countdown(page) == ("2026-11-30T10:15:00Z", "570", "0 h 9 min left")
    coord.post("/language", {"lang": "zh_Hant_HK", "next": "/"})
    page = coord.get(URL).get_data(as_text=True)
    assert countdown(page)[2] == "尚餘 0 小時 9 分鐘"
    frozen_clock.at = CLOSE_AT + timedelta(minutes=15)
    assert 'class="countdown"' not in coord.get(URL).get_data(as_text=True)
