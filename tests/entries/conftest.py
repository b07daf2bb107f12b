"""A campaign open for entries, with a coordinator for department A (and one for B)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from awards.entries import clock
from awards.extensions import db
from awards.phases import move_phase

from ..conftest import PASSWORD, CsrfClient

CLOSE_AT = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
BEFORE = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)


@pytest.fixture
def frozen_clock():
    """The server clock stands still; tests move it with ``frozen_clock.at = …``."""

    class Clock:
        at = BEFORE

    stand = Clock()
    clock.set_clock(lambda: stand.at)
    yield stand
    clock.set_clock(None)


@pytest.fixture
def open_campaign(campaign, frozen_clock):
    campaign.entries_close_at = CLOSE_AT
    campaign.grace_minutes = 15
    db.session.commit()
    move_phase(campaign, "entries_open")
    return campaign


@pytest.fixture
def coordinator(make_user):
    return make_user("coordinator", "coord-a", "A")


@pytest.fixture
def coord(client, coordinator) -> CsrfClient:
    client.signin("coord-a", PASSWORD)
    return client


def full_form(version: int, **changes) -> dict:
    form = {
        "version": str(version),
        "title": "Faster licence renewals",
        "summary": "We cut waiting times at every counter.",
        "section-pledges": "We met 11 of our 12 pledges.",
        "section-courtesy": "Every counter officer trained in plain language.",
        "pledge-0-service": "Answer 75% of calls within 2 minutes",
        "pledge-0-target": "75%",
        "pledge-0-achieved": "86%",
        "contact_name": "Chan Tai Man",
        "contact_email": "chan@example.gov.hk",
        "contact_phone": "2123 4567",
    }
    form.update(changes)
    return form
