"""The audit hash chain: tampering with any field of any event is detected and named."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import update

from awards.audit.chain import GENESIS, canonical_json, check_chain, event_hash
from awards.audit.service import chain_events, record, verify_stored_chain
from awards.extensions import db
from awards.models import AuditEvent

FIELDS = ("seq", "at", "actor", "action", "subject", "data", "prev", "hash")


@pytest.fixture
def chain(app):
    for i in range(5):
        record(f"action{i}", f"subject{i}", {"n": i, "名": "值"}, chain="c1", actor="olivia")
    db.session.commit()
    return "c1"


def test_canonical_json():
    assert canonical_json({"b": 1, "a": "中"}) == '{"a":"中","b":1}'


def test_first_event_links_to_genesis_and_hash_matches_spec(chain):
    first = chain_events(chain)[0]
    assert first.prev == GENESIS
    body = {"seq": 1, "at": first.at, "actor": "olivia", "action": "action0",
            "subject": "subject0", "data": {"n": 0, "名": "值"}, "prev": GENESIS}
    import hashlib

    expected = hashlib.sha256((GENESIS + json.dumps(
        body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)).encode()).hexdigest()
    assert first.hash == expected


def test_intact_chain_verifies(chain):
    result = verify_stored_chain(chain)
    assert result.ok and result.events == 5


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("seq", [1, 3, 5])
def test_tampering_any_field_of_any_event_is_named(chain, field, seq):
    value = {"seq": 99, "at": "2001-01-01T00:00:00.000000Z", "actor": "mallory",
             "action": "forged", "subject": "forged", "data": '{"n":42}',
             "prev": "f" * 64, "hash": "e" * 64}[field]
    db.session.execute(update(AuditEvent).where(AuditEvent.chain == chain,
                                                AuditEvent.seq == seq).values({field: value}))
    db.session.commit()
    result = verify_stored_chain(chain)
    assert not result.ok
    # A changed seq is reported where the sequence breaks; every other field at its event,
    # or (for a replaced hash) at the event that no longer follows it.
    assert result.bad_seq in {seq, seq + 1, 99}
    if field not in ("seq", "hash"):
        assert result.bad_seq == seq and f"event {seq}" in result.reason


def test_deleted_event_is_detected(chain):
    db.session.execute(AuditEvent.__table__.delete().where(AuditEvent.seq == 2))
    db.session.commit()
    result = verify_stored_chain(chain)
    assert not result.ok and "expected event 2" in result.reason


def test_chains_are_independent(chain):
    record("x", "y", chain="c2")
    db.session.commit()
    assert chain_events("c2")[0].seq == 1 and chain_events("c2")[0].prev == GENESIS


@given(st.lists(st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5),
                                max_size=3), min_size=1, max_size=6),
       st.data())
def test_any_single_change_breaks_a_pure_chain(payloads, data):
    events, prev = [], GENESIS
    for seq, payload in enumerate(payloads, start=1):
        event = {"seq": seq, "at": "2026-11-23T00:00:00.000000Z", "actor": "a",
                 "action": "act", "subject": "s", "data": payload, "prev": prev}
        event["hash"] = event_hash(event)
        prev = event["hash"]
        events.append(event)
    assert check_chain(events).ok
    index = data.draw(st.integers(0, len(events) - 1))
    field = data.draw(st.sampled_from(["actor", "action", "subject", "at", "data"]))
    changed = dict(events[index])
    changed[field] = {"tampered": True} if field == "data" else changed[field] + "!"
    events[index] = changed
    result = check_chain(events)
    assert not result.ok and result.bad_seq == index + 1


def test_concurrent_appends_to_one_chain_all_succeed(app):
    """Simultaneous state changes (sign-ins, imports) must all be recorded, in one chain."""
    import threading

    errors: list[Exception] = []
    start = threading.Barrier(8)

    def append(i: int) -> None:
        with app.app_context():
            try:
                start.wait()
                record("concurrent", f"s{i}", {"i": i}, chain="busy")
                db.session.commit()
            except Exception as exc:  # pragma: no cover - the assertion reports it
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=append, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    db.session.expire_all()
    events = chain_events("busy")
    assert [e.seq for e in events] == list(range(1, 9))
    assert verify_stored_chain("busy").ok
