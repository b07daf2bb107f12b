"""Conflicts of interest (SPEC 5.3): declared by the judge, set by an organiser, or derived
from the judge's affiliation in the campaign config (``campaigns.services``).

A conflicted pair is never scorable. A conflict found after scoring deletes that pair's
scores and comments (never imputed; the scorecard's revisions keep the history), removes
the assignment, records an audit event and flags the round's assignment for a re-solve:
the solver reads the flag; nothing here runs it.
"""

from __future__ import annotations

from sqlalchemy import select

from awards.audit.service import record
from awards.campaigns.services import ensure_not_published
from awards.extensions import db
from awards.judging.errors import ScorecardInvalid
from awards.judging.scorecards import (
    REASON_SIZE,
    append_revision,
    control_character,
    round_criteria,
    round_row,
)
from awards.models import (
    Assignment,
    Campaign,
    Conflict,
    Department,
    Judge,
    Scorecard,
    User,
)
from awards.models.judging import CONFLICT_TYPES
from awards.models.base import utcnow


def _checked(campaign: Campaign, code: str, kind: str, reason: str) -> tuple[Department, str]:
    department = next((d for d in campaign.departments if d.code == code), None)
    if department is None:
        raise ScorecardInvalid(f"no department '{code[:40]}' in this campaign",
                               code="conflict.unknown_department", department=code[:40])
    if kind not in CONFLICT_TYPES:
        raise ScorecardInvalid("choose the kind of conflict", code="conflict.bad_type")
    reason = (reason or "").strip()
    if not reason or len(reason) > REASON_SIZE or control_character(reason) or "\x00" in reason:
        raise ScorecardInvalid(f"give the reason (at most {REASON_SIZE} characters of text)",
                               code="conflict.bad_reason", size=REASON_SIZE)
    return department, reason


def declare_conflict(campaign: Campaign, judge: Judge, code: str, kind: str, reason: str, *,
                     actor: str, source: str = "declared") -> Conflict:
    """Record a conflict between ``judge`` and department ``code`` (declared by the judge,
    or set by an organiser with ``source="organiser"``), withdraw any scores of the pair,
    commit.

    Raises
    ------
    ScorecardInvalid
        Unknown department, type not one of ``CONFLICT_TYPES``, missing or bad reason.
    FrozenError
        The campaign is published.
    """
    department, reason = _checked(campaign, code, kind, reason)
    ensure_not_published(campaign, "conflicts")
    conflict = db.session.scalar(select(Conflict).where(
        Conflict.judge_id == judge.id, Conflict.department_id == department.id))
    if conflict is None:
        conflict = Conflict(campaign_id=campaign.id, judge_id=judge.id,
                            department_id=department.id, source=source)
        db.session.add(conflict)
    conflict.type, conflict.reason, conflict.declared_by = kind, reason, actor
    db.session.flush()
    # The campaign chain is published: the judge appears by pseudonym, the reason not at all
    # (departments never see who declared what).
    shown_actor = judge.pseudonym if source == "declared" else actor
    record("conflict_set", f"{judge.pseudonym}/{department.code}",
           {"source": conflict.source, "type": kind}, chain=campaign.slug, actor=shown_actor)
    withdraw_conflicted_scores(campaign, actor=actor, audit_actor=shown_actor)
    db.session.commit()
    return conflict


def set_conflict(campaign: Campaign, username: str, code: str, kind: str, reason: str, *,
                 actor: str) -> Conflict:
    """An organiser sets a conflict for the judge ``username`` (see :func:`declare_conflict`)."""
    judge = db.session.scalar(select(Judge).join(User, User.id == Judge.user_id).where(
        Judge.campaign_id == campaign.id, User.username == username))
    if judge is None:
        raise ScorecardInvalid(f"'{username[:40]}' is not on this campaign's panel",
                               code="conflict.unknown_judge", username=username[:40])
    return declare_conflict(campaign, judge, code, kind, reason, actor=actor,
                            source="organiser")


def withdraw_conflicted_scores(campaign: Campaign, *, actor: str,
                               audit_actor: str | None = None) -> int:
    """Delete the scores and comments of every conflicted pair, remove its assignments and
    flag their rounds for a re-solve, with an audit event each (the caller commits).
    ``audit_actor`` names the actor in the published chain (a judge by pseudonym).
    Returns how many scorecards lost scores."""
    audit_actor = audit_actor or actor
    conflicts = set(db.session.execute(select(Conflict.judge_id, Conflict.department_id)
                                       .where(Conflict.campaign_id == campaign.id)).all())
    if not conflicts:
        return 0
    codes = {d.id: d.code for d in campaign.departments}
    pseudonyms = dict(db.session.execute(select(Judge.id, Judge.pseudonym)
                                         .where(Judge.campaign_id == campaign.id)).all())
    withdrawn = 0
    for card in db.session.scalars(select(Scorecard).where(
            Scorecard.campaign_id == campaign.id, Scorecard.status != "withdrawn")):
        if (card.judge_id, card.department_id) not in conflicts:
            continue
        had = len(card.scores)
        card.scores.clear()
        card.comments.clear()
        card.status, card.version, card.saved_at = "withdrawn", card.version + 1, utcnow()
        card.last_device = "conflict"
        db.session.flush()
        append_revision(card, round_criteria(campaign, card.round), action="withdraw",
                        actor=actor, device="conflict",
                        reason="conflict of interest found after scoring")
        record("scores_withdrawn", f"{card.round}/{pseudonyms[card.judge_id]}/"
               f"{codes[card.department_id]}", {"scores_deleted": had,
                                                "reason": "conflict of interest"},
               chain=campaign.slug, actor=audit_actor)
        withdrawn += 1
    for assignment in db.session.scalars(select(Assignment).where(
            Assignment.campaign_id == campaign.id)):
        if (assignment.judge_id, assignment.department_id) not in conflicts:
            continue
        row = round_row(campaign, assignment.round)
        note = (f"{pseudonyms[assignment.judge_id]}/{codes[assignment.department_id]}: "
                "conflict of interest")
        row.resolve_needed = True
        row.resolve_reason = "; ".join(filter(None, [row.resolve_reason, note]))
        record("assignment_resolve_needed", f"{assignment.round}/"
               f"{pseudonyms[assignment.judge_id]}/{codes[assignment.department_id]}",
               {"reason": "conflict of interest"}, chain=campaign.slug, actor=audit_actor)
        db.session.delete(assignment)
    db.session.flush()
    return withdrawn
