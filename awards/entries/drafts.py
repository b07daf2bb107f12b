"""What a coordinator sends for an entry, checked for storage before anything is written.

Drafts need only storage-level validity (lengths, no control characters); completeness is
checked at submit (:func:`awards.entries.submission.missing_parts`). Field names are those of
SPEC 5.7: ``title``, ``summary``, ``section-<criterion>``, ``pledge-<i>-service``,
``pledge-<i>-target``, ``pledge-<i>-achieved``, ``contact_name``, ``contact_email``,
``contact_phone``."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

from awards.exceptions import EntryInputError

#: Longest text of each field, in characters.
LIMITS = {
    "title": 300,
    "summary": 5000,
    "section": 20000,
    "pledge": 300,
    "contact_name": 200,
    "contact_email": 200,
    "contact_phone": 50,
}
MAX_PLEDGES = 60
MULTILINE = {"summary", "section"}
PLEDGE_PARTS = ("service", "target", "achieved")
PLEDGE_FIELD = re.compile(r"pledge-(\d{1,4})-(service|target|achieved)")


@dataclass
class EntryTexts:
    """Every text of an entry, as typed (newlines normalised to ``\\n``)."""

    title: str = ""
    summary: str = ""
    sections: dict[str, str] = field(default_factory=dict)  # criterion code -> body
    pledges: list[tuple[str, str, str]] = field(default_factory=list)
    contact_name: str = ""
    contact_email: str = ""
    contact_phone: str = ""

    def as_dict(self) -> dict:
        return {"title": self.title, "summary": self.summary, "sections": dict(self.sections),
                "pledges": [list(p) for p in self.pledges], "contact_name": self.contact_name,
                "contact_email": self.contact_email, "contact_phone": self.contact_phone}


def _clean(value: str, name: str, kind: str, label: str) -> str:
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    for char in value:
        if unicodedata.category(char) == "Cc" and not (kind in MULTILINE and char in "\n\t"):
            raise EntryInputError(f"{label} contains a character that is not allowed "
                                  f"(U+{ord(char):04X}); nothing was saved",
                                  code="entry.control_character", field=label,
                                  char=f"U+{ord(char):04X}")
    limit = LIMITS[kind]
    if len(value) > limit:
        raise EntryInputError(f"{label} is too long: {len(value):,} characters, at most "
                              f"{limit:,}; nothing was saved", code="entry.too_long",
                              field=label, length=f"{len(value):,}", limit=f"{limit:,}")
    return value if kind in MULTILINE else value.strip()


def _as_typed(value: str, name: str, kind: str, label: str) -> str:
    return value.replace("\r\n", "\n").replace("\x00", "")


def parse_entry_form(form: Mapping[str, str], criterion_codes: list[str], *,
                     check: bool = True) -> EntryTexts:
    """The entry's texts from a posted form. Pledge rows come in index order; rows left
    entirely empty are dropped. With ``check=False`` the texts come back as typed, to show
    them again beside the message that refused them.

    Raises
    ------
    EntryInputError
        A field too long, a control character, or too many pledge rows; nothing is kept.
    """
    clean = _clean if check else _as_typed
    texts = EntryTexts()
    for name in ("title", "summary", "contact_name", "contact_email", "contact_phone"):
        setattr(texts, name, clean(form.get(name, ""), name, name, name))
    for code in criterion_codes:
        key = f"section-{code}"
        texts.sections[code] = clean(form.get(key, ""), key, "section", key)
    rows: dict[int, dict[str, str]] = {}
    for key in form:
        match = PLEDGE_FIELD.fullmatch(key)
        if match:
            rows.setdefault(int(match.group(1)), {})[match.group(2)] = clean(
                form.get(key, ""), key, "pledge", key)
    for index in sorted(rows):
        row = tuple(rows[index].get(part, "") for part in PLEDGE_PARTS)
        if any(row):
            texts.pledges.append(row)
    if check and len(texts.pledges) > MAX_PLEDGES:
        raise EntryInputError(f"at most {MAX_PLEDGES} pledge rows; nothing was saved",
                              code="entry.too_many_pledges", limit=MAX_PLEDGES)
    return texts


def apply_row_action(texts: EntryTexts, action: str) -> EntryTexts:
    """A pledge-table button without JavaScript: ``add-pledge``, ``remove-pledge-<i>``,
    ``up-pledge-<i>``, ``down-pledge-<i>``. Unknown actions change nothing."""
    rows = list(texts.pledges)
    match = re.fullmatch(r"(remove|up|down)-pledge-(\d{1,4})", action or "")
    if match:
        verb, index = match.group(1), int(match.group(2))
        if 0 <= index < len(rows):
            if verb == "remove":
                rows.pop(index)
            elif verb == "up" and index > 0:
                rows[index - 1], rows[index] = rows[index], rows[index - 1]
            elif verb == "down" and index + 1 < len(rows):
                rows[index + 1], rows[index] = rows[index], rows[index + 1]
    texts.pledges = rows
    return texts
