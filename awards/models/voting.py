"""Household frame, sample, one-time codes and ballots (SPEC sections 3 and 4).

Ballot secrecy shapes these tables (SPEC section 4, "Secrecy against whoever holds the
database"): a ballot row holds a random id, district, choices, channel, status and the day
only; a code row holds its state, channel and the day only, and no reference to its household
(the household's current code is reachable only through ``SampledHousehold.code_pointer``,
encrypted under a key from configuration). A vote puts its ballot in ``ballot_inbox``; the
mixer (:mod:`awards.voting.mixer`) moves inbox ballots into ``ballots`` in shuffled batches in
a transaction of its own, so neither ``xmin`` nor storage order ties a ballot to the code
burned with it. On SQLite both ballot tables are ``WITHOUT ROWID``: no rowid counts arrivals.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import (
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from awards.extensions import db

CODE_STATES = ("issued", "used", "void")
CHANNELS = ("web", "paper")
BALLOT_STATUSES = ("valid", "spoilt")


class Household(db.Model):
    __tablename__ = "households"
    __table_args__ = (
        UniqueConstraint("campaign_id", "household_id"),
        Index("ix_households_frame_order", "campaign_id", "district_id", "household_id"),
        # One key, (campaign, district) -> districts: the district must belong to the
        # household's campaign, and a frame load pays one check per row, not two.
        ForeignKeyConstraint(["campaign_id", "district_id"],
                             ["districts.campaign_id", "districts.id"], ondelete="CASCADE"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column()
    household_id: Mapped[str] = mapped_column(String(64))
    district_id: Mapped[int] = mapped_column()
    address: Mapped[str | None] = mapped_column(Text)


class SampledHousehold(db.Model):
    """A household drawn into the sample (SPEC section 3 S2). A table of its own, so that
    the frame rows are written once, by the import, and the draw inserts 40,000 small rows
    instead of rewriting pages all over a table of millions."""

    __tablename__ = "sampled_households"
    __table_args__ = (Index("ix_sampled_households_campaign", "campaign_id", "district_id"),)

    # No foreign key to households: its check would lock 40,000 frame rows scattered over
    # the table (measured: a quarter of the draw's time at 2.7 million households). The
    # draw writes these ids from the rows it has just read, in the same transaction, and
    # the frame cannot be replaced once a sample exists.
    household_pk: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id", ondelete="CASCADE"))
    # AES-GCM(pointer key, id of the household's current code row): nonce + ciphertext.
    # Without the key a copy of the database cannot tell which code row is whose.
    code_pointer: Mapped[bytes | None] = mapped_column(LargeBinary(64))


class VotingCode(db.Model):
    """Rows are inserted in a random order (ids and storage carry no household order)."""

    __tablename__ = "voting_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id", ondelete="CASCADE"))
    # HMAC-SHA256(pepper, normalised code); the plaintext is never stored.
    code_hmac: Mapped[str] = mapped_column(String(64), unique=True)
    state: Mapped[str] = mapped_column(String(8), default="issued")
    channel: Mapped[str | None] = mapped_column(String(8))
    day: Mapped[date] = mapped_column(Date)


class Ballot(db.Model):
    __tablename__ = "ballots"
    __table_args__ = (
        Index("ix_ballots_campaign_district", "campaign_id", "district_id"),
        {"sqlite_with_rowid": False},
    )

    # 16 Crockford base32 symbols from `secrets`: the household's receipt.
    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id", ondelete="CASCADE"))
    # Sorted department codes joined by ";"; empty for a spoilt paper return.
    choices: Mapped[str] = mapped_column(String(400))
    channel: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(8))
    day: Mapped[date] = mapped_column(Date)


class InboxBallot(db.Model):
    """A ballot just cast, written in the same transaction as its code burn; the mixer moves
    it to ``ballots`` and removes this row for good."""

    __tablename__ = "ballot_inbox"
    __table_args__ = ({"sqlite_with_rowid": False},)

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id", ondelete="CASCADE"))
    choices: Mapped[str] = mapped_column(String(400))
    channel: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(8))
    day: Mapped[date] = mapped_column(Date)
