"""Casting ballots (SPEC section 4): single use under concurrency, secrecy, paper returns.

Secrecy rules this module keeps: a ballot row holds a random id, district, choices,
channel, status and the day only; nothing here logs a code or a choice; no audit event is
written per ballot. A vote burns its code and writes its ballot to the inbox; the mixer
(:mod:`.mixer`) moves it to the ballot table later, in a shuffled batch, in a transaction of
its own, so that no transaction id or storage order links a ballot to its code. Counts mix
the inbox first.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

from sqlalchemy import bindparam, func, insert, select, update

from awards.audit.service import record
from awards.campaigns.eligibility import eligible_codes, eligible_departments
from awards.campaigns.services import as_utc, ensure_not_published, voting_is_open
from awards.csvfile import CsvReader
from awards.exceptions import AwardsError, InvalidInput
from awards.extensions import db
from awards.models import Ballot, Campaign, InboxBallot, VotingCode
from awards.models.base import utctoday
from awards.voting.abuse import campaigns_voting_now, failed_guesses
from awards.voting.codes import CodeTypo, ballot_id, code_hmac, normalise_ballot_id, parse_code
from awards.voting.households import pepper
from awards.voting.mixer import (
    MIX_THRESHOLD,
    mix_after_vote,
    mix_before_count,
    mix_everything,
    pending,
)

_system_random = random.SystemRandom()
PAPER_HEADER = ("code", "choices")


class VotingClosed(AwardsError):
    status = 403
    code = "voting.closed"


class CodeNotAccepted(AwardsError):
    """Unknown, void and used codes get this one answer (SPEC section 4)."""

    status = 403
    code = "voting.code_not_accepted"


class BadChoices(AwardsError):
    status = 422
    code = "ballot.not_on_ballot"


class NoChoice(BadChoices):
    """A ballot that names no department."""

    code = "ballot.no_choice"


class TooManyChoices(BadChoices):
    """A ballot that names more departments than the campaign allows."""

    code = "ballot.too_many"


def check_choices(campaign: Campaign, choices: Sequence[str]) -> list[str]:
    """Validate a web ballot: 1..max_choices distinct eligible department codes.

    Raises
    ------
    BadChoices
        With a message for the household.
    """
    eligible = eligible_codes(campaign)
    picked = list(dict.fromkeys(choices))
    if not picked:
        raise NoChoice("choose at least one department")
    if len(picked) > campaign.max_choices:
        raise TooManyChoices(f"choose at most {campaign.max_choices} departments",
                             count=campaign.max_choices)
    if len(picked) != len(choices):
        raise BadChoices("each department can be chosen only once", code="ballot.repeated")
    unknown = [c for c in picked if c not in eligible]
    if unknown:
        raise BadChoices("that department is not on the ballot")
    return sorted(picked)


# Built once: every code entry, and every guess of a flood, runs it.
_FIND_CODE = (select(VotingCode.state, VotingCode.campaign_id)
              .where(VotingCode.code_hmac == bindparam("digest")))


def find_open_code(code_text: str) -> tuple[Campaign, str]:
    """Check a typed code without using it.

    Returns
    -------
    (campaign, hmac)

    Raises
    ------
    CodeTypo
        Malformed (wrong length or check symbol): no database lookup, not a guess.
    CodeNotAccepted
        Unknown, used or void, or for a campaign whose vote is not open: one answer.
    VotingClosed
        No vote is open: every well-formed code gets this answer, without a lookup, so
        that after the vote nobody learns from a letter whether its household voted.
    """
    code = parse_code(code_text)
    votes = campaigns_voting_now()
    if not votes:
        raise VotingClosed("voting is not open")
    digest = code_hmac(pepper(), code)
    # A read on a connection of its own, outside any transaction: most codes checked in a
    # flood of guesses are refused here, and then the request touches the database no
    # further (no BEGIN, no ROLLBACK; on SQLite, no write lock for a read). Unknown, used
    # and void codes, and codes of a campaign whose vote is not open, are all refused after
    # this one read and nothing else (the same answer and the same work, SPEC section 4);
    # only an issued code of an open vote goes on to read its campaign.
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        row = connection.execute(_FIND_CODE, {"digest": digest}).first()
    if (row is None or row.state != "issued"
            or row.campaign_id not in {vote.id for vote in votes}):
        raise CodeNotAccepted("this code cannot be used")
    campaign = db.session.get(Campaign, row.campaign_id)
    if not voting_is_open(campaign):
        raise CodeNotAccepted("this code cannot be used")
    return campaign, digest


# The vote's statements, built once: a vote runs them hundreds of times a second, and
# building a statement costs more than running it (SPEC 9: the vote endpoint's throughput).
_BURN = (update(VotingCode)
         .where(VotingCode.code_hmac == bindparam("digest"),
                VotingCode.campaign_id == bindparam("campaign"),
                VotingCode.state == "issued")
         .values(state="used", channel=bindparam("channel"), day=bindparam("day"))
         .returning(VotingCode.district_id))
_TO_INBOX = insert(InboxBallot)


def burn_code_and_store_ballot(campaign: Campaign, digest: str, choices: Sequence[str],
                               channel: str = "web", status: str = "valid") -> str:
    """Use the code and put the ballot in the inbox in one transaction (SPEC section 4);
    after the commit, the mixer runs when the inbox holds enough ballots.

    The conditional ``UPDATE … WHERE state = 'issued'`` lets exactly one of any number of
    simultaneous submissions through, on SQLite (one writer at a time) and PostgreSQL (the
    row lock makes the others re-check the condition and match nothing).

    Returns
    -------
    str
        The ballot id, the household's receipt.

    Raises
    ------
    CodeNotAccepted
        When the code is not (or no longer) issued; nothing is written.
    VotingClosed
        Outside the voting window.
    """
    if not voting_is_open(campaign):
        raise VotingClosed("voting is not open")
    today = utctoday()
    campaign_id = campaign.id  # read before the commit expires the campaign
    try:
        connection = db.session.connection()
        district_id = connection.execute(_BURN, {"digest": digest, "campaign": campaign_id,
                                                 "channel": channel, "day": today}).scalar()
        if district_id is None:
            db.session.rollback()
            raise CodeNotAccepted("this code cannot be used")
        receipt = ballot_id()
        connection.execute(_TO_INBOX, {
            "id": receipt, "campaign_id": campaign_id, "district_id": district_id,
            "choices": ";".join(sorted(choices)), "channel": channel, "status": status,
            "day": today})
        # Counted inside the vote's transaction: no second transaction per vote.
        waiting = pending(campaign_id)
        db.session.commit()
    except AwardsError:
        raise
    except BaseException:
        db.session.rollback()
        raise
    if waiting >= MIX_THRESHOLD:
        mix_after_vote(campaign_id)
    return receipt


def cast_web_ballot(campaign: Campaign, code_text: str, choices: Sequence[str]) -> str:
    """Code entry and ballot in one call (used by the demo and tests)."""
    picked = check_choices(campaign, choices)
    code = parse_code(code_text)
    return burn_code_and_store_ballot(campaign, code_hmac(pepper(), code), picked)


@dataclass(frozen=True)
class ReceiptStatus:
    """What the public receipt check says: ``in_tally`` once the mixer has moved the ballot
    to the ballot table, otherwise it is recorded and waiting in the inbox."""

    in_tally: bool
    spoilt: bool


def find_receipt(text: str) -> ReceiptStatus | None:
    """The state of the ballot with this receipt id, or None when there is none.

    Raises
    ------
    BallotIdTypo
        When the text is not a well-formed receipt number.
    """

    receipt = normalise_ballot_id(text)
    ballot = db.session.get(Ballot, receipt)
    if ballot is None:
        waiting = db.session.get(InboxBallot, receipt)
        if waiting is None:
            return None
        campaign_id = waiting.campaign_id
        if voting_is_open(db.session.get(Campaign, campaign_id)):
            return ReceiptStatus(in_tally=False, spoilt=waiting.status == "spoilt")
        mix_everything(campaign_id)  # voting is closed: nothing waits any more
        ballot = db.session.get(Ballot, receipt)
        if ballot is None:
            return ReceiptStatus(in_tally=False, spoilt=False)
    return ReceiptStatus(in_tally=True, spoilt=ballot.status == "spoilt")


# --------------------------------------------------------------------------- paper


@dataclass
class PaperImport:
    valid: int = 0
    spoilt: int = 0
    per_district: dict[str, int] = field(default_factory=dict)


def import_paper_ballots(campaign: Campaign, stream: BinaryIO, *, dry_run: bool = False
                         ) -> PaperImport:
    """Import returned questionnaires from CSV ``code,choices`` (SPEC section 4).

    Blank or over-marked questionnaires are spoilt (code used, return counted, no vote).
    All-or-nothing: every error is listed with its line number and nothing is written.

    Raises
    ------
    InvalidInput
        With ``errors = [(line, message), ...]``.
    VotingClosed
        Outside the voting window (consistent with the web).
    """

    ensure_not_published(campaign, "ballots")
    if not voting_is_open(campaign):
        raise VotingClosed("voting is not open: paper returns are accepted only while the "
                           "voting window is open", code="voting.paper_closed")
    rows = _parse_paper(campaign, stream)
    summary = PaperImport()
    districts = {d.id: d.code for d in campaign.districts}
    for _line, _digest, district_id, _choices, status in rows:
        setattr(summary, status, getattr(summary, status) + 1)
        code = districts[district_id]
        summary.per_district[code] = summary.per_district.get(code, 0) + 1
    if dry_run:
        return summary
    _store_paper(campaign, rows)
    record("paper_ballots_imported", campaign.slug,
           {"valid": summary.valid, "spoilt": summary.spoilt,
            "per_district": dict(sorted(summary.per_district.items()))}, chain=campaign.slug)
    db.session.commit()
    mix_after_vote(campaign.id)
    return summary


def _parse_paper(campaign: Campaign, stream: BinaryIO) -> list[tuple]:
    """``(line, code digest, district id, choices, status)`` per return, or
    :class:`CsvFileError` listing every error of the file."""
    reader = CsvReader(stream, PAPER_HEADER, what="paper returns")
    eligible = {d.code for d in eligible_departments(campaign)}
    key = pepper()
    parsed: list[tuple[int, str, list[str]]] = []
    seen: dict[str, int] = {}
    for line, fields in reader:
        if reader.wrong_width(line, fields, PAPER_HEADER):
            continue
        try:
            digest = code_hmac(key, parse_code(fields[0]))
        except CodeTypo as exc:
            reader.error(line, f"malformed code: {exc}")
            continue
        if digest in seen:
            reader.error(line, f"the same code is on line {seen[digest]}")
            continue
        seen[digest] = line
        choices = [c.strip() for c in fields[1].split(";") if c.strip()]
        for code in choices:
            if code not in eligible:
                reader.error(line, f"unknown department '{code}'")
        if len(set(choices)) != len(choices):
            reader.error(line, "a department is listed twice")
        parsed.append((line, digest, choices))
    states = _code_states(campaign, [digest for _l, digest, _c in parsed])
    rows = []
    for line, digest, choices in parsed:
        state = states.get(digest)
        if state is None:
            reader.error(line, "unknown code")
        elif state[0] != "issued":
            reader.error(line, f"code already {state[0]}")
        else:
            status = "valid" if 1 <= len(choices) <= campaign.max_choices else "spoilt"
            rows.append((line, digest, state[1], sorted(choices) if status == "valid" else [],
                         status))
    reader.check(empty="the file has no returns", rows=len(parsed))
    return rows


def _code_states(campaign: Campaign, digests: list[str]) -> dict[str, tuple[str, int]]:
    states: dict[str, tuple[str, int]] = {}
    for start in range(0, len(digests), 1000):
        for digest, state, district_id in db.session.execute(
            select(VotingCode.code_hmac, VotingCode.state, VotingCode.district_id).where(
                VotingCode.campaign_id == campaign.id,
                VotingCode.code_hmac.in_(digests[start:start + 1000]))
        ):
            states[digest] = (state, district_id)
    return states


def _store_paper(campaign: Campaign, rows) -> None:
    """Burn the codes (in digest order) and put the ballots in the inbox (in an independent
    random order): the file's order survives nowhere, and neither does a pairing of a code
    row's new storage place with its ballot's."""
    today = utctoday()
    for line, digest, _district_id, _choices, _status in sorted(rows, key=lambda r: r[1]):
        burned = db.session.execute(
            update(VotingCode)
            .where(VotingCode.code_hmac == digest, VotingCode.state == "issued")
            .values(state="used", channel="paper", day=today)
        ).rowcount
        if burned != 1:
            db.session.rollback()
            raise InvalidInput("a code was used while the file was imported; nothing was "
                               "imported, please run the import again", [(line, "code used "
                                                                          "meanwhile")],
                               code="ballots.used_meanwhile")
    order = list(rows)
    _system_random.shuffle(order)
    db.session.add_all(InboxBallot(id=ballot_id(), campaign_id=campaign.id,
                                   district_id=district_id, choices=";".join(choices),
                                   channel="paper", status=status, day=today)
                       for _line, _digest, district_id, choices, status in order)
    db.session.flush()


def turnout(campaign: Campaign) -> dict:
    """Returns per district (banded while voting is open, never below 10) and channels,
    counting the ballots still in the inbox (mixed first: all of them once voting is
    closed)."""
    mix_before_count(campaign)
    rows = [row for model in (Ballot, InboxBallot) for row in db.session.execute(
        select(model.district_id, model.channel, func.count())
        .where(model.campaign_id == campaign.id)
        .group_by(model.district_id, model.channel)).all()]
    per_district: dict[int, int] = {}
    channels = {"web": 0, "paper": 0}
    for district_id, channel, count in rows:
        per_district[district_id] = per_district.get(district_id, 0) + count
        channels[channel] += count
    open_now = voting_is_open(campaign)
    districts = [
        {"district": d, "invited": d.sample_size,
         "returns": band(per_district.get(d.id, 0)) if open_now else
         str(per_district.get(d.id, 0))}
        for d in campaign.districts
    ]
    total = sum(per_district.values())
    return {"open": open_now, "districts": districts,
            "channels": {k: band(v) if open_now else str(v) for k, v in channels.items()},
            "total": band(total) if open_now else str(total),
            "failed_guesses": failed_guesses(campaign),
            "alarm_at": as_utc(campaign.guess_alarm_at)}


BANDS = (10, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000)


def band(count: int) -> str:
    """A count shown as a band: "fewer than 10", "10–49", … (SPEC section 4)."""
    if count < BANDS[0]:
        return "<10"
    for low, high in zip(BANDS, BANDS[1:]):
        if count < high:
            return f"{low:,}–{high - 1:,}"
    return f"{BANDS[-1]:,}+"
