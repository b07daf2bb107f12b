"""The demo campaign's entries (``flask awards demo``): varied, realistic titles in English
and Chinese, exactly one draft left at the deadline and one entry found ineligible with its
reason, all written through the coordinators' and organisers' services."""

from __future__ import annotations

import random
import re

from sqlalchemy import select

from awards.audit.service import chain_events
from awards.campaigns.config_file import parse_config
from awards.campaigns.services import load_campaign_config
from awards.demo import LEFT_OUT, default_data_dir, demo_config, read_csv
from awards.entries.demo_entries import judge_demo_eligibility, write_demo_entries
from awards.extensions import db
from awards.models import Entry
from awards.phases import move_phase

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def demo_campaign_with_entries():
    data = default_data_dir()
    departments = sorted((d for d in read_csv(data / "hk_departments.csv")
                          if d["code"] not in LEFT_OUT), key=lambda d: d["code"])
    districts = read_csv(data / "hk_districts.csv")
    campaign, _created, _notes = load_campaign_config(
        parse_config(demo_config(departments, districts)))
    move_phase(campaign, "entries_open")
    draft, ineligible = write_demo_entries(campaign, random.Random(2026), progress=lambda _: None)
    move_phase(campaign, "entries_closed")
    judge_demo_eligibility(campaign, ineligible)
    return campaign, draft, ineligible


def test_the_demo_has_one_draft_one_ineligible_entry_and_varied_titles(app):
    campaign, draft, ineligible = demo_campaign_with_entries()
    entries = list(db.session.scalars(select(Entry).where(Entry.campaign_id == campaign.id)))
    assert len(entries) == len(campaign.departments) == 28
    drafts = [e for e in entries if e.status == "draft"]
    assert len(drafts) == 1 and drafts[0].department_id == next(
        d.id for d in campaign.departments if d.code == draft)
    ineligibles = [e for e in entries if e.eligibility == "ineligible"]
    assert len(ineligibles) == 1 and ineligibles[0].eligibility_reason.strip()
    assert ineligibles[0].department_id == next(
        d.id for d in campaign.departments if d.code == ineligible)
    assert all(e.eligibility == "eligible" for e in entries
               if e.status == "submitted" and e is not ineligibles[0])
    # Titles and summaries are each department's own (not one template with the name put
    # in), some of them in Chinese.
    titles = [e.title for e in entries]
    assert len(set(titles)) == len(titles)
    assert len({e.summary for e in entries}) == len(entries)
    assert len({t.split()[0] for t in titles if not CHINESE.search(t)}) > 10
    chinese = [e for e in entries if CHINESE.search(e.title)]
    assert 5 <= len(chinese) <= len(entries) // 2
    assert all(CHINESE.search(e.summary) for e in chinese)
    events = [e for e in chain_events(campaign.slug) if e.action == "eligibility_set"]
    assert len(events) == len(entries) - 1  # every submitted entry, one event each
