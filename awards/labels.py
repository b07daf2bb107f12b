"""Human labels for stored values (phases, roles, statuses), marked for translation.

Templates show ``value|label``; extraction sees every label here.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

LABELS = {
    # campaign phases (SPEC section 2)
    "draft": _l("Draft"),
    "entries_open": _l("Entries open"),
    "entries_closed": _l("Entries closed"),
    "adjudication": _l("Adjudication"),
    "finalists_announced": _l("Finalists announced"),
    "final_judging": _l("Final judging"),
    "published": _l("Published"),
    # roles
    "organiser": _l("Organiser"),
    "coordinator": _l("Department coordinator"),
    "judge": _l("Judge"),
    "auditor": _l("Auditor"),
    # entries
    "submitted": _l("Submitted"),
    "pending": _l("Pending review"),
    "eligible": _l("Eligible"),
    "ineligible": _l("Ineligible"),
    # codes and ballots
    "issued": _l("Issued"),
    "used": _l("Used"),
    "void": _l("Void"),
    "valid": _l("Valid"),
    "spoilt": _l("Spoilt"),
    "web": _l("Web"),
    "paper": _l("Paper"),
    # rounds
    "preliminary": _l("Preliminary round"),
    "final": _l("Final round"),
}


def label(value: str | None) -> str:
    """The translated label of a stored value, or the value itself when it has none."""
    if value is None:
        return ""
    found = LABELS.get(value)
    return str(found) if found is not None else value
