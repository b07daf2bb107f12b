"""The audit bundle (SPEC section 7): every input and output of a published result, signed.

Layout of the zip (in this order, fixed timestamps = the version's publication time, so the
same data always give the same bytes):

``manifest.json``
    ``{"spec", "app_version", "numpy_version", "campaign", "result_version", "published_at",
    "inputs_digest", "public_key", "signature", "audit_head": {"seq", "hash"}, "files":
    [{"name", "sha256", "bytes"}, …]}``; ``files`` lists the eight files below (not the
    manifest itself nor its signature). ``public_key`` is the raw Ed25519 key as 64 hex
    characters; ``numpy_version`` is the numpy the bootstrap was computed with (its random
    stream may change between numpy versions).
``config.json``
    Campaign settings and seed, districts (names, declared ``households``, ``frame_count``
    and the ``population`` N_h used for weighting), departments with an ``eligible`` flag,
    criteria per round with weight and max, award tiers, judge pseudonyms.
``districts.csv``
    ``district,households,invited,returned,valid,spoilt``: N_h, households sampled (letters
    sent), ballots returned, valid and spoilt.
``sample.json``
    ``seed``, ``frame_digest``, ``size``, ``frame_counts`` and ``allocation`` per district
    (SPEC 3, S1), ``codes_commitment``.
``ballots.csv``
    ``ballot_id,district,choices,channel,status`` sorted by ballot id; choices sorted and
    ``;``-joined, empty for a spoilt return.
``codes.csv``
    ``district,issued,used_web,used_paper,void``: ``issued`` counts every code ever issued
    for the district (reissues included), so unused codes = issued − used − void.
``scores.csv``
    ``round,judge,department,criterion,score`` of submitted, unconflicted scorecards,
    judges as pseudonyms ``J01…``.
``results.json``
    The published result version.
``audit_log.jsonl``
    The campaign's hash chain, one event per line (canonical JSON with ``hash``).
``manifest.sig``
    Ed25519 signature of the exact bytes of ``manifest.json``: 128 hex characters, no
    newline.

Values are written as stored: the CSV files are data for verifiers and are not escaped for
spreadsheets (the codes they hold are letters, digits, ``_`` and ``-``).

Building a bundle reads every ballot and signs the manifest, so downloads go through
:func:`cached_bundle`, which keeps the built bytes in the campaign's exports folder and
rebuilds only when the published version, the inputs digest or the audit chain's head
changes. Building never writes to the database.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy
from flask import current_app
from sqlalchemy import func, select

from awards.about import __version__
from awards.audit.chain import GENESIS, canonical_json
from awards.audit.service import current_actor, event_as_dict, record
from awards.exceptions import AwardsError
from awards.extensions import db
from awards.models import AuditEvent, Ballot, Campaign, ResultVersion, VotingCode
from awards.publication.disclosure import published_chain_events
from awards.publication.signing import campaign_private_key
from awards.results.services import campaign_awards, judge_pseudonyms, load_scoring_data
from awards.results.versions import current_published
from awards.storage import exports_dir
from awards.voting.mixer import mix_before_count

SPEC_VERSION = "awards-scoring/2"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
LISTED_FILES = ("config.json", "districts.csv", "sample.json", "ballots.csv", "codes.csv",
                "scores.csv", "results.json", "audit_log.jsonl")
ZIP_ORDER = (MANIFEST, *LISTED_FILES, SIGNATURE)
FILE_MODE = 0o644 << 16
CACHE_PREFIX = "audit-bundle-"
BUNDLE_STEPS = 3  # data read, bundle built and signed, file written


class BundleError(AwardsError):
    """The bundle cannot be built (not published, or data changed after publication)."""

    status = 409
    code = "bundle.refused"


@dataclass(frozen=True)
class AuditBundle:
    """A built bundle: the zip bytes and what identifies it."""

    data: bytes
    filename: str
    version: int
    manifest_sha256: str
    public_key: str
    audit_head: Mapping[str, Any] | None = None


# --------------------------------------------------------------------------- pure parts


def json_bytes(value: Any) -> bytes:
    """Readable, deterministic JSON: sorted keys, indent 2, UTF-8, final newline."""
    return (json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False,
                       allow_nan=False) + "\n").encode("utf-8")


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """CSV with ``\\n`` line ends and minimal quoting."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def audit_log_bytes(events: Iterable[Mapping[str, Any]]) -> bytes:
    """One event per line: canonical JSON of the seven fields plus ``hash``."""
    return "".join(canonical_json(dict(e)) + "\n" for e in events).encode("utf-8")


def manifest_bytes(meta: Mapping[str, Any], files: Mapping[str, bytes]) -> bytes:
    """``manifest.json`` for ``files`` (the eight listed files, in bundle order)."""
    manifest = dict(meta)
    manifest["spec"] = SPEC_VERSION
    manifest["files"] = [{"name": name, "sha256": hashlib.sha256(files[name]).hexdigest(),
                          "bytes": len(files[name])} for name in LISTED_FILES]
    manifest["signature"] = {"file": SIGNATURE, "algorithm": "Ed25519",
                             "encoding": "hex", "signs": MANIFEST}
    return json_bytes(manifest)


def zip_bytes(files: Mapping[str, bytes], when: datetime) -> bytes:
    """A deterministic zip: fixed order, timestamps, permissions and compression."""
    stamp = when.astimezone(UTC).timetuple()[:6] if when.tzinfo else when.timetuple()[:6]
    stamp = max(stamp, (1980, 1, 1, 0, 0, 0))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in ZIP_ORDER:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = FILE_MODE
            info.create_system = 3
            archive.writestr(info, files[name], compress_type=zipfile.ZIP_DEFLATED,
                             compresslevel=9)
    return out.getvalue()


def assemble(files: Mapping[str, bytes], meta: Mapping[str, Any], sign, when: datetime
             ) -> tuple[bytes, bytes]:
    """Add the manifest and its signature to the eight files and zip them.

    Parameters
    ----------
    files : mapping
        The eight listed files' bytes.
    meta : mapping
        Manifest fields other than ``spec``, ``files`` and ``signature``.
    sign : callable
        ``bytes -> str``: the hex Ed25519 signature of the manifest bytes.
    when : datetime
        The zip timestamp (the publication time).

    Returns
    -------
    (zip bytes, manifest bytes)
    """
    missing = [name for name in LISTED_FILES if name not in files]
    if missing:
        raise BundleError(f"bundle files missing: {', '.join(missing)}")
    manifest = manifest_bytes(meta, files)
    everything = {**files, MANIFEST: manifest, SIGNATURE: sign(manifest).encode("ascii")}
    return zip_bytes(everything, when), manifest


# --------------------------------------------------------------------------- from the database


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def config_document(campaign: Campaign, data) -> dict[str, Any]:
    """``config.json``: everything needed to recompute the results."""

    eligible = set(data.departments)
    population = dict(data.districts)
    return {
        "spec": SPEC_VERSION,
        "campaign": {
            "slug": campaign.slug, "name_en": campaign.name_en, "name_zh": campaign.name_zh,
            "max_choices": campaign.max_choices, "finalists": data.config.finalists,
            "public_weight": float(data.config.public_weight),
            "judge_method": data.config.method,
            "final_public_weight": float(data.config.final_public_weight),
            "bootstrap": int(data.config.bootstrap),
            "entries_required": campaign.entries_required, "seed": data.config.seed,
            "voting_opens_at": _iso(campaign.voting_opens_at),
            "voting_closes_at": _iso(campaign.voting_closes_at),
        },
        "districts": [
            {"code": d.code, "name_en": d.name_en, "name_zh": d.name_zh,
             "households": d.households, "frame_count": d.frame_count,
             "population": population[d.code]}
            for d in sorted(campaign.districts, key=lambda d: d.code)],
        "departments": [
            {"code": d.code, "name_en": d.name_en, "name_zh": d.name_zh,
             "eligible": d.code in eligible}
            for d in sorted(campaign.departments, key=lambda d: d.code)],
        "criteria": [
            {"round": c.round, "code": c.code, "name_en": c.name_en, "name_zh": c.name_zh,
             "weight": float(c.weight), "max": int(c.max)}
            for c in sorted(campaign.criteria, key=lambda c: (c.round, c.code))],
        "awards": [{"name_en": a[0], "name_zh": a[1], "places": int(a[2])}
                   for a in campaign_awards(campaign)],
        "judges": sorted(judge_pseudonyms(campaign).values()),
    }


def ballot_rows(campaign: Campaign) -> list[tuple[str, str, str, str, str]]:
    """``ballots.csv`` rows, sorted by ballot id in plain string order (not the database's
    collation)."""

    mix_before_count(campaign)  # SPEC 4: no ballot list before the inbox is mixed
    codes = {d.id: d.code for d in campaign.districts}
    rows = []
    for ballot_id, district_id, choices, channel, status in db.session.execute(
            select(Ballot.id, Ballot.district_id, Ballot.choices, Ballot.channel,
                   Ballot.status).where(Ballot.campaign_id == campaign.id)):
        canonical = ";".join(sorted(c for c in choices.split(";") if c)) \
            if status == "valid" else ""
        rows.append((ballot_id, codes[district_id], canonical, channel, status))
    rows.sort()
    return rows


def code_rows(campaign: Campaign) -> list[tuple[str, int, int, int, int]]:
    """``codes.csv`` rows per district: issued (ever), used on the web, on paper, void."""
    counts: dict[int, dict[str, int]] = {
        d.id: {"issued": 0, "web": 0, "paper": 0, "void": 0} for d in campaign.districts}
    for district_id, state, channel, number in db.session.execute(
            select(VotingCode.district_id, VotingCode.state, VotingCode.channel, func.count())
            .where(VotingCode.campaign_id == campaign.id)
            .group_by(VotingCode.district_id, VotingCode.state, VotingCode.channel)):
        row = counts[district_id]
        row["issued"] += number
        if state == "used":
            row[channel or "web"] += number
        elif state == "void":
            row["void"] += number
    return sorted((d.code, counts[d.id]["issued"], counts[d.id]["web"], counts[d.id]["paper"],
                   counts[d.id]["void"]) for d in campaign.districts)


def district_rows(campaign: Campaign, population: Mapping[str, int],
                  ballots: Sequence[tuple[str, str, str, str, str]]
                  ) -> list[tuple[str, int, int, int, int, int]]:
    """``districts.csv`` rows: N_h, invited (sampled households), returned, valid, spoilt."""
    tally = {d.code: {"valid": 0, "spoilt": 0} for d in campaign.districts}
    for _id, district, _choices, _channel, status in ballots:
        tally[district][status] += 1
    return [(d.code, population[d.code], d.sample_size,
             tally[d.code]["valid"] + tally[d.code]["spoilt"], tally[d.code]["valid"],
             tally[d.code]["spoilt"])
            for d in sorted(campaign.districts, key=lambda d: d.code)]


def sample_document(campaign: Campaign) -> dict[str, Any]:
    districts = sorted(campaign.districts, key=lambda d: d.code)
    return {
        "seed": campaign.seed,
        "frame_digest": campaign.frame_digest,
        "size": sum(d.sample_size for d in districts),
        "frame_counts": {d.code: d.frame_count for d in districts},
        "allocation": {d.code: d.sample_size for d in districts},
        "codes_commitment": campaign.codes_commitment,
    }


def results_document(version: ResultVersion) -> dict[str, Any]:
    return json.loads(version.results_json)


def current_data(campaign: Campaign, version: ResultVersion):
    """The campaign's scoring data (:class:`awards.results.services.ScoringData`), checked
    against the published version.

    Raises
    ------
    BundleError
        When the campaign's data no longer give the published inputs digest.
    """

    data = load_scoring_data(campaign)
    if data.digest != version.inputs_digest:
        raise BundleError(
            f"the data of '{campaign.slug}' changed after results version {version.version} "
            f"was published (inputs digest {version.inputs_digest[:12]}… is now "
            f"{data.digest[:12]}…); publish a corrected version with a reason",
            code="bundle.data_changed", slug=campaign.slug, version=version.version)
    return data


def bundle_files(campaign: Campaign, version: ResultVersion, data=None
                 ) -> tuple[dict[str, bytes], dict[str, Any]]:
    """The eight listed files of the bundle and the audit head, from the database.

    ``data`` is :func:`current_data` when the caller already holds it.

    Raises
    ------
    BundleError
        When the campaign's data no longer give the published inputs digest.
    """
    data = data if data is not None else current_data(campaign, version)
    ballots = ballot_rows(campaign)
    events = [event_as_dict(e) for e in published_chain_events(campaign.slug, version.version)]
    files = {
        "config.json": json_bytes(config_document(campaign, data)),
        "districts.csv": csv_bytes(("district", "households", "invited", "returned", "valid",
                                    "spoilt"),
                                   district_rows(campaign, dict(data.districts), ballots)),
        "sample.json": json_bytes(sample_document(campaign)),
        "ballots.csv": csv_bytes(("ballot_id", "district", "choices", "channel", "status"),
                                 ballots),
        "codes.csv": csv_bytes(("district", "issued", "used_web", "used_paper", "void"),
                               code_rows(campaign)),
        "scores.csv": csv_bytes(("round", "judge", "department", "criterion", "score"),
                                data.score_rows),
        "results.json": json_bytes(results_document(version)),
        "audit_log.jsonl": audit_log_bytes(events),
    }
    head = ({"seq": events[-1]["seq"], "hash": events[-1]["hash"]} if events
            else {"seq": 0, "hash": GENESIS})
    return files, head


def published_version(campaign: Campaign) -> ResultVersion:
    """The version a bundle is built for: the current published one.

    Raises
    ------
    BundleError
        Before publication.
    """

    version = current_published(campaign)
    if version is None:
        raise BundleError(f"'{campaign.slug}' is not published: publish it before exporting "
                          "the audit bundle (flask awards publish SLUG)",
                          code="bundle.not_published", slug=campaign.slug)
    return version


def build_bundle(campaign: Campaign, data=None) -> AuditBundle:
    """The signed audit bundle of the campaign's current published version, built anew.

    Reads only: the ``published`` event was recorded at publication. ``data`` is
    :func:`current_data` when the caller already holds it.

    Raises
    ------
    BundleError
        Before publication, or when the data changed after publication.
    awards.audit.signing.SigningKeyError
        When the signing key cannot be used.
    """

    version = published_version(campaign)
    key = campaign_private_key(campaign)
    files, head = bundle_files(campaign, version, data)
    meta = {
        "app_version": __version__,
        "numpy_version": numpy.__version__,
        "campaign": campaign.slug,
        "result_version": version.version,
        "published_at": _iso(version.published_at),
        "inputs_digest": version.inputs_digest,
        "public_key": campaign.signing_public_key,
        "audit_head": head,
    }
    data, manifest = assemble(files, meta, lambda message: key.sign(message).hex(),
                              version.published_at)
    return AuditBundle(data=data, filename=bundle_filename(campaign, version),
                       version=version.version,
                       manifest_sha256=hashlib.sha256(manifest).hexdigest(),
                       public_key=campaign.signing_public_key or "", audit_head=head)


def bundle_filename(campaign: Campaign, version: ResultVersion) -> str:
    return f"{campaign.slug}-audit-v{version.version}.zip"


# --------------------------------------------------------------------------- cached on disk


def audit_head(campaign: Campaign) -> dict[str, Any]:
    """``{"seq", "hash"}`` of the last event of the campaign's chain (one indexed row)."""
    row = db.session.execute(
        select(AuditEvent.seq, AuditEvent.hash).where(AuditEvent.chain == campaign.slug)
        .order_by(AuditEvent.seq.desc()).limit(1)).first()
    return {"seq": row.seq, "hash": row.hash} if row else {"seq": 0, "hash": GENESIS}


def cache_path(campaign: Campaign, version: ResultVersion, inputs_digest: str,
               head: Mapping[str, Any]) -> Path:
    """Where the bundle for (version, inputs digest, audit head) is kept: the campaign's
    exports folder, named by a hash of everything the bundle's bytes depend on."""

    key = canonical_json({"app_version": __version__, "numpy_version": numpy.__version__,
                          "version": version.version, "inputs_digest": inputs_digest,
                          "public_key": campaign.signing_public_key,
                          "audit_head": dict(head)})
    name = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    return exports_dir(campaign.slug) / f"{CACHE_PREFIX}v{version.version}-{name}.zip"


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it into place, so
    a reader sees the whole file or none.

    Raises
    ------
    OSError
        The temporary file is removed first.
    """
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                             suffix=".part")
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def cached_bundle(campaign: Campaign, progress: Callable[[int], None] | None = None
                  ) -> AuditBundle:
    """The signed bundle of the current published version, from the exports folder when
    nothing it depends on changed (an anonymous download must not rebuild and re-sign it).

    The cache key is the published version, the inputs digest of the campaign's data now
    (so data changed behind the services' back still fails as in :func:`build_bundle`),
    the audit chain's head (every recorded event changes ``audit_log.jsonl``), the public
    key and the app and numpy versions. Writes nothing to the database. ``progress`` is
    called with 1 once the data are read and 2 once the bundle is built (a queued job's
    steps; see :data:`BUNDLE_STEPS`).

    Raises
    ------
    BundleError, awards.audit.signing.SigningKeyError
        As :func:`build_bundle`.
    """
    version = published_version(campaign)
    data = current_data(campaign, version)
    head = audit_head(campaign)
    if progress:
        progress(1)
    try:
        body = cache_path(campaign, version, data.digest, head).read_bytes()
        manifest = zipfile.ZipFile(io.BytesIO(body)).read(MANIFEST)
    except (OSError, zipfile.BadZipFile, KeyError):
        body = None  # not cached yet, or a damaged entry: built again below
    if body is not None:
        return AuditBundle(data=body, filename=bundle_filename(campaign, version),
                           version=version.version,
                           manifest_sha256=hashlib.sha256(manifest).hexdigest(),
                           public_key=campaign.signing_public_key or "", audit_head=head)
    bundle = build_bundle(campaign, data)
    if progress:
        progress(2)
    try:
        # Keyed by the chain's head read above: the bundle's log may stop earlier (a
        # pending correction); an event that came meanwhile only leaves an unused file.
        path = cache_path(campaign, version, data.digest, head)
        write_atomically(path, bundle.data)
        for stale in path.parent.glob(f"{CACHE_PREFIX}*.zip"):
            if stale != path:
                stale.unlink(missing_ok=True)
    except OSError as exc:  # serving the bundle matters more than caching it
        current_app.logger.warning("audit bundle cache not written: %s", exc)
    return bundle


def record_export(campaign: Campaign, bundle: AuditBundle, actor: str | None = None) -> None:
    """Record ``bundle_exported`` with the manifest's SHA-256, so the log commits to what
    left the system (committed)."""

    record("bundle_exported", campaign.slug,
           {"version": bundle.version, "manifest_sha256": bundle.manifest_sha256},
           chain=campaign.slug, actor=actor or current_actor())
    db.session.commit()
