"""Which departments compete (SPEC section 5.1 "Ballot"): those with an eligible entry, or
every configured department when the campaign sets ``entries_required = false``. The ballot,
paper returns, score sheets and results all ask here."""

from __future__ import annotations

from sqlalchemy import exists, or_, select, true

from awards.extensions import db
from awards.models import Campaign, Department, Entry


def eligible_departments(campaign: Campaign) -> list[Department]:
    """Departments on the ballot and in the results: those with an eligible entry, or all
    configured departments when the campaign sets ``entries_required = false``."""
    if not campaign.entries_required:
        return list(campaign.departments)
    eligible = set(db.session.scalars(select(Entry.department_id).where(
        Entry.campaign_id == campaign.id, Entry.eligibility == "eligible")))
    return [d for d in campaign.departments if d.id in eligible]


def competing(campaign: Campaign | None, department_id):
    """SQL condition: the department (an id or id column) competes in ``campaign``; with
    None, in the campaign whose ``campaigns`` row the query itself selects."""
    if campaign is None:
        return or_(Campaign.entries_required.is_(False),
                   _eligible_entry(Campaign.id, department_id))
    if not campaign.entries_required:
        return true()
    return _eligible_entry(campaign.id, department_id)


def _eligible_entry(campaign_id, department_id):
    return exists().where(Entry.campaign_id == campaign_id,
                          Entry.department_id == department_id,
                          Entry.eligibility == "eligible")


_frozen_eligible: dict[tuple[int, str], frozenset[str]] = {}


def eligible_codes(campaign: Campaign) -> frozenset[str]:
    """Codes of the eligible departments. Once voting opens the set is frozen (SPEC 2), so
    it is cached per process for the busy vote endpoint."""
    if campaign.frozen_at is None:
        return frozenset(d.code for d in eligible_departments(campaign))
    key = (campaign.id, campaign.frozen_at.isoformat())
    codes = _frozen_eligible.get(key)
    if codes is None:
        codes = _frozen_eligible[key] = frozenset(d.code for d in eligible_departments(campaign))
    return codes
