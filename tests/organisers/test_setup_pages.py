"""Setting a campaign up in the browser (SPEC section 8): the pages edit the same config the
TOML file holds, through the same validator and loader; frozen parts are shown and refused."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from awards.audit.service import chain_events
from awards.campaigns.config_export import dump_config
from awards.extensions import db
from awards.models import AuditEvent, Campaign, Criterion, Department, District

from ..conftest import PASSWORD

BASE = "/organiser/c/csea-test/setup"
HTMX = {"HX-Request": "true"}


def signed_in(client):
    client.signin("olivia", PASSWORD)
    return client


def events() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


def settings_form(campaign, **changes) -> dict:
    form = {"name_en": campaign.name_en, "name_zh": campaign.name_zh,
            "max_choices": str(campaign.max_choices), "finalists": str(campaign.finalists),
            "public_weight": str(campaign.public_weight), "judge_method": campaign.judge_method,
            "final_public_weight": str(campaign.final_public_weight),
            "bootstrap": str(campaign.bootstrap),
            "entries_required": "true" if campaign.entries_required else "false"}
    form.update(changes)
    return form


def test_the_setup_page_lists_every_part_of_the_config(client, organiser, campaign):
    html = signed_in(client).get(BASE).get_data(as_text=True)
    for title in ("Settings", "Departments", "Districts", "Criteria", "Award tiers", "Judges"):
        assert f">{title} <span" in html or f">{title}</h2>" in html, title
    assert "Department D" in html and "Kwun Tong" in html and "Judge One" in html
    assert "Frozen" not in html


def test_settings_are_saved_through_the_config_loader(client, organiser, campaign):
    signed_in(client).get(BASE)
    before = events()
    response = client.post(f"{BASE}/campaign", settings_form(campaign, max_choices="2"))
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.scalar(select(Campaign.max_choices)) == 2
    assert events() == before + 1
    assert chain_events("csea-test")[-1].action == "campaign_updated"
    # The same form again changes nothing and writes nothing.
    assert client.post(f"{BASE}/campaign", settings_form(campaign)).status_code == 303
    assert events() == before + 1


def test_a_bad_setting_is_refused_with_the_files_rule_and_nothing_is_written(
        client, organiser, campaign):
    signed_in(client).get(BASE)
    before = dump_config(campaign)
    response = client.post(f"{BASE}/campaign", settings_form(campaign, finalists="9",
                                                              public_weight="1.5"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "finalists (9) exceeds the number of departments (4)" in html
    assert "&#39;public_weight&#39; must be a number from 0 to 1" in html
    db.session.expire_all()
    assert dump_config(campaign) == before


def test_a_department_is_added_edited_and_removed_inline_with_htmx(client, organiser,
                                                                   campaign):
    signed_in(client).get(BASE)
    added = client.post(f"{BASE}/departments/add", {"code": "E", "name_en": "Department E",
                                                    "name_zh": "戊部門"}, headers=HTMX)
    assert added.status_code == 200
    fragment = added.get_data(as_text=True)
    assert fragment.lstrip().startswith("<section") and "Department E" in fragment
    assert "<html" not in fragment
    assert db.session.scalar(select(Department.name_zh).where(Department.code == "E")) == "戊部門"
    editing = client.get(f"{BASE}/departments?edit=4", headers=HTMX).get_data(as_text=True)
    assert 'value="Department E"' in editing and "<html" not in editing
    client.post(f"{BASE}/departments/4", {"code": "E", "name_en": "Dept E",
                                          "name_zh": "戊部門"}, headers=HTMX)
    db.session.expire_all()
    assert db.session.scalar(select(Department.name_en).where(Department.code == "E")) == "Dept E"
    removed = client.post(f"{BASE}/departments/4/delete", {}, headers=HTMX)
    assert removed.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(Department)) == 4


def test_lists_work_without_javascript(client, organiser, campaign):
    signed_in(client)
    page = client.get(f"{BASE}?edit=districts:0").get_data(as_text=True)
    assert 'value="Islands"' in page  # the row opens as a form on the whole page
    response = client.post(f"{BASE}/districts/0", {"code": "IS", "name_en": "Islands",
                                                   "name_zh": "離島", "households": "61000"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("#setup-districts")
    db.session.expire_all()
    assert db.session.scalar(select(District.households).where(District.code == "IS")) == 61000


def test_criteria_keep_their_weights_rule(client, organiser, campaign):
    signed_in(client).get(BASE)
    response = client.post(f"{BASE}/criteria/1", {
        "round": "preliminary", "code": "pledges", "name_en": "Pledges", "name_zh": "承諾",
        "weight": "0.5", "max": "10"}, headers=HTMX)
    assert response.status_code == 422
    assert "Preliminary round: the weights sum to 1.1, not 1" in response.get_data(as_text=True)
    assert db.session.scalar(select(Criterion.weight).where(Criterion.code == "pledges")) == 0.4


def test_the_weights_form_names_each_criterion_in_the_readers_language(client, organiser,
                                                                       campaign):
    signed_in(client)
    english = client.get(BASE).get_data(as_text=True)
    assert "pledges — Performance pledges met</label>" in english
    client.post("/language", {"lang": "zh_Hant_HK", "next": "/"})
    chinese = client.get(BASE).get_data(as_text=True)
    assert "pledges — 服務承諾達標</label>" in chinese
    assert "courtesy — 禮貌</label>" in chinese


HAND_WRITTEN = """
[campaign]
slug = "csea-2027"
name_en = "Award 2027"
name_zh = "二〇二七年獎"
max_choices = 2
finalists = 2

[[districts]]
code = "KT"
name_en = "Kwun Tong"
name_zh = "觀塘"

[[departments]]
code = "A"
name_en = "Dept A"
name_zh = "甲"

[[departments]]
code = "B"
name_en = "Dept B"
name_zh = "乙"

[[criteria]]
round = "preliminary"
code = "pledges"
name_en = "Pledges met"
name_zh = "承諾達標"
weight = 0.3
max = 10

[[criteria]]
round = "preliminary"
code = "courtesy"
name_en = "Courtesy"
name_zh = "禮貌"
weight = 0.7
max = 10

[[criteria]]
round = "final"
code = "overall"
name_en = "Overall"
name_zh = "整體"
weight = 1
max = 100
"""


def by_round(spec):
    spec.criteria = sorted(spec.criteria, key=lambda c: c.round)  # stable: keeps positions
    return spec


def criterion(code, name_en, name_zh, weight, rnd="preliminary", top="10"):
    return {"round": rnd, "code": code, "name_en": name_en, "name_zh": name_zh,
            "weight": weight, "max": top}


def test_a_round_of_two_criteria_is_built_one_criterion_at_a_time_without_javascript(
        client, organiser, app):
    from awards.campaigns.config_file import parse_config

    signed_in(client).get("/organiser/new")
    created = client.post("/organiser/new", {
        "slug": "csea-2027", "name_en": "Award 2027", "name_zh": "二〇二七年獎",
        "finalists": "2", "max_choices": "2", "departments": "A | Dept A | 甲\nB | Dept B | 乙",
        "districts": "KT | Kwun Tong | 觀塘"})
    assert created.status_code == 303
    base = "/organiser/c/csea-2027/setup"
    page = client.get(base).get_data(as_text=True)
    assert "Weights of the rounds" not in page  # no criteria yet: nothing to weigh
    # The first criterion is a round of one: its weight is 1.
    first = client.post(f"{base}/criteria/add", criterion("pledges", "Pledges met", "承諾達標",
                                                          "1"))
    assert first.status_code == 303 and first.headers["Location"].endswith("#setup-criteria")
    # The second is added with the first one's new weight in the same form.
    page = client.get(base).get_data(as_text=True)
    assert 'name="weight-0" value="1.0"' in page
    second = client.post(f"{base}/criteria/add", {
        **criterion("courtesy", "Courtesy", "禮貌", "0.6"), "weight-0": "0.4"})
    assert second.status_code == 303
    # The final round is a round of its own.
    assert client.post(f"{base}/criteria/add", criterion(
        "overall", "Overall", "整體", "1", rnd="final", top="100")).status_code == 303
    # The weights form changes the round's weights together (final first: lists are by round).
    page = client.get(base).get_data(as_text=True)
    assert 'id="weights-1"' in page and 'id="weights-2"' in page
    weights = client.post(f"{base}/weights", {"weight-0": "1", "weight-1": "0.3",
                                              "weight-2": "0.7"})
    assert weights.status_code == 303
    db.session.expire_all()
    assert {c.code: c.weight for c in db.session.scalars(select(Criterion))} == {
        "pledges": 0.3, "courtesy": 0.7, "overall": 1.0}
    download = client.get("/organiser/c/csea-2027/config.toml").get_data(as_text=True)
    assert by_round(parse_config(download)) == by_round(parse_config(HAND_WRITTEN))


def test_editing_a_criterion_rebalances_its_round_in_the_same_form(client, organiser,
                                                                   campaign):
    signed_in(client).get(BASE)
    page = client.get(f"{BASE}?edit=criteria:1").get_data(as_text=True)
    assert 'id="criteria-1-weight-2" name="weight-2" value="0.6"' in page
    assert 'id="criteria-1-weight-1"' not in page  # the edited one's weight is its own field
    response = client.post(f"{BASE}/criteria/1", {
        **criterion("pledges", "Performance pledges met", "服務承諾達標", "0.5"),
        "weight-2": "0.5"})
    assert response.status_code == 303
    db.session.expire_all()
    assert sorted(db.session.scalars(select(Criterion.weight).where(
        Criterion.round == "preliminary"))) == [0.5, 0.5]


def test_weights_that_do_not_sum_to_one_are_refused_whole_in_the_readers_language(
        client, organiser, campaign):
    signed_in(client).get(BASE)
    before, logged = dump_config(campaign), events()
    refused = client.post(f"{BASE}/weights", {"weight-0": "1", "weight-1": "0.5",
                                              "weight-2": "0.6"})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "Preliminary round: the weights sum to 1.1, not 1. Nothing was changed" in html
    assert 'id="weights-1" name="weight-1" value="0.5"' in html  # the form keeps its values
    client.post("/language", {"lang": "zh_Hant_HK", "next": "/"})
    client.get(BASE)
    chinese = client.post(f"{BASE}/weights", {"weight-1": "0.5", "weight-2": "0.6"},
                          headers=HTMX)
    assert chinese.status_code == 422
    assert "初選：各項權重總和為 1.1，而不是 1" in chinese.get_data(as_text=True)
    for bad in ("abc", "0", "-0.4"):
        response = client.post(f"{BASE}/weights", {"weight-1": bad, "weight-2": "0.6"})
        assert response.status_code == 422, bad
    db.session.expire_all()
    assert dump_config(campaign) == before and events() == logged


def test_the_weights_form_is_closed_once_voting_has_opened(client, organiser,
                                                           open_campaign):
    signed_in(client)
    page = client.get(BASE).get_data(as_text=True)
    assert "Weights of the rounds" not in page and 'name="weight-0"' not in page
    refused = client.post(f"{BASE}/weights", {"weight-1": "0.5", "weight-2": "0.5"})
    assert refused.status_code == 409
    db.session.rollback()
    assert db.session.scalar(select(Criterion.weight).where(Criterion.code == "pledges")) == 0.4


def test_a_judge_gets_conflicts_and_affiliations_from_lists(client, organiser, campaign):
    signed_in(client).get(BASE)
    response = client.post(f"{BASE}/judges/0", {"username": "j01", "name": "Judge One",
                                                "conflicts": ["", "B", "C"],
                                                "affiliations": ["", "D"]})
    assert response.status_code == 303
    text = dump_config(campaign)
    assert 'conflicts = ["B", "C"]' in text and 'affiliations = ["D"]' in text
    bad = client.post(f"{BASE}/judges/0", {"username": "j01", "name": "Judge One",
                                           "conflicts": ["", "ZZ"]})
    assert bad.status_code == 422
    assert "conflict with unknown department &#39;ZZ&#39;" in bad.get_data(as_text=True)


def test_frozen_parts_are_shown_with_the_reason_and_refused_in_chinese(client, organiser,
                                                                       open_campaign):
    signed_in(client)
    page = client.get(BASE.replace("csea-test", open_campaign.slug)).get_data(as_text=True)
    assert "Frozen since voting opened" in page
    assert 'name="finalists" value="3" disabled' in page
    client.post("/language", {"lang": "zh_Hant_HK", "next": "/"})
    client.get(BASE)
    response = client.post(f"{BASE}/campaign", settings_form(open_campaign, finalists="2"))
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "已經凍結" in html and "voting has opened" not in html
    db.session.rollback()
    assert db.session.scalar(select(Campaign.finalists)) == 3
    assert chain_events("csea-test")[-1].action == "change_refused"
    # Names are not frozen.
    renamed = client.post(f"{BASE}/departments/0", {"code": "A", "name_en": "Dept A",
                                                    "name_zh": "甲部門"})
    assert renamed.status_code == 303


def test_a_campaign_is_created_in_the_browser(client, organiser, app):
    signed_in(client).get("/organiser/new")
    form = {"slug": "csea-2027", "name_en": "Award 2027", "name_zh": "二〇二七年獎",
            "finalists": "2", "max_choices": "2",
            "departments": "A | Dept A | 甲\nB | Dept B | 乙\nC\t Dept C\t丙",
            "districts": "KT | Kwun Tong | 觀塘"}
    bad = client.post("/organiser/new", {**form, "districts": "KT Kwun Tong"})
    assert bad.status_code == 422 and "line 1" in bad.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Campaign)) == 0
    response = client.post("/organiser/new", form)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/organiser/c/csea-2027/setup")
    campaign = db.session.scalar(select(Campaign))
    assert [d.code for d in campaign.departments] == ["A", "B", "C"]
    again = client.post("/organiser/new", form)
    assert again.status_code == 422
    assert "exists already" in again.get_data(as_text=True)


def test_download_then_upload_unchanged_previews_nothing_and_writes_nothing(
        client, organiser, campaign):
    signed_in(client)
    download = client.get("/organiser/c/csea-test/config.toml")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"] == 'attachment; filename="csea-test.toml"'
    before = events()
    client.get("/organiser/config/upload?slug=csea-test")
    preview = client.post("/organiser/config/upload", {
        "slug": "csea-test", "config_file": (io.BytesIO(download.data), "csea-test.toml")},
        content_type="multipart/form-data")
    assert preview.status_code == 200
    html = preview.get_data(as_text=True)
    assert "No changes: the file matches the campaign" in html
    assert 'name="confirm" value="yes"' not in html
    assert events() == before


def test_an_upload_shows_its_changes_then_applies_them_when_confirmed(client, organiser,
                                                                      campaign):
    signed_in(client)
    text = client.get("/organiser/c/csea-test/config.toml").get_data(as_text=True)
    edited = text.replace("max_choices = 3", "max_choices = 2").replace(
        '[[departments]]\ncode = "D"\nname_en = "Department D"\nname_zh = "丁部門"\n', "")
    before = events()
    client.get("/organiser/config/upload")
    preview = client.post("/organiser/config/upload", {
        "slug": "csea-test", "config_file": (io.BytesIO(edited.encode()), "c.toml")},
        content_type="multipart/form-data")
    html = preview.get_data(as_text=True)
    assert "Loading this file makes 2 changes" in html
    assert "<del>3</del>" in html and "<ins>2</ins>" in html and "removed" in html
    assert events() == before and db.session.scalar(select(Campaign.max_choices)) == 3
    version = html.split('name="version" value="')[1].split('"')[0]
    applied = client.post("/organiser/config/upload", {
        "slug": "csea-test", "config_text": edited, "version": version, "confirm": "yes"})
    assert applied.status_code == 303
    db.session.expire_all()
    assert db.session.scalar(select(Campaign.max_choices)) == 2
    assert db.session.scalar(select(func.count()).select_from(Department)) == 3
    # The preview's version no longer matches: a second confirmation is refused.
    stale = client.post("/organiser/config/upload", {
        "slug": "csea-test", "config_text": edited.replace("max_choices = 2", "max_choices = 1"),
        "version": version, "confirm": "yes"})
    assert stale.status_code == 422
    assert "the campaign changed after the preview" in stale.get_data(as_text=True)
    assert db.session.scalar(select(Campaign.max_choices)) == 2


def test_an_upload_for_another_campaign_or_not_toml_is_refused(client, organiser, campaign):
    signed_in(client).get("/organiser/config/upload")
    other = dump_config(campaign).replace('slug = "csea-test"', 'slug = "other"')
    response = client.post("/organiser/config/upload", {
        "slug": "csea-test", "config_file": (io.BytesIO(other.encode()), "c.toml")},
        content_type="multipart/form-data")
    assert response.status_code == 422
    assert "this file is for campaign &#39;other&#39;" in response.get_data(as_text=True)
    broken = client.post("/organiser/config/upload", {
        "slug": "csea-test", "config_file": (io.BytesIO(b"[campaign\n"), "c.toml")},
        content_type="multipart/form-data")
    assert broken.status_code == 422 and "not valid TOML" in broken.get_data(as_text=True)


def test_only_organisers_edit(client, make_user, campaign):
    make_user("auditor", "audrey")
    client.signin("audrey", PASSWORD)
    assert client.get(BASE).status_code == 403
    assert client.post(f"{BASE}/campaign", {"finalists": "2"}).status_code == 403
    assert client.get("/organiser/c/csea-test/config.toml").status_code == 200
