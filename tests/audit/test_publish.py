"""Publication (SPEC sections 2 and 7): preconditions, the freeze after publication with a
clear message and an audit event for every refused change, and corrections as new versions."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func, select

from awards.audit.verify import verify_bundle
from awards.campaigns.services import ensure_not_published
from awards.exceptions import FrozenError, InvalidInput, LifecycleError
from awards.extensions import db
from awards.models import AuditEvent, Ballot, ResultVersion, Score
from awards.publication.bundle import build_bundle
from awards.publication.publish import publish, republish
from awards.results.versions import current_published, published_versions

from .test_bundle import cli


def events(slug: str, action: str) -> list[dict]:
    return [json.loads(e.data) for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.chain == slug, AuditEvent.action == action)
        .order_by(AuditEvent.seq))]


def refusals(slug: str) -> list[dict]:
    return events(slug, "change_refused")


# --------------------------------------------------------------------------- publishing


def test_publish_freezes_signs_and_records(final_judging_campaign):
    campaign = final_judging_campaign.campaign
    version = publish(campaign, "olivia")
    assert campaign.state == "published"
    assert campaign.published_at is not None and version.published_at is not None
    assert version.version == 2
    assert len(campaign.signing_public_key) == 64
    [event] = events(campaign.slug, "published")
    assert event == {"version": 2, "inputs_digest": version.inputs_digest,
                     "public_key": campaign.signing_public_key}
    assert events(campaign.slug, "phase_changed")[-1] == {"from": "final_judging",
                                                          "to": "published"}
    last = db.session.scalars(select(AuditEvent).where(AuditEvent.chain == campaign.slug)
                              .order_by(AuditEvent.seq.desc())).first()
    assert (last.action, last.actor) == ("published", "olivia")


def test_publish_needs_final_judging(app, campaign):
    with pytest.raises(LifecycleError, match="results are published from 'final_judging'; "
                                             "'csea-test' is in 'draft'"):
        publish(campaign)
    assert campaign.state == "draft"


def test_publish_needs_computed_results(final_judging_campaign):
    campaign = final_judging_campaign.campaign
    db.session.execute(ResultVersion.__table__.delete())
    db.session.commit()
    with pytest.raises(LifecycleError, match="has no computed results: compute them first"):
        publish(campaign)


def test_publish_needs_the_final_round(final_judging_campaign):
    campaign = final_judging_campaign.campaign
    latest = db.session.scalar(select(ResultVersion).order_by(ResultVersion.version.desc()))
    db.session.delete(latest)  # leaves version 1, computed before the final round
    db.session.commit()
    with pytest.raises(LifecycleError, match="results version 1 has no final-round result"):
        publish(campaign)


def test_publish_refuses_stale_results(final_judging_campaign):
    campaign = final_judging_campaign.campaign
    score = db.session.scalars(select(Score)).first()
    score.value -= 1
    db.session.commit()
    with pytest.raises(LifecycleError, match="was computed from other data .* compute the "
                                             "results again before publishing"):
        publish(campaign)
    assert campaign.state == "final_judging"


def test_publishing_twice_is_refused_and_recorded(published):
    campaign = published.campaign
    key = campaign.signing_public_key
    with pytest.raises(FrozenError, match="'csea-worked' is already published \\(results "
                                          "version 2\\); a correction is published as a new "
                                          "version with a reason"):
        publish(campaign)
    assert refusals(campaign.slug)[-1]["change"] == "publish"
    assert campaign.signing_public_key == key
    assert len(events(campaign.slug, "published")) == 1


# --------------------------------------------------------------------------- frozen data


def test_scores_import_after_publication_is_refused(published):
    from awards.results.scores_import import import_scores

    campaign = published.campaign
    before = db.session.scalar(select(func.count()).select_from(Score))
    with pytest.raises(FrozenError, match="'csea-worked' is published: its scores are frozen"):
        import_scores(campaign, "round,judge,department,criterion,score\n"
                                "preliminary,j2,B,pledges,5\n")
    assert refusals(campaign.slug)[-1]["change"] == "scores"
    assert db.session.scalar(select(func.count()).select_from(Score)) == before


def test_paper_ballots_after_publication_are_refused(published):
    from awards.audit.service import chain_events
    from awards.exceptions import FrozenError
    from awards.voting.ballots import import_paper_ballots

    campaign = published.campaign
    unused = published.letters[-1].code
    before = db.session.scalar(select(func.count()).select_from(Ballot))
    with pytest.raises(FrozenError, match="is published: its ballots are frozen"):
        import_paper_ballots(campaign, io.BytesIO(f"code,choices\n{unused},A\n".encode()))
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == before
    assert chain_events(campaign.slug)[-1].action == "change_refused"


def test_web_ballot_after_publication_is_refused(published):
    from awards.voting.ballots import VotingClosed, cast_web_ballot

    with pytest.raises(VotingClosed):
        cast_web_ballot(published.campaign, published.letters[-1].code, ["A"])


def test_recomputing_without_a_reason_is_refused_and_recorded(published):
    from awards.results.services import compute_campaign_results

    campaign = published.campaign
    with pytest.raises(FrozenError, match="are published and frozen; give a reason"):
        compute_campaign_results(campaign, "olivia")
    assert refusals(campaign.slug)[-1]["change"] == "results"
    assert [v.version for v in published_versions(campaign)] == [2]


def test_phase_moves_after_publication_are_refused(published):
    from awards.phases import move_phase

    with pytest.raises(LifecycleError, match="already published"):
        move_phase(published.campaign, "draft")


def test_ensure_not_published(final_judging_campaign):
    campaign = final_judging_campaign.campaign
    ensure_not_published(campaign, "ballots")  # before publication: nothing happens
    assert refusals(campaign.slug) == []
    publish(campaign)
    with pytest.raises(FrozenError, match="^'csea-worked' is published: its ballots are "
                                          "frozen and cannot change$"):
        ensure_not_published(campaign, "ballots")
    assert refusals(campaign.slug) == [{
        "change": "ballots",
        "reason": "'csea-worked' is published: its ballots are frozen and cannot change"}]


# --------------------------------------------------------------------------- corrections


def test_correction_is_a_new_signed_version_and_version_one_stays(published):
    campaign = published.campaign
    first = current_published(campaign)
    first_json, key = first.results_json, campaign.signing_public_key
    corrected = republish(campaign, "Judge J02's sheet was mis-keyed", "olivia")
    assert corrected.version == first.version + 1
    assert corrected.reason == "Judge J02's sheet was mis-keyed"
    assert [v.version for v in published_versions(campaign)] == [2, 3]
    assert first.results_json == first_json and first.published_at is not None
    assert current_published(campaign).version == 3
    assert campaign.signing_public_key == key
    assert events(campaign.slug, "published")[-1] == {
        "version": 3, "inputs_digest": corrected.inputs_digest, "public_key": key,
        "reason": "Judge J02's sheet was mis-keyed"}
    bundle = build_bundle(campaign)
    assert bundle.filename == "csea-worked-audit-v3.zip"
    assert verify_bundle(bundle.data, key) == []


def test_correction_needs_a_reason(published):
    with pytest.raises(InvalidInput, match="give the reason for the corrected version"):
        republish(published.campaign, "  ")


def test_correction_before_publication(final_judging_campaign):
    with pytest.raises(LifecycleError, match="is not published yet: publish it first"):
        republish(final_judging_campaign.campaign, "why not")


def test_a_recomputed_version_is_published_only_by_republish(published, client):
    """``flask awards results SLUG --reason …`` stores an unpublished version; nothing
    (a bundle build, a download) publishes it behind the organisers' back. ``republish``
    then publishes that version and records ``published``."""
    from awards.results.services import compute_campaign_results

    campaign = published.campaign
    pending = compute_campaign_results(campaign, "olivia", reason="typo in a department name")
    assert (pending.version, pending.published_at) == (3, None)
    assert current_published(campaign).version == 2
    before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    assert build_bundle(campaign).version == 2
    assert client.get(f"/verify/{campaign.slug}/bundle.zip").status_code == 200
    assert "typo in a department name" not in client.get(
        f"/results/{campaign.slug}").get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == before
    assert [e["version"] for e in events(campaign.slug, "published")] == [2]

    corrected = republish(campaign, "typo in a department name", "olivia")
    assert corrected.version == 3 and corrected.published_at is not None  # not recomputed
    assert db.session.scalar(select(func.max(ResultVersion.version))) == 3
    assert events(campaign.slug, "published")[-1] == {
        "version": 3, "inputs_digest": pending.inputs_digest,
        "public_key": campaign.signing_public_key, "reason": "typo in a department name"}
    bundle = build_bundle(campaign)
    assert bundle.version == 3
    assert verify_bundle(bundle.data, campaign.signing_public_key) == []


def test_the_publish_command_publishes_a_pending_correction(published, runner):
    from awards.results.services import compute_campaign_results

    compute_campaign_results(published.campaign, "olivia", reason="recount")
    result = cli(runner, "publish", "csea-worked", "--reason", "recount of district KT")
    assert result.exit_code == 0, result.stderr
    assert "published corrected results version 3" in result.stderr
    assert [v.version for v in published_versions(published.campaign)] == [2, 3]


# --------------------------------------------------------------------------- command line


def test_publish_command(final_judging_campaign, runner):
    result = cli(runner, "publish", "csea-worked")
    assert result.exit_code == 0, result.stderr
    campaign = final_judging_campaign.campaign
    db.session.refresh(campaign)
    assert "published results version 2 of 'csea-worked'" in result.stderr
    assert result.stdout == f"public key {campaign.signing_public_key}\n"


def test_publish_command_twice_fails_with_one_line_and_an_event(published, runner):
    result = cli(runner, "publish", "csea-worked")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: 'csea-worked' is already published")
    assert len(result.stderr.strip().splitlines()) == 1
    assert refusals("csea-worked")[-1]["change"] == "publish"


def test_publish_command_with_a_reason_publishes_a_correction(published, runner):
    result = cli(runner, "publish", "csea-worked", "--reason", "late conflict found")
    assert result.exit_code == 0, result.stderr
    assert "published corrected results version 3" in result.stderr
    assert "late conflict found" in result.stderr


def test_publish_command_in_the_wrong_phase(app, campaign, runner):
    result = cli(runner, "publish", "csea-test")
    assert result.exit_code == 1
    assert result.stderr.strip() == ("error: results are published from 'final_judging'; "
                                     "'csea-test' is in 'draft'")
