"""Computing and storing results (SPEC sections 6 and 8): the adapter between the database and
the pure scoring engine in :mod:`awards.scoring`.

:func:`load_scoring_data` reads the campaign with aggregate queries (ballots are counted per
district, pattern and status by the database, never loaded one by one);
:func:`compute_campaign_results` runs the engine and stores a new numbered
:class:`~awards.models.ResultVersion` with an audit event.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, select

from awards.audit.service import current_actor, record
from awards.campaigns.eligibility import eligible_departments
from awards.campaigns.services import refuse, voting_is_open
from awards.exceptions import InvalidInput
from awards.extensions import db
from awards.models import (
    Ballot,
    Campaign,
    Conflict,
    Criterion,
    Department,
    Judge,
    ResultVersion,
    Score,
    Scorecard,
    User,
)
from awards.models.base import utcnow
from awards.results.digest import config_for_digest, inputs_digest
from awards.scoring import (
    DEFAULT_AWARDS,
    District,
    JudgeScore,
    PublicInputs,
    ScoringConfig,
    ScoringError,
    compute_results,
    judge_scores_from_scorecards,
)
from awards.voting.mixer import mix_before_count

ScoreRow = tuple[str, str, str, str, int]
VOTING_OPEN_MESSAGE = ("close voting before computing results: exact counts while voting is "
                       "open could link ballots to households")
BallotRow = tuple[str, str, str, int]
# Engine messages (pure scoring knows no codes) that the pages translate.
SCORING_CODES = {
    "no eligible departments; mark at least one entry eligible": "voting.no_eligible",
}


@dataclass(frozen=True)
class ScoringData:
    """Everything a result depends on, as plain data.

    Attributes
    ----------
    public, scores, config :
        The engine's inputs.
    departments : list of str
        Eligible department codes, ascending.
    districts : list of (code, N_h)
    ballots : list of (district, choices, status, count)
        Every ballot of the campaign, counted per district, pattern and status.
    score_rows : list of (round, pseudonym, department, criterion, score)
        Criterion-level scores of submitted, unconflicted scorecards: the rows of the audit
        bundle's ``scores.csv``.
    """

    public: PublicInputs
    scores: list[JudgeScore]
    config: ScoringConfig
    departments: list[str]
    districts: list[tuple[str, int]]
    ballots: list[BallotRow]
    score_rows: list[ScoreRow]

    @property
    def digest(self) -> str:
        """The ``inputs_digest`` of these inputs (:func:`awards.results.digest.inputs_digest`)."""
        cfg = self.config
        return inputs_digest(
            config_for_digest(cfg.seed, cfg.method, cfg.public_weight, cfg.finalists,
                              cfg.final_public_weight, cfg.bootstrap, cfg.awards),
            self.departments, self.districts, self.ballots, self.score_rows)


def campaign_awards(campaign: Campaign) -> list[tuple[str, str, int]]:
    """The campaign's award tiers in order, or the default four when none are configured."""
    tiers = [(t.name_en, t.name_zh, t.places) for t in campaign.award_tiers]
    return tiers or [tuple(a) for a in DEFAULT_AWARDS]


def scoring_config(campaign: Campaign) -> ScoringConfig:
    """The campaign's frozen scoring settings.

    Raises
    ------
    InvalidInput
        When no seed is recorded yet, or a setting is out of range.
    """
    if not campaign.seed:
        raise InvalidInput(f"'{campaign.slug}' has no seed yet: draw the sample (flask awards "
                           "sample draw) before computing results", code="results.no_seed",
                           slug=campaign.slug)
    try:
        return ScoringConfig(
            seed=campaign.seed, method=campaign.judge_method,
            public_weight=campaign.public_weight, finalists=campaign.finalists,
            final_public_weight=campaign.final_public_weight, bootstrap=campaign.bootstrap,
            awards=campaign_awards(campaign))
    except ScoringError as exc:
        raise scoring_input_error(exc) from None


def scoring_input_error(exc: ScoringError) -> InvalidInput:
    """The engine's refusal as bad input; the ones organisers meet carry a code."""
    message = str(exc)
    code = SCORING_CODES.get(message)
    return InvalidInput(message, code=code) if code else InvalidInput(message)


def judge_pseudonyms(campaign: Campaign) -> dict[int, str]:
    """Judge id → published pseudonym (``J01`` …). A judge without a stored pseudonym gets
    the one of its position in username order, as the campaign config assigns them."""
    rows = db.session.execute(
        select(Judge.id, Judge.pseudonym, User.username)
        .join(User, User.id == Judge.user_id)
        .where(Judge.campaign_id == campaign.id)
        .order_by(User.username)
    ).all()
    return {row.id: row.pseudonym or f"J{n:02d}" for n, row in enumerate(rows, start=1)}


def ballot_counts(campaign: Campaign) -> list[BallotRow]:
    """Ballots counted by the database per (district, choices, status), district codes
    resolved; fast for millions of ballots (one ``GROUP BY``, read as plain tuples through
    the driver's cursor rather than as result rows)."""
    codes = {d.id: d.code for d in campaign.districts}
    connection = db.session.connection()
    filter_on = "campaign_id"
    if connection.dialect.name == "sqlite" and _one_campaign_holds_most_ballots(connection):
        # "+campaign_id" keeps SQLite off the (campaign, district) index: reading the table
        # in order beats one lookup in the clustered table per ballot (≈ 2.5× faster per
        # row, measured) when a campaign holds most of the ballots.
        filter_on = "+campaign_id"
    rows = connection.exec_driver_sql(
        "SELECT district_id, choices, status, count(*) FROM ballots "
        f"WHERE {filter_on} = {int(campaign.id)} GROUP BY district_id, choices, status"
    ).fetchall()
    return [(codes[district_id], choices if status == "valid" else "", status, int(count))
            for district_id, choices, status, count in rows]


def _one_campaign_holds_most_ballots(connection) -> bool:
    """Whether SQLite's statistics (``ANALYZE``) say a campaign holds, on average, at least
    40% of the ballots; ``False`` without statistics."""
    analysed = connection.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'").scalar()
    if not analysed:
        return False
    stat = connection.exec_driver_sql(
        "SELECT stat FROM sqlite_stat1 WHERE idx = 'ix_ballots_campaign_district'").scalar()
    numbers = (stat or "").split()
    if len(numbers) < 2 or not all(n.isdigit() for n in numbers[:2]):
        return False
    rows, per_campaign = int(numbers[0]), int(numbers[1])
    return rows > 0 and per_campaign * 5 >= rows * 2


def score_rows(campaign: Campaign) -> list[ScoreRow]:
    """``(round, pseudonym, department, criterion, score)`` of every submitted scorecard
    whose judge is not conflicted with the department, sorted: the rows of ``scores.csv``
    (SPEC section 7) and of the inputs digest."""
    pseudonyms = judge_pseudonyms(campaign)
    rows = db.session.execute(
        select(Scorecard.round, Scorecard.judge_id, Department.code, Criterion.code,
               Score.value)
        .join(Scorecard, Scorecard.id == Score.scorecard_id)
        .join(Criterion, and_(Criterion.id == Score.criterion_id,
                              Criterion.round == Scorecard.round))
        .join(Department, Department.id == Scorecard.department_id)
        .outerjoin(Conflict, and_(Conflict.judge_id == Scorecard.judge_id,
                                  Conflict.department_id == Scorecard.department_id))
        .where(Scorecard.campaign_id == campaign.id, Scorecard.status == "submitted",
               Conflict.id.is_(None))
    ).all()
    return sorted((r, pseudonyms[j], d, c, int(s)) for r, j, d, c, s in rows)


def criteria_definitions(campaign: Campaign) -> dict[tuple[str, str], tuple[float, int]]:
    return {(c.round, c.code): (c.weight, c.max) for c in campaign.criteria}


def load_scoring_data(campaign: Campaign) -> ScoringData:
    """Read the engine's inputs and the digest's rows for ``campaign``.

    Raises
    ------
    InvalidInput
        No seed, a district without a population, or scores the engine cannot read.
    """

    mix_before_count(campaign)  # SPEC 4: no count before the inbox is mixed
    config = scoring_config(campaign)
    departments = sorted(d.code for d in eligible_departments(campaign))
    districts = [(d.code, d.households if d.households else d.frame_count)
                 for d in campaign.districts]
    ballots = ballot_counts(campaign)
    patterns: dict[str, dict[tuple[str, ...], int]] = defaultdict(dict)
    spoilt: dict[str, int] = defaultdict(int)
    for district, choices, status, count in ballots:
        if status == "valid":
            # Stored sorted; the engine sorts each pattern again and merges equal ones.
            key = tuple(choices.split(";")) if choices else ()
            patterns[district][key] = patterns[district].get(key, 0) + count
        else:
            spoilt[district] += count
    rows = score_rows(campaign)
    try:
        public = PublicInputs(
            districts=[District(code, n) for code, n in districts],
            departments=departments, patterns=dict(patterns), spoilt=dict(spoilt))
        scores = judge_scores_from_scorecards(rows, criteria_definitions(campaign))
    except ScoringError as exc:
        raise scoring_input_error(exc) from None
    return ScoringData(public=public, scores=scores, config=config, departments=departments,
                       districts=districts, ballots=ballots, score_rows=rows)


def load_scoring_inputs(campaign: Campaign) -> tuple[PublicInputs, list[JudgeScore],
                                                     ScoringConfig]:
    """The three arguments of :func:`awards.scoring.compute_results` for ``campaign``.

    Eligible departments only; ``N_h`` is the declared census total, else the frame count;
    valid-ballot patterns and spoilt returns per district; judge scores of submitted,
    complete, unconflicted scorecards, each judge named by its pseudonym.

    Raises
    ------
    InvalidInput
        See :func:`load_scoring_data`.
    """
    data = load_scoring_data(campaign)
    return data.public, data.scores, data.config


def compute_campaign_results(
    campaign: Campaign, actor: str | None = None, reason: str = ""
) -> ResultVersion:
    """Compute the results (SPEC 6) and store them as a new numbered version.

    The stored ``results.json`` is the engine's output plus ``"campaign"`` and
    ``"inputs_digest"``. Nothing is computed while voting is open (SPEC 4: exact counts
    taken during the vote, compared with later ones, could link ballots to households).
    After publication the results are frozen: a recomputation needs a reason and becomes a
    new *unpublished* version; only :func:`awards.publication.publish.republish` publishes it.
    Earlier versions stay as they were.

    Parameters
    ----------
    campaign : Campaign
    actor : str, optional
        Who computes (default: the signed-in user, or ``system``).
    reason : str
        Why; required once the campaign is published.

    Returns
    -------
    ResultVersion
        Committed.

    Raises
    ------
    FrozenError
        Published campaign and no reason (recorded as a refused change).
    InvalidInput
        Voting is open, or the engine's message: fewer than 2 judges for a department, a
        disconnected judge–department graph, no eligible departments, no seed, …
    """

    version = compute_results_version(campaign, actor, reason)
    db.session.commit()
    return version


def compute_results_version(campaign: Campaign, actor: str | None = None,
                            reason: str = "") -> ResultVersion:
    """:func:`compute_campaign_results` inside the caller's transaction (the caller
    commits): publishing a correction computes and publishes in one transaction."""
    reason = (reason or "").strip()
    actor = actor or current_actor()
    if voting_is_open(campaign):
        raise InvalidInput(VOTING_OPEN_MESSAGE, code="results.voting_open")
    published = campaign.state == "published"
    if published and not reason:
        raise refuse(campaign, "results",
                     f"the results of '{campaign.slug}' are published and frozen; give a "
                     "reason to compute a corrected version", code="frozen.results_need_reason")
    data = load_scoring_data(campaign)
    try:
        results = compute_results(data.public, data.scores, data.config)
    except ScoringError as exc:
        raise scoring_input_error(exc) from None
    digest = data.digest
    document = {"campaign": campaign.slug, **results, "inputs_digest": digest}
    # Serialise concurrent computations of one campaign (PostgreSQL row lock).
    db.session.execute(select(Campaign.id).where(Campaign.id == campaign.id).with_for_update())
    previous = db.session.scalar(select(func.max(ResultVersion.version))
                                 .where(ResultVersion.campaign_id == campaign.id)) or 0
    now = utcnow()
    version = ResultVersion(
        campaign_id=campaign.id, version=previous + 1, computed_at=now, computed_by=actor,
        inputs_digest=digest, results_json=results_to_json(document), reason=reason)
    db.session.add(version)
    data_event: dict[str, Any] = {
        "version": version.version, "inputs_digest": digest,
        "finalists": results["finalists"], "best_public_image": results["best_public_image"],
    }
    if reason:
        data_event["reason"] = reason
    record("results_computed", campaign.slug, data_event, chain=campaign.slug, actor=actor)
    db.session.flush()
    return version


def results_to_json(document: dict[str, Any], *, indent: int | None = None) -> str:
    """``results.json`` text: keys sorted, UTF-8 characters kept, non-finite numbers (which
    JSON cannot hold) written as ``null``."""
    return json.dumps(_finite(document), sort_keys=True, ensure_ascii=False, indent=indent,
                      allow_nan=False)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def version_results(version: ResultVersion) -> dict[str, Any]:
    """The stored ``results.json`` of a version as a dictionary."""
    return json.loads(version.results_json)
