"""Entries for the demo campaign, written through the same services coordinators and
organisers use: most departments submit, one is left as a draft at the deadline, and one
submitted entry is found ineligible, with its reason."""

from __future__ import annotations

import random
from collections.abc import Callable

from awards.entries.drafts import EntryTexts
from awards.entries.services import (
    find_entry,
    preliminary_criteria,
    save_draft,
    set_eligibility,
    submit_entry,
)
from awards.models import Campaign, Department

# Pledge rows in the style of Hong Kong departments' published performance pledges.
PLEDGES = {
    "IMMD": [("Issue a smart identity card on the appointment day", "99%", "99.8%"),
             ("Clear a visitor at the control point within 15 minutes", "98%", "99.5%"),
             ("Process a passport application within 10 working days", "95%", "97%")],
    "HKPF": [("Answer a 999 call within 9 seconds", "90%", "93%"),
             ("Reach an urban emergency within 9 minutes", "90%", "91%")],
    "FEHD": [("Answer a hygiene complaint within 1 working day", "95%", "96%"),
             ("Clear a reported refuse blackspot within 24 hours", "90%", "94%")],
    "TD": [("Renew a driving licence over the counter within 30 minutes", "90%", "92%"),
           ("Answer 75% of calls within 2 minutes", "75%", "86%")],
    "IRD": [("Issue a salaries tax assessment within 3 months of the return", "95%", "98%"),
            ("Answer 75% of calls within 2 minutes", "75%", "81%")],
    "POST": [("Deliver local letters on the next working day", "98%", "98.9%"),
             ("Serve a counter customer within 15 minutes", "95%", "97%")],
    "WSD": [("Restore supply after a main burst within 12 hours", "95%", "96%"),
            ("Reply to a written enquiry within 10 working days", "99%", "99.6%")],
    "LCSD": [("Confirm a sports booking on the spot", "100%", "100%"),
             ("Open public libraries at the advertised hours", "99.5%", "99.9%")],
}
GENERIC = [("Answer 75% of calls within 2 minutes", "75%", "86%"),
           ("Reply to a written enquiry within 10 working days", "95%", "97%"),
           ("Serve a counter customer within 20 minutes", "90%", "93%")]
SECTIONS = {
    "pledges": "In 2025-26 the {name} published {n} performance pledges and met {met} of "
               "them. Results are posted monthly at every service counter and online.",
    "courtesy": "Every front-line officer of the {name} completed a two-day course in "
                "courteous service and plain language; mystery-shopper visits rated "
                "courtesy 4.3 out of 5.",
    "access": "Services of the {name} are available at extended counter hours, by phone "
              "and online in English and Chinese, with step-free access at every office.",
    "improve": "A customer liaison group meets quarterly; 14 suggestions from the public "
               "were adopted this year, including shorter forms and text-message reminders.",
}
INELIGIBLE_REASON = ("The pledge figures cover 2019-20, outside the award period 2025-26; "
                     "the department may enter again next year.")


def entry_texts_for(department: Department, codes: list[str], rng: random.Random) -> EntryTexts:
    pledges = PLEDGES.get(department.code, GENERIC)
    met = len(pledges) - (1 if rng.random() < 0.3 else 0)
    sections = {code: SECTIONS.get(code, "").format(name=department.name_en, n=len(pledges),
                                                    met=met) or f"Work on {code}."
                for code in codes}
    return EntryTexts(
        title=f"Putting the public first at the {department.name_en}",
        summary=(f"How the {department.name_en} shortened waiting times and kept its "
                 "performance pledges in 2025-26."),
        sections=sections, pledges=list(pledges),
        contact_name=f"Customer Service Manager, {department.code}",
        contact_email=f"csm@{department.code.lower()}.gov.hk",
        contact_phone=f"2{rng.randint(100, 999)} {rng.randint(1000, 9999)}")


def write_demo_entries(campaign: Campaign, rng: random.Random,
                       progress: Callable[[str], None] = print) -> tuple[str, str]:
    """Every department but the last submits an entry; the last stays a draft. Call in
    ``entries_open``. Returns the codes of the draft and of the entry to find ineligible."""
    departments = list(campaign.departments)
    codes = [c.code for c in preliminary_criteria(campaign)]
    progress(f"writing {len(departments)} demo entries ...")
    for department in departments:
        actor = f"coord-{department.code.lower()}"
        save_draft(campaign, department, entry_texts_for(department, codes, rng), 0,
                   actor=actor)
        if department is not departments[-1]:
            submit_entry(campaign, department, actor=actor)
    return departments[-1].code, departments[-2].code


def judge_demo_eligibility(campaign: Campaign, ineligible: str) -> None:
    """Call in ``entries_closed``: every submitted entry is eligible except ``ineligible``,
    which is found ineligible with its reason (one audit event per entry)."""
    submitted = [d for d in campaign.departments
                 if (entry := find_entry(campaign, d)) is not None and entry.status == "submitted"]
    set_eligibility(campaign, [d for d in submitted if d.code != ineligible], "eligible", "",
                    actor="organiser")
    set_eligibility(campaign, [d for d in submitted if d.code == ineligible], "ineligible",
                    INELIGIBLE_REASON, actor="organiser")
