"""Sign-in, roles, rate limits and invitations."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from awards.audit.service import chain_events
from awards.extensions import db
from awards.models import Invitation, User
from awards.models.audit import SYSTEM_CHAIN

from .conftest import PASSWORD


def test_password_is_hashed(organiser):
    assert PASSWORD not in organiser.password_hash
    assert organiser.check_password(PASSWORD)


def test_organiser_signs_in_and_sees_dashboard(client, organiser):
    response = client.signin("olivia", PASSWORD)
    assert response.status_code == 303 and response.headers["Location"].endswith("/organiser/")
    assert b"Campaigns" in client.get("/organiser/").data
    assert [e.action for e in chain_events(SYSTEM_CHAIN)][-1] == "staff_signed_in"


def test_wrong_password_is_refused_without_saying_which_part(client, organiser):
    response = client.signin("olivia", "wrong password!!")
    assert response.status_code == 200
    assert b"username or password is not right" in response.data
    assert client.signin("nobody", "whatever password").status_code == 200


def test_roles_are_enforced(client, make_user):
    make_user("judge", "jude")
    client.signin("jude", PASSWORD)
    assert client.get("/organiser/").status_code == 403
    assert client.get("/judge/").status_code == 200
    assert client.get("/department/").status_code == 403


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get("/organiser/c/anything")
    assert response.status_code == 302 and "/signin" in response.headers["Location"]


def test_staff_signin_is_rate_limited(client, organiser):
    statuses = [client.signin("olivia", "wrong password!!").status_code for _ in range(12)]
    assert 429 in statuses
    # The correct password is refused too while the limit holds.
    assert client.signin("olivia", PASSWORD).status_code == 429


def test_next_parameter_cannot_leave_the_site(client, organiser):
    client.get("/signin")
    response = client.post("/signin?next=//evil.example/x",
                           {"username": "olivia", "password": PASSWORD})
    assert response.headers["Location"].endswith("/organiser/")


def test_invitation_is_one_time_and_expires(client, organiser, campaign, app):
    client.signin("olivia", PASSWORD)
    client.get("/organiser/people")
    response = client.post("/organiser/people", {"role": "coordinator", "name": "Cora",
                                                 "department_code": "A"})
    html = response.get_data(as_text=True)
    link = html.split('<code class="copyable">')[1].split("</code>")[0]
    path = link.split("localhost", 1)[-1]
    client.post("/signout")
    invited = client.__class__(app.test_client())
    page = invited.get(path)
    assert page.status_code == 200, (path, page.status_code)
    assert "Department: Department A (A)" in page.get_data(as_text=True)
    response = invited.post(path, {"username": "cora", "password": "a long password 1",
                                   "confirm": "a long password 1"})
    assert response.status_code == 303, response.get_data(as_text=True)
    cora = db.session.scalar(select(User).where(User.username == "cora"))
    assert cora.role == "coordinator" and cora.department_code == "A"
    again = client.__class__(app.test_client())
    assert again.get(path).status_code == 404


def test_expired_invitation_is_refused(client, app):
    from awards.accounts.services import create_invitation

    token = create_invitation("judge", name="J", actor="olivia")
    invitation = db.session.scalar(select(Invitation))
    invitation.expires_at = invitation.expires_at - timedelta(days=8)
    db.session.commit()
    assert client.get(f"/invite/{token}").status_code == 404


def test_users_create_command(runner, tmp_path):
    secret = tmp_path / "pw"
    secret.write_text("a long enough password\n")
    result = runner.invoke(args=["awards", "users", "create", "--role", "coordinator",
                                 "--username", "cora", "--department", "IMMD",
                                 "--password-file", str(secret)])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "cora"))
    assert user.check_password("a long enough password")
    # The app's own hash (the suite's accounts use a cheaper one): werkzeug's default
    # method at its default cost.
    method = user.password_hash.split("$")[0]
    assert method == generate_password_hash("x").split("$")[0] and method.startswith("scrypt:")


def test_users_create_refuses_coordinator_without_department(runner, tmp_path):
    secret = tmp_path / "pw"
    secret.write_text("a long enough password\n")
    result = runner.invoke(args=["awards", "users", "create", "--role", "coordinator",
                                 "--username", "cora", "--password-file", str(secret)])
    assert result.exit_code == 1
    assert "needs --department" in result.stderr
    assert db.session.scalar(select(User)) is None


def test_an_invitation_cannot_claim_a_judge_account_waiting_for_its_own(client, campaign, app):
    from awards.accounts.services import create_invitation

    token = create_invitation("judge", name="Someone", actor="olivia")
    invited = client.__class__(app.test_client())
    invited.get(f"/invite/{token}")
    response = invited.post(f"/invite/{token}", {"username": "j01", "password": "x" * 14,
                                                  "confirm": "x" * 14})
    assert response.status_code == 200 and "is taken" in response.get_data(as_text=True)
    j01 = db.session.scalar(select(User).where(User.username == "j01"))
    assert j01.active is False
    assert db.session.scalar(select(Invitation.used_at)) is None  # still usable


def test_a_judge_created_by_the_config_has_no_password_until_invited(client, campaign,
                                                                      monkeypatch):
    """No password opens the account, not even the stored marker itself, and refusing it
    costs a full hash check as a wrong password does (timing does not tell such accounts
    apart)."""
    from awards.accounts import services
    from awards.models.users import UNUSABLE_PASSWORD

    j01 = db.session.scalar(select(User).where(User.username == "j01"))
    assert j01.password_hash == UNUSABLE_PASSWORD and not j01.has_usable_password
    assert not j01.check_password(UNUSABLE_PASSWORD) and not j01.check_password("")
    checks = []
    real = services.check_password_hash
    monkeypatch.setattr(services, "check_password_hash",
                        lambda stored, given: checks.append(stored) or real(stored, given))
    j01.active = True
    db.session.commit()
    for attempt in (UNUSABLE_PASSWORD, "a long password 1"):
        assert client.signin("j01", attempt).status_code == 200
    assert len(checks) == 2 and UNUSABLE_PASSWORD not in checks
    assert [json.loads(e.data)["reason"] for e in chain_events(SYSTEM_CHAIN)
            if e.action == "staff_signin_failed"] == ["wrong_password"] * 2


def test_a_named_invitation_activates_that_judge(client, campaign, app):
    from awards.accounts.services import accept_invitation, create_invitation

    token = create_invitation("judge", name="Judge One", username="j01", actor="olivia")
    user = accept_invitation(token, "ignored", "a long password 1")
    assert user.username == "j01" and user.active


def test_an_invitation_is_used_once_even_when_accepted_twice_at_once(app):
    import threading

    from awards.accounts.services import accept_invitation, create_invitation
    from awards.exceptions import AwardsError

    token = create_invitation("auditor", name="A", actor="olivia")
    db.session.rollback()
    results: list[str] = []
    start = threading.Barrier(2)

    def accept(name: str) -> None:
        with app.app_context():
            try:
                start.wait()
                accept_invitation(token, name, "a long password 1")
                results.append("ok")
            except AwardsError as exc:
                results.append(type(exc).__name__)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=accept, args=(n,)) for n in ("aa", "bb")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results) == ["NotFound", "ok"]
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_invitations_pick_a_department_or_a_judge_from_lists(client, organiser, campaign):
    client.signin("olivia", PASSWORD)
    page = client.get("/organiser/people").get_data(as_text=True)
    assert '<option value="A">A — Department A · 甲部門</option>' in page
    assert '<option value="j01">j01 — Judge One (csea-test)</option>' in page
    for form, message in (
            ({"role": "coordinator", "name": "Cora", "department_code": "ZZ"},
             "Choose a department from the list."),
            ({"role": "coordinator", "name": "Cora", "department_code": ""},
             "A coordinator is invited for a department: choose it."),
            ({"role": "judge", "name": "Jo", "username": "nobody"},
             "Choose a judge from the list (judges only)."),
            ({"role": "auditor", "name": "Al", "username": "j01"},
             "Choose a judge from the list (judges only).")):
        response = client.post("/organiser/people", form)
        assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert db.session.scalar(select(Invitation)) is None
    client.post("/language", {"lang": "zh_Hant_HK", "next": "/"})
    client.get("/organiser/people")
    response = client.post("/organiser/people", {"role": "coordinator", "name": "Cora",
                                                 "department_code": "ZZ"})
    assert "請從清單選擇部門。" in response.get_data(as_text=True)


def test_the_service_refuses_unknown_departments_and_judges_too(campaign):
    from awards.accounts.services import create_invitation
    from awards.exceptions import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        create_invitation("coordinator", name="C", department_code="ZZ", actor="olivia")
    assert refused.value.code == "invitation.unknown_department"
    with pytest.raises(InvalidInput) as refused:
        create_invitation("judge", name="J", username="nobody", actor="olivia")
    assert refused.value.code == "invitation.unknown_judge"
    assert db.session.scalar(select(Invitation)) is None


def test_a_judges_acceptance_page_names_the_panel(client, campaign, app):
    from awards.accounts.services import create_invitation

    token = create_invitation("judge", name="Judge One", username="j01", actor="olivia")
    html = client.get(f"/invite/{token}").get_data(as_text=True)
    assert "Judging panel of: Customer Service Excellence Award (test)" in html


def test_people_page_lists_accounts_by_role_then_username(client, make_user):
    from awards.accounts.services import create_invitation, people_listing

    make_user("organiser", "olivia")
    make_user("auditor", "zed")
    make_user("auditor", "amy")
    for number in range(3):
        create_invitation("auditor", name=f"Auditor {number}", actor="olivia")
    listing = people_listing(invitations=2)
    assert [(u.role, u.username) for u in listing.users] == [
        ("auditor", "amy"), ("auditor", "zed"), ("organiser", "olivia")]
    assert [i.name for i in listing.invitations] == ["Auditor 2", "Auditor 1"]
    client.signin("olivia", PASSWORD)
    page = client.get("/organiser/people").get_data(as_text=True)
    assert page.index(">amy<") < page.index(">zed<") < page.index(">olivia<")
