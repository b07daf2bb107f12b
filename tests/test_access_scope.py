"""Campaigns in URLs are loaded for the signed-in user: a campaign they may not see answers
404, as one that does not exist (SPEC 9: staff see only their own part)."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select, update

from awards.campaigns.config_file import parse_config
from awards.campaigns.services import load_campaign_config
from awards.extensions import db
from awards.models import Assignment, Campaign, Department, Judge, Scorecard, User
from awards.web.access import campaign_or_404, roles

from .conftest import MINIMAL_CONFIG, PASSWORD, CsrfClient

pytestmark = pytest.mark.fresh_app  # its campaigns come with a probe route

OTHER_CONFIG = (MINIMAL_CONFIG.replace('slug = "csea-test"', 'slug = "other"')
                .replace('code = "D"', 'code = "E"'))


def probe(slug: str) -> str:
    """A staff page of one campaign, as every role would reach it."""
    return campaign_or_404(slug).slug


def load(text: str, state: str = "entries_open") -> Campaign:
    campaign, _created, _notes = load_campaign_config(parse_config(text))
    campaign.state = state
    db.session.commit()
    return campaign


def activate(username: str) -> User:
    """Judge accounts come inactive from the config file; give one a password."""
    user = db.session.scalar(select(User).where(User.username == username))
    user.active = True
    user.set_password(PASSWORD)
    db.session.commit()
    return user


def signed_in(app, username: str) -> CsrfClient:
    client = CsrfClient(app.test_client())
    response = client.signin(username, PASSWORD)
    assert response.status_code == 303, response.get_data(as_text=True)
    return client


@pytest.fixture
def two_campaigns(app):
    """``csea-test`` (departments A–D, judge j01) and ``other`` (A, B, C, E; judge j02),
    both open for entries, and a probe page every staff role may reach."""
    app.add_url_rule("/probe/c/<slug>", "probe",
                     roles("organiser", "auditor", "coordinator", "judge")(probe))
    load(MINIMAL_CONFIG)
    load(OTHER_CONFIG.replace('username = "j01"', 'username = "j02"'))
    return app


def status(client: CsrfClient, slug: str) -> int:
    return client.get(f"/probe/c/{slug}").status_code


@pytest.mark.parametrize(("department", "sees"), [
    ("D", {"csea-test"}), ("E", {"other"}), ("A", {"csea-test", "other"}), ("Z", set())])
def test_coordinator_sees_only_campaigns_with_their_department(two_campaigns, make_user,
                                                               department, sees):
    make_user("coordinator", "cora", department=department)
    client = signed_in(two_campaigns, "cora")
    for slug in ("csea-test", "other"):
        assert status(client, slug) == (200 if slug in sees else 404), slug


def test_coordinator_does_not_see_a_draft(two_campaigns, make_user):
    make_user("coordinator", "cora", department="D")
    client = signed_in(two_campaigns, "cora")
    assert status(client, "csea-test") == 200
    db.session.execute(update(Campaign).where(Campaign.slug == "csea-test")
                       .values(state="draft"))
    db.session.commit()
    assert status(client, "csea-test") == 404


def test_judge_sees_only_campaigns_whose_panel_they_sit_on(two_campaigns):
    activate("j01")
    client = signed_in(two_campaigns, "j01")
    assert status(client, "csea-test") == 200
    assert status(client, "other") == 404
    assert status(client, "no-such-campaign") == 404


@pytest.mark.parametrize("role", ["organiser", "auditor"])
def test_organisers_and_auditors_see_every_campaign(two_campaigns, make_user, role):
    make_user(role, "staff")
    client = signed_in(two_campaigns, "staff")
    assert status(client, "csea-test") == status(client, "other") == 200
    assert status(client, "no-such-campaign") == 404


def test_signed_out_visitor_is_sent_to_sign_in(two_campaigns):
    response = two_campaigns.test_client().get("/probe/c/csea-test")
    assert response.status_code in (302, 401)


def test_organiser_still_reaches_every_staff_page(two_campaigns, make_user):
    make_user("organiser", "olivia")
    client = signed_in(two_campaigns, "olivia")
    for slug in ("csea-test", "other"):
        for page in ("", "/households", "/turnout", "/audit", "/results"):
            assert client.get(f"/organiser/c/{slug}{page}").status_code == 200, (slug, page)


def test_auditor_sees_results_only_after_publication(two_campaigns, make_user):
    make_user("auditor", "audrey")
    client = signed_in(two_campaigns, "audrey")
    assert client.get("/organiser/c/other/audit").status_code == 200
    assert client.get("/organiser/c/other/results").status_code == 404
    assert client.post("/organiser/c/other/results/export.csv").status_code == 404


@pytest.mark.parametrize("url", ["/results/other", "/verify/other", "/verify/other/verify.py"])
def test_public_pages_wait_for_publication_whoever_asks(two_campaigns, make_user, url):
    assert two_campaigns.test_client().get(url).status_code == 404
    make_user("organiser", "olivia")
    assert signed_in(two_campaigns, "olivia").get(url).status_code == 404


def panel_counts(campaign: Campaign, judge_user: User, assigned: int, submitted: int):
    judge = db.session.scalar(select(Judge).where(Judge.campaign_id == campaign.id,
                                                  Judge.user_id == judge_user.id))
    departments = db.session.scalars(select(Department).where(
        Department.campaign_id == campaign.id).order_by(Department.code)).all()
    for number, department in enumerate(departments[:assigned]):
        db.session.add(Assignment(campaign_id=campaign.id, round="preliminary",
                                  judge_id=judge.id, department_id=department.id))
        if number < submitted:
            db.session.add(Scorecard(campaign_id=campaign.id, round="preliminary",
                                     judge_id=judge.id, department_id=department.id,
                                     status="submitted"))
    db.session.commit()


def count_statements(client: CsrfClient, url: str) -> tuple[int, str]:
    statements: list[str] = []

    def note(_conn, _cursor, statement, *_args):
        statements.append(statement)

    db.session.remove()  # the request starts from an empty session, as in production
    event.listen(db.engine, "before_cursor_execute", note)
    try:
        response = client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert response.status_code == 200
    return len(statements), response.get_data(as_text=True)


def test_judge_home_counts_in_queries_that_do_not_grow_with_panels(app):
    first = load(MINIMAL_CONFIG)
    user = activate("j01")
    panel_counts(first, user, assigned=3, submitted=2)
    client = signed_in(app, "j01")
    one_panel, page = count_statements(client, "/judge/")
    assert page.count('class="card"') == 1 and "<dd>3</dd>" in page and "<dd>2</dd>" in page
    second = load(OTHER_CONFIG)  # j01 sits on this panel too
    third = load(OTHER_CONFIG.replace('slug = "other"', 'slug = "third"'))
    panel_counts(second, user, assigned=4, submitted=4)
    panel_counts(third, user, assigned=1, submitted=0)
    three_panels, page = count_statements(client, "/judge/")
    assert page.count('class="card"') == 3
    assert "<dd>4</dd>" in page and "<dd>0</dd>" in page
    assert three_panels == one_panel
