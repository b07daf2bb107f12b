"""Fixtures for the results tests: the SPEC section 6 worked example as a real campaign
(config file, ballots in the ballot table, judges' scores through the paper import)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import insert

from awards.extensions import db
from awards.models import Ballot, Campaign
from awards.voting.codes import ballot_id

from ..conftest import Snapshot, prepare_snapshot, register_snapshot, restored
from ..scoring.worked_example import (
    DEPARTMENTS,
    FINAL_SCORES,
    PATTERN_COUNTS,
    PRELIMINARY_SCORES,
    SEED,
    campaign_config_toml,
)

EXAMPLE_CONFIG = campaign_config_toml(
    slug="example", name_en="Worked example", name_zh="示例", criteria=[
        ("preliminary", "overall", "Overall service", "整體服務", 1.0, 100),
        ("final", "impact", "Impact", "影響", 1.0, 100),
    ], department_zh={code: f"{stem}部門" for code, stem in zip(DEPARTMENTS, "甲乙丙丁戊")},
    bootstrap=2000)
DISTRICT_ORDER = ("KT", "ST", "IS")


def add_ballots(campaign: Campaign, counts: dict[tuple[str, ...], tuple[int, ...]],
                spoilt: dict[str, int] | None = None) -> None:
    """Insert ballots straight into the ballot table (as the vote and paper import do)."""
    district_ids = {d.code: d.id for d in campaign.districts}
    today = dt.date(2026, 3, 1)
    rows = []
    for pattern, per_district in counts.items():
        for code, count in zip(DISTRICT_ORDER, per_district):
            rows += [{"id": ballot_id(), "campaign_id": campaign.id,
                      "district_id": district_ids[code], "choices": ";".join(sorted(pattern)),
                      "channel": "web", "status": "valid", "day": today}
                     for _ in range(count)]
    for code, count in (spoilt or {}).items():
        rows += [{"id": ballot_id(), "campaign_id": campaign.id,
                  "district_id": district_ids[code], "choices": "", "channel": "paper",
                  "status": "spoilt", "day": today} for _ in range(count)]
    db.session.execute(insert(Ballot), rows)
    db.session.commit()


def example_sheet(final: bool = True) -> str:
    """The worked example's scores as a paper score sheet (one criterion out of 100, so the
    score is the scorecard value y)."""
    lines = ["round,judge,department,criterion,score"]
    for judge, row in PRELIMINARY_SCORES.items():
        for department, y in row.items():
            lines.append(f"preliminary,j{judge[1:]},{department},overall,{y}")
    if final:
        for department, ys in FINAL_SCORES.items():
            for i, y in enumerate(ys, start=1):
                lines.append(f"final,j{i},{department},impact,{y}")
    return "\n".join(lines) + "\n"


def build_example() -> Campaign:
    """The worked example campaign with its ballots (2 spoilt returns in IS), no scores."""
    from awards.campaigns.config_file import parse_config
    from awards.campaigns.services import load_campaign_config

    campaign, _created, _notes = load_campaign_config(parse_config(EXAMPLE_CONFIG))
    from ..conftest import pseudonyms_in_username_order

    pseudonyms_in_username_order(campaign)
    campaign.seed = SEED
    db.session.commit()
    add_ballots(campaign, PATTERN_COUNTS, spoilt={"IS": 2})
    return campaign


def score(campaign: Campaign) -> Campaign:
    from awards.results.scores_import import import_scores

    import_scores(campaign, example_sheet())
    return campaign


@pytest.fixture(scope="session")
def example_snapshot(tmp_path_factory) -> Snapshot:
    return prepare_snapshot(tmp_path_factory.mktemp("example"), "example",
                            lambda: build_example().id)


@pytest.fixture(scope="session")
def scored_snapshot(tmp_path_factory) -> Snapshot:
    return prepare_snapshot(tmp_path_factory.mktemp("scored"), "scored",
                            lambda: score(build_example()).id)


register_snapshot("example", "example_snapshot")
register_snapshot("scored", "scored_snapshot", covers=("example",))


@pytest.fixture
def example(app, request) -> Campaign:
    """The worked example campaign with its ballots (2 spoilt returns in IS), no scores."""
    campaign_id = restored(request, "example", "scored")
    return build_example() if campaign_id is None else db.session.get(Campaign, campaign_id)


@pytest.fixture
def scored(example, request) -> Campaign:
    """The worked example with every preliminary and final score imported."""
    return example if restored(request, "scored") is not None else score(example)


@pytest.fixture
def signed_in(client, make_user):
    """A client signed in as an organiser."""
    from ..conftest import PASSWORD

    make_user("organiser", "olivia")
    client.signin("olivia", PASSWORD)
    return client
