"""Only departments with an eligible entry are on the households' ballot (SPEC 5.1, with
``entries_required = true``): an ineligible or entry-less department is not shown, and a
forged ballot choosing it is refused with nothing recorded."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from awards.entries.services import set_eligibility
from awards.extensions import db
from awards.models import VotingCode
from awards.phases import move_phase, open_voting
from awards.voting.households import draw_campaign_sample, import_frame

from ..conftest import MINIMAL_CONFIG, CsrfClient
from ..voting.conftest import SEED, frame_csv, issue, stored_ballots
from .test_services import submitted

EXTRA_DEPARTMENTS = """
[[departments]]
code = "E"
name_en = "Department E"
name_zh = "戊部門"

[[departments]]
code = "F"
name_en = "Department F"
name_zh = "己部門"
"""


@pytest.fixture
def campaign_config() -> str:
    """Six departments, entries required: four will be eligible, E ineligible, F without
    an entry."""
    return MINIMAL_CONFIG.replace("finalists = 3", "finalists = 3\nentries_required = true") \
        + EXTRA_DEPARTMENTS


@pytest.fixture
def voting_with_entries(open_campaign):
    campaign = open_campaign
    assert campaign.entries_required
    for code in "ABCDE":
        submitted(campaign, code)
    move_phase(campaign, "entries_closed")
    departments = {d.code: d for d in campaign.departments}
    set_eligibility(campaign, [departments[c] for c in "ABCD"], "eligible", "", actor="olivia")
    set_eligibility(campaign, [departments["E"]], "ineligible",
                    "The entry covers a period outside the scheme", actor="olivia")
    import_frame(campaign, io.BytesIO(frame_csv()))
    move_phase(campaign, "adjudication")
    draw_campaign_sample(campaign, 90, SEED)
    letters = issue(campaign)
    open_voting(campaign)
    return campaign, letters


def codes_used() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(VotingCode)
                             .where(VotingCode.state != "issued"))


@pytest.mark.parametrize("forged", [["E"], ["A", "E"], ["F"], ["B", "F"]])
def test_an_ineligible_or_entry_less_department_is_not_on_the_ballot_and_cannot_be_chosen(
        app, voting_with_entries, forged):
    _campaign, letters = voting_with_entries
    household = CsrfClient(app.test_client())
    household.get("/vote")
    assert household.post("/vote", {"code": letters[0].code}).status_code == 303
    page = household.get("/vote/ballot").get_data(as_text=True)
    assert page.count('name="choice"') == 4
    for code in "ABCD":
        assert f'value="{code}"' in page
    for shown in ('value="E"', 'value="F"', "Department E", "戊部門", "Department F", "己部門"):
        assert shown not in page
    # A forged review and a forged confirmation are both refused; nothing is recorded.
    review = household.post("/vote/review", {"choice": forged})
    assert review.status_code == 422
    assert "Please choose from the departments listed." in review.get_data(as_text=True)
    confirm = household.post("/vote/confirm", {"choice": forged})
    assert confirm.status_code == 303 and confirm.headers["Location"].endswith("/vote/ballot")
    assert stored_ballots() == 0 and codes_used() == 0
    # The same household can still vote for a department on the ballot.
    done = household.post("/vote/confirm", {"choice": ["A"]})
    assert done.status_code == 303 and done.headers["Location"].endswith("/vote/receipt")
    assert stored_ballots() == 1 and codes_used() == 1
