"""Scorecards (SPEC 5.2, 5.5): one per (round, judge, department), saved from a tablet.

The save protocol. Every save carries the ``version`` of the scorecard it was made on, a
``device`` id and that device's sequence number ``seq``; it holds the whole form (every
score and comment), so saves are idempotent snapshots and their order is their meaning.

1. A ``seq`` not above the last one applied from that device is a retry: answered as done,
   applied nothing (:class:`ScorecardDevice` keeps the last ``seq`` per scorecard and device).
2. A stale ``version`` is refused (409, with the current values) when another device wrote
   after it; a tablet sending its own queued changes in order moves on.
3. ``save`` changes a draft; ``submit`` needs every criterion scored (else 422 naming the
   missing ones); ``amend`` (with a reason) changes a submitted card, which stays submitted,
   until the round closes. A save to a submitted card without ``amend`` is refused (409).
4. Each applied change bumps the version (``UPDATE … WHERE version = :v``) and appends a
   :class:`ScorecardRevision` with the values after it; revisions are never updated.

The design follows the offline-judging notes: idempotent per-device sequence numbers as in
the Idempotency-Key draft, compare-and-swap on a version as HotCRP's review forms do.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from awards.audit.service import record
from awards.campaigns.eligibility import competing
from awards.campaigns.services import as_utc
from awards.exceptions import NotFound
from awards.extensions import db
from awards.judging.errors import ScorecardIncomplete, ScorecardInvalid, ScorecardRefused
from awards.models import (
    Assignment,
    Campaign,
    Conflict,
    Criterion,
    Department,
    Judge,
    JudgingRound,
    Score,
    Scorecard,
    ScorecardComment,
    ScorecardDevice,
    ScorecardRevision,
)
from awards.models.base import utcnow
from awards.models.campaign import ROUNDS

#: The campaign state in which each round is scored (SPEC section 2).
ROUND_PHASES = {"preliminary": "adjudication", "final": "final_judging"}
ACTIONS = ("save", "submit", "amend")
DEVICE = re.compile(r"[A-Za-z0-9_-]{1,64}")
WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")
COMMENT_SIZE = 5000
REASON_SIZE = 1000
SEQ_MAX = 2**31 - 1


@dataclass(frozen=True)
class ScorecardInput:
    """A parsed scorecard form: scores and comments by criterion code (None: not scored)."""

    scores: dict[str, int | None]
    comments: dict[str, str]
    version: int
    device: str
    seq: int
    action: str = "save"
    reason: str = ""


@dataclass
class ScorecardContext:
    """Everything a scorecard page and a save need: the pair, its round's criteria and the
    card (None until the first save)."""

    campaign: Campaign
    judge: Judge
    department: Department
    round: str
    criteria: list[Criterion]
    card: Scorecard | None
    round_closed: bool = False
    locked: bool = False  # the card's row is locked for this transaction (a save)

    @property
    def subject(self) -> str:
        """The audit subject: round, judge pseudonym, department (the chain is published)."""
        return f"{self.round}/{self.judge.pseudonym}/{self.department.code}"


@dataclass
class SaveResult:
    applied: bool
    state: dict[str, Any] = field(default_factory=dict)


def judge_score(values: Mapping[str, int | None], criteria: list[Criterion]) -> float | None:
    """``y = 100 · Σ weight·s/max`` (SPEC 5.2), or None while a criterion is unscored."""
    if not criteria or any(values.get(c.code) is None for c in criteria):
        return None
    return 100 * math.fsum(c.weight * values[c.code] / c.max for c in criteria)


def control_character(text: str) -> bool:
    """Whether ``text`` holds a control character other than newline, return and tab."""
    return any((ord(ch) < 32 and ch not in "\n\r\t") or 127 <= ord(ch) < 160 for ch in text)


def parse_scorecard_form(form: Mapping[str, str], criteria: list[Criterion]) -> ScorecardInput:
    """Read the SPEC 5.7 fields of a scorecard POST.

    Raises
    ------
    ScorecardInvalid
        A field that is not what it must be (the first one found); nothing is written.
    """
    known = {f"score-{c.code}" for c in criteria} | {f"comment-{c.code}" for c in criteria}
    for name, value in form.items():
        if "\x00" in name or "\x00" in value:
            raise ScorecardInvalid("the form holds a NUL character", code="scorecard.nul")
        if name.startswith(("score-", "comment-")) and name not in known:
            raise ScorecardInvalid(f"no criterion '{name.split('-', 1)[1]}' in this round",
                                   code="scorecard.unknown_criterion",
                                   criterion=name.split("-", 1)[1][:40])
    scores: dict[str, int | None] = {}
    comments: dict[str, str] = {}
    for c in criteria:
        scores[c.code] = _score(form.get(f"score-{c.code}", ""), c)
        comment = form.get(f"comment-{c.code}", "").strip()
        if len(comment) > COMMENT_SIZE or control_character(comment):
            raise ScorecardInvalid(f"the comment on '{c.name_en}' must be at most "
                                   f"{COMMENT_SIZE} characters of text",
                                   code="scorecard.bad_comment", criterion=c.name_en,
                                   criterion_zh=c.name_zh, size=COMMENT_SIZE)
        comments[c.code] = comment
    action = form.get("action", "save").strip() or "save"
    if action not in ACTIONS:
        raise ScorecardInvalid("action must be save, submit or amend",
                               code="scorecard.bad_action")
    device = form.get("device", "").strip()
    if not DEVICE.fullmatch(device):
        raise ScorecardInvalid("the device id is missing or malformed",
                               code="scorecard.bad_device")
    reason = form.get("reason", "").strip()
    if len(reason) > REASON_SIZE or control_character(reason):
        raise ScorecardInvalid(f"the reason must be at most {REASON_SIZE} characters of text",
                               code="scorecard.bad_reason", size=REASON_SIZE)
    return ScorecardInput(scores, comments, _counter(form, "version", 0),
                          device, _counter(form, "seq", 1), action, reason)


def _score(text: str, criterion: Criterion) -> int | None:
    text = text.strip()
    if not text:
        return None
    # ASCII digits only: int() would take "+5", "1_0" and full-width digits.
    if not WHOLE_NUMBER.fullmatch(text) or int(text) > criterion.max:
        raise ScorecardInvalid(
            f"the score for '{criterion.name_en}' must be a whole number from 0 to "
            f"{criterion.max}", code="scorecard.bad_score", criterion=criterion.name_en,
            criterion_zh=criterion.name_zh, max=criterion.max)
    return int(text)


def _counter(form: Mapping[str, str], name: str, minimum: int) -> int:
    text = form.get(name, "").strip()
    if not WHOLE_NUMBER.fullmatch(text) or not minimum <= int(text) <= SEQ_MAX:
        raise ScorecardInvalid(f"'{name}' must be a whole number", code="scorecard.bad_counter",
                               field=name)
    return int(text)


def judge_of(campaign: Campaign, user_id: int) -> Judge | None:
    return db.session.scalar(select(Judge).where(Judge.campaign_id == campaign.id,
                                                 Judge.user_id == user_id))


def is_conflicted(judge_id: int, department_id: int) -> bool:
    return bool(db.session.scalar(select(exists().where(
        Conflict.judge_id == judge_id, Conflict.department_id == department_id))))


def round_is_closed(campaign: Campaign, round_name: str) -> bool:
    return db.session.scalar(select(JudgingRound.state).where(
        JudgingRound.campaign_id == campaign.id, JudgingRound.round == round_name)) == "closed"


def round_row(campaign: Campaign, round_name: str) -> JudgingRound:
    """The round's row, created open on first use."""
    row = db.session.scalar(select(JudgingRound).where(
        JudgingRound.campaign_id == campaign.id, JudgingRound.round == round_name))
    if row is None:
        row = JudgingRound(campaign_id=campaign.id, round=round_name, state="open",
                           resolve_needed=False, resolve_reason="")
        db.session.add(row)
        db.session.flush()
    return row


def round_criteria(campaign: Campaign, round_name: str) -> list[Criterion]:
    return [c for c in campaign.criteria if c.round == round_name]


def scorecard_context(slug: str, user_id: int, round_name: str,
                      code: str, *, for_update: bool = False) -> ScorecardContext:
    """The signed-in judge's scorecard for ``code`` in ``round_name`` of the campaign
    ``slug``; with ``for_update`` (a save follows) the card's row is read locked.

    One query finds the campaign, the judge, the department, the round's state and the
    criteria, and answers only for a judge on the campaign's panel (the rule of
    :func:`awards.campaigns.visibility.visible_campaign` for judges, narrowed to this pair);
    a second reads the card with its scores and comments.

    Raises
    ------
    NotFound
        Unknown campaign, round or department, not on the panel, not assigned, conflicted,
        or the department is not eligible: the pair answers as one that does not exist.
    """
    found = None
    if round_name in ROUNDS:  # on the panel, assigned, no conflict, competing
        round_state = select(JudgingRound.state).where(
            JudgingRound.campaign_id == Campaign.id,
            JudgingRound.round == round_name).scalar_subquery()
        found = db.session.execute(
            select(Campaign, Judge, Department, round_state)
            .join(Judge, Judge.campaign_id == Campaign.id)
            .join(Assignment, Assignment.judge_id == Judge.id)
            .join(Department, Department.id == Assignment.department_id)
            .options(joinedload(Campaign.criteria))
            .where(Campaign.slug == slug, Judge.user_id == user_id,
                   Assignment.campaign_id == Campaign.id, Assignment.round == round_name,
                   Department.code == code, competing(None, Department.id),
                   ~exists().where(Conflict.judge_id == Judge.id,
                                   Conflict.department_id == Department.id))
        ).unique().first()
    if found is None:
        raise NotFound("no such scorecard", code="scorecard.not_found")
    campaign, judge, department, state = found
    card = _read_card(round_name, judge.id, department.id, lock=for_update)
    return ScorecardContext(campaign, judge, department, round_name,
                            round_criteria(campaign, round_name), card,
                            state == "closed", locked=for_update and card is not None)


def reread_card(ctx: ScorecardContext) -> None:
    """Read the card again (after a refused save rolled its transaction back)."""
    ctx.card = _read_card(ctx.round, ctx.judge.id, ctx.department.id, lock=False)
    ctx.locked = False


def _read_card(round_name: str, judge_id: int, department_id: int, *,
               lock: bool) -> Scorecard | None:
    """The card with its scores and comments, read in one statement. With ``lock``, the
    card's row is first locked for this transaction by a statement of its own, so that the
    read that follows sees what any save it waited for committed (in one statement,
    PostgreSQL would re-read the locked row after the wait but join it to the scores and
    comments of the statement's older snapshot)."""
    where = (Scorecard.round == round_name, Scorecard.judge_id == judge_id,
             Scorecard.department_id == department_id)
    if lock and db.session.scalar(select(Scorecard.id).where(*where).with_for_update()) is None:
        return None
    query = (select(Scorecard)
             .options(joinedload(Scorecard.scores), joinedload(Scorecard.comments))
             .where(*where))
    if lock:  # values already in this session may be older than the lock
        query = query.execution_options(populate_existing=True)
    return db.session.scalars(query).unique().one_or_none()


def card_values(card: Scorecard | None, criteria: list[Criterion]) -> dict[str, int | None]:
    by_id = {s.criterion_id: s.value for s in card.scores} if card else {}
    return {c.code: by_id.get(c.id) for c in criteria}


def card_comments(card: Scorecard | None, criteria: list[Criterion]) -> dict[str, str]:
    by_id = {m.criterion_id: m.body for m in card.comments} if card else {}
    return {c.code: by_id.get(c.id, "") for c in criteria}


def card_state(card: Scorecard | None, criteria: list[Criterion]) -> dict[str, Any]:
    """The scorecard as the page and the tablet script see it."""
    values = card_values(card, criteria)
    saved = as_utc(card.saved_at) if card and card.saved_at else None
    return {
        "version": card.version if card else 0,
        "status": card.status if card else "draft",
        "scores": values,
        "comments": card_comments(card, criteria),
        "total": judge_score(values, criteria),
        "missing": [c.code for c in criteria if values[c.code] is None],
        "saved_at": saved.isoformat() if saved else None,
    }


def editable(ctx: ScorecardContext) -> str | None:
    """Why the judge cannot change this card now (an error code), or None."""
    status = ctx.card.status if ctx.card else "draft"
    if ctx.campaign.state == "published":
        return "scorecard.published"
    if status == "reopened":
        return None
    if ctx.round_closed:
        return "scorecard.round_closed"
    if ctx.campaign.state != ROUND_PHASES[ctx.round]:
        return "scorecard.round_not_open"
    return None


REFUSALS = {
    "scorecard.published": "the campaign is published: scores are frozen",
    "scorecard.round_closed": "the round is closed: only an organiser can reopen a scorecard",
    "scorecard.round_not_open": "this round is not open for scoring now",
    "scorecard.stale": "another device changed this scorecard first",
    "scorecard.submitted": "this scorecard is submitted: amend it with a reason to change it",
    "scorecard.not_submitted": "only a submitted scorecard can be amended",
    "scorecard.reason_needed": "give the reason for the amendment",
}


def _refuse(ctx: ScorecardContext, code: str) -> ScorecardRefused:
    return ScorecardRefused(REFUSALS[code], code=code,
                            state=card_state(ctx.card, ctx.criteria),
                            state_name=ctx.campaign.state)


def save_scorecard(ctx: ScorecardContext, data: ScorecardInput, actor: str) -> SaveResult:
    """Apply one save (SPEC 5.5) and commit it.

    Returns
    -------
    SaveResult
        ``applied`` is False for a retry of a ``(device, seq)`` already applied, or for a
        save that changes nothing; ``state`` is the card after it.

    Raises
    ------
    ScorecardRefused
        409: round closed or not open, published, stale version changed by another device,
        a submitted card saved without ``amend``.
    ScorecardInvalid
        422: ``amend`` without a reason.
    ScorecardIncomplete
        422: ``submit`` or ``amend`` with a criterion unscored.
    """
    card = _locked_card(ctx)
    ctx.card = card
    if not _claim_seq(card, data):  # a retry of a save already applied
        db.session.rollback()
        return SaveResult(False, card_state(ctx.card, ctx.criteria))
    reason = editable(ctx)
    if reason:
        raise _refuse(ctx, reason)
    if data.version != card.version and _changed_elsewhere(card, data):
        raise _refuse(ctx, "scorecard.stale")
    status = _next_status(ctx, card, data)
    changed = _apply_values(ctx, card, data) or status != card.status
    if changed:
        _bump(ctx, card, data, status, actor)
    state = card_state(card, ctx.criteria)  # as committed: the commit expires what it read
    db.session.commit()
    return SaveResult(changed, state)


def _claim_seq(card: Scorecard, data: ScorecardInput) -> bool:
    """Record ``data.seq`` as the device's last applied sequence number, in one statement,
    unless it is not above the one recorded (a retry): then False. A refused save rolls the
    claim back with the rest of its transaction."""
    now = utcnow()
    dialect = db.session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    table = ScorecardDevice.__table__
    statement = insert(table).values(
        scorecard_id=card.id, device=data.device, last_seq=data.seq, updated_at=now)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.scorecard_id, table.c.device],
        set_={"last_seq": statement.excluded.last_seq,
              "updated_at": statement.excluded.updated_at},
        where=table.c.last_seq < statement.excluded.last_seq)
    claimed = db.session.execute(statement.returning(table.c.scorecard_id)).first()
    return claimed is not None


def _locked_card(ctx: ScorecardContext) -> Scorecard:
    """The card, locked for this transaction (created at version 0 on the first save)."""
    if ctx.card is not None:
        if not ctx.locked:
            ctx.card = _read_card(ctx.round, ctx.judge.id, ctx.department.id, lock=True)
        return ctx.card
    card = Scorecard(campaign_id=ctx.campaign.id, round=ctx.round, judge_id=ctx.judge.id,
                     department_id=ctx.department.id, status="draft", version=0)
    try:
        with db.session.begin_nested():
            db.session.add(card)
    except IntegrityError:  # another device created it at the same moment
        card = _read_card(ctx.round, ctx.judge.id, ctx.department.id, lock=True)
    return card


def _changed_elsewhere(card: Scorecard, data: ScorecardInput) -> bool:
    """Whether a change after ``data.version`` came from another device (or the version
    is one the card never had)."""
    if data.version > card.version:
        return True
    return bool(db.session.scalar(select(exists().where(
        ScorecardRevision.scorecard_id == card.id,
        ScorecardRevision.version > data.version,
        ScorecardRevision.device != data.device))))


def _next_status(ctx: ScorecardContext, card: Scorecard, data: ScorecardInput) -> str:
    if data.action == "amend":
        if card.status != "submitted":
            raise _refuse(ctx, "scorecard.not_submitted")
        if not data.reason:
            raise ScorecardInvalid(REFUSALS["scorecard.reason_needed"],
                                   code="scorecard.reason_needed")
    elif card.status == "submitted":
        raise _refuse(ctx, "scorecard.submitted")
    if data.action in ("submit", "amend"):
        missing = [c for c in ctx.criteria if data.scores.get(c.code) is None]
        if missing:
            raise ScorecardIncomplete(
                "not every criterion is scored; missing: "
                + ", ".join(c.name_en for c in missing),
                missing=[c.code for c in missing], names=[c.name_en for c in missing],
                state=card_state(card, ctx.criteria))
        return "submitted"
    return card.status if card.status in ("draft", "reopened") else "draft"


_SET_SCORE = (Score.__table__.update().where(Score.__table__.c.id == bindparam("score"))
              .values(value=bindparam("new_value")))


def _apply_values(ctx: ScorecardContext, card: Scorecard, data: ScorecardInput) -> bool:
    """Write the posted scores and comments; True when anything changed. A changed value
    is written at once; added and removed scores and comments go with the commit."""
    changed = False
    scores = {s.criterion_id: s for s in card.scores}
    comments = {m.criterion_id: m for m in card.comments}
    for c in ctx.criteria:
        value, score = data.scores.get(c.code), scores.get(c.id)
        if value is None and score is not None:
            card.scores.remove(score)
        elif value is not None and score is None:
            card.scores.append(Score(criterion_id=c.id, value=value))
        elif score is not None and score.value != value:
            # The common autosave: one plain UPDATE, without the unit of work's flush.
            db.session.execute(_SET_SCORE, {"score": score.id, "new_value": value})
            set_committed_value(score, "value", value)
        else:
            continue
        changed = True
    for c in ctx.criteria:
        body, comment = data.comments.get(c.code, ""), comments.get(c.id)
        if not body and comment is not None:
            card.comments.remove(comment)
        elif body and comment is None:
            card.comments.append(ScorecardComment(criterion_id=c.id, body=body))
        elif comment is not None and comment.body != body:
            comment.body = body
        else:
            continue
        changed = True
    return changed  # added and removed rows are flushed by the commit


def _bump(ctx: ScorecardContext, card: Scorecard, data: ScorecardInput, status: str,
          actor: str) -> None:
    """Compare-and-swap the version, then append the revision and the audit event."""
    now = utcnow()
    before = card.status
    values = {"status": status, "saved_at": now, "last_device": data.device,
              "version": card.version + 1, "updated_at": now}
    if status == "submitted" and before != "submitted":
        values["submitted_at"] = now
    table = Scorecard.__table__
    swapped = db.session.execute(table.update().where(
        table.c.id == card.id, table.c.version == card.version).values(**values)).rowcount
    if swapped != 1:
        db.session.rollback()
        raise ScorecardRefused(REFUSALS["scorecard.stale"], code="scorecard.stale")
    for key, value in values.items():  # what the row now holds, without reading it back
        set_committed_value(card, key, value)
    append_revision(card, ctx.criteria, action=data.action, actor=actor, device=data.device,
                    seq=data.seq, reason=data.reason, at=now)
    if data.action in ("submit", "amend"):
        record("scorecard_submitted" if data.action == "submit" else "scorecard_amended",
               ctx.subject, {"version": card.version, "reason": data.reason},
               chain=ctx.campaign.slug, actor=ctx.judge.pseudonym or "judge")


def append_revision(card: Scorecard, criteria: list[Criterion], *, action: str, actor: str,
                    device: str = "", seq: int | None = None, reason: str = "",
                    at=None) -> None:
    """Append the card's values after a change (never updated or deleted): one INSERT,
    written at once, beside the session's unit of work (nothing reads it back in the same
    transaction)."""
    if card.id is None:
        db.session.flush()
    db.session.execute(ScorecardRevision.__table__.insert().values(
        scorecard_id=card.id, version=card.version, action=action, status=card.status,
        values_json=json.dumps({k: v for k, v in card_values(card, criteria).items()
                                if v is not None}, sort_keys=True),
        comments_json=json.dumps({k: v for k, v in card_comments(card, criteria).items()
                                  if v}, sort_keys=True, ensure_ascii=False),
        actor=actor, at=at or utcnow(), device=device, seq=seq, reason=reason))


def revisions(card: Scorecard) -> list[ScorecardRevision]:
    return list(db.session.scalars(select(ScorecardRevision).where(
        ScorecardRevision.scorecard_id == card.id).order_by(ScorecardRevision.id)))
