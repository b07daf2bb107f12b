"""Download a campaign as its config file: the TOML parses back to the stored campaign, and
loading it again changes nothing (SPEC section 8)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from awards.campaigns.config_export import (
    campaign_spec,
    config_changes,
    dump_config,
)
from awards.campaigns.config_file import parse_config
from awards.campaigns.services import load_campaign_config
from awards.extensions import db
from awards.models import AuditEvent

from .conftest import MINIMAL_CONFIG

AWKWARD = MINIMAL_CONFIG.replace(
    'name_en = "Department B"',
    'name_en = "Dept. \\"B\\" \\\\ back-slash, 中文"').replace(
    "weight = 0.4", "weight = 0.1").replace("weight = 0.6", "weight = 0.9").replace(
    "finalists = 3", "finalists = 3\npublic_weight = 0.123456789012345\n"
    "voting_opens_at = 2026-12-01T09:00:00Z\nvoting_closes_at = 2026-12-15T09:00:00.250000Z\n"
    "entries_required = false").replace(
    'conflicts = ["A"]', 'conflicts = ["C", "A"]\naffiliation = "B"').replace(
    'round = "final"', 'round = "final"\nguidance_en = "Two lines:\\nsecond"')


def test_the_dump_parses_back_to_the_stored_campaign(app):
    campaign, _created, _notes = load_campaign_config(parse_config(AWKWARD))
    text = dump_config(campaign)
    assert parse_config(text) == campaign_spec(campaign)
    spec = parse_config(text)
    assert spec.departments[1].name_en == 'Dept. "B" \\ back-slash, 中文'
    assert spec.public_weight == 0.123456789012345
    assert spec.voting_closes_at == datetime(2026, 12, 15, 9, 0, 0, 250000, tzinfo=UTC)
    assert spec.judges[0].conflicts == ("A", "C") and spec.judges[0].affiliations == ("B",)
    assert [c.guidance_en for c in spec.criteria if c.round == "final"] == ["Two lines:\nsecond"]
    assert spec.entries_required is False


def test_the_dump_has_what_the_original_file_said(app):
    original = parse_config(AWKWARD)
    campaign, _created, _notes = load_campaign_config(original)
    assert config_changes(original, parse_config(dump_config(campaign))) == []


def test_loading_the_dump_again_changes_nothing(app):
    campaign, _created, _notes = load_campaign_config(parse_config(MINIMAL_CONFIG))
    first = dump_config(campaign)
    assert config_changes(campaign_spec(campaign), parse_config(first)) == []
    load_campaign_config(parse_config(first))
    assert dump_config(campaign) == first


def test_changes_name_the_section_item_and_key(app):
    campaign, _created, _notes = load_campaign_config(parse_config(MINIMAL_CONFIG))
    edited = parse_config(dump_config(campaign).replace("max_choices = 3", "max_choices = 2")
                          .replace('name_en = "Department D"', 'name_en = "Dept D"'))
    changes = config_changes(campaign_spec(campaign), edited)
    assert [(c.section, c.item, c.key, c.before, c.after, c.kind) for c in changes] == [
        ("campaign", "", "max_choices", 3, 2, "changed"),
        ("departments", "D", "name_en", "Department D", "Dept D", "changed")]
    events = db.session.scalar(select(func.count()).select_from(AuditEvent))
    assert events == 2  # the campaign and its judge's conflict: a preview writes nothing


def test_entries_settings_and_band_anchors_go_round_too(app):
    text = MINIMAL_CONFIG.replace(
        "finalists = 3", "finalists = 3\nentries_close_at = 2026-11-30T10:00:00Z\n"
        "grace_minutes = 15").replace(
        "weight = 0.4\nmax = 10", 'weight = 0.4\nmax = 10\nanchors_en = ["0-3 rarely met", '
        '"4-10 met"]\nanchors_zh = ["0-3 甚少達標", "4-10 達標"]')
    original = parse_config(text)
    campaign, _created, _notes = load_campaign_config(original)
    dumped = dump_config(campaign)
    assert "grace_minutes = 15" in dumped
    assert 'anchors_zh = ["0-3 甚少達標", "4-10 達標"]' in dumped
    assert parse_config(dumped) == campaign_spec(campaign)
    assert config_changes(original, parse_config(dumped)) == []
