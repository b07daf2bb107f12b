"""Any change to any file of the bundle makes verification fail, with a message that names
what is wrong (SPEC section 7).

Each file mutation runs twice: as is (the manifest hash catches it) and *resealed* — the
manifest updated and re-signed with the campaign's real key, as an insider holding the key
would — so that the verifier's own checks (tables, hash chain, recomputed results) must
catch it by name.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from awards.audit.chain import event_hash
from awards.audit.verify import compare, recompute_bundle, verify_bundle
from awards.publication.bundle import ZIP_ORDER, json_bytes

Change = Callable[[bytes], bytes]


def lines_of(data: bytes) -> list[str]:
    return data.decode().splitlines(keepends=True)


def edit_lines(edit: Callable[[list[str]], list[str]]) -> Change:
    return lambda data: "".join(edit(lines_of(data))).encode()


def replace_once(old: str, new: str) -> Change:
    def change(data: bytes) -> bytes:
        text = data.decode()
        assert old in text, f"{old!r} not in the file"
        return text.replace(old, new, 1).encode()
    return change


def edit_json(edit: Callable[[dict], None]) -> Change:
    def change(data: bytes) -> bytes:
        document = json.loads(data)
        edit(document)
        return json_bytes(document)
    return change


def set_path(path: tuple, value) -> Callable[[dict], None]:
    def edit(document):
        target = document
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return edit


def rezip(data: bytes, replace: dict[str, bytes | None] | None = None,
          extra: dict[str, bytes] | None = None) -> bytes:
    """The zip with files replaced or removed (None) — manifest and signature untouched."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in source.namelist():
            content = (replace or {}).get(name, source.read(name))
            if content is not None:
                archive.writestr(name, content)
        for name, content in (extra or {}).items():
            archive.writestr(name, content)
    return out.getvalue()


def swap(i: int, j: int) -> Callable[[list[str]], list[str]]:
    def edit(lines):
        lines = list(lines)
        lines[i], lines[j] = lines[j], lines[i]
        return lines
    return edit


def forge_chain(edit: Callable[[list[dict]], None]) -> Change:
    """Edit events and recompute every hash after them: a consistent forged chain."""
    def change(data: bytes) -> bytes:
        events = [json.loads(line) for line in data.decode().splitlines()]
        edit(events)
        prev = "0" * 64
        for event in events:
            event["prev"] = prev
            event["hash"] = event_hash(event)
            prev = event["hash"]
        return "".join(json.dumps(e, sort_keys=True, separators=(",", ":"),
                                  ensure_ascii=False) + "\n" for e in events).encode()
    return change


def event_data(seq: int, key: str, value) -> Callable[[list[dict]], None]:
    def edit(events):
        events[seq - 1]["data"][key] = value
    return edit


def first_ballot(lines: list[str]) -> list[str]:
    return lines[1].rstrip("\n").split(",")


def change_first_choice(lines: list[str]) -> list[str]:
    """A ballot naming only A now names only C."""
    lines = list(lines)
    for index, line in enumerate(lines[1:], start=1):
        fields = line.rstrip("\n").split(",")
        if fields[2] == "A":
            fields[2] = "C"
            lines[index] = ",".join(fields) + "\n"
            return lines
    raise AssertionError("no ballot for A alone")


def set_field(row: int, column: int, value: str) -> Callable[[list[str]], list[str]]:
    def edit(lines):
        lines = list(lines)
        fields = lines[row].rstrip("\n").split(",")
        fields[column] = value
        lines[row] = ",".join(fields) + "\n"
        return lines
    return edit


# (id, file, change, message expected from the resealed bundle)
FILE_MUTATIONS = [
    ("ballot deleted", "ballots.csv", edit_lines(lambda ls: ls[:5] + ls[6:]),
     "districts.csv: line"),
    ("ballot duplicated", "ballots.csv", edit_lines(lambda ls: ls[:6] + ls[5:]),
     "ballot id repeats line 6"),
    ("ballot added", "ballots.csv",
     edit_lines(lambda ls: ls + ["ZZZZZZZZZZZZZZZZ,KT,A,web,valid\n"]),
     "0 web ballots in ballots.csv"),
    ("ballot district changed", "ballots.csv",
     edit_lines(lambda ls: [ls[0], ls[1].replace(",KT,", ",IS,").replace(",ST,", ",IS,")
                            if ",IS," not in ls[1] else ls[1].replace(",IS,", ",KT,"),
                            *ls[2:]]),
     "districts.csv: line"),
    ("choice changed", "ballots.csv", edit_lines(change_first_choice),
     "results.json: public.departments[department=A].count published"),
    ("choice added", "ballots.csv", edit_lines(set_field(1, 2, "A;B;C;D")),
     "more than max_choices 3"),
    ("unknown department", "ballots.csv", edit_lines(set_field(1, 2, "Z")),
     "Z is not an eligible department"),
    ("choices unsorted", "ballots.csv", edit_lines(set_field(1, 2, "E;D")),
     "choices must be distinct and sorted"),
    ("web ballot made spoilt", "ballots.csv",
     edit_lines(lambda ls: [ls[0], ",".join(first_ballot(ls)[:2] + ["", "web", "spoilt"])
                            + "\n", *ls[2:]]),
     "only paper returns can be spoilt"),
    ("ballots reordered", "ballots.csv", edit_lines(swap(3, 4)), "not in ballot id order"),
    ("ballot id malformed", "ballots.csv",
     edit_lines(lambda ls: [ls[0], "I" + ls[1][1:], *ls[2:]]),
     "a ballot id is 16 Crockford base32 symbols"),
    ("score altered", "scores.csv",
     replace_once("preliminary,J01,A,overall,79", "preliminary,J01,A,overall,89"),
     "results.json: judges.preliminary.scores.A published"),
    ("final score altered", "scores.csv",
     replace_once("final,J02,B,overall,80", "final,J02,B,overall,81"),
     "results.json: final[department=B].score published"),
    ("score added", "scores.csv",
     edit_lines(lambda ls: ls + ["preliminary,J02,B,overall,95\n"]),
     "results.json: judges.preliminary.effects.J02 published"),
    ("score removed", "scores.csv",
     edit_lines(lambda ls: [l for l in ls if l != "preliminary,J03,A,overall,61\n"]),
     "results.json: judges.preliminary.scores.A published"),
    ("score removed below the minimum", "scores.csv",
     edit_lines(lambda ls: [l for l in ls if l != "preliminary,J03,E,overall,56\n"]),
     ("results.json: cannot be recomputed from the bundle: preliminary: departments E have "
      "fewer than 2 complete scorecards")),
    ("score out of range", "scores.csv",
     replace_once("preliminary,J01,A,overall,79", "preliminary,J01,A,overall,179"),
     "score '179' is not a whole number in 0..100"),
    ("score by unknown judge", "scores.csv",
     replace_once("preliminary,J01,A,overall,79", "preliminary,J09,A,overall,79"),
     "judge 'J09' is not on the panel"),
    ("public weight changed", "config.json",
     edit_json(set_path(("campaign", "public_weight"), 0.4)),
     "results.json: preliminary[department=B].combined published"),
    ("seed changed", "config.json",
     edit_json(set_path(("campaign", "seed"), "another seed")),
     "results.json: seed published"),
    ("population changed", "config.json",
     edit_json(lambda d: d["districts"][0].update(households=70000, population=70000)),
     "districts.csv: line 3 (district KT): households is 247592, config.json gives 70000"),
    ("department made ineligible", "config.json",
     edit_json(lambda d: d["departments"][4].update(eligible=False)),
     "E is not an eligible department"),
    ("district households edited", "districts.csv",
     replace_once("IS,67104,", "IS,67105,"),
     "districts.csv: line 2 (district IS): households is 67105, config.json gives 67104"),
    ("district valid edited", "districts.csv", replace_once(",300,300,0", ",301,301,0"),
     "returned is 301, ballots.csv gives 300"),
    ("codes used edited", "codes.csv",
     edit_lines(lambda ls: [ls[0], *[",".join(
         f.split(",")[:2] + [str(int(f.split(",")[2]) - 1)] + f.split(",")[3:])
         for f in ls[1:2]], *ls[2:]]),
     "codes used on the web but"),
    ("allocation edited", "sample.json",
     edit_json(lambda d: d["allocation"].update(IS=d["allocation"]["IS"] + 1,
                                                KT=d["allocation"]["KT"] - 1)),
     "is not the largest-remainder allocation of 2000"),
    ("sample seed edited", "sample.json", edit_json(set_path(("seed",), "x" * 20)),
     "sample.json: seed 'xxxxxxxxxxxxxxxxxxxx' differs from config.json"),
    ("audit log reordered", "audit_log.jsonl", edit_lines(swap(2, 3)),
     "audit_log.jsonl: line 3: expected event 3, found event 4"),
    ("audit event edited", "audit_log.jsonl",
     edit_lines(lambda ls: [*ls[:1], ls[1].replace('"olivia"', '"mallory"'), *ls[2:]]),
     "audit_log.jsonl: line 2: event 2 (frame_imported) was altered (hash mismatch)"),
    ("audit event removed", "audit_log.jsonl", edit_lines(lambda ls: ls[:2] + ls[3:]),
     "audit_log.jsonl: line 3: expected event 3, found event 4"),
    ("audit log truncated mid-line", "audit_log.jsonl", lambda data: data[:-10],
     "audit_log.jsonl: the last line is not terminated"),
    ("audit log cut before publication", "audit_log.jsonl",
     edit_lines(lambda ls: ls[:5]),
     "audit_log.jsonl: no 'published' event for result version 1"),
    ("audit chain forged: seed", "audit_log.jsonl",
     forge_chain(event_data(3, "seed", "a forged seed of 20+ chars")),
     "audit_log.jsonl: event 3 recorded seed 'a forged seed of 20+ chars'"),
    ("audit chain forged: published digest", "audit_log.jsonl",
     forge_chain(event_data(6, "inputs_digest", "f" * 64)),
     "audit_log.jsonl: event 6 published inputs digest ffff"),
    ("results digest edited", "results.json",
     edit_json(set_path(("inputs_digest",), "0" * 64)),
     "is not the digest of the bundle's inputs"),
    ("results extra key", "results.json", edit_json(set_path(("note",), "trust me")),
     "results.json: note is published but is not part of the results"),
    ("results key removed", "results.json", edit_json(lambda d: d.pop("cut_gap")),
     "results.json: cut_gap is missing"),
]


@pytest.mark.parametrize("case, name, change, message", FILE_MUTATIONS,
                         ids=[m[0] for m in FILE_MUTATIONS])
def test_changed_file_fails_its_manifest_hash(worked_bundle, case, name, change, message):
    original = zipfile.ZipFile(io.BytesIO(worked_bundle.zip())).read(name)
    tampered = rezip(worked_bundle.zip(), {name: change(original)})
    problems = verify_bundle(tampered, worked_bundle.public_key)
    assert f"manifest.json: SHA-256 of {name} does not match (the file was changed)" \
        in problems


@pytest.mark.parametrize("case, name, change, message", FILE_MUTATIONS,
                         ids=[m[0] for m in FILE_MUTATIONS])
def test_resealed_change_is_named(worked_bundle, case, name, change, message):
    problems = verify_bundle(worked_bundle.reseal(name, change), worked_bundle.public_key)
    assert problems, "a resealed change went unnoticed"
    assert not any("SHA-256" in p or "manifest.sig" in p for p in problems)
    assert any(message in p for p in problems), "\n".join(problems)


# ---------------------------------------------------------------- results.json, path by path

RESULT_PATHS = [
    ("campaign",), ("spec",), ("seed",),
    ("public", "returned"), ("public", "valid"), ("public", "spoilt"), ("public", "deff"),
    ("public", "n_eff"), ("public", "districts", 0, "households"),
    ("public", "districts", 1, "valid"), ("public", "districts", 2, "district"),
    ("public", "departments", 0, "count"), ("public", "departments", 0, "share"),
    ("public", "departments", 1, "weighted_share"), ("public", "departments", 2, "se"),
    ("public", "departments", 3, "ci95", 0), ("public", "departments", 4, "ci95", 1),
    ("public", "departments", 0, "p_finalist"),
    ("public", "departments", 0, "p_best_public_image"),
    ("public", "departments", 2, "rank95", 0), ("public", "departments", 3, "rank95", 1),
    ("judges", "method"), ("judges", "preliminary", "scores", "B"),
    ("judges", "preliminary", "effects", "J03"), ("judges", "preliminary", "raw_means", "C"),
    ("judges", "final", "scores", "D"), ("judges", "final", "effects", "J01"),
    ("judges", "final", "raw_means", "A"),
    ("preliminary", 0, "department"), ("preliminary", 0, "public_z"),
    ("preliminary", 1, "judge_z"), ("preliminary", 2, "combined"),
    ("preliminary", 3, "display"), ("preliminary", 4, "rank"), ("preliminary", 2, "finalist"),
    ("preliminary", 3, "finalist"), ("finalists", 2), ("cut_gap",), ("best_public_image",),
    ("best_public_image_conclusive",), ("final", 0, "department"), ("final", 0, "score"),
    ("final", 1, "median"), ("final", 2, "rank"), ("final", 1, "award"),
    ("sensitivity", "methods", 0, "finalists", 0), ("sensitivity", "methods", 2, "differs"),
    ("sensitivity", "methods", 4, "set_differs"),
    ("sensitivity", "public_weights", 3, "public_weight"),
    ("sensitivity", "public_weights", 0, "finalists", 1),
    ("warnings", 0, "department"), ("warnings", 0, "p_best_public_image"),
]


def get_path(document, path):
    for key in path:
        document = document[key]
    return document


def mutated(value):
    """A different value of the same kind."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value * 1.001 + 1e-6
    if isinstance(value, str):
        return {"A": "C", "B": "E", "C": "A", "D": "B", "E": "A"}.get(value, value + "x")
    raise AssertionError(f"unexpected value {value!r}")


def json_path(path: tuple) -> str:
    return "/".join(str(p) for p in path)


@pytest.mark.parametrize("path", RESULT_PATHS, ids=[json_path(p) for p in RESULT_PATHS])
def test_changed_result_figure_is_named(worked_bundle, path):
    original = get_path(worked_bundle.results, path)
    problems = verify_bundle(worked_bundle.reseal(
        "results.json", edit_json(set_path(path, mutated(original)))),
        worked_bundle.public_key)
    leaf = path[-1]
    token = f"[{leaf}] published" if isinstance(leaf, int) else f".{leaf} published"
    assert any(p.startswith("results.json: ") and (token in p or len(path) == 1 and
                                                   p.startswith(f"results.json: {leaf} "))
               for p in problems), "\n".join(problems)


def leaves(document, prefix=()):
    if isinstance(document, dict):
        for key, value in document.items():
            yield from leaves(value, (*prefix, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from leaves(value, (*prefix, index))
    elif document is not None:
        yield prefix, document


def test_every_figure_of_results_json_is_compared(worked_bundle):
    """Each leaf of results.json, changed alone, is reported (all ~200 of them, through the
    verifier's comparison with its own recomputation)."""
    expected = recompute_bundle(worked_bundle.zip())
    published = worked_bundle.results
    checked = 0
    for path, value in leaves(published):
        if path[0] == "warnings" and path[-1] == "message":
            continue  # wording is not recomputed (the signature covers it)
        if path[0] == "sensitivity" and path[-1] == "error":
            continue
        copy = json.loads(json.dumps(published))
        set_path(path, mutated(value))(copy)
        reports: list[str] = []
        compare(copy, expected, "", lambda where, _message, found=reports: found.append(where),
                lambda *_: False)
        assert reports, f"changing {json_path(path)} went unnoticed"
        checked += 1
    assert checked > 150


# ---------------------------------------------------------------- manifest, signature, key


def signed_parts(worked_bundle) -> dict[str, bytes]:
    archive = zipfile.ZipFile(io.BytesIO(worked_bundle.zip()))
    return {name: archive.read(name) for name in archive.namelist()}


def test_edited_manifest_fails_the_signature(worked_bundle):
    parts = signed_parts(worked_bundle)
    manifest = parts["manifest.json"].replace(b'"app_version": "test"', b'"app_version": "9"')
    problems = verify_bundle(rezip(worked_bundle.zip(), {"manifest.json": manifest}),
                             worked_bundle.public_key)
    assert problems == [("manifest.sig: the signature of manifest.json does not verify with "
                         f"public key {worked_bundle.public_key}")]


def test_manifest_hash_edited_to_match_a_changed_file_fails_the_signature(worked_bundle):
    import hashlib

    parts = signed_parts(worked_bundle)
    scores = parts["scores.csv"].replace(b"preliminary,J01,A,overall,79",
                                         b"preliminary,J01,A,overall,99")
    manifest = json.loads(parts["manifest.json"])
    for item in manifest["files"]:
        if item["name"] == "scores.csv":
            item["sha256"] = hashlib.sha256(scores).hexdigest()
    problems = verify_bundle(rezip(worked_bundle.zip(), {
        "scores.csv": scores, "manifest.json": json_bytes(manifest)}))
    assert any(p.startswith("manifest.sig: the signature of manifest.json does not verify")
               for p in problems)
    assert any(p.startswith("results.json: judges.preliminary.scores.A") for p in problems)


@pytest.mark.parametrize("signature, message", [
    (b"", "must hold exactly 128 lowercase hex characters"),
    (b"00" * 64, "does not verify with public key"),
    (b"zz" * 64, "must hold exactly 128 lowercase hex characters"),
    (None, "does not verify with public key"),  # a valid signature of other bytes
])
def test_replaced_signature_is_rejected(worked_bundle, signature, message):
    if signature is None:
        signature = worked_bundle.key.sign(b"another manifest").hex().encode()
    problems = verify_bundle(rezip(worked_bundle.zip(), {"manifest.sig": signature}),
                             worked_bundle.public_key)
    assert len(problems) == 1 and problems[0].startswith("manifest.sig: ")
    assert message in problems[0]


@pytest.mark.parametrize("suffix", [b"\n", b"\r\n", b" "])
def test_genuine_signature_with_trailing_bytes_is_rejected(worked_bundle, suffix):
    """The right signature plus a newline is not "exactly 128 hex characters": a pattern
    ending in ``$`` would let the newline through (and ``bytes.fromhex`` skip it)."""
    signature = signed_parts(worked_bundle)["manifest.sig"]
    problems = verify_bundle(rezip(worked_bundle.zip(), {"manifest.sig": signature + suffix}),
                             worked_bundle.public_key)
    assert problems == ["manifest.sig: must hold exactly 128 lowercase hex characters (the "
                        "64-byte Ed25519 signature)"]


def test_manifest_key_with_a_trailing_newline_is_rejected(worked_bundle):
    parts = signed_parts(worked_bundle)
    key = worked_bundle.public_key
    manifest = parts["manifest.json"].replace(f'"{key}"'.encode(), f'"{key}\\n"'.encode())
    assert manifest != parts["manifest.json"]
    signature = worked_bundle.key.sign(manifest).hex().encode()
    problems = verify_bundle(rezip(worked_bundle.zip(), {"manifest.json": manifest,
                                                         "manifest.sig": signature}))
    assert "manifest.json: public_key must be 64 lowercase hex characters" in problems


def test_bit_flipped_signature_is_rejected(worked_bundle):
    signature = bytearray(signed_parts(worked_bundle)["manifest.sig"])
    signature[10] = ord("0") if signature[10] != ord("0") else ord("1")
    problems = verify_bundle(rezip(worked_bundle.zip(), {"manifest.sig": bytes(signature)}))
    assert problems == [("manifest.sig: the signature of manifest.json does not verify with "
                         f"public key {worked_bundle.public_key}")]


def test_replaced_key_is_caught_by_the_audit_log(worked_bundle):
    """Re-signed with another key and that key put in the manifest: the key recorded at
    publication in the (hash-chained) audit log differs."""
    other = Ed25519PrivateKey.generate()
    data = worked_bundle.zip(key=other)
    problems = verify_bundle(data)
    assert len(problems) == 1
    assert problems[0].startswith("audit_log.jsonl: event 6 recorded public key "
                                  f"{worked_bundle.public_key}, the bundle is checked with ")


def test_replaced_key_is_caught_by_the_expected_key(worked_bundle):
    other = Ed25519PrivateKey.generate()
    problems = verify_bundle(worked_bundle.zip(key=other), worked_bundle.public_key)
    assert any(p.startswith("manifest.json: public key ") and
               f"is not the expected key {worked_bundle.public_key}" in p for p in problems)
    assert any(p.startswith("manifest.sig: the signature of manifest.json does not verify")
               for p in problems)


# ---------------------------------------------------------------- files


def test_added_file_is_rejected(worked_bundle):
    problems = verify_bundle(rezip(worked_bundle.zip(), extra={"extra.txt": b"hello"}),
                             worked_bundle.public_key)
    assert problems == ["bundle: unexpected file extra.txt"]


@pytest.mark.parametrize("name", ZIP_ORDER)
def test_removed_file_is_rejected(worked_bundle, name):
    problems = verify_bundle(rezip(worked_bundle.zip(), {name: None}),
                             worked_bundle.public_key)
    assert f"bundle: missing file {name}" in problems


def test_file_twice_in_the_zip_is_rejected(worked_bundle):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name
        data = rezip(worked_bundle.zip(), extra={"ballots.csv": b"ballot_id\n"})
    problems = verify_bundle(data, worked_bundle.public_key)
    assert "bundle: ballots.csv is in the zip more than once" in problems


def test_resealed_bundle_listing_an_extra_file_is_rejected(worked_bundle):
    files = dict(worked_bundle.files)
    data = worked_bundle.zip(files)
    archive = zipfile.ZipFile(io.BytesIO(data))
    manifest = json.loads(archive.read("manifest.json"))
    manifest["files"].append({"name": "notes.txt", "sha256": "0" * 64, "bytes": 0})
    body = json_bytes(manifest)
    problems = verify_bundle(rezip(data, {
        "manifest.json": body,
        "manifest.sig": worked_bundle.key.sign(body).hex().encode()}),
        worked_bundle.public_key)
    assert problems == ["manifest.json: lists unexpected file notes.txt"]
