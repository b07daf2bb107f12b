"""The campaigns list is where an organiser starts a campaign in the browser (SPEC 8: no
command line needed): it links to the new-campaign form and the TOML upload."""

from __future__ import annotations

from ..conftest import PASSWORD


def test_an_organiser_without_campaigns_is_offered_the_form_not_a_command(client, organiser):
    client.signin("olivia", PASSWORD)
    html = client.get("/organiser/").get_data(as_text=True)
    assert 'href="/organiser/new"' in html and 'href="/organiser/config/upload"' in html
    assert "flask" not in html and "No campaign yet." in html


def test_the_links_stay_beside_the_list_and_read_in_chinese(client, organiser, campaign):
    client.signin("olivia", PASSWORD)
    client.post("/language", {"lang": "zh_Hant_HK", "next": "/"})
    html = client.get("/organiser/").get_data(as_text=True)
    assert 'href="/organiser/new"' in html and "/organiser/c/csea-test" in html
    assert "新評選活動" in html and "上載其 TOML 檔案" not in html  # a campaign exists


def test_an_auditor_sees_the_list_without_the_organisers_buttons(client, make_user, campaign):
    make_user("auditor", "audrey")
    client.signin("audrey", PASSWORD)
    html = client.get("/organiser/").get_data(as_text=True)
    assert "/organiser/c/csea-test" in html
    assert 'href="/organiser/new"' not in html and "/organiser/config/upload" not in html
