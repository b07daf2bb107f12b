"""The audit bundle (SPEC section 7): files, formats, determinism, signing, export."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select

from awards.audit.verify import verify_bundle
from awards.extensions import db
from awards.models import AuditEvent
from awards.publication.bundle import LISTED_FILES, ZIP_ORDER, BundleError, build_bundle
from awards.publication.signing import (
    SigningKeyError,
    campaign_private_key,
    decrypt_private_key,
)


def cli(runner, *args):
    """Invoke ``flask awards …``, adding this package's commands if the factory has not."""
    from awards.cli.audit import register
    from awards.cli.common import awards_cli

    if "export" not in awards_cli.commands:
        register(awards_cli)
    return runner.invoke(args=["awards", *args])


def open_zip(data: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(data))


def rows(archive: zipfile.ZipFile, name: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(archive.read(name).decode())))


@pytest.fixture
def bundle(published):
    return build_bundle(published.campaign)


def test_files_in_fixed_order_with_fixed_timestamps(bundle, published):
    archive = open_zip(bundle.data)
    assert archive.namelist() == list(ZIP_ORDER)
    stamp = published.campaign.published_at.timetuple()[:6]
    stamp = (*stamp[:5], stamp[5] // 2 * 2)  # zip times have a two-second resolution
    for info in archive.infolist():
        assert info.date_time == stamp
        assert info.external_attr == 0o644 << 16


def test_the_same_data_give_the_same_bytes(bundle, published):
    again = build_bundle(published.campaign)
    assert again.data == bundle.data
    assert again.filename == "csea-worked-audit-v2.zip"


def test_manifest_lists_every_other_file_with_its_hash(bundle, published):
    import awards

    archive = open_zip(bundle.data)
    manifest = json.loads(archive.read("manifest.json"))
    assert [f["name"] for f in manifest["files"]] == list(LISTED_FILES)
    for item in manifest["files"]:
        data = archive.read(item["name"])
        assert item["sha256"] == hashlib.sha256(data).hexdigest()
        assert item["bytes"] == len(data)
    assert manifest["spec"] == "awards-scoring/2"
    assert manifest["app_version"] == awards.__version__
    assert manifest["campaign"] == "csea-worked"
    assert manifest["result_version"] == 2
    assert manifest["public_key"] == published.campaign.signing_public_key
    assert bundle.manifest_sha256 == hashlib.sha256(archive.read("manifest.json")).hexdigest()


def test_signature_is_hex_ed25519_over_the_manifest_bytes(bundle, published):
    archive = open_zip(bundle.data)
    signature = archive.read("manifest.sig").decode("ascii")
    assert len(signature) == 128 and signature == signature.lower()
    key = Ed25519PublicKey.from_public_bytes(
        bytes.fromhex(published.campaign.signing_public_key))
    key.verify(bytes.fromhex(signature), archive.read("manifest.json"))  # raises if not


def test_public_key_is_64_hex_and_private_key_is_stored_encrypted(published, app):
    campaign = published.campaign
    assert len(campaign.signing_public_key) == 64
    int(campaign.signing_public_key, 16)
    assert campaign.signing_private_key.startswith("aesgcm1:")
    key = campaign_private_key(campaign)
    from awards.publication.signing import raw_public_key

    assert raw_public_key(key).hex() == campaign.signing_public_key
    with pytest.raises(SigningKeyError, match="AWARDS_SIGNING_KEY differs"):
        decrypt_private_key(campaign.signing_private_key, campaign.slug, "another secret")
    with pytest.raises(SigningKeyError, match="cannot be decrypted"):
        decrypt_private_key(campaign.signing_private_key, "another-campaign")


def test_ballots_sorted_with_sorted_choices_and_no_link_to_households(bundle, published):
    table = rows(open_zip(bundle.data), "ballots.csv")
    assert table[0] == ["ballot_id", "district", "choices", "channel", "status"]
    ids = [r[0] for r in table[1:]]
    assert ids == sorted(ids) and len(set(ids)) == len(ids) == 1006
    for _id, _district, choices, channel, status in table[1:]:
        codes = choices.split(";") if choices else []
        assert codes == sorted(codes)
        assert (status == "spoilt") == (codes == [])
        assert channel in ("web", "paper")
    assert sum(r[3] == "web" for r in table[1:]) == 24


def test_districts_and_codes(bundle):
    archive = open_zip(bundle.data)
    assert rows(archive, "districts.csv") == [
        ["district", "households", "invited", "returned", "valid", "spoilt"],
        ["IS", "67104", "230", "202", "200", "2"],
        ["KT", "247592", "330", "302", "300", "2"],
        ["ST", "246425", "540", "502", "500", "2"],
    ]
    codes = {r[0]: r[1:] for r in rows(archive, "codes.csv")[1:]}
    assert rows(archive, "codes.csv")[0] == ["district", "issued", "used_web", "used_paper",
                                             "void"]
    # One code reissued (voided and replaced) in the first district of the letters.
    assert sum(int(v[3]) for v in codes.values()) == 1
    returned = {r[0]: int(r[3]) for r in rows(archive, "districts.csv")[1:]}
    for district, (issued, web, paper, void) in codes.items():
        invited = {"IS": 230, "KT": 330, "ST": 540}[district]
        assert int(issued) == invited + int(void)  # "issued" counts reissued codes too
        assert int(web) == 8  # one web ballot per pattern
        assert int(web) + int(paper) == returned[district]


def test_sample_and_config(bundle, published):
    archive = open_zip(bundle.data)
    sample = json.loads(archive.read("sample.json"))
    campaign = published.campaign
    assert sample["seed"] == campaign.seed
    assert sample["frame_digest"] == campaign.frame_digest
    assert sample["allocation"] == {"IS": 230, "KT": 330, "ST": 540}
    assert sample["size"] == 1100
    config = json.loads(archive.read("config.json"))
    assert config["campaign"]["seed"] == campaign.seed
    assert config["campaign"]["public_weight"] == 0.3
    assert [d["code"] for d in config["departments"] if d["eligible"]] == list("ABCDE")
    assert {d["code"]: d["population"] for d in config["districts"]} == {
        "IS": 67104, "KT": 247592, "ST": 246425}
    assert {(c["round"], c["code"]): (c["weight"], c["max"]) for c in config["criteria"]} == {
        ("preliminary", "pledges"): (0.5, 100), ("preliminary", "service"): (0.5, 100),
        ("final", "overall"): (1.0, 100)}
    assert [a["name_en"] for a in config["awards"]] == ["Grand Award", "Gold Award"]
    assert config["judges"] == ["J01", "J02", "J03"]


def test_scores_are_pseudonymised_and_complete(bundle):
    table = rows(open_zip(bundle.data), "scores.csv")
    assert table[0] == ["round", "judge", "department", "criterion", "score"]
    assert {r[1] for r in table[1:]} == {"J01", "J02", "J03"}
    assert len(table) - 1 == 12 * 2 + 9
    assert ["preliminary", "J01", "A", "pledges", "80"] in table
    assert not any(r[1] == "J01" and r[2] == "E" for r in table[1:])  # conflicted
    assert table[1:] == sorted(table[1:])
    assert b"j1" not in open_zip(bundle.data).read("scores.csv")


def test_results_and_audit_log(bundle, published):
    from awards.results.versions import current_published

    archive = open_zip(bundle.data)
    results = json.loads(archive.read("results.json"))
    assert results == json.loads(current_published(published.campaign).results_json)
    lines = archive.read("audit_log.jsonl").decode().splitlines()
    events = [json.loads(line) for line in lines]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert all(set(e) == {"seq", "at", "actor", "action", "subject", "data", "prev", "hash"}
               for e in events)
    published_event = [e for e in events if e["action"] == "published"][-1]
    assert published_event["data"] == {
        "version": 2, "inputs_digest": results["inputs_digest"],
        "public_key": published.campaign.signing_public_key}
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["audit_head"] == {"seq": events[-1]["seq"], "hash": events[-1]["hash"]}


def test_no_bundle_before_publication(final_judging_campaign):
    with pytest.raises(BundleError, match="is not published: publish it before exporting"):
        build_bundle(final_judging_campaign.campaign)


def test_export_command_writes_a_verified_bundle_and_records_it(published, runner, tmp_path):
    out = tmp_path / "out" / "bundle.zip"
    result = cli(runner, "export", "csea-worked", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    assert "checking the bundle with the offline verifier" in result.stderr
    assert f"python -m awards.audit.verify {out} --public-key " in result.stderr
    key = published.campaign.signing_public_key
    assert verify_bundle(out.read_bytes(), key) == []
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.chain == "csea-worked").order_by(AuditEvent.seq.desc())).first()
    assert event.action == "bundle_exported"
    manifest = open_zip(out.read_bytes()).read("manifest.json")
    assert json.loads(event.data) == {"version": 2,
                                      "manifest_sha256": hashlib.sha256(manifest).hexdigest()}


def test_export_command_refuses_an_existing_file(published, runner, tmp_path):
    out = tmp_path / "bundle.zip"
    out.write_bytes(b"an earlier export")
    result = cli(runner, "export", "csea-worked", "--out", str(out))
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        (f"error: {out} already exists: choose another path (an export never overwrites "
         "a file)")]
    assert out.read_bytes() == b"an earlier export"
    assert db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "bundle_exported")) is None


def test_export_command_writes_atomically(published, runner, tmp_path, monkeypatch):
    """The bundle goes to a temporary file beside --out, then is renamed into place: a
    failure leaves neither a partial bundle nor the temporary file, and no export event."""
    from awards.publication import bundle as bundle_module

    renames = []
    real_replace = bundle_module.os.replace

    def replace(source, target):
        renames.append((Path(source).parent, Path(target)))
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(bundle_module.os, "replace", replace)
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "bundle.zip"
    result = cli(runner, "export", "csea-worked", "--out", str(out), "--no-check")
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        f"error: cannot write {out}: No space left on device"]
    assert renames[-1] == (folder, out)
    assert list(folder.iterdir()) == []
    assert db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "bundle_exported")) is None
    monkeypatch.setattr(bundle_module.os, "replace", real_replace)
    result = cli(runner, "export", "csea-worked", "--out", str(out), "--no-check")
    assert result.exit_code == 0, result.stderr
    assert [f.name for f in folder.iterdir()] == ["bundle.zip"]


def test_export_command_reports_an_unwritable_path_on_one_line(published, runner, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be")
    out = blocker / "bundle.zip"
    result = cli(runner, "export", "csea-worked", "--out", str(out), "--no-check")
    assert result.exit_code == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"error: cannot write {out}: ")


def test_export_before_publication_fails_with_one_line(final_judging_campaign, runner,
                                                       tmp_path):
    out = tmp_path / "bundle.zip"
    result = cli(runner, "export", "csea-worked", "--out", str(out))
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        ("error: 'csea-worked' is not published: publish it before exporting the audit "
         "bundle (flask awards publish SLUG)")]
    assert not out.exists()


def test_export_of_an_unknown_campaign(app, runner, tmp_path):
    result = cli(runner, "export", "nope", "--out", str(tmp_path / "b.zip"))
    assert result.exit_code == 1 and "no campaign 'nope'" in result.stderr


def test_data_changed_after_publication_blocks_the_bundle(published):
    """Frozen data are refused by the services; a change made around them is caught."""
    from awards.models import Score

    score = db.session.scalars(select(Score)).first()
    score.value = score.value - 1 if score.value else 1
    db.session.commit()
    with pytest.raises(BundleError, match="changed after results version 2 was published"):
        build_bundle(published.campaign)
