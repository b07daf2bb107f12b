"""Resetting a staff member's sign-in from the people page (SPEC 8: the browser does what
``flask awards users password`` does): a one-time link, the old password void at once,
every session ended, audited; organisers only, never their own account."""

import json
import re
from datetime import timedelta

from sqlalchemy import select

from awards.accounts.services import create_invitation, staff_signin_events
from awards.audit.service import chain_events
from awards.extensions import db
from awards.models import Invitation
from awards.models.audit import SYSTEM_CHAIN

from .conftest import PASSWORD

NEW = "a brand new password 7"
LINK = re.compile(r'<code class="copyable">https?://[^/]+(/reset/[^<]+)</code>')


def reset_link(client, username: str) -> str:
    """Reset ``username`` as the signed-in organiser, through the confirmation page."""
    client.get("/organiser/people")
    first = client.post(f"/organiser/people/{username}/reset")
    assert first.status_code == 200 and 'name="confirm" value="yes"' in first.get_data(
        as_text=True)
    page = client.post(f"/organiser/people/{username}/reset", {"confirm": "yes"})
    assert page.status_code == 200
    return LINK.search(page.get_data(as_text=True)).group(1)


def fresh(client):
    return client.__class__(client.client.application.test_client())


def test_a_reset_link_sets_a_new_password_once_and_voids_the_old_one(client, organiser,
                                                                      make_user):
    make_user("judge", "jude")
    judge = fresh(client)
    assert judge.signin("jude", PASSWORD).status_code == 303
    assert judge.get("/judge/").status_code == 200
    client.signin("olivia", PASSWORD)
    path = reset_link(client, "jude")
    # Immediately: the old password is refused and the judge's session has ended.
    assert judge.get("/judge/").status_code == 302
    assert fresh(client).signin("jude", PASSWORD).status_code == 200
    stranger = fresh(client)
    page = stranger.get(path)
    assert page.status_code == 200 and "jude" in page.get_data(as_text=True)
    done = stranger.post(path, {"password": NEW, "confirm": NEW})
    assert done.status_code == 303 and done.headers["Location"].endswith("/judge/")
    assert stranger.get("/judge/").status_code == 200
    assert fresh(client).get(path).status_code == 404
    assert fresh(client).signin("jude", PASSWORD).status_code == 200
    assert fresh(client).signin("jude", NEW).status_code == 303
    actions = [(e.action, e.subject, e.actor) for e in chain_events(SYSTEM_CHAIN)]
    assert ("password_reset_issued", "jude", "olivia") in actions
    assert ("password_reset", "jude", "jude") in actions


def test_a_link_opened_in_two_browsers_sets_the_password_once(client, organiser, make_user):
    make_user("auditor", "audrey")
    client.signin("olivia", PASSWORD)
    path = reset_link(client, "audrey")
    first, second = fresh(client), fresh(client)
    first.get(path)
    first.post(path, {"password": NEW, "confirm": NEW})
    assert first.get("/organiser/").status_code == 200
    second.get(path)
    assert second.post(path, {"password": "another password 99",
                              "confirm": "another password 99"}).status_code == 404
    assert first.get("/organiser/").status_code == 200
    assert fresh(client).signin("audrey", "another password 99").status_code == 200


def test_a_reset_link_expires(client, organiser, make_user):
    make_user("judge", "jude")
    client.signin("olivia", PASSWORD)
    path = reset_link(client, "jude")
    link = db.session.scalar(select(Invitation).where(Invitation.purpose == "reset"))
    link.expires_at = link.expires_at - timedelta(days=4)
    db.session.commit()
    visitor = fresh(client)
    assert visitor.get(path).status_code == 404
    visitor.get("/signin")
    assert visitor.post(path, {"password": NEW, "confirm": NEW}).status_code == 404
    assert fresh(client).signin("jude", NEW).status_code == 200


def test_a_new_reset_voids_the_earlier_link_and_links_do_not_cross(client, organiser,
                                                                  make_user):
    make_user("judge", "jude")
    client.signin("olivia", PASSWORD)
    older = reset_link(client, "jude")
    newer = reset_link(client, "jude")
    assert fresh(client).get(older).status_code == 404
    assert fresh(client).get(newer).status_code == 200
    token = newer.rsplit("/", 1)[-1]
    assert fresh(client).get(f"/invite/{token}").status_code == 404


def test_the_first_post_changes_nothing(client, organiser, make_user):
    make_user("judge", "jude")
    client.signin("olivia", PASSWORD)
    client.get("/organiser/people")
    page = client.post("/organiser/people/jude/reset").get_data(as_text=True)
    assert "stops working now" in page
    assert db.session.scalar(select(Invitation)) is None
    assert fresh(client).signin("jude", PASSWORD).status_code == 303


def test_a_short_password_is_refused_and_the_link_still_works(client, organiser, make_user):
    make_user("judge", "jude")
    client.signin("olivia", PASSWORD)
    path = reset_link(client, "jude")
    visitor = fresh(client)
    visitor.get(path)
    assert visitor.post(path, {"password": "short", "confirm": "short"}).status_code == 422
    assert visitor.get(path).status_code == 200


def test_an_organiser_cannot_reset_their_own_sign_in(client, organiser):
    client.signin("olivia", PASSWORD)
    page = client.get("/organiser/people").get_data(as_text=True)
    assert "/organiser/people/olivia/reset" not in page
    confirm = client.post("/organiser/people/olivia/reset").get_data(as_text=True)
    assert "cannot reset your own sign-in" in confirm and 'value="yes"' not in confirm
    response = client.post("/organiser/people/olivia/reset", {"confirm": "yes"})
    assert response.status_code == 303
    assert db.session.scalar(select(Invitation)) is None
    assert client.get("/organiser/").status_code == 200


def test_only_organisers_reset_and_unknown_accounts_are_404(client, organiser, make_user):
    make_user("auditor", "audrey")
    make_user("judge", "jude")
    client.signin("audrey", PASSWORD)
    client.get("/organiser/")
    assert client.post("/organiser/people/jude/reset", {"confirm": "yes"}).status_code == 403
    assert client.get("/organiser/people").status_code == 403
    assert db.session.scalar(select(Invitation)) is None
    other = fresh(client)
    other.signin("olivia", PASSWORD)
    other.get("/organiser/people")
    assert other.post("/organiser/people/nobody/reset").status_code == 404


def test_reset_pages_in_chinese(client, organiser, make_user):
    make_user("judge", "jude")
    client.signin("olivia", PASSWORD)
    client.post("/language", {"lang": "zh_Hant_HK", "next": "/"})
    client.get("/organiser/people")
    confirm = client.post("/organiser/people/jude/reset").get_data(as_text=True)
    assert "stops working" not in confirm and "重設" in confirm
    page = client.post("/organiser/people/jude/reset", {"confirm": "yes"}).get_data(
        as_text=True)
    assert "重設" in page and "one-time link" not in page
    path = LINK.search(page).group(1)
    visitor = fresh(client)
    visitor.get("/signin")
    visitor.post("/language", {"lang": "zh_Hant_HK", "next": "/"})
    html = visitor.get(path).get_data(as_text=True)
    assert "設定新密碼" in html and "Set a new password" not in html
    short = visitor.post(path, {"password": "short", "confirm": "short"}).get_data(as_text=True)
    assert "12" in short and "Use at least" not in short


def test_the_reset_names_who_issued_the_link_and_signs_in_on_the_sign_ins_page(
        client, organiser, make_user):
    """An organiser who opened the link themselves would show: the reset names the issuer
    and the address it was used from, and the sign-in it ends with is listed like any."""
    make_user("judge", "jude")
    client.signin("olivia", PASSWORD)
    path = reset_link(client, "jude")
    visitor = fresh(client)
    visitor.get(path)
    assert visitor.post(path, {"password": NEW, "confirm": NEW}).status_code == 303
    [reset] = [e for e in chain_events(SYSTEM_CHAIN) if e.action == "password_reset"]
    data = json.loads(reset.data)
    assert data["issued_by"] == "olivia" and data["address"]
    [latest] = staff_signin_events(page=1).events[:1]
    assert (latest["action"], latest["subject"]) == ("staff_signed_in", "jude")
    assert latest["data"]["via"] == "reset link"
    page = client.get("/organiser/sign-ins").get_data(as_text=True)
    assert "jude" in page


def test_an_invitation_link_is_not_a_reset_link(client, organiser, make_user):
    token = create_invitation("auditor", name="Audrey Ng", actor="olivia")
    visitor = fresh(client)
    assert visitor.get(f"/reset/{token}").status_code == 404
    visitor.get("/signin")
    assert visitor.post(f"/reset/{token}", {"password": NEW, "confirm": NEW}
                        ).status_code == 404
    assert visitor.get(f"/invite/{token}").status_code == 200
