"""The offline verifier (SPEC section 7): Ed25519 per RFC 8032, the SPEC 6 worked example
recomputed independently, a campaign run through the application, the command line."""

from __future__ import annotations

import ast
import hashlib
import io
import json
import sys
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from awards.audit import verify
from awards.audit.verify import ed25519_verify, recompute_bundle, verify_bundle
from awards.publication.signing import raw_public_key

from ..scoring.test_worked_example import (
    DEFF_TOL,
    JUDGE_TOL,
    SHARE_TOL,
    TABLE,
)
from ..scoring.worked_example import DEPARTMENTS

VERIFY_PY = Path(verify.__file__)

# RFC 8032 section 7.1, tests 1-3: (secret key, public key, message, signature).
RFC8032 = [
    ("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     ("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
      "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")),
    ("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     ("92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
      "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00")),
    ("c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     ("6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
      "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a")),
]


# --------------------------------------------------------------------------- Ed25519


@pytest.mark.parametrize("secret, public, message, signature", RFC8032)
def test_rfc8032_vectors_verify(secret, public, message, signature):
    assert ed25519_verify(bytes.fromhex(public), bytes.fromhex(message),
                          bytes.fromhex(signature))


@pytest.mark.parametrize("secret, public, message, signature", RFC8032)
def test_rfc8032_vectors_match_cryptography(secret, public, message, signature):
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(secret))
    assert raw_public_key(key).hex() == public
    assert key.sign(bytes.fromhex(message)).hex() == signature


@pytest.mark.parametrize("secret, public, message, signature", RFC8032)
def test_any_changed_bit_is_rejected(secret, public, message, signature):
    pub, msg, sig = bytes.fromhex(public), bytes.fromhex(message), bytes.fromhex(signature)
    assert not ed25519_verify(pub, msg + b"\x00", sig)
    for index in (0, 31, 32, 63):
        bad = bytearray(sig)
        bad[index] ^= 0x01
        assert not ed25519_verify(pub, msg, bytes(bad))
    bad_key = bytearray(pub)
    bad_key[5] ^= 0x10
    assert not ed25519_verify(bytes(bad_key), msg, sig)


def test_malleable_and_malformed_signatures_are_rejected():
    _secret, public, _message, signature = RFC8032[0]
    sig = bytes.fromhex(signature)
    s = int.from_bytes(sig[32:], "little")
    malleated = sig[:32] + (s + verify._L).to_bytes(32, "little")
    assert not ed25519_verify(bytes.fromhex(public), b"", malleated)
    assert not ed25519_verify(bytes.fromhex(public), b"", sig[:63])
    non_canonical = (2**255 - 1).to_bytes(32, "little")  # y >= p
    assert not ed25519_verify(non_canonical, b"", sig)


@pytest.mark.parametrize("size", [0, 1, 31, 64, 1000, 100_000])
def test_signatures_made_by_cryptography_verify(size):
    key = Ed25519PrivateKey.generate()
    message = hashlib.sha512(str(size).encode()).digest() * (size // 64 + 1)
    message = message[:size]
    signature = key.sign(message)
    public = raw_public_key(key)
    assert ed25519_verify(public, message, signature)
    assert not ed25519_verify(public, message + b"!", signature)
    other = raw_public_key(Ed25519PrivateKey.generate())
    assert not ed25519_verify(other, message, signature)


# --------------------------------------------------------------------------- independence


def test_verifier_imports_only_the_standard_library_and_numpy():
    tree = ast.parse(VERIFY_PY.read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "no relative imports"
            imported.add(node.module.split(".")[0])
    outside = {name for name in imported
               if name not in sys.stdlib_module_names and name != "numpy"}
    assert outside == set()
    assert "awards" not in imported and "cryptography" not in imported


# --------------------------------------------------------------------------- worked example


def test_worked_example_bundle_is_verified(worked_bundle):
    data = worked_bundle.zip()
    assert verify_bundle(data) == []
    assert verify_bundle(data, worked_bundle.public_key) == []


@pytest.fixture(scope="module")
def recomputed(worked_bundle):
    return recompute_bundle(worked_bundle.zip())


@pytest.mark.parametrize("code", DEPARTMENTS)
def test_verifier_reproduces_the_worked_example_table(recomputed, code):
    """The verifier's own formulas give the SPEC 6 table (not only the engine's numbers)."""
    count, p, se, (lo, hi), judge, combined = TABLE[code]
    row = next(r for r in recomputed["public"]["departments"] if r["department"] == code)
    assert row["count"] == count
    assert row["weighted_share"] == pytest.approx(p, abs=SHARE_TOL)
    assert row["se"] == pytest.approx(se, abs=SHARE_TOL)
    assert row["ci95"] == pytest.approx([lo, hi], abs=SHARE_TOL)
    assert recomputed["judges"]["preliminary"]["scores"][code] == pytest.approx(
        judge, abs=JUDGE_TOL)
    prelim = next(r for r in recomputed["preliminary"] if r["department"] == code)
    assert prelim["combined"] == pytest.approx(combined, abs=JUDGE_TOL)


def test_verifier_reproduces_the_worked_example_outcome(recomputed):
    assert recomputed["judges"]["preliminary"]["effects"] == pytest.approx(
        {"J01": 7.7143, "J02": 0.2857, "J03": -8.0}, abs=JUDGE_TOL)
    assert recomputed["public"]["deff"] == pytest.approx(1.106232, abs=DEFF_TOL)
    assert recomputed["finalists"] == ["B", "A", "D"]
    assert recomputed["cut_gap"] == pytest.approx(0.7079, abs=JUDGE_TOL)
    assert [(r["department"], r["award"]) for r in recomputed["final"]] == [
        ("B", "Grand Award"), ("A", "Gold Award"), ("D", "Silver Award")]
    assert recomputed["best_public_image"] == "A"
    share = next(r["p_best_public_image"] for r in recomputed["public"]["departments"]
                 if r["department"] == "A")
    assert share == 0.8935  # SPEC 6, B = 2000
    assert recomputed["best_public_image_conclusive"] is False


def test_tie_break_hash_order_for_the_example_seed():
    from ..scoring.worked_example import SEED

    order = sorted(DEPARTMENTS, key=lambda c: verify.sha256_hex(f"{SEED}|tiebreak|{c}"))
    assert order == ["D", "C", "E", "B", "A"]


def test_allocation_matches_the_sampling_module():
    from awards.voting.sampling import allocate

    frame = {"KT": 247_592, "ST": 246_425, "IS": 67_104, "WC": 3, "YL": 3}
    for n in (0, 1, 2, 5, 99, 1000, 40_000):
        assert verify.allocate(n, frame) == allocate(n, frame)


# --------------------------------------------------------------------------- command line


def test_command_line_prints_verified(worked_bundle, tmp_path, capsys):
    path = tmp_path / "bundle.zip"
    path.write_bytes(worked_bundle.zip())
    assert verify.main([str(path), "--public-key", worked_bundle.public_key]) == 0
    assert capsys.readouterr() == ("VERIFIED\n", "")


def test_command_line_without_a_key_is_never_verified(worked_bundle, tmp_path, capsys):
    """Without --public-key the signature is checked with the manifest's own key, which a
    forger can replace: everything is checked, stdout says the key was not pinned, and the
    exit status is 3, never 0 (SPEC 7)."""
    path = tmp_path / "bundle.zip"
    path.write_bytes(worked_bundle.zip())
    assert verify.main([str(path)]) == 3
    out, err = capsys.readouterr()
    assert "VERIFIED" not in out.splitlines() and err == ""
    assert out.splitlines() == [
        f"KEY NOT PINNED: the signature was checked only against the public key in "
        f"manifest.json ({worked_bundle.public_key}), which whoever made the bundle chose; "
        "run again with --public-key KEY, the key published on the campaign's verification "
        "page"]


def test_a_bundle_re_signed_with_another_key_is_not_verified(worked_bundle, tmp_path,
                                                             capsys):
    """A forger rebuilds every file (other figures, its own key in the manifest and in the
    audit log's ``published`` event) and signs: consistent in itself, so without a pinned
    key nothing is wrong but the key, and the verifier must not say VERIFIED."""
    from .conftest import build_worked_bundle

    forged = build_worked_bundle(bootstrap=50)
    assert forged.public_key != worked_bundle.public_key
    path = tmp_path / "bundle.zip"
    path.write_bytes(forged.zip())
    assert verify.main([str(path)]) == 3
    out = capsys.readouterr().out
    assert "VERIFIED" not in out.splitlines() and out.startswith("KEY NOT PINNED")
    assert forged.public_key in out and worked_bundle.public_key not in out
    assert verify.main([str(path), "--public-key", worked_bundle.public_key]) == 1
    out, err = capsys.readouterr()
    assert "is not the expected key" in out and "KEY NOT PINNED" not in out and err == ""


def test_command_line_lists_discrepancies_and_exits_1(worked_bundle, tmp_path, capsys):
    path = tmp_path / "bundle.zip"
    path.write_bytes(worked_bundle.reseal("scores.csv", lambda b: b.replace(
        b"preliminary,J01,A,overall,79", b"preliminary,J01,A,overall,80")))
    for key in ([], ["--public-key", worked_bundle.public_key]):
        assert verify.main([str(path), *key]) == 1
        out = capsys.readouterr().out.splitlines()
        assert "VERIFIED" not in out
        assert any(line.startswith("results.json: judges.preliminary.scores.A published")
                   for line in out)
        assert any(line.startswith("KEY NOT PINNED") for line in out) == (not key)


def test_a_bundle_of_another_spec_version_is_refused(worked_bundle, tmp_path, capsys):
    """A correctly signed bundle of another spec version (other formulas) is refused
    in one clear line, not answered with a list of bootstrap discrepancies."""
    from .test_verify_mutations import rezip, signed_parts

    manifest = signed_parts(worked_bundle)["manifest.json"].replace(
        b'"spec": "awards-scoring/2"', b'"spec": "awards-scoring/3"')
    assert b"awards-scoring/3" in manifest
    signature = worked_bundle.key.sign(manifest).hex().encode()
    path = tmp_path / "old.zip"
    path.write_bytes(rezip(worked_bundle.zip(), {"manifest.json": manifest,
                                                 "manifest.sig": signature}))
    assert verify.main([str(path), "--public-key", worked_bundle.public_key]) == 1
    assert capsys.readouterr().out == (
        "manifest.json: the bundle was made under scoring spec 'awards-scoring/3'; this "
        "verifier checks 'awards-scoring/2' only and refuses other versions: use the "
        "verifier of that version\n")


def test_command_line_on_a_file_that_is_not_a_zip(tmp_path, capsys):
    path = tmp_path / "bundle.zip"
    path.write_bytes(b"not a zip")
    assert verify.main([str(path)]) == 1
    assert "cannot open as a zip file" in capsys.readouterr().out
    assert verify.main([str(tmp_path / "missing.zip")]) == 1
    assert "cannot read" in capsys.readouterr().out


def test_a_malformed_public_key_argument_is_reported(worked_bundle):
    problems = verify_bundle(worked_bundle.zip(), "not-a-key")
    assert "--public-key: must be 64 hex characters (a raw Ed25519 key)" in problems


# --------------------------------------------------------------------------- the application


def test_campaign_published_through_the_app_verifies(published_via_services):
    from awards.publication.bundle import build_bundle

    campaign = published_via_services.campaign
    bundle = build_bundle(campaign)
    assert verify_bundle(bundle.data, campaign.signing_public_key) == []
    results = json.loads(zipfile.ZipFile(io.BytesIO(bundle.data)).read("results.json"))
    assert results["finalists"] == ["B", "A", "D"]
    assert results["best_public_image"] == "A"
    assert (results["public"]["returned"], results["public"]["valid"],
            results["public"]["spoilt"]) == (1006, 1000, 6)
    recomputed = recompute_bundle(bundle.data)
    row = next(r for r in recomputed["public"]["departments"] if r["department"] == "A")
    assert row["weighted_share"] == pytest.approx(TABLE["A"][1], abs=SHARE_TOL)


def test_web_receipts_are_in_the_published_ballot_list(published):
    from awards.publication.bundle import build_bundle

    text = zipfile.ZipFile(io.BytesIO(build_bundle(published.campaign).data)).read(
        "ballots.csv").decode()
    ids = {line.split(",")[0] for line in text.splitlines()[1:]}
    assert published.web_ballots and set(published.web_ballots) <= ids


def test_figures_do_not_depend_on_numpys_generator(worked_bundle, monkeypatch):
    """SPEC 6.9: only the raw PCG64 stream is stable across NumPy versions. With every
    Generator entry point made to fail, the verifier still reproduces the bundle, and so
    does the engine."""
    import numpy as np

    from awards.scoring import compute_results

    from ..scoring.worked_example import example_config, example_public, example_scores

    def refuse(*_args, **_kwargs):
        raise AssertionError("a numpy Generator was used")

    for name in ("Generator", "default_rng", "RandomState"):
        monkeypatch.setattr(np.random, name, refuse)
    assert verify_bundle(worked_bundle.zip(), worked_bundle.public_key) == []
    results = compute_results(example_public(), example_scores(), example_config())
    assert results["public"]["departments"][0]["p_best_public_image"] == 0.8935


def test_zscore_of_a_judge_with_equal_scores_is_zero_in_the_verifier():
    """Five equal floats whose computed sd is 7.1e-15: the verifier, like the engine,
    decides "all equal" on the values (SPEC 6.4)."""
    import numpy as np

    from awards.scoring import JudgeScore
    from awards.scoring.judges import judge_scores

    noisy = 100 * 7 / 11
    assert np.full(5, noisy).std() > 0
    varied = {"A": 60.0, "B": 80.0, "C": 70.0, "D": 90.0, "E": 50.0}
    rows = [("J1", d, y) for d, y in varied.items()] + [("J9", d, noisy) for d in varied]
    scores, effects, _means = verify.judge_method_scores(rows, list(varied), "zscore",
                                                         "preliminary", 2)
    pooled = np.array(list(varied.values()) + [noisy] * 5)
    expected = [pooled.mean() + pooled.std() * (y - 70) / np.sqrt(200) / 2
                for y in varied.values()]
    assert scores == pytest.approx(expected, rel=1e-12) and effects == {}
    engine = judge_scores([JudgeScore("preliminary", j, d, y) for j, d, y in rows],
                          list(varied), "zscore")
    assert scores == pytest.approx(engine.scores.tolist(), rel=1e-12)
