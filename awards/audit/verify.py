"""Offline verifier of an audit bundle (SPEC section 7, spec version ``awards-scoring/2``).

Usage::

    python -m awards.audit.verify BUNDLE.zip [--public-key KEY]
    python verify.py BUNDLE.zip [--public-key KEY]        # a copy of this single file

This file depends only on the Python standard library and numpy: it imports nothing from
the ``awards`` package and no cryptography library, so an auditor can copy it alone into an
environment holding just numpy. It prints ``VERIFIED`` and exits 0, or prints every
discrepancy on its own line (each starting with the file it concerns) and exits 1.

The public key must come from outside the bundle (the campaign's verification page or its
published notice): whoever can change a bundle can also re-sign it with a key of their own
and put that key in ``manifest.json``. Without ``--public-key`` the verifier still checks
everything against the manifest's key, prints the discrepancies if any, then says on stdout
that the key was not pinned (line starting ``KEY NOT PINNED``) and exits 3 (1 when there
were discrepancies), never 0. A bundle of another scoring spec version is refused with one
line and exit status 1.

What it checks
--------------
1. **Files.** Exactly ``manifest.json``, ``manifest.sig`` and the eight files the manifest
   lists (``config.json``, ``districts.csv``, ``sample.json``, ``ballots.csv``,
   ``codes.csv``, ``scores.csv``, ``results.json``, ``audit_log.jsonl``); no file twice,
   none missing, none extra; each file's SHA-256 and size as in the manifest.
2. **Signature.** ``manifest.sig`` holds the Ed25519 signature (RFC 8032, implemented below
   in pure Python) over the exact bytes of ``manifest.json``, as 128 lowercase hex
   characters. The public key is the raw 32-byte key as 64 hex characters: taken from
   ``--public-key`` (the key shown on the campaign's public pages) or else, unpinned, from
   ``manifest.json``. It must also equal the key recorded in the audit log at publication.
3. **Audit log.** The hash chain ``hash = SHA256_hex(prev + canonical_json(event))`` from
   64 zeros, consecutive ``seq`` from 1, ending where the manifest says; the first bad event
   is named. The ``published`` event of this result version must carry the published
   ``inputs_digest`` and public key; seed, frame digest and allocation events must agree
   with ``sample.json``.
4. **Ballots and codes.** Ballot ids are 16 Crockford symbols, unique and sorted; every
   ballot is well-formed (valid: 1..max_choices distinct eligible departments, sorted;
   spoilt: a paper return naming nobody); ``districts.csv`` agrees with ``ballots.csv``
   and the configuration; per district, web and paper ballots equal the codes used on the
   web and on paper in ``codes.csv`` (so valid + spoilt = used codes).
5. **Sample.** The allocation is recomputed from the frame counts (SPEC 3, S1).
6. **Results.** Every figure of ``results.json`` is recomputed from ``config.json``,
   ``ballots.csv`` and ``scores.csv`` with the formulas of SPEC section 6, written anew in
   this file (including the bootstrap: the raw PCG64 stream and draw order of SPEC 6.9,
   never a numpy ``Generator``, whose output may change between numpy versions), and the
   ``inputs_digest`` is recomputed. Integers, codes and flags must be equal; floats equal
   within a relative tolerance of 1e-9. Only the wording of human-readable messages
   (warning texts, reasons a judge method could not be applied) is not compared.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import csv
import hashlib
import io
import json
import math
import re
import statistics
import sys
import zipfile
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

SPEC_VERSION = "awards-scoring/2"
UNPINNED = 3          # exit status: no discrepancy found, but the key was not pinned
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
LISTED_FILES = ("config.json", "districts.csv", "sample.json", "ballots.csv", "codes.csv",
                "scores.csv", "results.json", "audit_log.jsonl")
ALL_FILES = (MANIFEST, SIGNATURE, *LISTED_FILES)

REL_TOL = 1e-9        # floats of results.json: relative tolerance
ABS_TOL = 1e-12       # ... and an absolute floor for values that are mathematically zero
Z95 = 1.959964
FEW_BALLOTS = 30
CONCLUSIVE = 0.95
JUDGE_METHOD_NAMES = ("mean", "median", "trimmed", "zscore", "additive")
SENSITIVITY_WEIGHTS = (0.2, 0.3, 0.4, 0.5)
TRIM_FROM = 5
FINALIST = "Finalist"
GENESIS = "0" * 64
EVENT_FIELDS = ("seq", "at", "actor", "action", "subject", "data", "prev")
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# Used with fullmatch: "$" would also accept a trailing newline.
BALLOT_ID = re.compile(f"[{CROCKFORD}]{{16}}")
HEX64 = re.compile(r"[0-9a-f]{64}")
HEX128 = re.compile(r"[0-9a-f]{128}")

HEADERS = {
    "districts.csv": ["district", "households", "invited", "returned", "valid", "spoilt"],
    "ballots.csv": ["ballot_id", "district", "choices", "channel", "status"],
    "codes.csv": ["district", "issued", "used_web", "used_paper", "void"],
    "scores.csv": ["round", "judge", "department", "criterion", "score"],
}


# --------------------------------------------------------------------------- Ed25519
# RFC 8032 section 5.1, verification only, extended homogeneous coordinates (X:Y:Z:T)
# with x = X/Z, y = Y/Z, x*y = T/Z.

_P = 2**255 - 19
_L = 2**252 + 27742317777372353535851937790883648493
_D = -121665 * pow(121666, _P - 2, _P) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)


def _point_add(a: tuple, b: tuple) -> tuple:
    """Unified addition on the twisted Edwards curve (RFC 8032 5.1.4)."""
    x1, y1, z1, t1 = a
    x2, y2, z2, t2 = b
    aa = (y1 - x1) * (y2 - x2) % _P
    bb = (y1 + x1) * (y2 + x2) % _P
    cc = 2 * t1 * t2 * _D % _P
    dd = 2 * z1 * z2 % _P
    e, f, g, h = bb - aa, dd - cc, dd + cc, bb + aa
    return (e * f % _P, g * h % _P, f * g % _P, e * h % _P)


def _scalar_mult(scalar: int, point: tuple) -> tuple:
    result = (0, 1, 1, 0)  # neutral element
    while scalar:
        if scalar & 1:
            result = _point_add(result, point)
        point = _point_add(point, point)
        scalar >>= 1
    return result


def _points_equal(a: tuple, b: tuple) -> bool:
    return ((a[0] * b[2] - b[0] * a[2]) % _P == 0
            and (a[1] * b[2] - b[1] * a[2]) % _P == 0)


def _decode_point(data: bytes) -> tuple | None:
    """Decode a 32-byte point (RFC 8032 5.1.3); None if it is not on the curve."""
    if len(data) != 32:
        return None
    y = int.from_bytes(data, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    if y >= _P:
        return None
    x2 = (y * y - 1) * pow(_D * y * y + 1, _P - 2, _P) % _P
    if x2 == 0:
        if sign:
            return None
        return (0, y, 1, 0)
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P:
        x = x * _SQRT_M1 % _P
    if (x * x - x2) % _P:
        return None
    if x & 1 != sign:
        x = _P - x
    return (x, y, 1, x * y % _P)


_BASE_Y = 4 * pow(5, _P - 2, _P) % _P
_BASE = _decode_point(_BASE_Y.to_bytes(32, "little"))


def ed25519_verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """RFC 8032 5.1.7: accept iff ``[S]B = R + [SHA512(R‖A‖M)]A``.

    Parameters
    ----------
    public_key : bytes
        32 bytes (the encoded point A).
    message : bytes
    signature : bytes
        64 bytes: R (32) then S (32, little endian, below the group order L).
    """
    if len(public_key) != 32 or len(signature) != 64:
        return False
    a = _decode_point(public_key)
    r = _decode_point(signature[:32])
    if a is None or r is None:
        return False
    s = int.from_bytes(signature[32:], "little")
    if s >= _L:
        return False
    k = int.from_bytes(hashlib.sha512(signature[:32] + public_key + message).digest(),
                       "little") % _L
    return _points_equal(_scalar_mult(s, _BASE), _point_add(r, _scalar_mult(k, a)))


# --------------------------------------------------------------------------- helpers


def sha256_hex(text: str) -> str:
    """``H(s)``: lowercase hex SHA-256 of the UTF-8 bytes of ``s`` (SPEC 6)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def canonical_json(value: Any) -> str:
    """Keys sorted, separators ``(",", ":")``, no ASCII escaping (SPEC 7)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def parse_public_key(text: str) -> bytes | None:
    """A raw Ed25519 public key given as 64 hex characters (or base64 of 32 bytes)."""
    text = text.strip()
    if re.fullmatch(r"[0-9a-fA-F]{64}", text):
        return bytes.fromhex(text)
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == 32 else None


class Problems:
    """Collects discrepancies, one line each."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.lines.append(f"{where}: {message}")

    def __bool__(self) -> bool:
        return bool(self.lines)


class Unverifiable(Exception):
    """The results cannot be recomputed from the bundle (the reason is the message)."""


# --------------------------------------------------------------------------- reading


class Bundle:
    """The files of a bundle as bytes, with the file-level checks (SPEC 7)."""

    def __init__(self, source: str | bytes, problems: Problems) -> None:
        self.problems = problems
        self.files: dict[str, bytes] = {}
        try:
            archive = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes)
                                      else source)
        except (OSError, zipfile.BadZipFile) as exc:
            raise Unverifiable(f"bundle: cannot open as a zip file ({exc})") from None
        with archive:
            seen: set[str] = set()
            for info in archive.infolist():
                if info.filename in seen:
                    problems.add("bundle", f"{info.filename} is in the zip more than once")
                    continue
                seen.add(info.filename)
                if info.filename not in ALL_FILES:
                    problems.add("bundle", f"unexpected file {info.filename}")
                    continue
                try:
                    self.files[info.filename] = archive.read(info)
                except (zipfile.BadZipFile, OSError, ValueError) as exc:
                    problems.add(info.filename, f"cannot be read from the zip ({exc})")
        for name in ALL_FILES:
            if name not in seen:
                problems.add("bundle", f"missing file {name}")

    def text(self, name: str) -> str | None:
        data = self.files.get(name)
        if data is None:
            return None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            self.problems.add(name, "is not UTF-8 text")
            return None

    def json(self, name: str) -> Any:
        text = self.text(name)
        if text is None:
            return None
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            self.problems.add(name, f"is not valid JSON ({exc})")
            return None

    def csv(self, name: str) -> list[tuple[int, list[str]]] | None:
        """Data rows with their line numbers, after checking the header."""
        text = self.text(name)
        if text is None:
            return None
        rows = list(csv.reader(io.StringIO(text, newline="")))
        if not rows or rows[0] != HEADERS[name]:
            self.problems.add(name, f"the header must be {','.join(HEADERS[name])}")
            return None
        return [(line, row) for line, row in enumerate(rows[1:], start=2)]


def _whole(value: str) -> int | None:
    return int(value) if re.fullmatch(r"0|[1-9][0-9]*", value) else None


# --------------------------------------------------------------------------- manifest


def check_manifest(bundle: Bundle, manifest: Any, expected_key: bytes | None,
                   problems: Problems) -> str | None:
    """File hashes, the file list and the signature. Returns the public key used (hex)."""
    if not isinstance(manifest, dict):
        if manifest is not None:
            problems.add(MANIFEST, "must be a JSON object")
        return expected_key.hex() if expected_key else None
    if manifest.get("spec") != SPEC_VERSION:
        problems.add(MANIFEST, f"spec is {manifest.get('spec')!r}, this verifier checks "
                               f"{SPEC_VERSION!r}")
    listed = manifest.get("files")
    if not isinstance(listed, list):
        problems.add(MANIFEST, "has no list of files")
        listed = []
    names = []
    for item in listed:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            problems.add(MANIFEST, f"malformed file entry {item!r}")
            continue
        name = item["name"]
        names.append(name)
        if name not in LISTED_FILES:
            problems.add(MANIFEST, f"lists unexpected file {name}")
            continue
        data = bundle.files.get(name)
        if data is None:
            continue
        if item.get("sha256") != hashlib.sha256(data).hexdigest():
            problems.add(MANIFEST, f"SHA-256 of {name} does not match (the file was changed)")
        if item.get("bytes") != len(data):
            problems.add(MANIFEST, f"size of {name} does not match ({len(data)} bytes, "
                                   f"manifest says {item.get('bytes')})")
    for name in LISTED_FILES:
        count = names.count(name)
        if count == 0:
            problems.add(MANIFEST, f"does not list {name}")
        elif count > 1:
            problems.add(MANIFEST, f"lists {name} {count} times")

    manifest_key = manifest.get("public_key")
    if not (isinstance(manifest_key, str) and HEX64.fullmatch(manifest_key)):
        problems.add(MANIFEST, "public_key must be 64 lowercase hex characters")
        manifest_key = None
    if expected_key is not None and manifest_key is not None \
            and manifest_key != expected_key.hex():
        problems.add(MANIFEST, f"public key {manifest_key} is not the expected key "
                               f"{expected_key.hex()} (given with --public-key)")
    key_hex = expected_key.hex() if expected_key is not None else manifest_key
    signature = bundle.files.get(SIGNATURE)
    manifest_bytes = bundle.files.get(MANIFEST)
    if signature is not None and manifest_bytes is not None and key_hex:
        text = signature.decode("ascii", "replace")
        if not HEX128.fullmatch(text):
            problems.add(SIGNATURE, "must hold exactly 128 lowercase hex characters (the "
                                    "64-byte Ed25519 signature)")
        elif not ed25519_verify(bytes.fromhex(key_hex), manifest_bytes, bytes.fromhex(text)):
            problems.add(SIGNATURE, f"the signature of manifest.json does not verify with "
                                    f"public key {key_hex}")
    return key_hex


# --------------------------------------------------------------------------- audit log


def check_audit_log(bundle: Bundle, manifest: dict, problems: Problems) -> list[dict]:
    """The hash chain (SPEC 7); returns the events (empty when unreadable)."""
    name = "audit_log.jsonl"
    text = bundle.text(name)
    if text is None:
        return []
    if text and not text.endswith("\n"):
        problems.add(name, "the last line is not terminated (the file was truncated?)")
    events = []
    prev = GENESIS
    broken = False
    for line, raw in enumerate(text.split("\n")[:-1] if text else [], start=1):
        try:
            event = json.loads(raw)
        except json.JSONDecodeError:
            problems.add(name, f"line {line} is not a JSON event")
            broken = True
            break
        if not isinstance(event, dict) or set(event) != {*EVENT_FIELDS, "hash"}:
            problems.add(name, f"line {line}: an event has exactly the fields "
                               f"{', '.join((*EVENT_FIELDS, 'hash'))}")
            broken = True
            break
        seq = event["seq"]
        if seq != line:
            problems.add(name, f"line {line}: expected event {line}, found event {seq} "
                               "(events missing, added or reordered)")
            broken = True
            break
        if event["prev"] != prev:
            problems.add(name, f"line {line}: event {seq} does not follow event {seq - 1} "
                               "(prev hash differs)")
            broken = True
            break
        body = {field: event[field] for field in EVENT_FIELDS}
        recomputed = hashlib.sha256(
            (event["prev"] + canonical_json(body)).encode("utf-8")).hexdigest()
        if recomputed != event["hash"]:
            problems.add(name, f"line {line}: event {seq} ({event['action']}) was altered "
                               "(hash mismatch)")
            broken = True
            break
        prev = event["hash"]
        events.append(event)
    head = manifest.get("audit_head") if isinstance(manifest, dict) else None
    if not broken and isinstance(head, dict):
        last = events[-1] if events else {"seq": 0, "hash": GENESIS}
        if head.get("seq") != last["seq"] or head.get("hash") != last["hash"]:
            problems.add(name, f"the log ends at event {last['seq']}, but manifest.json says "
                               f"it ends at event {head.get('seq')} (events removed or added)")
    return events


def check_log_against_bundle(events: list[dict], manifest: dict, config: dict,
                             sample: dict, results: dict, key_hex: str | None,
                             problems: Problems) -> None:
    """The audit log must record what the bundle publishes."""
    name = "audit_log.jsonl"
    version = manifest.get("result_version") if isinstance(manifest, dict) else None
    published = [e for e in events if e["action"] == "published"
                 and isinstance(e["data"], dict) and e["data"].get("version") == version]
    if not published:
        problems.add(name, f"no 'published' event for result version {version}")
    else:
        event = published[-1]
        data = event["data"]
        if isinstance(results, dict) and data.get("inputs_digest") != results.get(
                "inputs_digest"):
            problems.add(name, f"event {event['seq']} published inputs digest "
                               f"{data.get('inputs_digest')}, results.json has "
                               f"{results.get('inputs_digest')}")
        if key_hex and data.get("public_key") != key_hex:
            problems.add(name, f"event {event['seq']} recorded public key "
                               f"{data.get('public_key')}, the bundle is checked with "
                               f"{key_hex}")
    if isinstance(sample, dict):
        for event in events:
            data = event["data"] if isinstance(event["data"], dict) else {}
            if event["action"] in ("seed_recorded", "sample_drawn"):
                if "seed" in data and data["seed"] != sample.get("seed"):
                    problems.add(name, f"event {event['seq']} recorded seed {data['seed']!r}, "
                                       f"sample.json has {sample.get('seed')!r}")
                if "frame_digest" in data and data["frame_digest"] != sample.get(
                        "frame_digest"):
                    problems.add(name, f"event {event['seq']} recorded frame digest "
                                       f"{data['frame_digest']}, sample.json has "
                                       f"{sample.get('frame_digest')}")
            if event["action"] == "sample_drawn" and "allocation" in data \
                    and data["allocation"] != sample.get("allocation"):
                problems.add(name, f"event {event['seq']} recorded another allocation than "
                                   "sample.json")


# --------------------------------------------------------------------------- tables


class Inputs:
    """What the results are recomputed from, read and checked from the bundle."""

    def __init__(self) -> None:
        self.slug = ""
        self.settings: dict[str, Any] = {}
        self.districts: dict[str, int] = {}          # code -> N_h
        self.invited: dict[str, int] = {}
        self.departments: list[str] = []             # eligible, sorted
        self.all_departments: set[str] = set()
        self.criteria: dict[tuple[str, str], tuple[float, int]] = {}
        self.awards: list[tuple[str, str, int]] = []
        self.ballots: list[tuple[str, str, str, str, str]] = []  # id, district, choices, ...
        self.score_rows: list[tuple[str, str, str, str, int]] = []


def read_config(config: Any, inputs: Inputs, problems: Problems) -> bool:
    name = "config.json"
    if not isinstance(config, dict):
        if config is not None:
            problems.add(name, "must be a JSON object")
        return False
    try:
        campaign = config["campaign"]
        inputs.slug = campaign["slug"]
        inputs.settings = {key: campaign[key] for key in (
            "seed", "judge_method", "public_weight", "finalists", "final_public_weight",
            "bootstrap", "max_choices")}
        for district in config["districts"]:
            declared, frame = district["households"], district["frame_count"]
            population = declared if declared else frame
            if district["population"] != population:
                problems.add(name, f"district {district['code']}: population "
                                   f"{district['population']} should be {population} (the "
                                   "declared households, else the frame count)")
            inputs.districts[district["code"]] = district["population"]
        for department in config["departments"]:
            inputs.all_departments.add(department["code"])
            if department["eligible"] is True:
                inputs.departments.append(department["code"])
        inputs.departments.sort()
        for criterion in config["criteria"]:
            inputs.criteria[(criterion["round"], criterion["code"])] = (
                criterion["weight"], criterion["max"])
        inputs.awards = [(a["name_en"], a["name_zh"], a["places"]) for a in config["awards"]]
    except (KeyError, TypeError) as exc:
        problems.add(name, f"is missing or malforms {exc}")
        return False
    if config.get("spec") != SPEC_VERSION:
        problems.add(name, f"spec is {config.get('spec')!r}, expected {SPEC_VERSION!r}")
    for round_name in ("preliminary", "final"):
        weights = [w for (r, _), (w, _) in inputs.criteria.items() if r == round_name]
        if weights and abs(math.fsum(weights) - 1.0) > 1e-9:
            problems.add(name, f"the {round_name} criteria weights sum to "
                               f"{math.fsum(weights)}, not 1")
    return True


def read_sample(sample: Any, inputs: Inputs, config: dict, problems: Problems) -> None:
    name = "sample.json"
    if not isinstance(sample, dict):
        if sample is not None:
            problems.add(name, "must be a JSON object")
        return
    if sample.get("seed") != inputs.settings.get("seed"):
        problems.add(name, f"seed {sample.get('seed')!r} differs from config.json "
                           f"{inputs.settings.get('seed')!r}")
    frame = sample.get("frame_counts")
    allocation = sample.get("allocation")
    if not isinstance(frame, dict) or not isinstance(allocation, dict):
        problems.add(name, "needs frame_counts and allocation per district")
        return
    config_frame = {d["code"]: d["frame_count"] for d in config.get("districts", [])}
    if frame != config_frame:
        problems.add(name, "frame counts differ from config.json")
    inputs.invited = {code: n for code, n in allocation.items() if isinstance(n, int)}
    size = sample.get("size")
    if isinstance(size, int) and size > 0 and all(isinstance(v, int) for v in frame.values()):
        expected = allocate(size, frame)
        if expected != allocation:
            wrong = sorted(c for c in set(expected) | set(allocation)
                           if expected.get(c) != allocation.get(c))
            problems.add(name, f"the allocation of districts {', '.join(wrong)} is not the "
                               f"largest-remainder allocation of {size} (SPEC 3, S1)")
    elif sum(v for v in allocation.values() if isinstance(v, int)) != (size or 0):
        problems.add(name, "the allocation does not add up to the sample size")


def allocate(n: int, frame_counts: dict[str, int]) -> dict[str, int]:
    """Largest-remainder proportional allocation (SPEC 3, S1), in exact integers."""
    total = sum(frame_counts.values())
    if total <= 0:
        return {code: 0 for code in frame_counts}
    floors = {code: n * m // total for code, m in frame_counts.items()}
    remainders = {code: n * m % total for code, m in frame_counts.items()}
    extra = n - sum(floors.values())
    ranked = sorted(frame_counts, key=lambda c: (-remainders[c], -frame_counts[c], c))
    for code in ranked[:extra]:
        floors[code] += 1
    return dict(sorted(floors.items()))


def read_ballots(bundle: Bundle, inputs: Inputs, problems: Problems) -> bool:
    name = "ballots.csv"
    rows = bundle.csv(name)
    if rows is None:
        return False
    eligible = set(inputs.departments)
    max_choices = inputs.settings.get("max_choices")
    seen: dict[str, int] = {}
    previous = ""
    ok = True
    for line, row in rows:
        if len(row) != 5:
            problems.add(name, f"line {line}: expected 5 fields, found {len(row)}")
            ok = False
            continue
        ballot_id, district, choices, channel, status = row
        where = f"line {line} (ballot {ballot_id})"
        if not BALLOT_ID.fullmatch(ballot_id):
            problems.add(name, f"{where}: a ballot id is 16 Crockford base32 symbols")
        if ballot_id in seen:
            problems.add(name, f"{where}: ballot id repeats line {seen[ballot_id]}")
            ok = False
        else:
            seen[ballot_id] = line
        if ballot_id < previous:
            problems.add(name, f"{where}: not in ballot id order")
        previous = ballot_id
        if district not in inputs.districts:
            problems.add(name, f"{where}: unknown district {district!r}")
            ok = False
        if channel not in ("web", "paper"):
            problems.add(name, f"{where}: channel must be web or paper, not {channel!r}")
        codes = choices.split(";") if choices else []
        if status == "valid":
            if not codes:
                problems.add(name, f"{where}: a valid ballot names at least one department")
                ok = False
            if codes != sorted(codes) or len(set(codes)) != len(codes):
                problems.add(name, f"{where}: choices must be distinct and sorted")
                ok = False
            unknown = [c for c in codes if c not in eligible]
            if unknown:
                problems.add(name, f"{where}: {', '.join(unknown)} is not an eligible "
                                   "department")
                ok = False
            if isinstance(max_choices, int) and len(codes) > max_choices:
                problems.add(name, f"{where}: {len(codes)} choices, more than max_choices "
                                   f"{max_choices}")
                ok = False
        elif status == "spoilt":
            if codes:
                problems.add(name, f"{where}: a spoilt ballot names no department")
                ok = False
            if channel != "paper":
                problems.add(name, f"{where}: only paper returns can be spoilt")
        else:
            problems.add(name, f"{where}: status must be valid or spoilt, not {status!r}")
            ok = False
        inputs.ballots.append((ballot_id, district, choices, channel, status))
    return ok


def check_district_tables(bundle: Bundle, inputs: Inputs, problems: Problems) -> None:
    """districts.csv and codes.csv against ballots.csv, the config and the sample."""
    tally: dict[str, dict[str, int]] = {
        code: {"valid": 0, "spoilt": 0, "web": 0, "paper": 0} for code in inputs.districts}
    for _id, district, _choices, channel, status in inputs.ballots:
        if district in tally:
            if status in ("valid", "spoilt"):
                tally[district][status] += 1
            if channel in ("web", "paper"):
                tally[district][channel] += 1
    for name, columns in (("districts.csv", HEADERS["districts.csv"]),
                          ("codes.csv", HEADERS["codes.csv"])):
        rows = bundle.csv(name)
        if rows is None:
            continue
        found = []
        for line, row in rows:
            if len(row) != len(columns):
                problems.add(name, f"line {line}: expected {len(columns)} fields")
                continue
            numbers = [_whole(v) for v in row[1:]]
            if any(v is None for v in numbers):
                problems.add(name, f"line {line}: counts must be whole numbers")
                continue
            record = dict(zip(columns[1:], numbers))
            code = row[0]
            found.append(code)
            if code not in tally:
                problems.add(name, f"line {line}: unknown district {code!r}")
                continue
            counts = tally[code]
            where = f"line {line} (district {code})"
            if name == "districts.csv":
                expected = {"households": inputs.districts[code],
                            "invited": inputs.invited.get(code, 0),
                            "returned": counts["valid"] + counts["spoilt"],
                            "valid": counts["valid"], "spoilt": counts["spoilt"]}
                for column, value in expected.items():
                    if record[column] != value:
                        source = {"households": "config.json", "invited": "sample.json"}.get(
                            column, "ballots.csv")
                        problems.add(name, f"{where}: {column} is {record[column]}, "
                                           f"{source} gives {value}")
            else:
                if record["used_web"] != counts["web"]:
                    problems.add(name, f"{where}: {record['used_web']} codes used on the web "
                                       f"but {counts['web']} web ballots in ballots.csv")
                if record["used_paper"] != counts["paper"]:
                    problems.add(name, f"{where}: {record['used_paper']} codes used on paper "
                                       f"but {counts['paper']} paper ballots in ballots.csv")
                if record["used_web"] + record["used_paper"] + record["void"] \
                        > record["issued"]:
                    problems.add(name, f"{where}: more codes used or void than issued")
                if record["issued"] < inputs.invited.get(code, 0):
                    problems.add(name, f"{where}: fewer codes issued than households "
                                       "invited (sample.json)")
        if found != sorted(inputs.districts):
            problems.add(name, "must have one row per district of config.json, in code order")


def read_scores(bundle: Bundle, inputs: Inputs, judges: set[str], problems: Problems) -> bool:
    name = "scores.csv"
    rows = bundle.csv(name)
    if rows is None:
        return False
    ok = True
    seen: set[tuple[str, str, str, str]] = set()
    previous: tuple = ()
    for line, row in rows:
        if len(row) != 5:
            problems.add(name, f"line {line}: expected 5 fields, found {len(row)}")
            ok = False
            continue
        round_name, judge, department, criterion, text = row
        where = f"line {line}"
        score = _whole(text)
        definition = inputs.criteria.get((round_name, criterion))
        if definition is None:
            problems.add(name, f"{where}: no criterion {criterion!r} in round {round_name!r}")
            ok = False
            continue
        if score is None or score > definition[1]:
            problems.add(name, f"{where}: score {text!r} is not a whole number in "
                               f"0..{definition[1]}")
            ok = False
            continue
        if judge not in judges:
            problems.add(name, f"{where}: judge {judge!r} is not on the panel in config.json")
            ok = False
        if department not in inputs.all_departments:
            problems.add(name, f"{where}: unknown department {department!r}")
            ok = False
        key = (round_name, judge, department, criterion)
        if key in seen:
            problems.add(name, f"{where}: {judge} scored {department} on {criterion} twice")
            ok = False
        seen.add(key)
        sort_key = (round_name, judge, department, criterion)
        if previous and sort_key < previous:
            problems.add(name, f"{where}: rows must be sorted by round, judge, department, "
                               "criterion")
        previous = sort_key
        inputs.score_rows.append((round_name, judge, department, criterion, score))
    return ok


# --------------------------------------------------------------------------- digest


def inputs_digest(inputs: Inputs) -> str:
    """SHA-256 of the canonical JSON of every input of the computation."""
    settings = inputs.settings
    aggregated: dict[tuple[str, str, str], int] = {}
    for _id, district, choices, _channel, status in inputs.ballots:
        key = (district, ";".join(sorted(choices.split(";"))) if choices else "", status)
        aggregated[key] = aggregated.get(key, 0) + 1
    obj = {
        "spec": SPEC_VERSION,
        "config": {
            "seed": settings["seed"],
            "method": settings["judge_method"],
            "public_weight": settings["public_weight"],
            "finalists": settings["finalists"],
            "final_public_weight": settings["final_public_weight"],
            "bootstrap": settings["bootstrap"],
            "awards": [list(a) for a in inputs.awards],
        },
        "departments": sorted(inputs.departments),
        "districts": sorted([code, n] for code, n in inputs.districts.items()),
        "ballots": sorted([d, c, s, n] for (d, c, s), n in aggregated.items()),
        "scores": sorted(list(row) for row in inputs.score_rows),
    }
    return sha256_hex(canonical_json(obj))


# --------------------------------------------------------------------------- SPEC 6


def scorecard_values(inputs: Inputs) -> list[tuple[str, str, str, float]]:
    """``y = 100 · Σ_c weight_c · s_c / max_c`` of each complete scorecard (SPEC 5)."""
    cards: dict[tuple[str, str, str], dict[str, int]] = {}
    for round_name, judge, department, criterion, score in inputs.score_rows:
        cards.setdefault((round_name, judge, department), {})[criterion] = score
    per_round: dict[str, list[str]] = {}
    for round_name, code in inputs.criteria:
        per_round.setdefault(round_name, []).append(code)
    values = []
    for (round_name, judge, department), card in sorted(cards.items()):
        codes = sorted(per_round.get(round_name, []))
        if sorted(card) != codes:
            continue  # incomplete scorecards are left out, never imputed
        terms = [inputs.criteria[(round_name, c)][0] * card[c] / inputs.criteria[
            (round_name, c)][1] for c in codes]
        values.append((round_name, judge, department, 100.0 * math.fsum(terms)))
    return values


def rounded(value: float) -> float:
    return round(float(value), 9)


def zscores(values: np.ndarray) -> np.ndarray:
    """``(v − mean)/sd`` over the last axis, population sd; 0 where all values are equal."""
    mean = values.mean(axis=-1, keepdims=True)
    sd = values.std(axis=-1, keepdims=True)
    equal = values.max(axis=-1, keepdims=True) == values.min(axis=-1, keepdims=True)
    return np.where(equal, 0.0, (values - mean) / np.where(equal, 1.0, sd))


def judge_method_scores(rows: list[tuple[str, str, float]], departments: list[str],
                        method: str, round_name: str, minimum: int
                        ) -> tuple[list[float], dict[str, float], list[float]]:
    """``J_d`` per department (SPEC 6.4), judge effects and raw means.

    Raises
    ------
    Unverifiable
        Unknown method, too few scores, or a disconnected graph for ``additive``.
    """
    by_department = {d: [y for _j, dd, y in rows if dd == d] for d in departments}
    short = [d for d, ys in by_department.items() if len(ys) < minimum]
    if short:
        raise Unverifiable(f"{round_name}: departments {', '.join(short)} have fewer than "
                           f"{minimum} complete scorecards")
    raw_means = [statistics.fmean(by_department[d]) for d in departments]
    if method == "mean":
        return raw_means, {}, raw_means
    if method == "median":
        return [float(statistics.median(by_department[d])) for d in departments], {}, raw_means
    if method == "trimmed":
        result = []
        for d in departments:
            ys = sorted(by_department[d])
            kept = ys[1:-1] if len(ys) >= TRIM_FROM else ys
            result.append(statistics.fmean(kept))
        return result, {}, raw_means
    if method == "zscore":
        all_y = np.array([y for _j, _d, y in rows])
        z_of: dict[tuple[str, str], float] = {}
        for judge in sorted({j for j, _d, _y in rows}):
            mine = [(d, y) for j, d, y in rows if j == judge]
            ys = np.array([y for _d, y in mine])
            # All equal is decided on the values: the computed sd of equal floats can be
            # a few 1e-15 rather than 0 (SPEC 6.4).
            equal = ys.min() == ys.max()
            for d, y in mine:
                z_of[(judge, d)] = 0.0 if equal else float((y - ys.mean()) / ys.std())
        result = []
        for d in departments:
            z_mean = statistics.fmean([z for (j, dd), z in z_of.items() if dd == d])
            result.append(float(all_y.mean() + all_y.std() * z_mean))
        return result, {}, raw_means
    if method == "additive":
        return (*additive_fit(rows, departments, round_name), raw_means)
    raise Unverifiable(f"unknown judge method {method!r}")


def additive_fit(rows: list[tuple[str, str, float]], departments: list[str],
                 round_name: str) -> tuple[list[float], dict[str, float]]:
    """Least squares ``y_jd = c_d + b_j`` subject to ``Σ_j b_j = 0`` (SPEC 6.4), solved as
    the KKT system of the constrained problem."""
    judges = sorted({j for j, _d, _y in rows})
    # Connectivity by breadth-first search over the judge–department graph.
    neighbours: dict[str, set[str]] = {}
    for j, d, _y in rows:
        neighbours.setdefault("j:" + j, set()).add("d:" + d)
        neighbours.setdefault("d:" + d, set()).add("j:" + j)
    start = "d:" + departments[0]
    reached, frontier = {start}, [start]
    while frontier:
        node = frontier.pop()
        for other in neighbours.get(node, ()):
            if other not in reached:
                reached.add(other)
                frontier.append(other)
    if any("d:" + d not in reached for d in departments):
        raise Unverifiable(f"the {round_name} judge–department graph is not connected")
    n_d, n_j = len(departments), len(judges)
    size = n_d + n_j
    normal = np.zeros((size + 1, size + 1))
    rhs = np.zeros(size + 1)
    d_index = {d: i for i, d in enumerate(departments)}
    j_index = {j: n_d + i for i, j in enumerate(judges)}
    centre = statistics.fmean([y for _j, _d, y in rows])
    for j, d, y in rows:
        a, b = d_index[d], j_index[j]
        for p, q in ((a, a), (a, b), (b, a), (b, b)):
            normal[p, q] += 1.0
        rhs[a] += y - centre
        rhs[b] += y - centre
    normal[size, n_d:size] = 1.0
    normal[n_d:size, size] = 1.0
    solution = np.linalg.solve(normal, rhs)
    return ([float(v + centre) for v in solution[:n_d]],
            {j: float(solution[j_index[j]]) for j in judges})


def resampled_counts(seed: str, districts: list[tuple[list[str], np.ndarray]],
                     replicates: int, n_departments: int,
                     values_per_chunk: int = 1 << 20):
    """Bootstrap ``x_hd`` of every replicate (SPEC 6.9), in chunks of replicates.

    The stream is ``PCG64(int(H(S + "|bootstrap")[:16], 16)).random_raw``: its raw 64-bit
    output is what NumPy keeps the same for a seed across versions (``Generator`` methods
    such as ``multinomial`` are not), so no ``Generator`` is made here. For replicate
    ``b = 1..B``, for each district with ballots in code order, the next ``r_h`` values
    ``x`` each pick ballot ``i = ((x >> 32) · r_h) >> 32`` of the district's ballots in
    ``(choices, ballot_id)`` order.

    Parameters
    ----------
    districts : list of (choices per ballot, matrix)
        From :meth:`Recomputed.resample_ballots`.

    Yields
    ------
    (first replicate index, ndarray of shape (chunk, H, D))
    """
    stream = np.random.PCG64(int(sha256_hex(f"{seed}|bootstrap")[:16], 16))
    layout = []                          # (h, first column, r_h, distinct index, matrix)
    column = 0
    for h, (ordered, matrix) in enumerate(districts):
        if ordered:
            kind = {choices: k for k, choices in enumerate(sorted(set(ordered)))}
            inverse = np.array([kind[choices] for choices in ordered], dtype=np.int64)
            layout.append((h, column, len(ordered), inverse, matrix))
            column += len(ordered)
    width = column
    sizes = np.zeros(width, dtype=np.uint64)
    for _h, first, size, _inverse, _matrix in layout:
        sizes[first:first + size] = size
    step = max(1, values_per_chunk // max(width, 1))
    for start in range(0, replicates, step):
        chunk = min(step, replicates - start)
        x = np.zeros((chunk, len(districts), n_departments))
        if width:
            raw = stream.random_raw(chunk * width).reshape(chunk, width)
            index = ((raw >> np.uint64(32)) * sizes) >> np.uint64(32)
            for h, first, size, inverse, matrix in layout:
                picked = inverse[index[:, first:first + size].astype(np.int64)]
                kinds = len(matrix)
                offsets = (np.arange(chunk) * kinds)[:, None]
                counts = np.bincount((picked + offsets).ravel(), minlength=chunk * kinds)
                x[:, h, :] = counts.reshape(chunk, kinds).astype(np.float64) @ matrix
        yield start, x


class Recomputed:
    """SPEC section 6 computed anew; :meth:`results` mirrors ``results.json``."""

    def __init__(self, inputs: Inputs) -> None:
        self.inputs = inputs
        s = inputs.settings
        self.seed: str = s["seed"]
        self.method: str = s["judge_method"]
        self.w_public = float(s["public_weight"])
        self.n_finalists = int(s["finalists"])
        self.departments = list(inputs.departments)
        self.districts = sorted(inputs.districts)
        self.warnings: list[dict[str, Any]] = []
        if not self.departments:
            raise Unverifiable("config.json marks no department eligible")
        if not isinstance(self.seed, str) or not self.seed:
            raise Unverifiable("config.json has no seed")

    # ---- public vote (SPEC 6.1-6.3)
    def tally(self) -> None:
        col = {d: i for i, d in enumerate(self.departments)}
        n_h, n_d = len(self.districts), len(self.departments)
        self.x = np.zeros((n_h, n_d), dtype=np.int64)
        self.r = np.zeros(n_h, dtype=np.int64)
        self.spoilt = np.zeros(n_h, dtype=np.int64)
        self.population = np.array([self.inputs.districts[c] for c in self.districts],
                                   dtype=np.int64)
        row = {c: i for i, c in enumerate(self.districts)}
        for _id, district, choices, _channel, status in self.inputs.ballots:
            h = row[district]
            if status == "spoilt":
                self.spoilt[h] += 1
                continue
            self.r[h] += 1
            for code in choices.split(";"):
                self.x[h, col[code]] += 1
        self.col = col

    def resample_ballots(self) -> list[tuple[list[str], np.ndarray]]:
        """Per district in code order: its valid ballots' choices ordered by
        ``(choices, ballot_id)`` (SPEC 6.9) and the 0/1 department matrix of each distinct
        choices string, as ``(choices per ballot, matrix)``; ``([], …)`` without ballots."""
        row = {c: i for i, c in enumerate(self.districts)}
        ballots: list[list[tuple[str, str]]] = [[] for _ in self.districts]
        for ballot_id, district, choices, _channel, status in self.inputs.ballots:
            if status == "valid":
                ballots[row[district]].append((choices, ballot_id))
        result = []
        for rows in ballots:
            ordered = [choices for choices, _id in sorted(rows)]
            distinct = sorted(set(ordered))
            matrix = np.zeros((len(distinct), len(self.departments)))
            for k, choices in enumerate(distinct):
                for code in choices.split(";"):
                    matrix[k, self.col[code]] = 1.0
            result.append((ordered, matrix))
        return result

    def public(self) -> None:
        r, big_n = self.r.astype(np.float64), self.population.astype(np.float64)
        kept = self.r > 0
        total_n = big_n[kept].sum()
        self.w = np.where(kept, big_n / total_n if total_n > 0 else 0.0, 0.0)
        self.total_valid = int(self.r.sum())
        self.count = self.x.sum(axis=0)
        p_hd = self.x / np.where(kept, r, 1.0)[:, None]
        self.p = (self.w[:, None] * p_hd).sum(axis=0)
        factor = np.where(self.r > 1, self.w**2 / np.maximum(r - 1.0, 1.0), 0.0)
        self.variance = (factor[:, None] * p_hd * (1.0 - p_hd)).sum(axis=0)
        if self.total_valid:
            sum_w = float(big_n[kept].sum())
            sum_w2 = float((big_n[kept] ** 2 / r[kept]).sum())
            self.deff = self.total_valid * sum_w2 / sum_w**2
            self.n_eff = self.total_valid / self.deff
        else:
            self.deff, self.n_eff = None, 0.0
        self.n_star = []
        self.ci = []
        for d in range(len(self.departments)):
            p, v = float(self.p[d]), float(self.variance[d])
            n = p * (1.0 - p) / v if v > 0 else float(self.n_eff)
            self.n_star.append(n)
            if n <= 0:
                self.ci.append([0.0, 1.0])
                continue
            z2 = Z95 * Z95
            denominator = 1.0 + z2 / n
            centre = (p + z2 / (2.0 * n)) / denominator
            half = Z95 * math.sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n)) / denominator
            self.ci.append([min(max(centre - half, 0.0), 1.0),
                            min(max(centre + half, 0.0), 1.0)])
        for h, code in enumerate(self.districts):
            valid = int(self.r[h])
            if valid == 0:
                self.warnings.append({"code": "district_left_out", "district": code,
                                      "valid": 0})
            elif valid < FEW_BALLOTS:
                self.warnings.append({"code": "few_valid_ballots", "district": code,
                                      "valid": valid})

    # ---- judges, combination, finalists (SPEC 6.4-6.8)
    def judges(self) -> None:
        eligible = set(self.departments)
        values = scorecard_values(self.inputs)
        ignored = sorted({d for _r, _j, d, _y in values if d not in eligible})
        if ignored:
            self.warnings.append({"code": "ineligible_scores_ignored", "departments": ignored})
        self.scores = [v for v in values if v[2] in eligible]
        self.prelim_rows = [(j, d, y) for r, j, d, y in self.scores if r == "preliminary"]
        unknown = sorted({d for _j, d, _y in self.prelim_rows} - eligible)
        if unknown:
            raise Unverifiable(f"scores for unknown departments {unknown}")
        self.judge, self.effects, self.raw_means = judge_method_scores(
            self.prelim_rows, self.departments, self.method, "preliminary", 2)
        self.hashes = [sha256_hex(f"{self.seed}|tiebreak|{d}") for d in self.departments]

    def order_for(self, judge: Sequence[float], weight: float) -> tuple[list[int], np.ndarray]:
        combined = weight * zscores(self.p) + (1.0 - weight) * zscores(np.array(judge))
        order = sorted(range(len(self.departments)), key=lambda i: (
            -rounded(combined[i]), -rounded(judge[i]), -rounded(self.p[i]),
            -int(self.count[i]), self.hashes[i]))
        return order, combined

    def combine(self) -> None:
        self.order, self.combined = self.order_for(self.judge, self.w_public)
        self.n_final = min(self.n_finalists, len(self.departments))
        self.finalists = [self.departments[i] for i in self.order[:self.n_final]]
        if len(self.order) > self.n_final:
            self.cut_gap = float(self.combined[self.order[self.n_final - 1]]
                                 - self.combined[self.order[self.n_final]])
        else:
            self.cut_gap = None
        self.best = min(range(len(self.departments)), key=lambda i: (
            -rounded(self.p[i]), -int(self.count[i]), self.hashes[i]))

    # ---- bootstrap (SPEC 6.9)
    def bootstrap(self) -> None:
        replicates = int(self.inputs.settings["bootstrap"])
        self.replicates = replicates
        if not replicates:
            self.boot = None
            self.conclusive = None
            return
        n_d = len(self.departments)
        x = np.zeros((replicates, len(self.districts), n_d))
        for first, block in resampled_counts(self.seed, self.resample_ballots(), replicates,
                                             n_d):
            x[first:first + len(block)] = block
        r = np.where(self.r > 0, self.r, 1).astype(np.float64)
        p = (self.w[None, :, None] * (x / r[None, :, None])).sum(axis=1)
        count = x.sum(axis=1)
        judge = np.array(self.judge)
        combined = self.w_public * zscores(p) + (1.0 - self.w_public) * zscores(judge)
        judge_r = [rounded(v) for v in judge]
        hash_pos = {i: pos for pos, i in enumerate(sorted(range(n_d),
                                                          key=lambda i: self.hashes[i]))}
        ranks = np.zeros((replicates, n_d), dtype=np.int64)
        best_counts = np.zeros(n_d)
        for b in range(replicates):
            c_r = [rounded(v) for v in combined[b]]
            p_r = [rounded(v) for v in p[b]]
            order = sorted(range(n_d), key=lambda i: (-c_r[i], -judge_r[i], -p_r[i],
                                                      -count[b, i], hash_pos[i]))
            for rank, i in enumerate(order, start=1):
                ranks[b, i] = rank
            best = min(range(n_d), key=lambda i: (-p_r[i], -count[b, i], hash_pos[i]))
            best_counts[best] += 1
        self.boot = {
            "p_finalist": (ranks <= self.n_final).sum(axis=0) / replicates,
            "p_best_public_image": best_counts / replicates,
            "rank_low": np.percentile(ranks, 2.5, axis=0, method="lower").astype(int),
            "rank_high": np.percentile(ranks, 97.5, axis=0, method="higher").astype(int),
        }
        share = float(self.boot["p_best_public_image"][self.best])
        self.conclusive = share >= CONCLUSIVE
        if not self.conclusive:
            self.warnings.append({"code": "best_public_image_not_conclusive",
                                  "department": self.departments[self.best],
                                  "p_best_public_image": share})

    # ---- final round (SPEC 6.7)
    def final_round(self) -> None:
        self.final_judges, self.final_rows = None, []
        final = [(j, d, y) for r, j, d, y in self.scores if r == "final"]
        if not final:
            return
        outsiders = sorted({d for _j, d, _y in final} - set(self.finalists))
        if outsiders:
            self.warnings.append({"code": "final_scores_ignored", "departments": outsiders})
        final = [row for row in final if row[1] in self.finalists]
        missing = sorted(set(self.finalists) - {d for _j, d, _y in final})
        if missing:
            self.warnings.append({"code": "final_round_incomplete", "departments": missing})
            return
        codes = sorted(self.finalists)
        scores, effects, raw = judge_method_scores(final, codes, self.method, "final", 1)
        self.final_judges = {"scores": dict(zip(codes, scores)), "effects": effects,
                             "raw_means": dict(zip(codes, raw))}
        index = [self.departments.index(c) for c in codes]
        medians = [float(statistics.median([y for _j, d, y in final if d == c])) for c in codes]
        weight = float(self.inputs.settings["final_public_weight"])
        if weight == 0:
            f_score = list(scores)
        else:
            mixed = ((1.0 - weight) * zscores(np.array(scores))
                     + weight * zscores(np.array([self.p[i] for i in index])))
            f_score = [float(v) for v in mixed]
        places = sorted(range(len(codes)), key=lambda k: (
            -rounded(f_score[k]), -rounded(medians[k]), -rounded(self.combined[index[k]]),
            -rounded(self.p[index[k]]), self.hashes[index[k]]))
        labels = [name for name, _zh, places_ in self.inputs.awards for _ in range(places_)]
        labels = (labels + [FINALIST] * len(codes))[:len(codes)]
        self.final_rows = [
            {"department": codes[k], "score": float(f_score[k]), "median": medians[k],
             "rank": rank, "award": labels[rank - 1]}
            for rank, k in enumerate(places, start=1)]

    # ---- sensitivity (SPEC 6.9)
    def sensitivity(self) -> dict[str, list[dict[str, Any]]]:
        judged: dict[str, Any] = {}
        for name in dict.fromkeys([*JUDGE_METHOD_NAMES, self.method]):
            try:
                judged[name] = judge_method_scores(self.prelim_rows, self.departments, name,
                                                   "preliminary", 2)[0]
            except (Unverifiable, np.linalg.LinAlgError) as exc:
                judged[name] = exc

        def row(name: str, weight: float) -> dict[str, Any]:
            values = judged[name]
            if isinstance(values, Exception):
                return {"method": name, "public_weight": weight, "finalists": None,
                        "differs": None, "set_differs": None, "error": str(values)}
            order, _ = self.order_for(values, weight)
            chosen = [self.departments[i] for i in order[:self.n_final]]
            return {"method": name, "public_weight": weight, "finalists": chosen,
                    "differs": chosen != self.finalists,
                    "set_differs": set(chosen) != set(self.finalists), "error": None}

        return {"methods": [row(name, self.w_public) for name in JUDGE_METHOD_NAMES],
                "public_weights": [row(self.method, w) for w in SENSITIVITY_WEIGHTS]}

    def results(self) -> dict[str, Any]:
        self.tally()
        self.public()
        self.judges()
        self.combine()
        self.bootstrap()
        self.final_round()
        public_z, judge_z = zscores(self.p), zscores(np.array(self.judge))
        boot = self.boot
        departments = []
        for d, code in enumerate(self.departments):
            departments.append({
                "department": code, "count": int(self.count[d]),
                "share": float(self.count[d] / self.total_valid) if self.total_valid else 0.0,
                "weighted_share": float(self.p[d]), "se": math.sqrt(float(self.variance[d])),
                "ci95": self.ci[d],
                "p_finalist": float(boot["p_finalist"][d]) if boot else None,
                "p_best_public_image": float(boot["p_best_public_image"][d]) if boot else None,
                "rank95": [int(boot["rank_low"][d]), int(boot["rank_high"][d])]
                if boot else None,
            })
        spoilt = int(self.spoilt.sum())
        return {
            "campaign": self.inputs.slug,
            "spec": SPEC_VERSION,
            "seed": self.seed,
            "inputs_digest": inputs_digest(self.inputs),
            "public": {
                "returned": self.total_valid + spoilt, "valid": self.total_valid,
                "spoilt": spoilt, "deff": self.deff, "n_eff": float(self.n_eff),
                "districts": [{"district": c, "households": int(self.population[h]),
                               "valid": int(self.r[h])} for h, c in enumerate(self.districts)],
                "departments": departments,
            },
            "judges": {
                "method": self.method,
                "preliminary": {"scores": dict(zip(self.departments, self.judge)),
                                "effects": self.effects,
                                "raw_means": dict(zip(self.departments, self.raw_means))},
                "final": self.final_judges,
            },
            "preliminary": [
                {"department": self.departments[i], "public_z": float(public_z[i]),
                 "judge_z": float(judge_z[i]), "combined": float(self.combined[i]),
                 "display": 50.0 + 10.0 * float(self.combined[i]), "rank": rank,
                 "finalist": rank <= self.n_final}
                for rank, i in enumerate(self.order, start=1)],
            "finalists": self.finalists,
            "cut_gap": self.cut_gap,
            "best_public_image": self.departments[self.best],
            "best_public_image_conclusive": self.conclusive,
            "final": self.final_rows,
            "sensitivity": self.sensitivity(),
            "warnings": self.warnings,
        }


# --------------------------------------------------------------------------- comparing

ITEM_KEYS = ("department", "district", "method", "code")


def _label(items: list, index: int) -> str:
    item = items[index]
    if isinstance(item, dict):
        for key in ITEM_KEYS:
            if isinstance(item.get(key), str):
                if key == "method" and "public_weight" in item:
                    return f"[{key}={item[key]},public_weight={item['public_weight']}]"
                return f"[{key}={item[key]}]"
    return f"[{index}]"


def _close(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b) or math.isinf(a) or math.isinf(b):
        return False
    return abs(a - b) <= max(REL_TOL * max(abs(a), abs(b)), ABS_TOL)


def compare(published: Any, expected: Any, path: str, report: Callable[[str, str], None],
            skip: Callable[[str, Any, Any], bool]) -> None:
    """Report every difference between ``published`` and the recomputed ``expected``."""
    if skip(path, published, expected):
        return
    if isinstance(expected, bool) or expected is None or isinstance(expected, str):
        if published is not expected and not (
                isinstance(expected, str) and published == expected):
            report(path, f"published {json.dumps(published, ensure_ascii=False)}, "
                         f"recomputed {json.dumps(expected, ensure_ascii=False)}")
        return
    if isinstance(expected, (int, np.integer)):
        if type(published) is not int or published != int(expected):
            report(path, f"published {json.dumps(published)}, recomputed {int(expected)}")
        return
    if isinstance(expected, (float, np.floating)):
        if isinstance(published, bool) or not isinstance(published, (int, float)) \
                or not _close(float(published), float(expected)):
            report(path, f"published {json.dumps(published)}, recomputed {float(expected)!r}")
        return
    if isinstance(expected, dict):
        if not isinstance(published, dict):
            report(path, f"published {type(published).__name__}, recomputed an object")
            return
        for key in sorted(set(published) | set(expected), key=str):
            sub = f"{path}.{key}" if path else str(key)
            if skip(sub, published.get(key), expected.get(key)):
                continue
            if key not in expected:
                report(sub, "is published but is not part of the results")
            elif key not in published:
                report(sub, "is missing")
            else:
                compare(published[key], expected[key], sub, report, skip)
        return
    if isinstance(expected, list):
        if not isinstance(published, list):
            report(path, f"published {type(published).__name__}, recomputed a list")
            return
        if len(published) != len(expected):
            report(path, f"published {len(published)} entries, recomputed {len(expected)}")
        for index in range(min(len(published), len(expected))):
            compare(published[index], expected[index], path + _label(expected, index),
                    report, skip)
        return
    report(path, f"cannot compare {type(expected).__name__}")


def _skip_wording(path: str, published: Any, expected: Any) -> bool:
    """Human wording is not recomputed: warning messages and why a method failed."""
    if path.startswith("warnings[") and path.endswith(".message"):
        return isinstance(published, str)
    if path.startswith("sensitivity.") and path.endswith(".error"):
        return isinstance(published, str) and isinstance(expected, str)
    return False


def check_results(results: Any, inputs: Inputs, problems: Problems) -> None:
    name = "results.json"
    if not isinstance(results, dict):
        if results is not None:
            problems.add(name, "must be a JSON object")
        return
    digest = inputs_digest(inputs)
    if results.get("inputs_digest") != digest:
        problems.add(name, f"inputs_digest {results.get('inputs_digest')} is not the "
                           f"digest of the bundle's inputs {digest}")
    try:
        expected = Recomputed(inputs).results()
    except (Unverifiable, ValueError, np.linalg.LinAlgError) as exc:
        problems.add(name, f"cannot be recomputed from the bundle: {exc}")
        return
    published = dict(results)
    published.pop("inputs_digest", None)
    expected.pop("inputs_digest")
    compare(published, expected, "",
            lambda path, message: problems.add(name, f"{path} {message}"), _skip_wording)


# --------------------------------------------------------------------------- main


def verify_bundle(source: str | bytes, public_key: str | None = None) -> list[str]:
    """Check a bundle (path or bytes); returns the discrepancies (empty: verified).

    Parameters
    ----------
    source : str or bytes
        Path of the zip file, or its bytes.
    public_key : str, optional
        The expected public key (64 hex characters), e.g. copied from the public
        verification page.
    """
    return check_bundle(source, public_key)[0]


def check_bundle(source: str | bytes, public_key: str | None = None
                 ) -> tuple[list[str], str | None]:
    """:func:`verify_bundle`, also returning the public key the signature was checked with
    (hex; the ``--public-key`` given, else the one in ``manifest.json``; None if neither)."""
    problems = Problems()
    expected_key = None
    if public_key is not None:
        expected_key = parse_public_key(public_key)
        if expected_key is None:
            problems.add("--public-key", "must be 64 hex characters (a raw Ed25519 key)")
    try:
        bundle = Bundle(source, problems)
    except Unverifiable as exc:
        return [str(exc)], None
    manifest = bundle.json(MANIFEST)
    refusal = other_spec(manifest)
    if refusal:
        return [*problems.lines, refusal], None
    key_hex = check_manifest(bundle, manifest, expected_key, problems)
    manifest = manifest if isinstance(manifest, dict) else {}
    config = bundle.json("config.json")
    sample = bundle.json("sample.json")
    results = bundle.json("results.json")
    events = check_audit_log(bundle, manifest, problems)
    inputs = Inputs()
    config_ok = read_config(config, inputs, problems)
    if config_ok:
        if manifest and manifest.get("campaign") != inputs.slug:
            problems.add(MANIFEST, f"campaign {manifest.get('campaign')!r} differs from "
                                   f"config.json {inputs.slug!r}")
        read_sample(sample, inputs, config, problems)
        ballots_ok = read_ballots(bundle, inputs, problems)
        check_district_tables(bundle, inputs, problems)
        judges = set(config.get("judges") or [])
        scores_ok = read_scores(bundle, inputs, judges, problems)
        if ballots_ok and scores_ok:
            check_results(results, inputs, problems)
        else:
            problems.add("results.json", "not recomputed: ballots.csv or scores.csv is "
                                         "malformed")
    if events:
        check_log_against_bundle(events, manifest, config if isinstance(config, dict) else {},
                                 sample, results, key_hex, problems)
    return problems.lines, key_hex


def other_spec(manifest: Any) -> str | None:
    """The refusal when ``manifest.json`` names another scoring spec version (else None).

    The figures of another version come from other formulas (the first version's
    bootstrap drew from ``Generator.multinomial``), so recomputing them here would only
    list every bootstrap figure as a discrepancy.
    """
    if not isinstance(manifest, dict) or "spec" not in manifest:
        return None
    spec = manifest["spec"]
    if spec == SPEC_VERSION:
        return None
    return (f"{MANIFEST}: the bundle was made under scoring spec {spec!r}; this verifier "
            f"checks {SPEC_VERSION!r} only and refuses other versions: use the verifier "
            "of that version")


def recompute_bundle(source: str | bytes) -> dict[str, Any]:
    """The results recomputed from a bundle's inputs (the structure of ``results.json``).

    Raises
    ------
    Unverifiable
        When the inputs cannot be read or the results cannot be computed.
    """
    problems = Problems()
    bundle = Bundle(source, problems)
    config = bundle.json("config.json")
    inputs = Inputs()
    if not read_config(config, inputs, problems):
        raise Unverifiable("; ".join(problems.lines) or "config.json is unreadable")
    read_sample(bundle.json("sample.json"), inputs, config, problems)
    if not (read_ballots(bundle, inputs, problems)
            and read_scores(bundle, inputs, set(config.get("judges") or []), problems)):
        raise Unverifiable("; ".join(problems.lines))
    return Recomputed(inputs).results()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m awards.audit.verify",
        description="Verify an award audit bundle offline (SPEC section 7).")
    parser.add_argument("bundle", help="the audit bundle (.zip)")
    parser.add_argument("--public-key", default=None,
                        help="the campaign's public key as published on its verification "
                             "page (64 hex characters); without it the signature is only "
                             "checked against the key in manifest.json and the exit status "
                             f"is {UNPINNED} at best")
    args = parser.parse_args(argv)
    try:
        with open(args.bundle, "rb") as stream:
            data = stream.read()
    except OSError as exc:
        print(f"bundle: cannot read {args.bundle}: {exc.strerror}")
        return 1
    lines, key_hex = check_bundle(data, args.public_key)
    for line in lines:
        print(line)
    if args.public_key is None:
        # Anyone can re-sign a changed bundle with a key of their own and put that key in
        # manifest.json: only the key the campaign published makes the signature mean
        # anything, so without it the bundle is never reported as verified (SPEC 7).
        print(f"KEY NOT PINNED: the signature was checked only against the public key in "
              f"manifest.json ({key_hex or 'none'}), which whoever made the bundle chose; "
              "run again with --public-key KEY, the key published on the campaign's "
              "verification page")
        return 1 if lines else UNPINNED
    if lines:
        return 1
    print("VERIFIED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
