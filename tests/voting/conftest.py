"""A campaign with a frame, a sample, issued codes and voting open."""

from __future__ import annotations

import io

import pytest

from awards.campaigns.config_file import parse_config
from awards.campaigns.services import load_campaign_config
from awards.phases import move_phase, open_voting
from awards.voting.households import draw_campaign_sample, import_frame, issue_codes

from ..conftest import MINIMAL_CONFIG

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


@pytest.fixture
def config_text() -> str:
    """The campaign competes without entries, so every department is on the ballot."""
    return MINIMAL_CONFIG.replace("finalists = 3", "finalists = 3\nentries_required = false")


@pytest.fixture
def sampled_campaign(app, config_text):
    campaign, _created, _notes = load_campaign_config(parse_config(config_text))
    import_frame(campaign, io.BytesIO(frame_csv()))
    for state in ("entries_open", "entries_closed", "adjudication"):
        move_phase(campaign, state)
    draw_campaign_sample(campaign, 90, SEED)
    return campaign


@pytest.fixture
def letters(sampled_campaign):
    delivered = []
    issue_codes(sampled_campaign, delivered.extend)
    return delivered


@pytest.fixture
def open_campaign(sampled_campaign, letters):
    open_voting(sampled_campaign)
    return sampled_campaign
