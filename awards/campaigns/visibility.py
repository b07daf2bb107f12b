"""Which campaigns a person may see (SPEC 9: staff see only their own part).

Organisers and auditors see every campaign; a department coordinator only the campaigns,
past their draft, that list their department (as on their home page); a judge only the
campaigns whose panel they sit on. Anybody else, and the public, sees a campaign only once
its results are published.
"""

from __future__ import annotations

from sqlalchemy import Select, exists, select

from awards.extensions import db
from awards.models import Campaign, Department, Judge

SEES_EVERY_CAMPAIGN = frozenset({"organiser", "auditor"})
# SPEC 9: results are hidden before publication from everybody but the organisers.
SEES_RESULTS_BEFORE_PUBLICATION = frozenset({"organiser"})


def _scoped(query: Select, role: str, user_id: int | None,
            department_code: str | None) -> Select | None:
    if role in SEES_EVERY_CAMPAIGN:
        return query
    if role == "coordinator" and department_code:
        return query.where(Campaign.state != "draft", exists().where(
            Department.campaign_id == Campaign.id, Department.code == department_code))
    if role == "judge" and user_id is not None:
        return query.where(exists().where(
            Judge.campaign_id == Campaign.id, Judge.user_id == user_id))
    return None


def visible_campaign(slug: str, *, role: str, user_id: int | None = None,
                     department_code: str | None = None,
                     results: bool = False) -> Campaign | None:
    """The campaign called ``slug`` if a user with this role (and id or department) may
    see it, else None (one query). With ``results``, the campaign is for its results: only
    organisers see them before publication."""
    query = _scoped(select(Campaign).where(Campaign.slug == slug), role, user_id,
                    department_code)
    if query is None:
        return None
    if results and role not in SEES_RESULTS_BEFORE_PUBLICATION:
        query = query.where(Campaign.state == "published")
    return db.session.scalar(query)


def published_campaign(slug: str) -> Campaign | None:
    """The campaign called ``slug`` once its results are published (what the public sees)."""
    return db.session.scalar(select(Campaign).where(Campaign.slug == slug,
                                                    Campaign.state == "published"))


def campaign_by_id(campaign_id: int) -> Campaign | None:
    """The campaign with this id (a household's vote session names its campaign by id)."""
    return db.session.get(Campaign, campaign_id)


def all_campaigns() -> list[Campaign]:
    """Every campaign, newest first (organisers and auditors)."""
    return list(db.session.scalars(select(Campaign).order_by(Campaign.created_at.desc())))


def announced_campaigns() -> list[Campaign]:
    """Campaigns past their draft, newest first (the public home page)."""
    return list(db.session.scalars(select(Campaign).where(Campaign.state != "draft")
                                   .order_by(Campaign.created_at.desc())))
