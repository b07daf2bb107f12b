"""Judges' scores for the demo campaign, entered the way organisers do: as paper score
sheets through :func:`awards.results.scores_import.import_scores`.

Every eligible department gets five preliminary scorecards from judges in a rotating,
connected design that skips conflicted pairs; the finalists (found with the engine, without
storing a result) then get a final-round scorecard from every judge free of conflicts.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable

from sqlalchemy import select

from awards.campaigns.eligibility import eligible_departments
from awards.extensions import db
from awards.models import Campaign, Conflict, Judge, User
from awards.results.scores_import import ScoreImportReport, import_scores, score_sheet_lines
from awards.results.services import load_scoring_data
from awards.scoring import ScoringError, compute_results

PER_DEPARTMENT = 5


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

    pairs = []
    for index, code in enumerate(departments):
        chosen: list[str] = []
        for step in range(len(judges)):
            judge = judges[(index + step) % len(judges)]
            if (judge, code) not in conflicted:
                chosen.append(judge)
            if len(chosen) == PER_DEPARTMENT:
                break
        pairs += [(judge, code) for judge in chosen]
    progress(f"importing {len(pairs)} demo preliminary scorecards ...")
    reports = [import_scores(campaign, score_sheet_lines(rows_for("preliminary", pairs)))]
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
