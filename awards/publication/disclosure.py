"""Who may read what of the audit log before results are published (SPEC section 9: results
hidden before publication): the data of a results event about a version that is not yet
public is withheld from everyone but organisers, and the published bundle's log stops before
the first such event."""

from __future__ import annotations

import json

from awards.audit.service import chain_events
from awards.models import AuditEvent
from awards.results.versions import current_published

#: Events whose data speaks of a result version (its finalists, best public image, inputs
#: digest, or that it was exported). Before that version is public, only organisers read it.
RESULTS_ACTIONS = frozenset({"results_computed", "results_exported"})


def disclosed_version(campaign) -> int:
    """The newest result version the public may know of: the current published version's
    number, or 0 before publication (SPEC 9: results hidden before publication). Versions
    up to it are in the published bundle's audit log; later ones are pending corrections."""
    version = current_published(campaign)
    return version.version if version is not None else 0


def withholds_data(action: str, data: str, disclosed: int) -> bool:
    """Whether a non-organiser must not read this event's data: a results event about a
    version newer than ``disclosed`` (or one that does not say which version).

    The event itself (its number, time, actor, action and hash) stays visible, so the chain
    can still be followed; its data could reveal results before they are published.
    """
    if action not in RESULTS_ACTIONS:
        return False
    try:
        version = json.loads(data).get("version")
    except (ValueError, AttributeError):
        return True
    return not isinstance(version, int) or isinstance(version, bool) or version > disclosed


def withheld_seqs(events, campaign, *, sees_everything: bool) -> set[int]:
    """Sequence numbers among ``events`` whose data is withheld from the viewer
    (none for organisers)."""
    if sees_everything:
        return set()
    disclosed = disclosed_version(campaign)
    return {e.seq for e in events if withholds_data(e.action, e.data, disclosed)}


def published_chain_events(chain: str, disclosed: int) -> list[AuditEvent]:
    """The chain as far as it may be published with result version ``disclosed``: every
    event before the first results event about a later, unpublished version (a pending
    correction). A prefix of a chain is still a whole chain from the genesis, so the bundle
    verifies; the rest is published with the correction."""
    events = chain_events(chain)
    for index, event in enumerate(events):
        if withholds_data(event.action, event.data, disclosed):
            return events[:index]
    return events
