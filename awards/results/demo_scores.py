"""Judges' scores for the demo campaign.

The preliminary assignment is solved as an organiser would (``flask awards assign``: three
judges per eligible department, no conflicted pair, balanced and connected), and every pair's
scorecard is saved through real tablet scorecards
(:func:`score_on_tablets`): most are submitted, one in ten is left a draft. The finalists
(found with the engine, without storing a result) then get a final-round scorecard from
every judge free of conflicts, entered as paper score sheets through
:func:`awards.results.scores_import.import_scores` (the demo stays in the preliminary
phase, where final-round scorecards cannot be saved from a tablet).
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable

from sqlalchemy import select

from awards.campaigns.eligibility import eligible_departments
from awards.extensions import db
from awards.judging.assign import assign_preliminary
from awards.judging.scorecards import ScorecardInput, save_scorecard, scorecard_context
from awards.models import Assignment, Campaign, Conflict, Judge, User
from awards.results.scores_import import ScoreImportReport, import_scores, score_sheet_lines
from awards.results.services import load_scoring_data
from awards.scoring import ScoringError, compute_results

DRAFT_EVERY = 10  # one preliminary scorecard in ten is left a draft


def add_demo_scores(campaign: Campaign, rng: random.Random,
                    progress: Callable[[str], None] = print) -> list[ScoreImportReport]:
    """Import demo preliminary scores and, when the preliminary round can be scored, final
    scores for its finalists.

    Returns
    -------
    list of ScoreImportReport
        One per imported sheet.

    Raises
    ------
    InvalidInput
        When the campaign has fewer judges than a department needs.
    """

    judges = [username for username, in db.session.execute(
        select(User.username).join(Judge, Judge.user_id == User.id)
        .where(Judge.campaign_id == campaign.id).order_by(User.username))]
    conflicted = {(u, code) for u, code in db.session.execute(
        select(User.username, Conflict.department_id)
        .join(Judge, Judge.id == Conflict.judge_id).join(User, User.id == Judge.user_id)
        .where(Conflict.campaign_id == campaign.id))}
    codes = {d.id: d.code for d in campaign.departments}
    conflicted = {(u, codes[d]) for u, d in conflicted}
    departments = [d.code for d in eligible_departments(campaign)]
    criteria = {r: [c for c in campaign.criteria if c.round == r]
                for r in ("preliminary", "final")}
    strictness = {j: rng.gauss(0, 0.6) for j in judges}
    quality = {d: rng.gauss(6.5, 1.1) for d in departments}

    def rows_for(round_name: str, pairs: list[tuple[str, str]]) -> list[tuple]:
        rows = []
        for judge, code in pairs:
            for criterion in criteria[round_name]:
                value = quality[code] + strictness[judge] + rng.gauss(0, 0.7)
                score = round(value / 10 * criterion.max)
                rows.append((round_name, judge, code, criterion.code,
                             max(0, min(criterion.max, score))))
        return rows

    progress("solving the preliminary assignment ...")
    pairs = list(assign_preliminary(campaign, actor="demo").solution.pairs)
    progress(f"scoring {len(pairs)} demo preliminary scorecards on tablets ...")
    score_on_tablets(campaign, rows_for("preliminary", pairs))
    reports: list[ScoreImportReport] = []
    if not criteria["final"]:
        return reports
    data = load_scoring_data(campaign)
    try:
        preliminary = compute_results(data.public, data.scores,
                                      dataclasses.replace(data.config, bootstrap=0))
    except ScoringError as exc:
        progress(f"no final-round demo scores: {exc}")
        return reports
    finals = [(judge, code) for code in preliminary["finalists"] for judge in judges
              if (judge, code) not in conflicted]
    progress(f"importing {len(finals)} demo final-round scorecards ...")
    reports.append(import_scores(campaign, score_sheet_lines(rows_for("final", finals))))
    return reports


def score_on_tablets(campaign: Campaign, rows: list[tuple]) -> tuple[int, int]:
    """Save ``(round, judge, department, criterion, score)`` rows through the judges'
    scorecards, as tablets do; pairs not assigned yet are assigned first (source ``demo``).
    Every ``DRAFT_EVERY``-th scorecard is saved as a draft, the others are submitted.
    Returns (submitted, drafts)."""
    users = {name: user_id for name, user_id in db.session.execute(select(User.username, User.id))}
    judges = {u: j for j, u in db.session.execute(
        select(Judge, User.username).join(User, User.id == Judge.user_id)
        .where(Judge.campaign_id == campaign.id))}
    departments = {d.code: d for d in campaign.departments}
    cards: dict[tuple[str, str, str], dict[str, int]] = {}
    for round_name, judge, code, criterion, score in rows:
        cards.setdefault((round_name, judge, code), {})[criterion] = score
    assigned = set(db.session.execute(
        select(Assignment.round, Assignment.judge_id, Assignment.department_id)
        .where(Assignment.campaign_id == campaign.id)).all())
    for round_name, judge, code in cards:
        if (round_name, judges[judge].id, departments[code].id) in assigned:
            continue
        db.session.add(Assignment(campaign_id=campaign.id, round=round_name,
                                  judge_id=judges[judge].id,
                                  department_id=departments[code].id, source="demo"))
    db.session.commit()
    submitted = drafts = 0
    for index, ((round_name, judge, code), scores) in enumerate(sorted(cards.items())):
        ctx = scorecard_context(campaign.slug, users[judge], round_name, code)
        draft = index % DRAFT_EVERY == DRAFT_EVERY - 1
        save_scorecard(ctx, ScorecardInput(scores=dict(scores), comments={}, version=0,
                                           device="demo-tablet", seq=index + 1,
                                           action="save" if draft else "submit"), judge)
        drafts += draft
        submitted += not draft
    return submitted, drafts
