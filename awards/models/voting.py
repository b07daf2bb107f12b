"""Household frame, sample, one-time codes and ballots (SPEC sections 3 and 4).

Ballot secrecy shapes these tables: a ballot row holds a random id, district, choices,
channel, status and the day only; a code row holds its state, channel and the day only. Nothing
links the two. On SQLite the ballot table is ``WITHOUT ROWID`` so that its storage order is the
random id, not the casting order.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, ForeignKeyConstraint, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db

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


class VotingCode(db.Model):
    __tablename__ = "voting_codes"
    __table_args__ = (Index("ix_voting_codes_household", "household_pk"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id", ondelete="CASCADE"))
    household_pk: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"))
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
