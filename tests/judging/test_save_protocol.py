"""The scorecard save protocol (SPEC 5.5, 5.7) through the judge's route: retries applied
once, 409 across devices, submit / amend rules, revisions appended and never updated, bad
input refused in the reader's language with nothing written."""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import func, select

from awards.audit.service import chain_events
from awards.extensions import db
from awards.models import Score, Scorecard, ScorecardComment, ScorecardRevision

from ..conftest import PASSWORD
from ..live import HttpSession, LiveServer

URL = "/judge/c/csea-test/preliminary/B"
JSON = {"Accept": "application/json"}


def post(client, data: dict, *, url: str = URL, json_: bool = True):
    return client.post(url, data=data, headers=JSON if json_ else {})


def form(version=0, device="tab-a", seq=1, action="save", **scores) -> dict:
    data = {"version": str(version), "device": device, "seq": str(seq), "action": action}
    for code, value in scores.items():
        data[f"score-{code}"] = "" if value is None else str(value)
    return data


def card() -> Scorecard:
    db.session.expire_all()
    return db.session.scalar(select(Scorecard).where(Scorecard.round == "preliminary")
                             .order_by(Scorecard.id))


def revisions() -> list[tuple[int, str, dict, str, int | None]]:
    db.session.expire_all()
    rows = db.session.scalars(select(ScorecardRevision).order_by(ScorecardRevision.id))
    return [(r.version, r.action, json.loads(r.values_json), r.device, r.seq) for r in rows]


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_save_is_stored_with_a_revision_and_the_version_moves(j02):
    response = post(j02, form(pledges=7))
    assert response.status_code == 200
    body = response.get_json()
    assert body["ok"] and body["applied"] and body["state"]["version"] == 1
    assert body["state"]["scores"] == {"pledges": 7, "courtesy": None}
    assert body["state"]["missing"] == ["courtesy"] and body["state"]["total"] is None
    assert card().status == "draft" and card().last_device == "tab-a"
    assert revisions() == [(1, "save", {"pledges": 7}, "tab-a", 1)]


def test_a_replayed_device_and_seq_is_answered_as_done_and_not_applied_twice(j02):
    assert post(j02, form(pledges=7, seq=5)).get_json()["applied"]
    again = post(j02, form(pledges=7, seq=5))
    assert again.status_code == 200 and again.get_json()["applied"] is False
    # A late copy of an older change with a lower seq is not applied either.
    older = post(j02, form(version=1, pledges=2, seq=4))
    assert older.status_code == 200 and older.get_json()["applied"] is False
    assert card().version == 1 and [s.value for s in card().scores] == [7]
    assert len(revisions()) == 1


def test_a_tablet_sends_its_queued_changes_in_order_on_an_old_version(j02):
    """Changes made offline all carry the version the tablet last knew: they apply in
    order because no other device wrote in between."""
    for seq, value in enumerate([3, 4, 5], start=1):
        assert post(j02, form(version=0, pledges=value, seq=seq)).status_code == 200
    assert [r[2]["pledges"] for r in revisions()] == [3, 4, 5]
    assert [r[0] for r in revisions()] == [1, 2, 3]


def test_another_device_that_changed_the_card_first_gets_409_with_the_current_values(j02):
    post(j02, form(device="tab-a", pledges=7))
    stale = post(j02, form(version=0, device="tab-b", pledges=2))
    assert stale.status_code == 409
    body = stale.get_json()
    assert body["error"] == "scorecard.stale" and body["state"]["scores"]["pledges"] == 7
    assert body["state"]["version"] == 1
    assert "Another device changed this scorecard first" in body["message"]
    # Nothing of the refused save was written, not even its seq.
    assert [s.value for s in card().scores] == [7] and len(revisions()) == 1
    # Keeping the tablet's own values: the same change on the current version applies.
    assert post(j02, form(version=1, device="tab-b", pledges=2, seq=2)).status_code == 200
    assert [r[2] for r in revisions()] == [{"pledges": 7}, {"pledges": 2}]


def test_the_plain_form_page_shows_both_versions_on_409(j02):
    post(j02, form(device="tab-a", pledges=7))
    page = j02.post(URL, data=form(version=0, device="form-old", pledges=2))
    html = page.get_data(as_text=True)
    assert page.status_code == 409
    assert "Two versions" in html and "Saved by the other device" in html
    # The judge's own choice is kept in the form, on the current version.
    assert 'id="score-pledges-2" name="score-pledges" value="2" checked' in html
    assert 'name="version" value="1"' in html


def test_submit_needs_every_criterion_and_lists_what_is_missing(j02):
    post(j02, form(pledges=7))
    refused = post(j02, form(version=1, seq=2, action="submit", pledges=7))
    assert refused.status_code == 422
    assert refused.get_json()["missing"] == ["courtesy"]
    assert "Missing: Courtesy" in refused.get_json()["message"]
    assert card().status == "draft" and len(revisions()) == 1
    page = j02.post(URL, data=form(version=1, seq=3, action="submit", pledges=7,
                                   device="form-x"))
    assert page.status_code == 422 and "Not every criterion is scored" in page.get_data(
        as_text=True)


def test_submit_then_save_is_refused_and_amend_needs_a_reason(j02):
    done = post(j02, form(action="submit", pledges=7, courtesy=8))
    assert done.status_code == 200 and card().status == "submitted"
    assert done.get_json()["state"]["total"] == pytest.approx(100 * (0.4 * 0.7 + 0.6 * 0.8))
    saved = post(j02, form(version=1, seq=2, pledges=9, courtesy=8))
    assert saved.status_code == 409 and saved.get_json()["error"] == "scorecard.submitted"
    no_reason = post(j02, form(version=1, seq=3, action="amend", pledges=9, courtesy=8))
    assert no_reason.status_code == 422
    assert [s.value for s in card().scores if s.value == 9] == []
    amended = post(j02, {**form(version=1, seq=4, action="amend", pledges=9, courtesy=8),
                         "reason": "misread the pledge table"})
    assert amended.status_code == 200 and card().status == "submitted"
    assert [r[1] for r in revisions()] == ["submit", "amend"]
    actions = [e.action for e in chain_events("csea-test")]
    assert actions.count("scorecard_submitted") == 1 and "scorecard_amended" in actions
    amend_event = [e for e in chain_events("csea-test") if e.action == "scorecard_amended"][0]
    # The published chain names the judge by pseudonym only.
    assert "j02" not in amend_event.subject and amend_event.actor != "j02"


def test_revisions_are_appended_never_updated(j02):
    post(j02, form(pledges=1))
    first = db.session.scalar(select(ScorecardRevision))
    snapshot = (first.id, first.version, first.values_json, first.at)
    post(j02, form(version=1, seq=2, pledges=2))
    post(j02, form(version=2, seq=3, pledges=3, courtesy=4, action="submit"))
    db.session.expire_all()
    again = db.session.get(ScorecardRevision, snapshot[0])
    assert (again.id, again.version, again.values_json, again.at) == snapshot
    assert [r[2] for r in revisions()] == [{"pledges": 1}, {"pledges": 2},
                                           {"pledges": 3, "courtesy": 4}]


def test_comments_are_saved_per_criterion(j02):
    data = {**form(pledges=5), "comment-pledges": "Clear pledge table.\nGood."}
    assert post(j02, data).status_code == 200
    assert db.session.scalar(select(ScorecardComment.body)) == "Clear pledge table.\nGood."
    assert json.loads(db.session.scalar(select(ScorecardRevision.comments_json))) == {
        "pledges": "Clear pledge table.\nGood."}


@pytest.mark.parametrize("field, value, message", [
    ("score-pledges", "seven", "must be a whole number from 0 to 10"),
    ("score-pledges", "11", "must be a whole number from 0 to 10"),
    ("score-pledges", "-1", "must be a whole number from 0 to 10"),
    ("score-pledges", "７", "must be a whole number from 0 to 10"),
    ("score-pledges", "5\x00", "contains a character that is not"),  # the request guard
    ("comment-pledges", "a\x00b", "contains a character that is not"),
    ("comment-pledges", "bell\x07", "plain text"),
    ("score-nosuch", "3", "no criterion"),
    ("version", "x", "'version' is not a whole number"),
    ("seq", "0", "'seq' is not a whole number"),
    ("device", "", "device id"),
    ("action", "publish", "Choose Save, Submit or Amend"),
])
def test_bad_input_is_refused_with_a_message_and_nothing_written(j02, field, value, message):
    data = {**form(courtesy=4), field: value}
    response = post(j02, data)
    assert response.status_code == (400 if "\x00" in value else 422)
    assert message.lower() in response.get_json()["message"].lower()
    assert count(Score) == 0 and count(ScorecardRevision) == 0
    assert count(ScorecardComment) == 0


def test_bad_input_reads_in_chinese(j02):
    j02.post("/language", {"lang": "zh_Hant_HK", "next": "/"})
    page = j02.post(URL, data=form(pledges="12", device="form-z"))
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "服務承諾達標" in html and "Nothing was saved" not in html
    assert count(Score) == 0


@pytest.mark.parametrize("url", [
    "/judge/c/csea-test/preliminary/D",      # not assigned to j02
    "/judge/c/csea-test/final/B",            # no final assignment
    "/judge/c/csea-test/semi/B",             # no such round
    "/judge/c/csea-test/preliminary/ZZ",     # no such department
    "/judge/c/nope/preliminary/B",           # no such campaign
])
def test_pairs_not_assigned_are_404(j02, url):
    assert j02.get(url).status_code == 404
    assert post(j02, form(pledges=1), url=url).status_code == 404
    assert count(Scorecard) == 0


def test_a_conflicted_pair_is_404_even_when_assigned(app, judging):
    from tests.judging.conftest import assign, signed_in

    assign(judging, {"j01": ["A"]})  # j01's conflict with A comes from the config
    j01 = signed_in(app, "j01")
    assert j01.get("/judge/c/csea-test/preliminary/A").status_code == 404
    assert post(j01, form(pledges=1), url="/judge/c/csea-test/preliminary/A").status_code == 404


def test_other_roles_cannot_score(app, judging, organiser):
    from tests.judging.conftest import signed_in

    olivia = signed_in(app, "olivia")
    assert olivia.get(URL).status_code == 403
    anonymous = app.test_client()
    assert anonymous.get(URL).status_code in (302, 401)


def test_the_plain_form_saves_and_redirects(j02):
    page = j02.get(URL)
    html = page.get_data(as_text=True)
    assert 'name="device" value="form-' in html and 'name="seq" value="1"' in html
    device = html.split('name="device" value="', 1)[1].split('"', 1)[0]
    response = j02.post(URL, data=form(device=device, pledges=6, courtesy=7, action="submit"))
    assert response.status_code == 303 and response.headers["Location"].endswith(
        "/judge/c/csea-test/")
    assert card().status == "submitted"
    # The same form posted again (a double tap) is a retry: not applied twice.
    again = j02.post(URL, data=form(device=device, pledges=6, courtesy=7, action="submit"))
    assert again.status_code == 303 and len(revisions()) == 1


def test_saves_are_refused_outside_the_round_phase(j02, judging):
    judging.state = "finalists_announced"
    db.session.commit()
    response = post(j02, form(pledges=3))
    assert response.status_code == 409
    assert response.get_json()["error"] == "scorecard.round_not_open"
    assert count(Score) == 0


# A stale read shows as SQLAlchemy's warning that a DELETE matched no row: an error here.
@pytest.mark.filterwarnings("error::sqlalchemy.exc.SAWarning")
def test_saves_that_wait_for_each_other_read_what_the_earlier_one_wrote(app, judging):
    """Twelve saves from one tablet arrive at the same instant through the real server
    (six times),
    each adding or removing a score: each waits for the card's lock and then works on
    the scores the save before it committed (on PostgreSQL a locked read that joins the
    scores would see the older ones and fail to delete or insert them)."""
    db.session.commit()
    with LiveServer(app) as server:
        first = HttpSession(server.url)
        first.request("/signin")
        assert first.request("/signin", {"username": "j02", "password": PASSWORD}).status == 303
        assert first.request(URL).status == 200
        tablets = []
        for _ in range(12):
            tablet = HttpSession(server.url)
            tablet.cookies, tablet.token = first.cookies, first.token
            tablet.opener = first.opener
            tablets.append(tablet)
        replies = []
        for burst in range(6):  # six bursts: the race is a matter of timing
            start = threading.Barrier(12)
            sent = [None] * 12

            def save(i: int, burst: int = burst, start=start, sent=sent) -> None:
                data = form(version=0, device="tab-a", seq=12 * burst + i + 1,
                            pledges=i % 11, courtesy=None if i % 2 else 5)
                start.wait()
                sent[i] = tablets[i].request(URL, data, headers=JSON)

            threads = [threading.Thread(target=save, args=(i,)) for i in range(12)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
            replies += sent
    assert sorted(r.status for r in replies) == [200] * 72, [r.body[:300] for r in replies]
    applied = [json.loads(r.body)["applied"] for r in replies]
    stored = card()
    assert stored.version == len(revisions()) == sum(applied) >= 1
    assert count(Score) <= 2  # one row per criterion at most, never a duplicate
    # The card holds what its last revision says.
    assert sorted(s.value for s in stored.scores) == sorted(revisions()[-1][2].values())
