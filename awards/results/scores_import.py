"""Paper score sheets (SPEC section 5): CSV ``round,judge,department,criterion,score``.

All-or-nothing like the paper ballots: the whole file is validated first and every error is
reported with its line number; on any error nothing is written. A valid file creates missing
assignments (source ``import``), creates or updates scorecards and their scores, and submits
each scorecard whose criteria are then all scored. Every scorecard whose values change gets
a new version and, as a tablet save does, an appended
:class:`~awards.models.ScorecardRevision` with its values after the import (device
``paper``), so earlier values stay readable. One audit event per import, with counts.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select

from awards.audit.service import current_actor, record
from awards.campaigns.eligibility import eligible_departments
from awards.campaigns.services import refuse
from awards.csvfile import CsvReader, Source
from awards.extensions import db
from awards.judging.scorecards import append_revision
from awards.models import (
    Assignment,
    Campaign,
    Conflict,
    Criterion,
    Department,
    Judge,
    Score,
    Scorecard,
    User,
)
from awards.models.base import utcnow
from awards.models.campaign import ROUNDS

HEADER = ("round", "judge", "department", "criterion", "score")
REVISION_REASON = "paper score sheet import"
MAX_ERRORS = 1000


@dataclass
class ScoreImportReport:
    """What an import did (or, with ``dry_run``, would do)."""

    rows: int = 0
    scorecards_created: int = 0
    scorecards_updated: int = 0
    scorecards_unchanged: int = 0
    scorecards_submitted: int = 0
    scorecards_incomplete: int = 0
    corrections: int = 0
    assignments_created: int = 0
    dry_run: bool = False
    rounds: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, int | bool | dict[str, int]]:
        return {
            "rows": self.rows, "scorecards_created": self.scorecards_created,
            "scorecards_updated": self.scorecards_updated,
            "scorecards_unchanged": self.scorecards_unchanged,
            "scorecards_submitted": self.scorecards_submitted,
            "scorecards_incomplete": self.scorecards_incomplete,
            "corrections": self.corrections, "assignments_created": self.assignments_created,
            "rounds": dict(sorted(self.rounds.items())),
        }


@dataclass(frozen=True)
class _Row:
    line: int
    round: str
    judge: Judge
    department: Department
    criterion: Criterion
    score: int


def import_scores(
    campaign: Campaign, stream: Source, *,
    dry_run: bool = False, actor: str | None = None,
) -> ScoreImportReport:
    """Validate and import a paper score-sheet CSV for ``campaign``.

    Parameters
    ----------
    campaign : Campaign
    stream : binary or text stream, str or bytes
        The CSV (UTF-8, a byte-order mark is accepted).
    dry_run : bool
        Validate and count only; nothing is written.
    actor : str, optional
        Who imports (default: the signed-in user, or ``system``).

    Returns
    -------
    ScoreImportReport

    Raises
    ------
    FrozenError
        The campaign is published (recorded as a refused change).
    InvalidInput
        With ``errors = [(line, message), …]`` for every bad line: bad header, wrong number
        of fields, unknown round, judge not on the panel, unknown or ineligible department,
        criterion not of that round, score not a whole number in ``0..max``, conflicted
        judge and department, or a repeated (round, judge, department, criterion).
    """

    actor = actor or current_actor()
    if campaign.state == "published":
        raise refuse(campaign, "scores", f"'{campaign.slug}' is published: its scores are "
                     "frozen and cannot be imported", code="frozen.scores")
    rows = _validate(campaign, CsvReader(stream, HEADER, what="score sheet"))
    report = ScoreImportReport(rows=len(rows), dry_run=dry_run)
    for row in rows:
        report.rounds[row.round] = report.rounds.get(row.round, 0) + 1
    try:
        _apply(campaign, rows, report, actor)
        if dry_run:
            db.session.rollback()
            return report
        record("scores_imported", campaign.slug, report.as_dict(), chain=campaign.slug,
               actor=actor)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return report


def _validate(campaign: Campaign, reader: CsvReader) -> list[_Row]:

    errors = reader.errors
    judges = {username: judge for judge, username in db.session.execute(
        select(Judge, User.username).join(User, User.id == Judge.user_id)
        .where(Judge.campaign_id == campaign.id))}
    departments = {d.code: d for d in campaign.departments}
    eligible = {d.code for d in eligible_departments(campaign)}
    criteria = {(c.round, c.code): c for c in campaign.criteria}
    conflicts = {tuple(row) for row in db.session.execute(
        select(Conflict.judge_id, Conflict.department_id)
        .where(Conflict.campaign_id == campaign.id)).all()}
    seen: dict[tuple[str, str, str, str], int] = {}
    rows: list[_Row] = []
    for line, cells in reader:
        if reader.wrong_width(line, cells, HEADER):
            continue
        problems = []
        round_name, username, code, criterion_code, score_text = (c.strip() for c in cells)
        judge = judges.get(username)
        department = departments.get(code)
        criterion = criteria.get((round_name, criterion_code))
        if round_name not in ROUNDS:
            problems.append(f"round '{round_name}' is not one of {', '.join(ROUNDS)}")
        if judge is None:
            problems.append(f"'{username}' is not a judge on this campaign's panel")
        if department is None:
            problems.append(f"no department '{code}' in this campaign")
        elif code not in eligible:
            problems.append(f"department '{code}' is not eligible (it is not in the results)")
        if round_name in ROUNDS and criterion is None:
            problems.append(f"no {round_name} criterion '{criterion_code}'")
        score = _parse_score(score_text, criterion, problems)
        if judge is not None and department is not None and (
                judge.id, department.id) in conflicts:
            problems.append(f"judge '{username}' has a conflict of interest with "
                            f"'{code}' and cannot score it")
        key = (round_name, username, code, criterion_code)
        if key in seen:
            problems.append(f"repeats line {seen[key]} ({round_name}, {username}, {code}, "
                            f"{criterion_code}); keep one row")
        else:
            seen[key] = line
        if problems:
            errors.extend((line, problem) for problem in problems)
        else:
            rows.append(_Row(line, round_name, judge, department, criterion, score))
        if len(errors) >= MAX_ERRORS:
            break
    reader.check(empty="the file has no score rows", rows=len(rows))
    return rows


def _parse_score(text: str, criterion: Criterion | None, problems: list[str]) -> int:
    # ASCII digits only: int() would also take "1_0", "+5", full-width "５" and other
    # Unicode digits. A minus sign is let through to be reported as out of range.
    if not re.fullmatch(r"-?[0-9]+", text):
        problems.append(f"score '{text}' is not a whole number (digits 0-9 only)")
        return 0
    value = int(text)
    if criterion is not None and not 0 <= value <= criterion.max:
        problems.append(f"score {value} is outside 0..{criterion.max} for "
                        f"'{criterion.code}'")
    return value


def _apply(campaign: Campaign, rows: list[_Row], report: ScoreImportReport, actor: str) -> None:
    round_criteria: dict[str, dict[int, Criterion]] = {}
    for c in campaign.criteria:
        round_criteria.setdefault(c.round, {})[c.id] = c
    cards: dict[tuple[str, int, int], list[_Row]] = {}
    for row in rows:
        cards.setdefault((row.round, row.judge.id, row.department.id), []).append(row)
    existing_assignments = {tuple(row) for row in db.session.execute(
        select(Assignment.round, Assignment.judge_id, Assignment.department_id)
        .where(Assignment.campaign_id == campaign.id)).all()}
    existing_cards = {(c.round, c.judge_id, c.department_id): c for c in db.session.scalars(
        select(Scorecard).where(Scorecard.campaign_id == campaign.id))}
    now = utcnow()
    for key, card_rows in sorted(cards.items()):
        round_name, judge_id, department_id = key
        if key not in existing_assignments:
            db.session.add(Assignment(campaign_id=campaign.id, round=round_name,
                                      judge_id=judge_id, department_id=department_id,
                                      source="import"))
            report.assignments_created += 1
        card = existing_cards.get(key)
        created = card is None
        if created:
            card = Scorecard(campaign_id=campaign.id, round=round_name, judge_id=judge_id,
                             department_id=department_id, status="draft", version=0)
            db.session.add(card)
            db.session.flush()
        before = {s.criterion_id: s.value for s in card.scores}
        after = before | {r.criterion.id: r.score for r in card_rows}
        changed = after != before
        if created:
            report.scorecards_created += 1
        elif changed:
            report.scorecards_updated += 1
        else:
            report.scorecards_unchanged += 1
        if changed and card.status == "submitted":
            report.corrections += 1
        if changed:
            _write_scores(card, after)
        complete = set(after) == set(round_criteria.get(round_name, {}))
        submitting = complete and (changed or card.status != "submitted")
        if submitting:
            card.status = "submitted"
            card.submitted_at = now
            report.scorecards_submitted += 1
        elif not complete:
            report.scorecards_incomplete += 1
        if changed or submitting:
            _record_revision(card, list(round_criteria.get(round_name, {}).values()), actor,
                             now)
    db.session.flush()


def _record_revision(card: Scorecard, criteria: list[Criterion], actor: str, now) -> None:
    """A new version and its revision (the values after the import), as a tablet save."""
    card.version += 1
    card.saved_at = now
    card.last_device = "paper"
    db.session.flush()
    db.session.refresh(card, ["scores"])
    append_revision(card, criteria, action="import", actor=actor, device="paper",
                    reason=REVISION_REASON, at=now)


def _write_scores(card: Scorecard, values: dict[int, int]) -> None:
    current = {s.criterion_id: s for s in card.scores}
    for criterion_id, value in values.items():
        score = current.get(criterion_id)
        if score is None:
            card.scores.append(Score(criterion_id=criterion_id, value=value))
        elif score.value != value:
            score.value = value


def score_sheet_lines(rows: Iterable[tuple[str, str, str, str, int]]) -> str:
    """A score-sheet CSV for ``(round, judge username, department, criterion, score)`` rows
    (used by the demo and the tests)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue()
