"""Judging rounds (SPEC 5.5): closing a round, excusing and reopening scorecards, the
organiser's progress matrix and the final round's assignment.

A round is open until an organiser closes it; closing is refused while an assigned
scorecard is neither submitted nor excused. The final round's assignment (every finalist
with every judge free of a conflict with it, SPEC 5.4) is created when the final round is
first looked at in ``final_judging`` (the organiser's judging page or a judge's home page):
it needs the finalists of the latest result and nothing else, and creating it again adds
only what is missing.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from awards.audit.service import record
from awards.campaigns.eligibility import eligible_departments
from awards.campaigns.services import ensure_not_published
from awards.exceptions import NotFound
from awards.extensions import db
from awards.judging.conflicts import withdraw_conflicted_scores
from awards.judging.errors import RoundRefused, ScorecardInvalid, ScorecardRefused
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
    JudgingRound,
    ResultVersion,
    Scorecard,
    ScorecardComment,
    User,
)
from awards.models.base import utcnow
from awards.models.campaign import ROUNDS

ORGANISER_DEVICE = "organiser"


def check_round(round_name: str) -> str:
    if round_name not in ROUNDS:
        raise NotFound(f"no round '{round_name}' (rounds: {', '.join(ROUNDS)})",
                       code="round.unknown", round=round_name)
    return round_name


def check_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ScorecardInvalid("give a reason", code="judging.reason_needed")
    if len(reason) > REASON_SIZE or control_character(reason):
        raise ScorecardInvalid(f"the reason must be at most {REASON_SIZE} characters of text",
                               code="scorecard.bad_reason", size=REASON_SIZE)
    return reason


@dataclass(frozen=True)
class Pair:
    """One assigned (judge, department) of a round with its scorecard, if any."""

    judge: Judge
    username: str
    department: Department
    card: Scorecard | None

    @property
    def state(self) -> str:
        """not_started | draft | submitted | reopened | excused"""
        if self.card is None:
            return "not_started"
        if self.card.status != "submitted" and self.card.excused_at is not None:
            return "excused"
        return "draft" if self.card.status == "withdrawn" else self.card.status

    @property
    def saved_at(self) -> datetime | None:
        return self.card.saved_at if self.card else None


def assigned_pairs(campaign: Campaign, round_name: str) -> list[Pair]:
    """Every assignment of the round without a conflict, with its card, in judge username
    then department code order."""
    conflicts = set(db.session.execute(select(Conflict.judge_id, Conflict.department_id)
                                       .where(Conflict.campaign_id == campaign.id)).all())
    cards = {(c.judge_id, c.department_id): c for c in db.session.scalars(select(Scorecard)
             .where(Scorecard.campaign_id == campaign.id, Scorecard.round == round_name))}
    rows = db.session.execute(
        select(Judge, User.username, Department)
        .join(Assignment, Assignment.judge_id == Judge.id)
        .join(User, User.id == Judge.user_id)
        .join(Department, Department.id == Assignment.department_id)
        .where(Assignment.campaign_id == campaign.id, Assignment.round == round_name)
        .order_by(User.username, Department.code)).all()
    return [Pair(judge, username, department, cards.get((judge.id, department.id)))
            for judge, username, department in rows
            if (judge.id, department.id) not in conflicts]


def outstanding(campaign: Campaign, round_name: str) -> list[Pair]:
    """Assigned pairs neither submitted nor excused: what keeps the round from closing."""
    return [p for p in assigned_pairs(campaign, round_name)
            if p.state not in ("submitted", "excused")]


def close_round(campaign: Campaign, round_name: str, *, actor: str,
                excuse: list[tuple[str, str]] = (), reason: str = "") -> JudgingRound:
    """Close ``round_name``, first excusing the listed ``(username, department code)``
    pairs with ``reason``; commits.

    Raises
    ------
    RoundRefused
        Already closed, or scorecards still unsubmitted and unexcused (the message names
        how many).
    """
    check_round(round_name)
    ensure_not_published(campaign, "scores")
    row = round_row(campaign, round_name)
    if row.state == "closed":
        raise RoundRefused(f"the {round_name} round is already closed",
                           code="round.already_closed", round=round_name)
    _close(campaign, row, round_name, actor=actor, excuse=excuse, reason=reason)
    db.session.commit()
    return row


def round_close_refusal(campaign: Campaign, round_name: str) -> RoundRefused | None:
    """Why the round could not be closed now, or None (also when it is closed already):
    what :func:`ensure_round_closed` would raise, found without changing anything."""
    if round_row_state(campaign, round_name) == "closed":
        return None
    left = outstanding(campaign, round_name)
    if not left:
        return None
    return RoundRefused(
        f"{len(left)} assigned scorecard(s) of the {round_name} round are neither "
        "submitted nor excused", code="round.unsubmitted", count=len(left),
        round=round_name)


def round_row_state(campaign: Campaign, round_name: str) -> str:
    """``open`` or ``closed``, without creating the round's row."""
    row = db.session.scalar(select(JudgingRound).where(
        JudgingRound.campaign_id == campaign.id, JudgingRound.round == round_name))
    return row.state if row is not None else "open"


def ensure_round_closed(campaign: Campaign, round_name: str, *, actor: str) -> None:
    """Close the round now unless it is closed already (SPEC 2: the preliminary round closes
    before ``finalists_announced``, the final round before ``published``). Part of the
    caller's transaction: the caller commits.

    Raises
    ------
    RoundRefused
        Scorecards still unsubmitted and unexcused (the message names how many).
    """
    row = round_row(campaign, round_name)
    if row.state != "closed":
        _close(campaign, row, round_name, actor=actor)


def _close(campaign: Campaign, row: JudgingRound, round_name: str, *, actor: str,
           excuse: list[tuple[str, str]] = (), reason: str = "") -> None:
    withdraw_conflicted_scores(campaign, actor=actor)
    for username, code in excuse:
        excuse_scorecard(campaign, round_name, username, code, reason, actor=actor,
                         commit=False)
    left = outstanding(campaign, round_name)
    if left:
        raise RoundRefused(
            f"{len(left)} assigned scorecard(s) of the {round_name} round are neither "
            "submitted nor excused", code="round.unsubmitted", count=len(left),
            round=round_name)
    pairs = assigned_pairs(campaign, round_name)
    row.state, row.closed_at, row.closed_by = "closed", utcnow(), actor
    record("round_closed", f"{campaign.slug}/{round_name}",
           {"round": round_name, "submitted": sum(p.state == "submitted" for p in pairs),
            "excused": sum(p.state == "excused" for p in pairs)},
           chain=campaign.slug, actor=actor)


def _pair_card(campaign: Campaign, round_name: str, username: str,
               code: str) -> tuple[Pair, Scorecard]:
    pair = next((p for p in assigned_pairs(campaign, round_name)
                 if p.username == username and p.department.code == code), None)
    if pair is None:
        raise NotFound(f"'{username}' is not assigned '{code}' in the {round_name} round",
                       code="round.not_assigned", username=username, department=code,
                       round=round_name)
    card = pair.card
    if card is None:
        card = Scorecard(campaign_id=campaign.id, round=round_name, judge_id=pair.judge.id,
                         department_id=pair.department.id, status="draft", version=0)
        db.session.add(card)
        db.session.flush()
    else:
        db.session.refresh(card, with_for_update=True)
    return pair, card


def _changed(card: Scorecard, campaign: Campaign, round_name: str, action: str, actor: str,
             reason: str) -> None:
    card.version += 1
    card.saved_at = utcnow()
    card.last_device = ORGANISER_DEVICE
    db.session.flush()
    append_revision(card, round_criteria(campaign, round_name), action=action, actor=actor,
                    device=ORGANISER_DEVICE, reason=reason)


def excuse_scorecard(campaign: Campaign, round_name: str, username: str, code: str,
                     reason: str, *, actor: str, commit: bool = True) -> Scorecard:
    """Excuse an unsubmitted scorecard so that the round can close (audited).

    Raises
    ------
    ScorecardInvalid
        No reason.
    NotFound
        The pair is not assigned.
    ScorecardRefused
        The scorecard is submitted: nothing to excuse.
    """
    check_round(round_name)
    reason = check_reason(reason)
    ensure_not_published(campaign, "scores")
    pair, card = _pair_card(campaign, round_name, username, code)
    if card.status == "submitted":
        raise ScorecardRefused("this scorecard is submitted: nothing to excuse",
                               code="round.excuse_submitted")
    card.excused_at, card.excused_by, card.excused_reason = utcnow(), actor, reason
    _changed(card, campaign, round_name, "excuse", actor, reason)
    record("scorecard_excused", f"{round_name}/{pair.judge.pseudonym}/{code}",
           {"reason": reason}, chain=campaign.slug, actor=actor)
    if commit:
        db.session.commit()
    return card


def reopen_scorecard(campaign: Campaign, round_name: str, username: str, code: str,
                     reason: str, *, actor: str) -> Scorecard:
    """An organiser reopens a submitted scorecard (back to draft, with a reason; audited).
    After the round has closed the judge may still change it ("reopened").

    Raises
    ------
    ScorecardInvalid, NotFound, ScorecardRefused
        No reason; pair not assigned; the card is not submitted.
    """
    check_round(round_name)
    reason = check_reason(reason)
    ensure_not_published(campaign, "scores")
    pair, card = _pair_card(campaign, round_name, username, code)
    if card.status != "submitted":
        raise ScorecardRefused("only a submitted scorecard can be reopened",
                               code="round.reopen_unsubmitted")
    closed = round_row(campaign, round_name).state == "closed"
    card.status = "reopened" if closed else "draft"
    _changed(card, campaign, round_name, "reopen", actor, reason)
    record("scorecard_reopened", f"{round_name}/{pair.judge.pseudonym}/{code}",
           {"reason": reason, "version": card.version}, chain=campaign.slug, actor=actor)
    db.session.commit()
    return card


@dataclass(frozen=True)
class Progress:
    """The organiser's matrix of one round: judges × departments."""

    round: str
    closed: bool
    closed_at: datetime | None
    resolve_needed: bool
    resolve_reason: str
    judges: list[tuple[str, str]]           # (username, name)
    departments: list[Department]
    cells: dict[tuple[str, str], Pair]      # (username, code) → pair
    conflicts: set[tuple[str, str]]

    @property
    def submitted(self) -> int:
        return sum(p.state == "submitted" for p in self.cells.values())

    @property
    def outstanding(self) -> int:
        return sum(p.state not in ("submitted", "excused") for p in self.cells.values())

    @property
    def outstanding_pairs(self) -> list[tuple[str, str]]:
        """(username, department code) of each scorecard neither submitted nor excused."""
        return sorted(key for key, p in self.cells.items()
                      if p.state not in ("submitted", "excused"))


def progress(campaign: Campaign, round_name: str) -> Progress:
    row = db.session.scalar(select(JudgingRound).where(
        JudgingRound.campaign_id == campaign.id, JudgingRound.round == round_name))
    pairs = assigned_pairs(campaign, round_name)
    judges = db.session.execute(select(User.username, Judge.name)
                                .join(Judge, Judge.user_id == User.id)
                                .where(Judge.campaign_id == campaign.id)
                                .order_by(User.username)).all()
    conflicts = set(db.session.execute(
        select(User.username, Department.code).join(Judge, Judge.user_id == User.id)
        .join(Conflict, Conflict.judge_id == Judge.id)
        .join(Department, Department.id == Conflict.department_id)
        .where(Conflict.campaign_id == campaign.id)).all())
    return Progress(round_name, bool(row and row.state == "closed"),
                    row.closed_at if row else None, bool(row and row.resolve_needed),
                    row.resolve_reason if row else "", [tuple(j) for j in judges],
                    eligible_departments(campaign),
                    {(p.username, p.department.code): p for p in pairs},
                    {tuple(c) for c in conflicts})


def round_comments(campaign: Campaign, round_name: str) -> list[tuple[str, str, str, str]]:
    """``(username, department, criterion name, comment)`` of the round, only once it is
    closed (SPEC 5.5: organisers read comments after the round closes); else empty."""
    row = db.session.scalar(select(JudgingRound).where(
        JudgingRound.campaign_id == campaign.id, JudgingRound.round == round_name))
    if row is None or row.state != "closed":
        return []
    names = {c.id: c.name_en for c in round_criteria(campaign, round_name)}
    rows = db.session.execute(
        select(User.username, Department.code, ScorecardComment.criterion_id,
               ScorecardComment.body)
        .join(Scorecard, Scorecard.id == ScorecardComment.scorecard_id)
        .join(Judge, Judge.id == Scorecard.judge_id).join(User, User.id == Judge.user_id)
        .join(Department, Department.id == Scorecard.department_id)
        .where(Scorecard.campaign_id == campaign.id, Scorecard.round == round_name)
        .order_by(User.username, Department.code, ScorecardComment.criterion_id)).all()
    return [(u, d, names.get(c, ""), body) for u, d, c, body in rows]


def latest_finalists(campaign: Campaign) -> list[str]:
    """The finalists of the latest computed result (empty without one)."""
    latest = db.session.scalar(select(ResultVersion.results_json).where(
        ResultVersion.campaign_id == campaign.id).order_by(ResultVersion.version.desc())
        .limit(1))
    return list(json.loads(latest).get("finalists", [])) if latest else []


def ensure_final_assignment(campaign: Campaign, *, actor: str = "system") -> int:
    """In ``final_judging``, assign every finalist to every judge without a conflict with
    it (SPEC 5.4); adds only missing pairs, records the assignment's SHA-256 when it adds
    any, commits. Returns how many pairs were added."""
    if campaign.state != "final_judging":
        return 0
    finalists = set(latest_finalists(campaign))
    departments = [d for d in campaign.departments if d.code in finalists]
    judges = db.session.execute(select(Judge, User.username).join(User, User.id == Judge.user_id)
                                .where(Judge.campaign_id == campaign.id)).all()
    conflicts = set(db.session.execute(select(Conflict.judge_id, Conflict.department_id)
                                       .where(Conflict.campaign_id == campaign.id)).all())
    existing = set(db.session.execute(select(Assignment.judge_id, Assignment.department_id)
                                      .where(Assignment.campaign_id == campaign.id,
                                             Assignment.round == "final")).all())
    added = 0
    for judge, _username in judges:
        for department in departments:
            pair = (judge.id, department.id)
            if pair not in conflicts and pair not in existing:
                db.session.add(Assignment(campaign_id=campaign.id, round="final",
                                          judge_id=judge.id, department_id=department.id,
                                          source="final"))
                added += 1
    if added:
        db.session.flush()
        record("final_assignment", f"{campaign.slug}/final",
               {"pairs": added, "sha256": assignment_digest(campaign, "final")},
               chain=campaign.slug, actor=actor)
        db.session.commit()
    return added


def assignment_digest(campaign: Campaign, round_name: str) -> str:
    """SHA-256 of the lines ``username,department_code\\n`` of the round's assignment,
    sorted (SPEC 5.4)."""
    rows = db.session.execute(
        select(User.username, Department.code).join(Judge, Judge.user_id == User.id)
        .join(Assignment, Assignment.judge_id == Judge.id)
        .join(Department, Department.id == Assignment.department_id)
        .where(Assignment.campaign_id == campaign.id, Assignment.round == round_name)).all()
    text = "".join(sorted(f"{u},{d}\n" for u, d in rows))
    return hashlib.sha256(text.encode()).hexdigest()
