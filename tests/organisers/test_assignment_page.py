"""The organiser's assignment page (SPEC 5.4, 5.7): ``GET /organiser/c/<slug>/assignment``
and ``POST …/assignment/solve``, with pins and forbids set per cell (plain forms, and
htmx fragments)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from awards.extensions import db
from awards.judging.assign import assign_preliminary
from awards.models import AssignmentRule, AuditEvent, User

from ..conftest import PASSWORD, CsrfClient
from ..judging.test_assign_service import declare, events, panel, stored_pairs  # noqa: F401

URL = "/organiser/c/assign-test/assignment"
EXPECTED = re.compile(r'name="expected" value="([0-9a-f]{64})"')


@pytest.fixture
def olivia(client, organiser, panel) -> CsrfClient:
    client.signin("olivia", PASSWORD)
    return client


def chinese(client: CsrfClient) -> None:
    client.post("/language", {"lang": "zh_Hant_HK", "next": "/"})


def rule(client, judge, department, kind, **extra):
    return client.post(f"{URL}/rules", {"judge": judge, "department": department,
                                        "kind": kind, **extra})


def written() -> tuple[int, int]:
    db.session.rollback()
    return (db.session.scalar(select(func.count()).select_from(AssignmentRule)),
            db.session.scalar(select(func.count()).select_from(AuditEvent)))


def test_the_page_shows_the_matrix_with_conflicts_and_a_preview(olivia):
    response = olivia.get(URL)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    rows = re.findall(r'<th scope="row" class="judge"><span class="username">(\w+)', html)
    assert rows == ["j01", "j02", "j03", "j04"]
    columns = re.findall(r'<th scope="col" class="dept"><abbr title="[^"]+">(\w+)<', html)
    assert columns == list("ABCDEFGH")
    # Conflicts (own department, the organiser's) are greyed and offer no pin or forbid.
    assert html.count('class="cell conflict') == 3
    assert 'id="pin-0-1"' not in html and 'id="pin-1-2"' not in html
    assert 'id="pin-0-0"' in html and 'id="forbid-0-0"' in html
    assert "nothing assigned yet" in html
    # The preview: a first solve adds 24 pairs; the Solve button carries their digest.
    digest = assign_preliminary(_campaign(), dry_run=True).solution.sha256
    assert EXPECTED.search(html).group(1) == digest
    assert '<strong>24</strong> pairs added' in html
    assert ">Solve</button>" in html


def _campaign():
    from awards.models import Campaign
    return db.session.scalar(select(Campaign).where(Campaign.slug == "assign-test"))


def test_solve_stores_the_pairs_and_records_the_event(olivia):
    html = olivia.get(URL).get_data(as_text=True)
    expected = EXPECTED.search(html).group(1)
    response = olivia.post(f"{URL}/solve", {"expected": expected})
    assert response.status_code == 303 and response.headers["Location"].endswith(URL)
    db.session.rollback()
    assert len(stored_pairs(_campaign())) == 24
    [event] = events("assignment_solved")
    assert f'"sha256":"{expected}"' in event.data and event.actor == "olivia"
    page = olivia.get(URL).get_data(as_text=True)
    assert "Assignment solved: 24 pairs. Kept 0, added 24, removed 0." in page
    assert f'<code class="sha">{expected}</code>' in page
    assert 'result-ok">connected<' in page  # connected
    assert "A re-solve would change nothing." in page and ">Re-solve</button>" in page
    assert page.count('class="cell assigned') == 24


def test_a_stale_preview_is_refused_and_nothing_changes(olivia):
    response = olivia.post(f"{URL}/solve", {"expected": "0" * 64})
    assert response.status_code == 409
    assert "the rules or the panel changed since the preview" in response.get_data(as_text=True)
    db.session.rollback()
    assert stored_pairs(_campaign()) == [] and events("assignment_solved") == []


def test_pins_and_forbids_from_the_matrix_are_kept_by_the_next_solve(olivia):
    olivia.post(f"{URL}/solve")
    db.session.rollback()
    first = stored_pairs(_campaign())
    pin = next(("j04", d) for d in "ABCDEFGH" if ("j04", d) not in first)
    forbid = next(p for p in first if p[0] == "j03")
    response = rule(olivia, *pin, "pin")
    assert response.status_code == 303
    assert f"Pinned: j04 will score {pin[1]}." in olivia.get(URL).get_data(as_text=True)
    response = rule(olivia, *forbid, "forbid", reason="reviewed this department last year")
    assert response.status_code == 303
    html = olivia.get(URL).get_data(as_text=True)
    assert html.count('aria-pressed="true"') == 2
    assert "reviewed this department last year" in html
    assert f'<span class="pair">j04–{pin[1]}</span>' in html  # the preview would add it
    assert f'<span class="pair">{forbid[0]}–{forbid[1]}</span>' in html  # and drop this
    olivia.post(f"{URL}/solve")
    db.session.rollback()
    second = stored_pairs(_campaign())
    assert pin in second and forbid not in second
    olivia.post(f"{URL}/solve")
    db.session.rollback()
    assert stored_pairs(_campaign()) == second
    set_events = events("assignment_rule_set")
    assert len(set_events) == 2
    assert all("j03" not in e.subject + e.data and "j04" not in e.subject + e.data
               for e in set_events)


def test_htmx_toggles_answer_with_the_matrix_fragment(olivia):
    olivia.get(URL)
    response = olivia.post(f"{URL}/rules", {"judge": "j01", "department": "A", "kind": "pin"},
                           headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html and html.lstrip().startswith(("{#", '<section id="assignment"'))
    assert 'id="assignment"' in html and "Pinned: j01 will score A." in html
    assert re.search(r'value="none" id="pin-0-0" class="toggle pin" aria-pressed="true"', html)
    # Pressed again, the same button removes the pin.
    response = olivia.post(f"{URL}/rules", {"judge": "j01", "department": "A",
                                            "kind": "none"}, headers={"HX-Request": "true"})
    assert "Rule removed" in response.get_data(as_text=True)
    assert written()[0] == 0


def test_a_forbid_that_makes_it_infeasible_shows_the_message_and_changes_nothing(olivia):
    olivia.post(f"{URL}/solve")
    rule(olivia, "j01", "E", "forbid")
    rule(olivia, "j03", "E", "forbid")
    db.session.rollback()
    before, (rules, audit) = stored_pairs(_campaign()), written()
    response = rule(olivia, "j04", "E", "forbid")
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert ("fewer than 2 judges without a conflict or forbid for E: each department needs "
            "at least 2") in html
    assert 'role="alert"' in html
    assert written() == (rules, audit)
    assert stored_pairs(_campaign()) == before
    chinese(olivia)
    response = rule(olivia, "j04", "E", "forbid")
    assert response.status_code == 409
    assert "E 沒有利益衝突或未被禁止的評審少於 2 位" in response.get_data(as_text=True)


def test_a_solve_the_rules_cannot_meet_names_what_cannot_be_covered(olivia):
    olivia.post(f"{URL}/solve")
    db.session.rollback()
    before = stored_pairs(_campaign())
    for judge in ("j02", "j03", "j04"):
        declare(_campaign(), judge, "E")
    page = olivia.get(URL).get_data(as_text=True)
    assert "fewer than 2 judges without a conflict or forbid for E" in page  # the preview
    response = olivia.post(f"{URL}/solve")
    assert response.status_code == 409
    assert "for E: each department needs at least 2" in response.get_data(as_text=True)
    db.session.rollback()
    assert stored_pairs(_campaign()) == before and len(events("assignment_solved")) == 1


@pytest.mark.parametrize(("data", "english", "chinese_text"), [
    ({"judge": "nobody", "department": "A", "kind": "pin"},
     "no such judge or eligible department: nobody/A", "沒有此評審或合資格部門：nobody/A"),
    ({"judge": "j01", "department": "ZZ", "kind": "forbid"},
     "no such judge or eligible department: j01/ZZ", "沒有此評審或合資格部門：j01/ZZ"),
    ({"judge": "j01", "department": "A", "kind": "delete"},
     "unknown rule &#39;delete&#39;", "不明的規則"),
    ({"judge": "j02", "department": "C", "kind": "pin"},
     "a conflicted pair cannot be pinned", "有利益衝突的配對不可指定"),
    ({"judge": "j01", "department": "A", "kind": "pin", "reason": "x" * 501},
     "the reason for the rule is too long: 501 characters, at most 500", "規則的理由太長"),
])
def test_bad_input_gets_a_translated_message_and_writes_nothing(olivia, data, english,
                                                                 chinese_text):
    before = written()
    response = olivia.post(f"{URL}/rules", data)
    assert response.status_code == 422
    assert english in response.get_data(as_text=True)
    assert written() == before
    chinese(olivia)
    response = olivia.post(f"{URL}/rules", data)
    assert response.status_code == 422 and chinese_text in response.get_data(as_text=True)
    assert written() == before


@pytest.mark.parametrize("field", ["judge", "department", "kind", "reason"])
def test_nul_bytes_are_refused_in_the_reader_language(olivia, field):
    data = {"judge": "j01", "department": "A", "kind": "pin", "reason": "ok"}
    data[field] += "\x00"
    before = written()
    response = olivia.post(f"{URL}/rules", data)
    assert response.status_code == 400
    assert "contains a character that is not allowed" in response.get_data(as_text=True)
    chinese(olivia)
    response = olivia.post(f"{URL}/rules", data)
    assert response.status_code == 400 and "含有不容許的字元" in response.get_data(as_text=True)
    response = olivia.post(f"{URL}/solve", {"expected": "\x00"})
    assert response.status_code == 400
    assert written() == before and stored_pairs(_campaign()) == []


def test_outside_its_phases_the_page_reads_only(olivia):
    campaign = _campaign()
    campaign.state = "finalists_announced"
    db.session.commit()
    html = olivia.get(URL).get_data(as_text=True)
    assert "can be read, not changed" in html
    assert "/assignment/solve" not in html and 'class="cell-form"' not in html
    response = rule(olivia, "j01", "A", "pin")
    assert response.status_code == 409
    assert "the preliminary assignment is made in" in response.get_data(as_text=True)
    assert written()[0] == 0


@pytest.mark.parametrize("role", ["judge", "coordinator", "auditor"])
def test_only_organisers_reach_the_page(app, panel, make_user, role):
    make_user(role, "someone", department="A" if role == "coordinator" else None)
    client = CsrfClient(app.test_client())
    client.signin("someone", PASSWORD)
    assert client.get(URL).status_code == 403
    assert client.post(f"{URL}/solve").status_code == 403
    assert client.post(f"{URL}/rules", {"judge": "j01", "department": "A",
                                        "kind": "pin"}).status_code == 403
    db.session.rollback()
    assert stored_pairs(_campaign()) == [] and written()[0] == 0


def test_signed_out_visitors_are_sent_to_sign_in_and_unknown_campaigns_are_404(app, panel,
                                                                             olivia):
    anonymous = app.test_client()
    assert anonymous.get(URL).status_code in (302, 401)
    assert anonymous.post(f"{URL}/solve").status_code in (302, 400, 401)
    assert olivia.get("/organiser/c/no-such/assignment").status_code == 404
    assert olivia.post("/organiser/c/no-such/assignment/solve").status_code == 404


def test_the_judge_on_the_panel_cannot_solve_either(app, panel):
    user = db.session.scalar(select(User).where(User.username == "j03"))
    user.active = True
    user.set_password(PASSWORD)
    db.session.commit()
    client = CsrfClient(app.test_client())
    client.signin("j03", PASSWORD)
    assert client.get(URL).status_code == 403
    assert client.post(f"{URL}/solve").status_code == 403
    db.session.rollback()
    assert stored_pairs(_campaign()) == []


@pytest.mark.parametrize(("headers", "page"), [
    ({}, True), ({"HX-Request": "true"}, False),
    ({"HX-Request": "true", "HX-Boosted": "true"}, True),
    ({"HX-Request": "true", "HX-History-Restore-Request": "true"}, True)])
def test_the_page_answers_htmx_in_kind(olivia, headers, page):
    response = olivia.get(URL, headers=headers)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and ("<html" in html) is page
    assert 'id="assignment"' in html
