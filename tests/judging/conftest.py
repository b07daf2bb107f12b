"""Fixtures for adjudication: a campaign in its preliminary round with three judges, each
assigned some departments (j01 has a conflict with A), and signed-in clients."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from awards.extensions import db
from awards.models import Assignment, Department, Judge, User

from ..conftest import MINIMAL_CONFIG, PASSWORD, CsrfClient

JUDGING_CONFIG = MINIMAL_CONFIG.replace(
    "finalists = 3", "finalists = 3\nentries_required = false"
).replace(
    'weight = 0.4\nmax = 10\n',
    'weight = 0.4\nmax = 10\nguidance_en = "Share of pledges met"\n'
    'anchors_en = ["0-3 rarely met", "4-6 mostly met", "7-8 met", "9-10 exceeded"]\n'
    'anchors_zh = ["0-3 甚少達標", "4-6 大致達標", "7-8 達標", "9-10 超越"]\n', 1,
) + """
[[judges]]
username = "j02"
name = "Judge Two"

[[judges]]
username = "j03"
name = "Judge Three"
"""

ASSIGNED = {"j01": ["B", "C"], "j02": ["A", "B", "C"], "j03": ["A", "C", "D"]}


@pytest.fixture
def campaign_config() -> str:
    return JUDGING_CONFIG


def assign(campaign, pairs: dict[str, list[str]], round_name: str = "preliminary") -> None:
    judges = {u: j for j, u in db.session.execute(
        select(Judge, User.username).join(User, User.id == Judge.user_id)
        .where(Judge.campaign_id == campaign.id))}
    departments = {d.code: d for d in campaign.departments}
    for username, codes in pairs.items():
        for code in codes:
            db.session.add(Assignment(campaign_id=campaign.id, round=round_name,
                                      judge_id=judges[username].id,
                                      department_id=departments[code].id))
    db.session.commit()


@pytest.fixture
def judging(campaign, make_user):
    """The campaign in 'adjudication' with active judges j01-j03 and their assignments."""
    for username in ("j01", "j02", "j03"):
        make_user("judge", username)
    campaign.state = "adjudication"
    db.session.commit()
    assign(campaign, ASSIGNED)
    return campaign


def signed_in(app, username: str) -> CsrfClient:
    client = CsrfClient(app.test_client())
    response = client.signin(username, PASSWORD)
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
    return client


@pytest.fixture
def j01(app, judging) -> CsrfClient:
    return signed_in(app, "j01")


@pytest.fixture
def j02(app, judging) -> CsrfClient:
    return signed_in(app, "j02")


def department(campaign, code: str) -> Department:
    return next(d for d in campaign.departments if d.code == code)
