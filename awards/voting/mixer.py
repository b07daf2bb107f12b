"""The ballot mixer (SPEC section 4, "Secrecy against whoever holds the database", point b).

A vote burns its code and writes its ballot to ``ballot_inbox`` in one transaction; on
PostgreSQL both rows then carry that transaction's id (``xmin``), and on any database the
inbox's storage order is the order of arrival. The mixer cuts both links: in a transaction of
its own it deletes a batch of inbox rows and inserts them into ``ballots`` in a random order,
then removes the deleted rows for good: on PostgreSQL ``VACUUM FULL`` of the inbox (a plain
``VACUUM`` frees the space but leaves the old bytes in the page), or ``TRUNCATE`` once the
inbox is empty (a ``VACUUM`` must keep rows an older transaction may still see; a truncation
does not); on SQLite ``secure_delete`` and a ``TRUNCATE`` checkpoint of the write-ahead log.

While voting is open it works as a threshold pool mix (the "pool" of Mixmaster-style
remailers): once the inbox holds ``2 × POOL`` ballots of a campaign, a random
``len(inbox) − POOL`` of them move, so every batch holds at least ``POOL`` ballots and a
ballot's stay in the inbox is random, not first-in first-out. When voting is closed, and
before any count is shown, whatever is left moves.

The mixer's transactions are its own. It is called between the caller's transactions (after
a vote or a paper import has committed, or before a count): it ends a transaction that
only read, and refuses (``RuntimeError``) to run in one that holds writes, flushed or not,
since committing or rolling back that work is the caller's business. The one exception is
a count after the close with an empty inbox: nothing moves, so the caller's transaction is
left as it is (publishing a correction computes and checks its results in one).

Two mixers never move one ballot twice: the ``DELETE … RETURNING`` claims rows (a row
already deleted by another transaction is not returned), PostgreSQL mixers of a campaign
take an advisory lock, and SQLite transactions begin with ``BEGIN IMMEDIATE``.
"""

from __future__ import annotations

import random

from flask import current_app
from sqlalchemy import bindparam, delete, func, insert, select, text

from awards.campaigns.services import voting_is_open
from awards.extensions import db, transaction_has_writes
from awards.models import Ballot, Campaign, InboxBallot

POOL = 50  # ballots kept in the inbox while voting is open; the smallest batch moved
MIX_THRESHOLD = 2 * POOL  # inbox size at which a vote runs the mixer
_ADVISORY_CLASS = 0x6D6978  # "mix": first key of the PostgreSQL advisory lock
_CHUNK = 1000
_system_random = random.SystemRandom()  # os.urandom, as ``secrets``


_PENDING = (select(func.count()).select_from(InboxBallot)
            .where(InboxBallot.campaign_id == bindparam("campaign")))


def pending(campaign_id: int) -> int:
    """Ballots of the campaign waiting in the inbox (in the session's transaction)."""
    return int(db.session.connection().execute(_PENDING, {"campaign": campaign_id}).scalar()
               or 0)


def mix_after_vote(campaign_id: int) -> int:
    """Run after a vote (or a paper import) has committed: mixes when the inbox holds enough
    ballots, never waits for a mixer already running, and never fails the vote (an error is
    logged; the next vote or the close mixes again). Its transactions are its own: it
    commits the count it reads (on SQLite a transaction holds the write lock).

    Returns
    -------
    int
        Ballots moved.

    Raises
    ------
    RuntimeError
        When the caller's transaction holds writes (see :func:`_between_transactions`).
    """
    _between_transactions()
    try:
        if pending(campaign_id) < MIX_THRESHOLD:
            db.session.commit()  # ends the count's read: nothing else is in it
            return 0
        return _mix(campaign_id, keep=POOL, wait=False)
    except Exception:  # the ballot is stored; mixing is retried by the next caller
        db.session.rollback()  # the mixer's own transaction: the caller's had no writes
        current_app.logger.exception("the ballot mixer failed; it runs again after the "
                                     "next vote and when voting closes")
        return 0


def _between_transactions() -> None:
    """Make sure the mixer starts its own transaction: end the caller's when it only read,
    refuse when it holds writes (flushed or not), which the mixer must neither commit nor
    roll back."""
    session = db.session
    if transaction_has_writes(session):
        raise RuntimeError("the ballot mixer runs in a transaction of its own; commit the "
                           "session's changes before calling it")
    session.commit()


def mix_everything(campaign_id: int) -> int:
    """Move every inbox ballot of the campaign (voting closed), waiting for a running mixer.

    Returns
    -------
    int
        Ballots moved.
    """
    return _mix(campaign_id, keep=0, wait=True)


def mix_before_count(campaign: Campaign) -> int:
    """Call before any count of ballots is computed or shown (turnout, results, exports):
    while voting is open, mixes what is due; once it is closed, empties the inbox.

    The caller's transaction must hold no writes when there is something to mix: the
    mixer commits a transaction that only read, to run in one of its own, and raises
    ``RuntimeError`` otherwise. After the close with an empty inbox it only reads.
    """

    if voting_is_open(campaign):
        return mix_after_vote(campaign.id)
    if pending(campaign.id) == 0:
        return 0
    return mix_everything(campaign.id)


def _mix(campaign_id: int, *, keep: int, wait: bool) -> int:
    _between_transactions()
    session = db.session
    try:
        connection = session.connection()
        if not _lock(connection, campaign_id, wait):
            session.rollback()
            return 0
        waiting = list(session.scalars(select(InboxBallot.id)
                                       .where(InboxBallot.campaign_id == campaign_id)))
        if not waiting or len(waiting) < 2 * keep:
            session.rollback()
            return 0
        chosen = _system_random.sample(waiting, len(waiting) - keep)  # random subset, order
        moved = _move(connection, chosen)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    if moved:
        _scrub_inbox()
    return moved


def _lock(connection, campaign_id: int, wait: bool) -> bool:
    """PostgreSQL: the campaign's mixer advisory lock for this transaction (SQLite holds
    the database write lock from ``BEGIN IMMEDIATE``)."""
    if connection.dialect.name != "postgresql":
        return True
    function = "pg_advisory_xact_lock" if wait else "pg_try_advisory_xact_lock"
    taken = connection.execute(text(f"SELECT {function}(:kind, :campaign)"),
                               {"kind": _ADVISORY_CLASS, "campaign": campaign_id}).scalar()
    return wait or bool(taken)


def _move(connection, chosen: list[str]) -> int:
    """Delete the chosen inbox rows (claiming them) and insert them into ``ballots`` in the
    order of ``chosen``."""
    if connection.dialect.name == "sqlite":
        # Deleted inbox cells are overwritten with zeros instead of staying in the file.
        connection.exec_driver_sql("PRAGMA secure_delete = ON")
    columns = (InboxBallot.id, InboxBallot.campaign_id, InboxBallot.district_id,
               InboxBallot.choices, InboxBallot.channel, InboxBallot.status, InboxBallot.day)
    claimed: dict[str, dict] = {}
    for start in range(0, len(chosen), _CHUNK):
        for row in connection.execute(delete(InboxBallot)
                                      .where(InboxBallot.id.in_(chosen[start:start + _CHUNK]))
                                      .returning(*columns)):
            claimed[row.id] = dict(row._mapping)
    batch = [claimed[ballot_id] for ballot_id in chosen if ballot_id in claimed]
    for start in range(0, len(batch), _CHUNK):
        connection.execute(insert(Ballot), batch[start:start + _CHUNK])
    return len(batch)


def _scrub_inbox() -> None:
    """Remove the deleted inbox rows from the database files, outside the mixing transaction.

    On PostgreSQL an empty inbox is truncated (a new, empty file at once), otherwise it is
    rewritten by ``VACUUM FULL``, which has to keep a deleted row that an older transaction
    may still see: such rows go at the next mix, or with the truncation at the close.
    """
    engine = db.engine
    try:
        if engine.dialect.name == "postgresql":
            _truncate_empty_inbox(engine) or _vacuum_inbox(engine)
        elif engine.dialect.name == "sqlite":
            raw = engine.raw_connection()
            try:
                raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                raw.close()
    except Exception:  # the next mix scrubs again; the ballots are safely moved
        current_app.logger.exception("the ballot inbox could not be vacuumed; the next mix "
                                     "tries again")


def _truncate_empty_inbox(engine) -> bool:
    """``TRUNCATE`` the inbox when no campaign has a ballot in it (checked under an
    exclusive lock, so no vote slips in between). Returns whether it did."""
    with engine.connect() as conn:
        conn.exec_driver_sql("SET LOCAL lock_timeout = '5s'")
        conn.exec_driver_sql("LOCK TABLE ballot_inbox IN ACCESS EXCLUSIVE MODE")
        if conn.exec_driver_sql("SELECT EXISTS (SELECT 1 FROM ballot_inbox)").scalar():
            conn.rollback()
            return False
        conn.exec_driver_sql("TRUNCATE ballot_inbox")
        conn.commit()
        return True


def _vacuum_inbox(engine) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("SET lock_timeout = '5s'")
        conn.exec_driver_sql("VACUUM FULL ballot_inbox")
