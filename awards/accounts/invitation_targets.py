"""Whom an invitation is for (SPEC section 8: inviting coordinators and judges for a chosen
department or panel): the departments and the judges' panel records an organiser picks
from, the check that a picked value exists, and what the acceptance page names."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from awards.exceptions import InvalidInput
from awards.extensions import db
from awards.models import Campaign, Department, Judge, User


@dataclass(frozen=True)
class DepartmentChoice:
    code: str
    name_en: str
    name_zh: str


@dataclass(frozen=True)
class JudgeChoice:
    """A judge's panel record: the account (inactive until invited) and its panels."""

    username: str
    name: str
    panels: tuple[str, ...]  # campaign slugs
    active: bool


def department_choices() -> list[DepartmentChoice]:
    """Departments of every campaign, one per code (the newest campaign's names)."""
    rows = db.session.execute(
        select(Department.code, Department.name_en, Department.name_zh)
        .join(Campaign, Campaign.id == Department.campaign_id)
        .order_by(Department.code, Campaign.created_at.desc())).all()
    seen: dict[str, DepartmentChoice] = {}
    for code, en, zh in rows:
        seen.setdefault(code, DepartmentChoice(code, en, zh))
    return list(seen.values())


def judge_choices() -> list[JudgeChoice]:
    """Judges named on a campaign's panel, by username, with their panels."""
    rows = db.session.execute(
        select(User.username, Judge.name, Campaign.slug, User.active)
        .join(Judge, Judge.user_id == User.id)
        .join(Campaign, Campaign.id == Judge.campaign_id)
        .order_by(User.username, Campaign.slug)).all()
    judges: dict[str, JudgeChoice] = {}
    for username, name, slug, active in rows:
        known = judges.get(username)
        panels = (*known.panels, slug) if known else (slug,)
        judges[username] = JudgeChoice(username, name, panels, active)
    return list(judges.values())


def check_invitation_target(role: str, department_code: str | None,
                            username: str | None) -> None:
    """Refuse a department or judge record that does not exist.

    Raises
    ------
    InvalidInput
        ``invitation.unknown_department`` or ``invitation.unknown_judge``.
    """
    if department_code and department_code not in {d.code for d in department_choices()}:
        raise InvalidInput(f"no department '{department_code}' in any campaign",
                           code="invitation.unknown_department", department=department_code)
    if username and (role != "judge" or username not in {j.username for j in judge_choices()}):
        raise InvalidInput(f"no judge '{username}' on any campaign's panel",
                           code="invitation.unknown_judge", username=username)


@dataclass(frozen=True)
class InvitationTarget:
    """What the acceptance page names: the department and the panels."""

    department: DepartmentChoice | None
    panels: list[Campaign]


def invitation_target(department_code: str | None, username: str | None) -> InvitationTarget:
    department = next((d for d in department_choices() if d.code == department_code), None)
    panels: list[Campaign] = []
    if username:
        panels = list(db.session.scalars(
            select(Campaign).join(Judge, Judge.campaign_id == Campaign.id)
            .join(User, User.id == Judge.user_id).where(User.username == username)
            .order_by(Campaign.created_at.desc())))
    return InvitationTarget(department, panels)
