"""A campaign with a frame, a sample, issued codes and voting open."""

from __future__ import annotations

import copy
import io

import pytest

from awards.campaigns.config_file import parse_config
from awards.campaigns.services import load_campaign_config
from awards.extensions import db
from awards.models import Campaign
from awards.phases import move_phase, open_voting
from awards.voting.households import draw_campaign_sample, import_frame, issue_codes

from ..conftest import (
    MINIMAL_CONFIG,
    Recipe,
    register_snapshot,
    restored,
)

SEED = "test-seed-for-the-sample-2026"
FRAME_SIZES = {"KT": 60, "ST": 50, "IS": 30}


def frame_csv(sizes: dict[str, int] = FRAME_SIZES) -> bytes:
    lines = ["household_id,district,address"]
    for district, size in sizes.items():
        lines += [f"{district}{i:04d},{district},\"{i} Test Road, {district}\""
                  for i in range(1, size + 1)]
    return ("\n".join(lines) + "\n").encode()


def stored_ballots() -> int:
    """Ballots stored, in the tally or still in the inbox waiting for the mixer."""
    from sqlalchemy import func, select

    from awards.extensions import db
    from awards.models import Ballot, InboxBallot

    return sum(db.session.scalar(select(func.count()).select_from(model))
               for model in (Ballot, InboxBallot))


def default_config_text() -> str:
    """The campaign competes without entries, so every department is on the ballot."""
    return MINIMAL_CONFIG.replace("finalists = 3", "finalists = 3\nentries_required = false")


@pytest.fixture
def config_text() -> str:
    return default_config_text()


def build_sampled(text: str):
    campaign, _created, _notes = load_campaign_config(parse_config(text))
    import_frame(campaign, io.BytesIO(frame_csv()))
    for state in ("entries_open", "entries_closed", "adjudication"):
        move_phase(campaign, state)
    draw_campaign_sample(campaign, 90, SEED)
    return campaign


def issue(campaign) -> list:
    delivered: list = []
    issue_codes(campaign, delivered.extend)
    return delivered


def build_open(text: str) -> tuple[int, list]:
    campaign = build_sampled(text)
    delivered = issue(campaign)
    open_voting(campaign)
    return campaign.id, delivered


def build_letters(text: str) -> tuple[int, list]:
    campaign = build_sampled(text)
    return campaign.id, issue(campaign)


# Prepared once per worker for each campaign config the tests use (``config_text``).
@pytest.fixture(scope="session")
def sampled_snapshot(tmp_path_factory) -> Recipe:
    return Recipe(tmp_path_factory, "sampled_campaign",
                  lambda text: (build_sampled(text).id, None))


@pytest.fixture(scope="session")
def letters_snapshot(tmp_path_factory) -> Recipe:
    return Recipe(tmp_path_factory, "letters", build_letters)


@pytest.fixture(scope="session")
def open_snapshot(tmp_path_factory) -> Recipe:
    return Recipe(tmp_path_factory, "open_campaign", build_open)


register_snapshot("sampled_campaign", "sampled_snapshot")
register_snapshot("letters", "letters_snapshot", covers=("sampled_campaign",))
register_snapshot("open_campaign", "open_snapshot", covers=("sampled_campaign", "letters"))


@pytest.fixture
def sampled_campaign(app, config_text, request):
    value = restored(request, "sampled_campaign", "letters", "open_campaign")
    if value is None:
        return build_sampled(config_text)
    campaign = db.session.get(Campaign, value[0])
    db.session.commit()  # no transaction left open, as after building (SQLite's write lock)
    return campaign


@pytest.fixture
def letters(sampled_campaign, request):
    value = restored(request, "letters", "open_campaign")
    return issue(sampled_campaign) if value is None else copy.deepcopy(value[1])


@pytest.fixture
def open_campaign(sampled_campaign, letters, request):
    if restored(request, "open_campaign") is None:
        open_voting(sampled_campaign)
    return sampled_campaign
