"""The public verification page gives the exact verifier commands, key pinned (SPEC 7)."""

from __future__ import annotations

import html as html_lib
import re
import shlex

from awards.audit import verify

SLUG = "csea-worked"


def commands_on_page(page: str) -> list[list[str]]:
    """Every ``python …`` command shown in a <code> element of the page, as argv."""
    codes = re.findall(r"<code>(python [^<]*)</code>", page)
    return [shlex.split(html_lib.unescape(code)) for code in codes]


def test_both_commands_pin_the_campaigns_key(published, client):
    page = client.get(f"/verify/{SLUG}").get_data(as_text=True)
    key = published.campaign.signing_public_key
    verifier = [argv for argv in commands_on_page(page) if "pip" not in argv]
    assert [argv[:3] for argv in verifier] == [
        ["python", "verify.py", f"{SLUG}-audit-v2.zip"],
        ["python", "-m", "awards.audit.verify"]]
    for argv in verifier:
        assert argv[-2:] == ["--public-key", key]
    assert "KEY NOT PINNED" in page


def test_the_command_on_the_page_verifies_the_served_bundle(published, client, tmp_path,
                                                             monkeypatch):
    """Run the module command exactly as the page writes it, on the bundle the page
    serves: VERIFIED (0). Dropping --public-key gives 3, never 0."""
    page = client.get(f"/verify/{SLUG}").get_data(as_text=True)
    argv = next(a for a in commands_on_page(page) if a[:3] == ["python", "-m",
                                                               "awards.audit.verify"])
    (tmp_path / argv[3]).write_bytes(client.get(f"/verify/{SLUG}/bundle.zip").data)
    monkeypatch.chdir(tmp_path)
    assert verify.main(argv[3:]) == 0
    assert verify.main(argv[3:4]) == 3


def test_the_instructions_in_chinese(published, client):
    page = client.get(f"/verify/{SLUG}", headers={"Accept-Language": "zh-HK,zh;q=0.9"})
    text = page.get_data(as_text=True)
    assert "請務必以 --public-key 提供上列公鑰" in text
    assert "PCG64" in text
    key = published.campaign.signing_public_key
    assert f"python -m awards.audit.verify {SLUG}-audit-v2.zip --public-key {key}" in text
