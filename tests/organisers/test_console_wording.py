"""The pages speak the reader's language and point to pages and buttons, never to the
command line; the command line keeps its own sentences."""

from __future__ import annotations

from ..conftest import PASSWORD

PAGE = "/organiser/c/csea-test"


def chinese(client) -> None:
    client.post("/language", {"lang": "zh_Hant_HK", "next": "/"})


def test_opening_the_vote_without_codes_points_to_the_issue_button(client, organiser,
                                                                   sampled_campaign, runner):
    client.signin("olivia", PASSWORD)
    client.get(PAGE)
    html = client.post(f"{PAGE}/voting/open").get_data(as_text=True)
    assert "issue the voting codes (“Households and codes” page, “Issue codes…”)" in html
    assert "flask awards" not in html
    chinese(client)
    html = client.post(f"{PAGE}/voting/open").get_data(as_text=True)
    assert "「住戶及投票編號」頁面上的「發出投票碼…」" in html and "flask" not in html
    result = runner.invoke(args=["awards", "voting", "open", "csea-test"])
    assert result.exit_code == 1
    assert "issue the voting codes (flask awards codes issue)" in result.stderr


def test_missing_results_point_to_the_results_page(client, organiser, open_campaign, runner):
    from awards.phases import close_voting

    close_voting(open_campaign)
    client.signin("olivia", PASSWORD)
    client.get(PAGE)
    html = client.post(f"{PAGE}/phase", {"target": "finalists_announced"}).get_data(
        as_text=True)
    assert "compute the results (“Results” page, “Compute results”)" in html
    assert "flask awards" not in html
    result = runner.invoke(args=["awards", "phase", "csea-test", "finalists_announced"])
    assert result.exit_code == 1 and "(flask awards results)" in result.stderr


def test_issuing_codes_twice_points_to_the_lost_letter_form(client, organiser, letters,
                                                            sampled_campaign):
    client.signin("olivia", PASSWORD)
    client.get(f"{PAGE}/households")
    html = client.post(f"{PAGE}/households/codes").get_data(as_text=True)
    assert "“Lost letter” on the “Households and codes” page" in html
    assert "codes reissue" not in html


def test_an_invitation_refusal_reads_in_chinese(client, campaign, app):
    from awards.accounts.services import create_invitation

    token = create_invitation("judge", name="Someone", actor="olivia")
    invited = client.__class__(app.test_client())
    invited.get(f"/invite/{token}")
    chinese(invited)
    invited.get(f"/invite/{token}")
    html = invited.post(f"/invite/{token}", {"username": "j01", "password": "x" * 14,
                                             "confirm": "x" * 14}).get_data(as_text=True)
    assert "用戶名稱「j01」已被使用" in html and "is taken" not in html
    gone = invited.get("/invite/not-a-token").get_data(as_text=True)
    assert "此邀請連結已經失效" in gone and "not valid any more" not in gone
