"""An organiser solves the preliminary assignment, pins a pair in the matrix and re-solves, on
a 10-inch tablet held in landscape (1024×768), in English and Chinese; axe-core finds no
serious violation, and the wide matrix scrolls inside its box with the judges in view."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from awards.campaigns.config_file import parse_config
from awards.campaigns.services import load_campaign_config
from awards.extensions import db
from awards.models import Assignment, Department, Judge, User

from ..conftest import PASSWORD
from .helpers import describe, run_axe, shot, translator

pytestmark = pytest.mark.browser

TABLET_LANDSCAPE = {"viewport": {"width": 1024, "height": 768}, "device_scale_factor": 1,
                    "has_touch": True}
JUDGES = 12


def panel_config(text: str) -> str:
    """The 28 departments with twelve judges, two of them with a conflict."""
    judges = "".join(f'\n[[judges]]\nusername = "j{n:02d}"\nname = "Judge {n}"\n'
                     for n in range(2, JUDGES + 1))
    return (text + judges).replace('username = "j05"\nname = "Judge 5"',
                                   'username = "j05"\nname = "Judge 5"\nconflicts = ["HKPF"]')


@pytest.fixture
def adjudication(app, config_text, organiser):
    campaign, _created, _notes = load_campaign_config(parse_config(panel_config(config_text)))
    campaign.state = "adjudication"
    db.session.commit()
    slug = campaign.slug
    db.session.rollback()  # the live server's threads need the SQLite write lock
    return slug


def sign_in(page: Page) -> None:
    page.goto("/signin")
    page.locator("#username").fill("olivia")
    page.locator("#password").fill(PASSWORD)
    page.locator("main form [type=submit]").click()
    expect(page).to_have_url(re.compile(r"/organiser/$"))


def stored() -> set[tuple[str, str]]:
    pairs = set(db.session.execute(
        select(User.username, Department.code).select_from(Assignment)
        .join(Judge, Judge.id == Assignment.judge_id).join(User, User.id == Judge.user_id)
        .join(Department, Department.id == Assignment.department_id)).all())
    db.session.rollback()
    return pairs


def serious(page: Page, name: str) -> list[str]:
    found = [v for v in run_axe(page) if v["impact"] in ("serious", "critical")]
    return [describe(name, found)] if found else []


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_organiser_pins_a_pair_and_re_solves_on_a_tablet(new_page, live, adjudication, lang):
    t = translator(lang)
    page = new_page(lang, device=TABLET_LANDSCAPE, bypass_csp=True)
    sign_in(page)
    url = f"/organiser/c/{adjudication}/assignment"
    page.goto(url)
    expect(page.get_by_role("heading", level=2)).to_have_text(
        t("Judge assignment (preliminary round)"))
    rows = page.locator("table.matrix tbody tr")
    expect(rows).to_have_count(JUDGES)
    expect(page.locator("table.matrix thead th.dept")).to_have_count(28)
    expect(page.locator("td.cell.conflict")).to_have_count(2)  # j01/IMMD, j05/HKPF
    problems = serious(page, f"assignment before solving ({lang})")
    shot(page, f"{lang}-assignment-1024-empty")

    # The matrix scrolls inside its box, not the page; the judge column stays in view.
    box = page.locator(".matrix-scroll")
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    assert box.evaluate("el => el.scrollWidth > el.clientWidth")
    judge_cell = rows.first.locator("th.judge")
    left = judge_cell.bounding_box()["x"]
    box.evaluate("el => el.scrollLeft = el.scrollWidth")
    assert abs(judge_cell.bounding_box()["x"] - left) < 1

    page.locator("#solve-button").click()
    notice = page.locator("#assignment [role=status]")
    expect(notice).to_contain_text(re.compile(r"84"))
    first = stored()
    assert len(first) == 84  # 28 departments × 3 judges

    # Pin a pair the solver left out: the htmx swap keeps the focus on the pressed button.
    judge = "j03"
    department = next(code for code in ("IMMD", "HKPF", "FEHD", "LCSD", "HD", "TD", "IRD")
                      if (judge, code) not in first)
    row_index = 2
    column = page.locator("table.matrix thead th.dept").all_inner_texts().index(department)
    pin = page.locator(f"#pin-{row_index}-{column}")
    expect(pin).to_have_attribute("aria-pressed", "false")
    pin.click()
    pin = page.locator(f"#pin-{row_index}-{column}")
    expect(pin).to_have_attribute("aria-pressed", "true")
    expect(pin).to_be_focused()
    top = pin.bounding_box()["y"]  # the swap leaves the matrix where it was on screen
    assert 0 <= top <= 768 - 44, f"the pressed button moved off screen (y = {top})"
    cell = page.locator("table.matrix tbody tr").nth(row_index).locator("td.cell").nth(column)
    expect(cell).to_have_class(re.compile(r"\bwould-add\b"))
    expect(page.locator(".preview .pair").first).to_be_visible()
    problems += serious(page, f"assignment with a pin ({lang})")
    shot(page, f"{lang}-assignment-1024-pinned")

    page.locator("#solve-button").click()
    expect(page.locator("#assignment [role=status]")).to_contain_text(re.compile(r"84"))
    expect(page.locator(".preview")).to_contain_text(t("A re-solve would change nothing."))
    second = stored()
    assert (judge, department) in second and len(second) == 84
    expect(page.locator("table.matrix tbody tr").nth(row_index).locator("td.cell")
           .nth(column)).to_have_class(re.compile(r"\bassigned\b"))
    problems += serious(page, f"assignment re-solved ({lang})")
    shot(page, f"{lang}-assignment-1024-resolved")
    assert not problems, "\n".join(problems)
