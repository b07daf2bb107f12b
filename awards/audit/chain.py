"""The audit hash chain (SPEC section 7): pure functions on plain dictionaries.

An event is ``{seq, at, actor, action, subject, data, prev}``;
``hash = SHA256_hex(prev + canonical_json(event))``; the first ``prev`` is 64 zeros.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64
EVENT_FIELDS = ("seq", "at", "actor", "action", "subject", "data", "prev")


def canonical_json(value: Any) -> str:
    """Keys sorted, separators ``(",", ":")``, no ASCII escaping (SPEC section 7)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_hash(event: Mapping[str, Any]) -> str:
    """``SHA256_hex(prev + canonical_json(event))`` over the seven event fields."""
    body = {field: event[field] for field in EVENT_FIELDS}
    return hashlib.sha256((event["prev"] + canonical_json(body)).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChainCheck:
    """Outcome of :func:`check_chain`: ``ok``, the number of events read, and on failure the
    sequence number of the first bad event with the reason."""

    ok: bool
    events: int
    bad_seq: int | None = None
    reason: str = ""


def check_chain(events: Iterable[Mapping[str, Any]]) -> ChainCheck:
    """Check a chain in order: consecutive ``seq`` from 1, each ``prev`` the previous
    ``hash``, each ``hash`` recomputed. Names the first event that fails.

    Parameters
    ----------
    events
        Mappings with the seven event fields and ``hash``, in stored order.
    """
    prev = GENESIS
    count = 0
    for expected_seq, event in enumerate(events, start=1):
        count = expected_seq
        seq = event.get("seq")
        if seq != expected_seq:
            return ChainCheck(False, count, seq, f"expected event {expected_seq}, found {seq}")
        if event.get("prev") != prev:
            return ChainCheck(False, count, seq, f"event {seq} does not follow event {seq - 1}")
        try:
            recomputed = event_hash(event)
        except (KeyError, TypeError) as exc:
            return ChainCheck(False, count, seq, f"event {seq} is malformed: {exc}")
        if recomputed != event.get("hash"):
            return ChainCheck(False, count, seq, f"event {seq} was altered (hash mismatch)")
        prev = event["hash"]
    return ChainCheck(True, count)
