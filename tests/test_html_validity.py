"""The main pages of every user group are valid HTML by the W3C Nu HTML checker (vnu.jar,
from the npm package ``vnu-jar`` pinned in package.json), in English and 中文.

Pages are rendered by the test client from three campaigns: ``csea-test`` with voting open,
judges assigned and a coordinator's draft entry (households, coordinators, judges, the
organiser's working pages), and the published worked example (public results, the
verification page, the audit log); ``csea-steps`` gives the confirmation pages of the draw,
the codes and opening and closing the vote. The checker runs once over all the files. htmx's
``hx-*`` attributes are not HTML and are the one class of error let through; duplicate ids
are errors like any other (vnu reports them)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from .audit.conftest import published  # noqa: F401
from .conftest import PASSWORD, ROOT, CsrfClient
from .judging.conftest import JUDGING_CONFIG, assign

VNU = ROOT / "node_modules/vnu-jar/build/dist/vnu.jar"
HTMX_ATTRIBUTE = "Attribute “hx-"
LANGUAGES = {"en": "en", "zh": "zh_Hant_HK"}

pytestmark = pytest.mark.skipif(shutil.which("java") is None,
                                reason="java is not installed: the Nu HTML checker needs a "
                                       "Java runtime (Debian: default-jre-headless)")


def voting_campaign(make_user):
    """``csea-test``: a coordinator's draft entry and department B's submitted entry, both
    written while entries were open, three judges assigned, codes issued and voting open
    (departments compete without entries)."""
    import io

    from awards.campaigns.config_file import parse_config
    from awards.campaigns.services import load_campaign_config
    from awards.entries.drafts import EntryTexts
    from awards.entries.services import save_draft, submit_entry
    from awards.phases import move_phase, open_voting
    from awards.voting.households import draw_campaign_sample, import_frame

    from .voting.conftest import SEED, frame_csv, issue

    campaign, _created, _notes = load_campaign_config(parse_config(JUDGING_CONFIG))
    import_frame(campaign, io.BytesIO(frame_csv()))
    for username in ("j01", "j02", "j03"):
        make_user("judge", username)
    make_user("coordinator", "coord-a", "A")
    move_phase(campaign, "entries_open")
    department = next(d for d in campaign.departments if d.code == "A")
    save_draft(campaign, department, EntryTexts(
        title="Faster licence renewals", summary="Shorter queues.",
        sections={"pledges": "Eleven of twelve met.", "courtesy": "Plain-language training."},
        pledges=[("Calls answered within 2 minutes", "75%", "86%")],
        contact_name="Chan Tai Man", contact_email="chan@example.gov.hk",
        contact_phone="2123 4567"), 0, actor="coord-a")
    # Department B's entry is submitted: the organiser's read view of a snapshot.
    other = next(d for d in campaign.departments if d.code == "B")
    submit_entry(campaign, other, texts=EntryTexts(
        title="Counters that answer in Chinese and English", summary="Bilingual service.",
        sections={"pledges": "All twelve pledges met.", "courtesy": "Mystery shoppers: 4.5/5."},
        pledges=[("Counter queue under 15 minutes", "90%", "94%")],
        contact_name="Wong Siu Ming", contact_email="wong@example.gov.hk",
        contact_phone="2987 6543"), version=0, actor="olivia")
    for state in ("entries_closed", "adjudication"):
        move_phase(campaign, state)
    draw_campaign_sample(campaign, 90, SEED)
    assign(campaign, {"j01": ["B", "C"], "j02": ["A", "B", "C"], "j03": ["A", "C", "D"]})
    letters = issue(campaign)
    open_voting(campaign)
    return campaign, letters


STEPS = "/organiser/c/csea-steps"


def steps_campaign():
    """``csea-steps``: the frame imported and the campaign in adjudication, so that the
    sample, the codes and the vote are each one confirmation away."""
    import io

    from awards.campaigns.config_file import parse_config
    from awards.campaigns.services import load_campaign_config
    from awards.phases import move_phase
    from awards.voting.households import import_frame

    from .voting.conftest import default_config_text, frame_csv

    text = default_config_text().replace('slug = "csea-test"', 'slug = "csea-steps"')
    campaign, _created, _notes = load_campaign_config(parse_config(text))
    import_frame(campaign, io.BytesIO(frame_csv()))
    for state in ("entries_open", "entries_closed", "adjudication"):
        move_phase(campaign, state)
    return campaign


def confirmation_pages(app, make_user) -> dict[str, dict[str, str]]:
    """The confirmation pages of the draw, the codes and the vote, per language: each
    step's first post answers the page (changing nothing), then the step is done by its
    service so that the next one can be asked."""
    from awards.phases import open_voting
    from awards.voting.households import draw_campaign_sample

    from .voting.conftest import SEED, issue

    campaign = steps_campaign()
    clients = {lang: signed_in(app, "olivia", lang) for lang in LANGUAGES}
    pages: dict[str, dict[str, str]] = {lang: {} for lang in LANGUAGES}

    def ask(name: str, url: str, data: dict) -> None:
        for lang, client in clients.items():
            response = client.post(url, dict(data))
            assert response.status_code == 200, f"{url}: {response.status_code}"
            html = response.get_data(as_text=True)
            assert 'name="confirm" value="yes"' in html, f"{lang} {name}: no confirmation"
            pages[lang][name] = html

    ask("organiser-confirm-sample", f"{STEPS}/households/sample", {"size": "90", "seed": SEED})
    draw_campaign_sample(campaign, 90, SEED)
    ask("organiser-confirm-codes", f"{STEPS}/households/codes", {})
    issue(campaign)
    ask("organiser-confirm-open-voting", f"{STEPS}/voting/open", {})
    open_voting(campaign)
    ask("organiser-confirm-close-voting", f"{STEPS}/voting/close", {})
    return pages


def signed_in(app, username: str | None, lang: str) -> CsrfClient:
    client = CsrfClient(app.test_client())
    client.get("/")
    client.post("/language", {"lang": LANGUAGES[lang], "next": "/"})
    if username:
        response = client.signin(username, PASSWORD)
        assert response.status_code in (302, 303), username
    return client


def fetch(client: CsrfClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, f"{url}: {response.status_code}"
    assert response.mimetype == "text/html", url
    return response.get_data(as_text=True)


def household_pages(app, code: str, lang: str) -> dict[str, str]:
    client = signed_in(app, None, lang)
    pages = {"home": fetch(client, "/"), "vote-start": fetch(client, "/vote")}
    assert client.post("/vote", {"code": code}).status_code == 303
    pages["vote-ballot"] = fetch(client, "/vote/ballot")
    review = client.post("/vote/review", {"choice": ["A", "C"]})
    assert review.status_code == 200
    pages["vote-review"] = review.get_data(as_text=True)
    assert client.post("/vote/confirm", {"choice": ["A", "C"]}).status_code in (200, 303)
    pages["vote-receipt"] = fetch(client, "/vote/receipt")
    pages["signin"] = fetch(signed_in(app, None, lang), "/signin")
    return pages


def staff_pages(app, lang: str, published_slug: str) -> dict[str, str]:
    organiser = signed_in(app, "olivia", lang)
    console = "/organiser/c/csea-test"
    pages = {
        "organiser-campaigns": fetch(organiser, "/organiser/"),
        "organiser-overview": fetch(organiser, console),
        "organiser-setup": fetch(organiser, f"{console}/setup"),
        "organiser-entries": fetch(organiser, f"{console}/entries"),
        "organiser-households": fetch(organiser, f"{console}/households"),
        "organiser-assignment": fetch(organiser, f"{console}/assignment"),
        "organiser-judging": fetch(organiser, f"{console}/judging"),
        "organiser-people": fetch(organiser, "/organiser/people"),
        "organiser-sign-ins": fetch(organiser, "/organiser/sign-ins"),
        "organiser-entry-snapshot": fetch(organiser, f"{console}/entries/B"),
        "organiser-turnout": fetch(organiser, f"{console}/turnout"),
        "organiser-score-sheets": fetch(organiser, f"{console}/judging/sheets"),
        "organiser-new-campaign": fetch(organiser, "/organiser/new"),
        "organiser-config-upload": fetch(organiser, "/organiser/config/upload"),
        "organiser-audit-log": fetch(organiser, f"/organiser/c/{published_slug}/audit"),
        "organiser-results": fetch(organiser, f"/organiser/c/{published_slug}/results"),
    }
    public = signed_in(app, None, lang)
    pages["public-results"] = fetch(public, f"/results/{published_slug}")
    pages["verification"] = fetch(public, f"/verify/{published_slug}")
    pages["receipt-check"] = fetch(public, "/receipt")
    coordinator = signed_in(app, "coord-a", lang)
    pages["coordinator-entry"] = fetch(coordinator, "/department/c/csea-test/entry")
    judge = signed_in(app, "j02", lang)
    pages["judge-home"] = fetch(judge, "/judge/c/csea-test/")
    pages["scorecard"] = fetch(judge, "/judge/c/csea-test/preliminary/B")
    return pages


def run_vnu(files: list[Path]) -> list[dict]:
    completed = subprocess.run(
        ["java", "-jar", str(VNU), "--errors-only", "--format", "json",
         *map(str, files)], capture_output=True, text=True, timeout=300)
    # vnu writes its JSON report to stderr and exits 1 when it found errors.
    report = json.loads(completed.stderr or completed.stdout)
    return report["messages"]


def test_the_main_pages_are_valid_html_in_both_languages(app, make_user, published,
                                                         tmp_path):
    from awards.extensions import db
    from awards.models import User

    assert VNU.exists(), "node_modules/vnu-jar is missing: run npm ci"
    if db.session.scalar(select(User).where(User.username == "olivia")) is None:
        make_user("organiser", "olivia")
    _campaign, letters = voting_campaign(make_user)
    slug = published.campaign.slug
    confirmations = confirmation_pages(app, make_user)

    files = []
    for number, lang in enumerate(LANGUAGES):
        pages = household_pages(app, letters[number].code, lang)
        pages.update(staff_pages(app, lang, slug))
        pages.update(confirmations[lang])
        for name, html in pages.items():
            path = tmp_path / f"{lang}-{name}.html"
            path.write_text(html, encoding="utf-8")
            files.append(path)
    assert len(files) == 2 * 32

    messages = run_vnu(files)
    errors = [m for m in messages if m.get("type") == "error"
              and not (HTMX_ATTRIBUTE in m.get("message", "")
                       and "not allowed" in m.get("message", ""))]
    described = [f"{Path(m['url']).name}:{m.get('lastLine')}: {m['message']}"
                 for m in errors]
    assert not errors, "\n".join(described)
    duplicates = [m for m in messages if "Duplicate ID" in m.get("message", "")]
    assert not duplicates
