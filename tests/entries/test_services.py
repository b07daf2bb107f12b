"""Entry services (SPEC 5.1): snapshot format and hash, return for amendment, eligibility
gating the ballot and its freeze, voting refused with too few competing departments, and
the audit events of every transition."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from awards.audit.chain import canonical_json
from awards.audit.service import chain_events
from awards.campaigns.config_file import parse_config
from awards.campaigns.eligibility import eligible_codes, eligible_departments
from awards.entries.drafts import EntryTexts
from awards.entries.services import (
    find_entry,
    return_for_amendment,
    save_draft,
    set_eligibility,
    submit_entry,
)
from awards.entries.snapshots import entry_snapshot
from awards.exceptions import EntryInputError, FrozenError, LifecycleError
from awards.extensions import db
from awards.models import Entry
from awards.phases import move_phase, open_voting
from awards.web.messages import describe

from ..conftest import MINIMAL_CONFIG, PASSWORD, CsrfClient, open_the_vote_now
from .conftest import CLOSE_AT


def texts(title="Faster licence renewals") -> EntryTexts:
    return EntryTexts(
        title=title, summary="Shorter queues.\nFriendlier counters.",
        sections={"pledges": "Met 11 of 12 pledges.", "courtesy": "Plain-language training."},
        pledges=[("Answer 75% of calls within 2 minutes", "75%", "86%"),
                 ("Issue a licence within 10 working days", "95%", "97%")],
        contact_name="Chan Tai Man", contact_email="chan@example.gov.hk",
        contact_phone="2123 4567")


def submitted(campaign, code: str) -> Entry:
    department = next(d for d in campaign.departments if d.code == code)
    save_draft(campaign, department, texts(f"Entry of {code}"), 0, actor="coord")
    return submit_entry(campaign, department, actor="coord")


def close_entries(campaign) -> None:
    move_phase(campaign, "entries_closed")


def test_the_snapshot_follows_the_shared_format_and_its_hash_is_stable(open_campaign):
    entry = submitted(open_campaign, "A")
    snapshot = entry_snapshot(entry)
    assert snapshot == {
        "format": "awards-entry/1", "campaign": "csea-test",
        "department": {"code": "A", "name_en": "Department A", "name_zh": "甲部門"},
        "category": "overall", "title": "Entry of A",
        "summary": "Shorter queues.\nFriendlier counters.",
        "sections": [
            {"criterion": "pledges", "name_en": "Performance pledges met",
             "name_zh": "服務承諾達標", "body": "Met 11 of 12 pledges."},
            {"criterion": "courtesy", "name_en": "Courtesy", "name_zh": "禮貌",
             "body": "Plain-language training."}],
        "pledges": [{"service": "Answer 75% of calls within 2 minutes", "target": "75%",
                     "achieved": "86%"},
                    {"service": "Issue a licence within 10 working days", "target": "95%",
                     "achieved": "97%"}],
        "contact": {"name": "Chan Tai Man", "email": "chan@example.gov.hk",
                    "phone": "2123 4567"},
        "attachments": [], "submitted_at": "2026-11-29T09:00:00Z", "grace": False}
    sha = entry.snapshot_sha256
    assert entry.snapshot == canonical_json(snapshot)
    assert hashlib.sha256(entry.snapshot.encode()).hexdigest() == sha
    # Reloaded from the database (a new session): the same text, the same hash.
    db.session.remove()
    again = db.session.scalar(select(Entry))
    assert again.snapshot_sha256 == sha
    assert hashlib.sha256(canonical_json(entry_snapshot(again)).encode()).hexdigest() == sha


def test_the_snapshot_does_not_follow_later_changes_to_the_campaign(open_campaign):
    entry = submitted(open_campaign, "A")
    before = entry.snapshot
    open_campaign.criteria[0].name_en = "Renamed"
    db.session.commit()
    assert find_entry(open_campaign, open_campaign.departments[0]).snapshot == before


def test_return_for_amendment_makes_a_draft_again_with_its_reason(open_campaign):
    entry = submitted(open_campaign, "A")
    sha = entry.snapshot_sha256
    with pytest.raises(EntryInputError):
        return_for_amendment(open_campaign, open_campaign.departments[0], "  ")
    return_for_amendment(open_campaign, open_campaign.departments[0],
                         "Pledge figures lack a period", actor="olivia")
    entry = find_entry(open_campaign, open_campaign.departments[0])
    assert entry.status == "draft" and entry.snapshot is None
    assert entry.returned_reason == "Pledge figures lack a period"
    event = chain_events("csea-test")[-1]
    assert event.action == "entry_returned" and json.loads(event.data) == {
        "reason": "Pledge figures lack a period", "sha256": sha}
    # The coordinator amends and submits again: a new snapshot.
    save_draft(open_campaign, open_campaign.departments[0], texts("Amended"), entry.version)
    again = submit_entry(open_campaign, open_campaign.departments[0])
    assert again.snapshot_sha256 != sha and again.returned_reason == ""


def test_eligibility_gates_the_ballot_and_the_results(open_campaign):
    for code in ("A", "B", "C"):
        submitted(open_campaign, code)
    departments = {d.code: d for d in open_campaign.departments}
    with pytest.raises(LifecycleError, match="once entries have closed"):
        set_eligibility(open_campaign, [departments["A"]], "eligible", "")
    close_entries(open_campaign)
    with pytest.raises(EntryInputError, match="give the reason"):
        set_eligibility(open_campaign, [departments["C"]], "ineligible", "")
    with pytest.raises(LifecycleError, match="D has no"):
        set_eligibility(open_campaign, [departments["D"]], "eligible", "")
    set_eligibility(open_campaign, [departments["A"], departments["B"]], "eligible", "",
                    actor="olivia")
    set_eligibility(open_campaign, [departments["C"]], "ineligible",
                    "Entry covers a period outside the scheme", actor="olivia")
    assert [d.code for d in eligible_departments(open_campaign)] == ["A", "B"]
    assert eligible_codes(open_campaign) == frozenset({"A", "B"})
    events = [e for e in chain_events("csea-test") if e.action == "eligibility_set"]
    assert [(e.subject, json.loads(e.data)["to"]) for e in events] == [
        ("A", "eligible"), ("B", "eligible"), ("C", "ineligible")]
    assert json.loads(events[2].data)["reason"] == "Entry covers a period outside the scheme"
    assert json.loads(events[0].data)["sha256"] == find_entry(
        open_campaign, departments["A"]).snapshot_sha256


def test_a_bulk_change_that_fails_on_one_entry_changes_none(open_campaign):
    submitted(open_campaign, "A")
    close_entries(open_campaign)
    departments = {d.code: d for d in open_campaign.departments}
    before = len(chain_events("csea-test"))
    with pytest.raises(LifecycleError):
        set_eligibility(open_campaign, [departments["A"], departments["B"]], "eligible", "")
    db.session.rollback()
    assert find_entry(open_campaign, departments["A"]).eligibility == "pending"
    assert len(chain_events("csea-test")) == before


def test_eligibility_is_frozen_once_voting_opens(open_campaign):
    for code in ("A", "B", "C", "D"):
        submitted(open_campaign, code)
    close_entries(open_campaign)
    set_eligibility(open_campaign, list(open_campaign.departments), "eligible", "")
    open_the_vote_now(open_campaign)
    with pytest.raises(FrozenError) as caught:
        set_eligibility(open_campaign, [open_campaign.departments[0]], "ineligible", "late")
    assert caught.value.code == "frozen.eligibility"
    db.session.commit()  # the refusal's event joins the transaction (see campaigns.refuse)
    assert chain_events("csea-test")[-1].action == "change_refused"
    assert eligible_codes(open_campaign) == frozenset("ABCD")


def _ready_for_voting(campaign):
    move_phase(campaign, "adjudication")
    campaign.codes_commitment = "0" * 64  # stands for issued codes
    db.session.commit()


@pytest.mark.parametrize("eligible", [0, 2, 3])
def test_voting_is_refused_with_fewer_than_finalists_plus_one(open_campaign, eligible):
    for code in "ABCD"[:max(eligible, 1)]:
        submitted(open_campaign, code)
    close_entries(open_campaign)
    if eligible:
        set_eligibility(open_campaign, list(open_campaign.departments)[:eligible], "eligible",
                        "")
    _ready_for_voting(open_campaign)
    with pytest.raises(LifecycleError) as caught:
        open_voting(open_campaign)
    assert str(caught.value) == (f"voting needs at least 4 competing departments (3 finalists "
                                 f"+ 1); 'csea-test' has {eligible}")
    with force_locale("zh_Hant_HK"):
        assert describe(caught.value) == (f"投票須有最少 4 個參賽部門（3 個入圍名額加 1）；"
                                          f"「csea-test」現有 {eligible} 個")
    assert not open_campaign.is_frozen and open_campaign.voting_opens_at is None


def test_an_empty_ballot_can_never_go_live(open_campaign, runner):
    close_entries(open_campaign)
    _ready_for_voting(open_campaign)
    assert eligible_departments(open_campaign) == []
    result = runner.invoke(args=["awards", "voting", "open", "csea-test"])
    assert result.exit_code == 1
    assert "voting needs at least 4 competing departments" in result.stderr
    assert "has 0" in result.stderr
    db.session.expire_all()
    assert not open_campaign.is_frozen


def test_voting_opens_with_exactly_finalists_plus_one(open_campaign):
    for code in "ABCD":
        submitted(open_campaign, code)
    close_entries(open_campaign)
    set_eligibility(open_campaign, list(open_campaign.departments), "eligible", "")
    _ready_for_voting(open_campaign)
    open_voting(open_campaign)
    assert open_campaign.is_frozen


def test_the_config_file_sets_the_deadline_and_grace(app):
    from awards.campaigns.services import load_campaign_config

    text = MINIMAL_CONFIG.replace(
        "finalists = 3", "finalists = 3\nentries_close_at = 2001-11-30T10:00:00Z\n"
        "grace_minutes = 15")
    campaign, _c, _n = load_campaign_config(parse_config(text))
    assert campaign.entries_close_at.strftime("%Y-%m-%dT%H:%M") == "2001-11-30T10:00"
    assert campaign.grace_minutes == 15
    with pytest.raises(Exception, match="grace_minutes"):
        parse_config(MINIMAL_CONFIG.replace("finalists = 3", "finalists = 3\ngrace_minutes = -1"))


def test_the_organiser_page_shows_states_and_sets_eligibility(client, organiser, app,
                                                             make_user, open_campaign):
    submitted(open_campaign, "A")
    department_b = open_campaign.departments[1]
    save_draft(open_campaign, department_b, texts("B draft"), 0, actor="coord-b")
    close_entries(open_campaign)
    client.signin("olivia", PASSWORD)
    html = client.get("/organiser/c/csea-test/entries").get_data(as_text=True)
    assert "Submitted" in html and "Draft" in html and "No entry" in html
    assert "/organiser/c/csea-test/entries/A" in html
    response = client.post("/organiser/c/csea-test/entries/A/eligibility",
                           {"eligibility": "ineligible", "reason": "Outside the scheme"})
    assert response.status_code == 303
    html = client.get("/organiser/c/csea-test/entries").get_data(as_text=True)
    assert "Outside the scheme" in html and "Ineligible" in html
    snapshot_page = client.get("/organiser/c/csea-test/entries/A").get_data(as_text=True)
    assert "Answer 75% of calls within 2 minutes" in snapshot_page
    assert "matches the stored snapshot" in snapshot_page
    assert client.get("/organiser/c/csea-test/entries/B").status_code == 404  # a draft
    # The bulk form: one event per entry.
    client.post("/organiser/c/csea-test/entries/eligibility",
                {"department": ["A"], "eligibility": "eligible", "reason": ""})
    assert find_entry(open_campaign, open_campaign.departments[0]).eligibility == "eligible"
    # Chinese message for a refused change.
    client.post("/language", {"lang": "zh_Hant_HK", "next": "/"})
    client.post("/organiser/c/csea-test/entries/B/eligibility",
                {"eligibility": "eligible", "reason": ""})
    assert "B 沒有已提交的參賽資料" in client.get("/organiser/c/csea-test/entries").get_data(
        as_text=True)
    # Coordinators and auditors cannot change anything here.
    make_user("coordinator", "coord-a", "A")
    coord = CsrfClient(app.test_client())
    coord.signin("coord-a", PASSWORD)
    assert coord.get("/organiser/c/csea-test/entries").status_code == 403
    assert coord.post("/organiser/c/csea-test/entries/A/eligibility",
                      {"eligibility": "eligible"}).status_code == 403


def test_the_organiser_extends_and_sets_the_deadline_in_hong_kong_time(client, organiser,
                                                                       open_campaign):
    client.signin("olivia", PASSWORD)
    response = client.post("/organiser/c/csea-test/entries/deadline",
                           {"entries_close_at": "2026-12-01T18:00", "grace_minutes": "30"})
    assert response.status_code == 303
    db.session.expire_all()
    assert open_campaign.entries_close_at.strftime("%Y-%m-%d %H:%M") == "2026-12-01 10:00"
    assert open_campaign.grace_minutes == 30
    client.post("/organiser/c/csea-test/entries/B/extension",
                {"until": "2026-12-03T18:00", "reason": "Typhoon signal no. 8"})
    events = chain_events("csea-test")
    assert [e.action for e in events[-2:]] == ["entry_deadline_set", "deadline_extended"]
    assert json.loads(events[-1].data) == {"until": "2026-12-03T10:00:00Z",
                                           "reason": "Typhoon signal no. 8"}
    client.post("/organiser/c/csea-test/entries/C/extension",
                {"until": "2026-12-03T18:00", "reason": ""})
    assert chain_events("csea-test")[-1].action == "deadline_extended"  # nothing new
    assert "give the reason" in client.get("/organiser/c/csea-test/entries").get_data(
        as_text=True)


def entry_row(html: str, code: str) -> str:
    match = re.search(rf'<tr id="entry-{code}">(.*?)</tr>', html, re.S)
    assert match, f"no row for {code}"
    return " ".join(match.group(1).split())


def test_the_organiser_page_shows_each_departments_own_window(client, organiser,
                                                               open_campaign, frozen_clock):
    from awards.entries.services import extend_deadline

    submitted(open_campaign, "A")
    department_b = open_campaign.departments[1]
    extend_deadline(open_campaign, department_b, CLOSE_AT + timedelta(days=2),
                    "Typhoon signal no. 8", actor="olivia")
    client.signin("olivia", PASSWORD)

    def rows() -> dict[str, str]:
        html = client.get("/organiser/c/csea-test/entries").get_data(as_text=True)
        return {code: entry_row(html, code) for code in "AB"}

    shown = rows()
    assert "2026-11-30 18:00 Hong Kong time" in shown["A"]
    assert "Open for this department" in shown["A"] and "extended" not in shown["A"]
    assert "Extended until 2026-12-02 18:00 Hong Kong time" in shown["B"]
    assert "Typhoon signal no. 8" in shown["B"]
    frozen_clock.at = CLOSE_AT + timedelta(minutes=5)
    shown = rows()
    assert "In the grace period until 2026-11-30 18:15 Hong Kong time" in shown["A"]
    assert "Open for this department" in shown["B"]
    frozen_clock.at = CLOSE_AT + timedelta(hours=1)
    close_entries(open_campaign)
    shown = rows()
    assert "Closed for this department" in shown["A"]
    assert "Open for this department" in shown["B"]  # its extension still runs


def test_the_eligibility_of_a_pending_entry_must_be_chosen(client, organiser, open_campaign):
    submitted(open_campaign, "A")
    close_entries(open_campaign)
    client.signin("olivia", PASSWORD)
    row = entry_row(client.get("/organiser/c/csea-test/entries").get_data(as_text=True), "A")
    assert '<option value="" selected>Choose…</option>' in row
    assert 'value="eligible" selected' not in row and 'value="ineligible" selected' not in row
    events = len(chain_events("csea-test"))
    client.post("/language", {"lang": "zh_Hant_HK", "next": "/"})
    for form in ({"eligibility": "", "reason": ""}, {"reason": "Looks fine"}):
        response = client.post("/organiser/c/csea-test/entries/A/eligibility", form)
        assert response.status_code == 303
        page = client.get("/organiser/c/csea-test/entries").get_data(as_text=True)
        assert "請選擇符合資格或不符合資格" in page
    response = client.post("/organiser/c/csea-test/entries/eligibility",
                           {"department": ["A"], "eligibility": "", "reason": ""})
    assert "請選擇符合資格或不符合資格" in client.get(
        "/organiser/c/csea-test/entries").get_data(as_text=True)
    db.session.expire_all()
    assert find_entry(open_campaign, open_campaign.departments[0]).eligibility == "pending"
    assert len(chain_events("csea-test")) == events
    # Once chosen, the select shows the entry's eligibility.
    client.post("/organiser/c/csea-test/entries/A/eligibility",
                {"eligibility": "eligible", "reason": ""})
    row = entry_row(client.get("/organiser/c/csea-test/entries").get_data(as_text=True), "A")
    assert 'value="eligible" selected' in row and '<option value="" selected>' not in row
