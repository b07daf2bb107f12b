"""Household frame, sample and one-time codes in the database (SPEC section 3).

The pure rules live in :mod:`awards.voting.frame`, :mod:`.sampling` and :mod:`.codes`;
this module loads and stores rows around them, each operation in one transaction with its
audit event.
"""

from __future__ import annotations

import random
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from flask import current_app
from sqlalchemy import bindparam, select, text, update

from awards.audit.service import record
from awards.campaigns.services import lock_campaign, refuse
from awards.exceptions import InvalidInput, LifecycleError, NotFound
from awards.extensions import db
from awards.models import AuditEvent, Campaign, District, Household, SampledHousehold, VotingCode
from awards.models.base import utcnow, utctoday
from awards.storage import exports_dir
from awards.voting.codes import code_hmac, codes_commitment, generate_code
from awards.voting.frame import FrameError, FrameRow, digest_frames, parse_frame
from awards.voting.pointers import (
    configured_pointer_key,
    open_pointer,
    pointer_cipher,
    seal_pointer,
)
from awards.voting.sampling import SamplingError, allocate, draw_sample, validate_seed

Progress = Callable[[int], None]
BATCH = 20_000
_system_random = random.SystemRandom()  # draws from os.urandom, as ``secrets`` does


def pepper() -> bytes:
    value = current_app.config.get("CODE_PEPPER")
    if not value:
        raise LifecycleError("AWARDS_CODE_PEPPER is not configured")
    return value.encode("utf-8")


def _district_ids(campaign: Campaign) -> dict[str, int]:
    return {d.code: d.id for d in campaign.districts}


def import_frame(campaign: Campaign, stream: BinaryIO) -> str:
    """Validate the whole frame file, then replace the campaign's frame with it.

    Returns
    -------
    str
        The frame digest (also written to the audit log).

    Raises
    ------
    InvalidInput
        With every error and its line number; nothing is written.
    FrozenError / LifecycleError
        Once the sample is drawn the frame can no longer be replaced.
    """
    lock_campaign(campaign)
    if campaign.sample_drawn_at is not None:
        raise refuse(campaign, "frame", "the sample has been drawn; the frame can no longer "
                     "be replaced", code="frozen.frame")
    try:
        rows = parse_frame(stream, set(_district_ids(campaign)))
    except FrameError as exc:
        raise InvalidInput(str(exc), exc.errors, code=exc.code, **exc.params) from None
    digest = _frame_digest(rows)
    ids = _district_ids(campaign)
    db.session.execute(Household.__table__.delete().where(Household.campaign_id == campaign.id))
    _bulk_insert_households(campaign.id, ids, rows)
    counts: dict[str, int] = dict.fromkeys(ids, 0)
    for _hid, district, _address in rows:
        counts[district] += 1
    for district in campaign.districts:
        district.frame_count = counts[district.code]
        district.sample_size = 0
    campaign.frame_digest = digest
    record("frame_imported", campaign.slug,
           {"frame_digest": digest, "households": len(rows), "per_district": counts},
           chain=campaign.slug)
    db.session.commit()
    return digest


def _frame_digest(rows: list[FrameRow]) -> str:
    frames: dict[str, list[str]] = {}
    for household_id, district, _address in rows:
        frames.setdefault(district, []).append(household_id)
    return digest_frames(frames)


# COPY text format: backslash, tab and line breaks are escaped; None is \N.
_COPY_NULL = "\\N"
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _bulk_insert_households(campaign_id: int, district_ids: dict[str, int],
                            rows: list[FrameRow]) -> None:
    """``COPY`` on PostgreSQL, batched ``executemany`` elsewhere, inside the session's
    transaction so that a failure leaves nothing behind."""
    connection = db.session.connection()
    raw = connection.connection.dbapi_connection
    if connection.dialect.name == "postgresql":
        _copy_households(connection, raw, campaign_id, district_ids, rows)
        return
    values = ((campaign_id, hid, district_ids[d], address) for hid, d, address in rows)
    cursor = raw.cursor()
    batch: list[tuple] = []
    for row in values:
        batch.append(row)
        if len(batch) >= BATCH:
            cursor.executemany("INSERT INTO households (campaign_id, household_id, district_id,"
                               " address) VALUES (?, ?, ?, ?)", batch)
            batch.clear()
    if batch:
        cursor.executemany("INSERT INTO households (campaign_id, household_id, district_id, "
                           "address) VALUES (?, ?, ?, ?)", batch)


def _copy_households(connection, raw, campaign_id: int, district_ids: dict[str, int],
                     rows: list[FrameRow]) -> None:
    """PostgreSQL bulk load: COPY text written in large chunks (the manual's "Populating a
    Database"), then ANALYZE so that the sample's lookups by key use the indexes."""
    prefix = {code: f"{campaign_id}\t{key}\t" for code, key in district_ids.items()}
    with raw.cursor() as cursor, cursor.copy(
        "COPY households (campaign_id, district_id, household_id, address) "
        "FROM STDIN"
    ) as copy:
        for start in range(0, len(rows), BATCH):
            copy.write("".join(
                prefix[district] + household_id.translate(_COPY_ESCAPES) + "\t"
                + (_COPY_NULL if address is None else address.translate(_COPY_ESCAPES))
                + "\n"
                for household_id, district, address in rows[start:start + BATCH]
            ))
    connection.exec_driver_sql("ANALYZE households")


def _insert_sampled(rows: list[tuple[int, int, int]]) -> None:
    """``(household_pk, campaign_id, district_id)`` rows into ``sampled_households``: COPY
    on PostgreSQL (a statement per row costs a round trip each), ``executemany``
    elsewhere."""
    connection = db.session.connection()
    raw = connection.connection.dbapi_connection
    if connection.dialect.name == "postgresql":
        with raw.cursor() as cursor, cursor.copy(
            "COPY sampled_households (household_pk, campaign_id, district_id) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row(row)
        return
    raw.cursor().executemany("INSERT INTO sampled_households (household_pk, campaign_id, "
                             "district_id) VALUES (?, ?, ?)", rows)


def _digest_is_recorded(campaign: Campaign) -> bool:
    """True when the audit log holds the current frame digest (SPEC: the seed is recorded
    only after the frame digest)."""
    events = db.session.scalars(select(AuditEvent.data).where(
        AuditEvent.chain == campaign.slug, AuditEvent.action == "frame_imported"))
    return any(f'"frame_digest":"{campaign.frame_digest}"' in data for data in events)


def load_frames(campaign: Campaign) -> dict[str, list[str]]:
    """District code -> household ids in canonical frame order (plain string order, sorted
    here rather than by the database, whose collation may differ)."""
    return {code: ids for code, (ids, _keys) in _keyed_frames(campaign).items()}


def _keyed_frames(campaign: Campaign) -> dict[str, tuple[list[str], list[int]]]:
    """District code -> (household ids in canonical frame order, their primary keys in the
    same order).

    Millions of rows: read through the driver's cursor, as ORM rows would cost four times
    as long."""
    codes = {d.id: d.code for d in campaign.districts}
    rows: dict[int, list[tuple[str, int]]] = {district_id: [] for district_id in codes}
    connection = db.session.connection()
    marker = "%s" if connection.dialect.name == "postgresql" else "?"
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        cursor.execute("SELECT district_id, household_id, id FROM households "
                       f"WHERE campaign_id = {marker}", (campaign.id,))
        while chunk := cursor.fetchmany(BATCH):
            for district_id, household_id, key in chunk:
                rows[district_id].append((household_id, key))
    finally:
        cursor.close()
    frames = {}
    for district_id, pairs in rows.items():
        pairs.sort()
        frames[codes[district_id]] = ([hid for hid, _key in pairs], [key for _hid, key in pairs])
    return frames


def _check_draw(campaign: Campaign, size: int, seed: str) -> None:
    """The preconditions of a draw (SPEC section 3), shared by the draw and its preview."""
    if not campaign.frame_digest or not _digest_is_recorded(campaign):
        raise LifecycleError("import the household frame first: its digest must be in the "
                             "audit log before a seed is recorded", code="sample.no_frame")
    if campaign.sample_drawn_at is not None:
        raise LifecycleError("the sample has already been drawn; it cannot be drawn again",
                             code="sample.drawn")
    if size < 1:
        raise InvalidInput("the sample size must be at least 1", code="sample.size")
    try:
        validate_seed(seed)
    except SamplingError as exc:
        raise InvalidInput(str(exc), code="sample.invalid", detail=str(exc)) from None


def preview_sample(campaign: Campaign, size: int, seed: str) -> dict[str, int]:
    """The allocation a draw of ``size`` with ``seed`` would make (S1), without drawing or
    recording anything: what the confirmation page shows.

    Raises
    ------
    InvalidInput, LifecycleError
        As :func:`draw_campaign_sample` would.
    """
    _check_draw(campaign, size, seed)
    try:
        return allocate(size, {d.code: d.frame_count for d in campaign.districts})
    except SamplingError as exc:
        raise InvalidInput(str(exc), code="sample.invalid", detail=str(exc)) from None


def draw_campaign_sample(campaign: Campaign, size: int, seed: str) -> dict[str, int]:
    """Allocation S1 and selection S2 with the published seed (SPEC section 3).

    Returns
    -------
    dict[str, int]
        The allocation per district.

    Raises
    ------
    InvalidInput
        Bad seed or size (larger than the frame or than a district's frame).
    LifecycleError
        No frame, frame digest not in the audit log, or a sample already drawn.
    """
    lock_campaign(campaign)
    _check_draw(campaign, size, seed)
    try:
        keyed = _keyed_frames(campaign)
        sample = draw_sample(seed, {code: ids for code, (ids, _) in keyed.items()}, size)
    except SamplingError as exc:
        raise InvalidInput(str(exc), code="sample.invalid", detail=str(exc)) from None
    record("seed_recorded", campaign.slug,
           {"seed": seed, "frame_digest": campaign.frame_digest}, chain=campaign.slug)
    ids = _district_ids(campaign)
    _insert_sampled([
        (keyed[code][1][bisect_left(keyed[code][0], household_id)], campaign.id, ids[code])
        for code, households in sample.items() for household_id in households])
    allocation = {code: len(households) for code, households in sample.items()}
    for district in campaign.districts:
        district.sample_size = allocation.get(district.code, 0)
    campaign.seed = seed
    campaign.sample_drawn_at = utcnow()
    record("sample_drawn", campaign.slug,
           {"seed": seed, "frame_digest": campaign.frame_digest, "size": size,
            "allocation": allocation}, chain=campaign.slug)
    db.session.commit()
    return allocation


@dataclass(frozen=True)
class IssuedLetter:
    household_id: str
    district: str
    code: str  # normalised, 14 symbols
    address: str | None


Deliver = Callable[[list["IssuedLetter"]], None]


def codes_issue_refusal(campaign: Campaign) -> LifecycleError | None:
    """Why codes cannot be issued now (None: they can); checks only, writes nothing."""
    if campaign.sample_drawn_at is None:
        return LifecycleError("draw the sample before issuing codes", code="codes.no_sample")
    if campaign.codes_commitment:
        return LifecycleError("codes have already been issued; use 'codes reissue' for a "
                              "lost letter", code="codes.issued")
    return None


def issue_codes(campaign: Campaign, deliver: Deliver,
                progress: Progress | None = None) -> list[IssuedLetter]:
    """One code per sampled household, from ``secrets``; stored only as HMACs.

    ``deliver`` receives the plaintext letters (they exist nowhere else) and must write
    them durably; it runs before the commit, so if it fails no code is issued.

    Raises
    ------
    LifecycleError
        Without a sample, or when codes were already issued.
    """
    lock_campaign(campaign)  # two clicks on "issue" must not issue two sets of codes
    refusal = codes_issue_refusal(campaign)
    if refusal is not None:
        raise refusal
    key = pepper()
    cipher = pointer_cipher(configured_pointer_key(current_app.config))
    codes = {d.id: d.code for d in campaign.districts}
    households = db.session.execute(
        select(Household.id, Household.household_id, Household.district_id, Household.address)
        .join(SampledHousehold, SampledHousehold.household_pk == Household.id)
        .where(SampledHousehold.campaign_id == campaign.id)
        .order_by(Household.district_id, Household.household_id)
    ).all()
    today = utctoday()
    letters: list[IssuedLetter] = []
    owners: dict[str, int] = {}  # code HMAC -> household primary key, in memory only
    for household in households:
        code = generate_code()
        digest = code_hmac(key, code)
        while digest in owners:  # 65 random bits: a collision is practically impossible
            code = generate_code()
            digest = code_hmac(key, code)
        owners[digest] = household.id
        letters.append(IssuedLetter(household.household_id, codes[household.district_id],
                                    code, household.address))
        if progress and len(letters) % 1000 == 0:
            progress(len(letters))
    _insert_codes_shuffled(campaign, owners, {h.id: h.district_id for h in households}, today)
    _write_pointers(campaign, cipher, owners)
    seen = owners.keys()
    per_district: dict[str, int] = dict.fromkeys(sorted(codes.values()), 0)
    for letter in letters:
        per_district[letter.district] += 1
    campaign.codes_commitment = codes_commitment(seen)
    record("codes_issued", campaign.slug,
           {"count": len(letters), "per_district": per_district,
            "commitment": campaign.codes_commitment}, chain=campaign.slug)
    try:
        deliver(letters)
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()
    if progress:
        progress(len(letters))
    return letters


def _insert_codes_shuffled(campaign: Campaign, owners: dict[str, int],
                           districts: dict[int, int], today) -> None:
    """Insert the code rows in a random order (``secrets``-based), so that neither their ids
    nor their storage order follows the household order of the frame (SPEC section 4,
    secrecy against whoever holds the database)."""
    rows = [{"campaign_id": campaign.id, "district_id": districts[household_pk],
             "code_hmac": digest, "state": "issued", "channel": None, "day": today}
            for digest, household_pk in owners.items()]
    _system_random.shuffle(rows)
    for start in range(0, len(rows), BATCH):
        db.session.execute(VotingCode.__table__.insert(), rows[start:start + BATCH])


def _write_pointers(campaign: Campaign, cipher, owners: dict[str, int]) -> None:
    """Seal each household's pointer to its code row; rows are written in household order,
    which is no secret, and never in the shuffled order of the code rows."""
    ids = dict(db.session.execute(select(VotingCode.code_hmac, VotingCode.id).where(
        VotingCode.campaign_id == campaign.id)).all())
    pointers = sorted((household_pk, seal_pointer(cipher, campaign.id, household_pk,
                                                  ids[digest]))
                      for digest, household_pk in owners.items())
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        for start in range(0, len(pointers), BATCH):
            chunk = pointers[start:start + BATCH]
            connection.execute(text(
                "UPDATE sampled_households AS s SET code_pointer = v.pointer "
                "FROM unnest(CAST(:pks AS integer[]), CAST(:pointers AS bytea[])) "
                "AS v(pk, pointer) WHERE s.household_pk = v.pk"),
                {"pks": [pk for pk, _p in chunk], "pointers": [p for _pk, p in chunk]})
        return
    connection.execute(
        update(SampledHousehold).where(SampledHousehold.household_pk == bindparam("pk"))
        .values(code_pointer=bindparam("pointer")),
        [{"pk": pk, "pointer": pointer} for pk, pointer in pointers])


def _current_code_id(campaign: Campaign, sampled: SampledHousehold) -> int:
    if sampled.code_pointer is None:
        raise LifecycleError("codes have not been issued for this household yet",
                             code="reissue.not_issued")
    cipher = pointer_cipher(configured_pointer_key(current_app.config))
    return open_pointer(cipher, campaign.id, sampled.household_pk, sampled.code_pointer)


def reissue_code(campaign: Campaign, household_id: str, deliver: Deliver) -> IssuedLetter:
    """Void the household's unused code and issue a new one, atomically.

    Raises
    ------
    NotFound
        No such sampled household.
    LifecycleError
        The household's code was already used, or the vote is closed.
    """
    household = db.session.scalar(select(Household).where(
        Household.campaign_id == campaign.id, Household.household_id == household_id))
    # Locked: two reissues of one letter run one after the other, the second reading the
    # pointer the first rewrote.
    sampled = household and db.session.get(SampledHousehold, household.id,
                                           with_for_update=True, populate_existing=True)
    if household is None or sampled is None:
        raise NotFound(f"no sampled household '{household_id}' in '{campaign.slug}'",
                       code="reissue.unknown_household", household=household_id,
                       slug=campaign.slug)
    if campaign.state not in ("draft", "entries_open", "entries_closed", "adjudication"):
        raise refuse(campaign, "code reissue", "the vote is over; codes can no longer be "
                     "reissued", code="frozen.reissue")
    today = utctoday()
    voided = db.session.execute(
        update(VotingCode)
        .where(VotingCode.id == _current_code_id(campaign, sampled),
               VotingCode.campaign_id == campaign.id, VotingCode.state == "issued")
        .values(state="void", day=today)
    ).rowcount
    if voided != 1:
        db.session.rollback()
        raise LifecycleError("this household's code has already been used; it cannot be "
                             "reissued", code="reissue.used")
    code = generate_code()
    fresh = VotingCode(campaign_id=campaign.id, district_id=household.district_id,
                       code_hmac=code_hmac(pepper(), code), state="issued", day=today)
    db.session.add(fresh)
    db.session.flush()
    sampled.code_pointer = seal_pointer(
        pointer_cipher(configured_pointer_key(current_app.config)), campaign.id,
        household.id, fresh.id)
    district = db.session.get(District, household.district_id)
    _refresh_commitment(campaign)
    record("code_reissued", campaign.slug, {"district": district.code,
                                            "commitment": campaign.codes_commitment},
           chain=campaign.slug)
    letter = IssuedLetter(household.household_id, district.code, code, household.address)
    try:
        deliver([letter])
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()
    return letter


def _refresh_commitment(campaign: Campaign) -> None:
    db.session.flush()
    campaign.codes_commitment = codes_commitment(db.session.scalars(
        select(VotingCode.code_hmac).where(VotingCode.campaign_id == campaign.id)))


def purge_addresses(campaign: Campaign) -> int:
    """Delete every address after mailing, and the letter files kept by the organiser pages
    (they hold addresses and the only plaintext codes); ids, districts and the frame digest
    stay."""

    purged = db.session.execute(
        update(Household).where(Household.campaign_id == campaign.id,
                                Household.address.is_not(None)).values(address=None)
    ).rowcount
    campaign.addresses_purged_at = utcnow()
    letter_files = sorted(exports_dir(campaign.slug).glob("letter*"))
    record("addresses_purged", campaign.slug,
           {"households": purged, "letter_files_deleted": len(letter_files)},
           chain=campaign.slug)
    db.session.commit()
    for path in letter_files:
        path.unlink(missing_ok=True)
    return purged


