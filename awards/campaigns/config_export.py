"""A campaign as its config file (SPEC section 8): the tables the TOML parser reads, the
TOML text, and the changes between two configs.

:func:`config_data` reads a stored campaign into exactly the shape ``tomllib`` gives for a
config file, so the file and the organiser's set-up pages go through the one validator
(:func:`awards.campaigns.config_file.validate_config`) and the one loader
(:func:`awards.campaigns.services.load_campaign_config`). The fields come from the spec
dataclasses, so a setting added to the spec is exported without a change here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import select

from awards.campaigns.config_file import (
    AwardSpec,
    CampaignSpec,
    CriterionSpec,
    DistrictSpec,
    JudgeSpec,
    NamedItem,
    validate_config,
)
from awards.campaigns.services import as_utc
from awards.extensions import db
from awards.models import Campaign, Conflict, Judge, User

#: The list sections of a config, in file order, with the spec each item becomes.
SECTIONS: dict[str, type] = {
    "awards": AwardSpec,
    "districts": DistrictSpec,
    "departments": NamedItem,
    "categories": NamedItem,
    "criteria": CriterionSpec,
    "judges": JudgeSpec,
}


def setting_names() -> list[str]:
    """The ``[campaign]`` settings, in the spec's order."""
    return [f.name for f in fields(CampaignSpec) if f.name not in SECTIONS]


def item_names(section: str) -> list[str]:
    """The keys of one item of ``section``, in the spec's order (code and names first)."""
    return [f.name for f in fields(SECTIONS[section])]


def _stored(value: Any) -> Any:
    """A model value as TOML holds it: UTC datetimes, lists for JSON-encoded lists."""
    if isinstance(value, datetime):
        return as_utc(value)
    if isinstance(value, str) and value.startswith("[") and value.endswith("]"):
        try:
            decoded = json.loads(value)
        except ValueError:
            return value
        return decoded if isinstance(decoded, list) else value
    return value


def _table(row: Any, names: list[str]) -> dict[str, Any]:
    """The keys of ``row`` a config item would hold: values that are not set (None, empty
    text, empty lists) are left out, as a file would leave them out."""
    table = {}
    for name in names:
        value = _stored(getattr(row, name, None))
        if value is None or value == "" or value == [] or value == ():
            continue
        table[name] = list(value) if isinstance(value, tuple) else value
    return table


def config_data(campaign: Campaign) -> dict[str, Any]:
    """The campaign's config as the tables ``tomllib`` would parse from its file."""
    data: dict[str, Any] = {"campaign": _table(campaign, setting_names())}
    data["awards"] = [_table(a, item_names("awards")) for a in campaign.award_tiers]
    data["districts"] = [_table(d, item_names("districts")) for d in campaign.districts]
    data["departments"] = [_table(d, item_names("departments")) for d in campaign.departments]
    data["categories"] = [_table(c, item_names("categories")) for c in campaign.categories]
    data["criteria"] = [_table(c, item_names("criteria")) for c in campaign.criteria]
    data["judges"] = _judges(campaign)
    return data


def _judges(campaign: Campaign) -> list[dict[str, Any]]:
    """Judges with the conflicts the organiser set and their affiliations (conflicts a judge
    declared are not config; those derived from affiliations come back from them)."""
    codes = {d.id: d.code for d in campaign.departments}
    rows = db.session.execute(
        select(Judge, User).join(User, User.id == Judge.user_id)
        .where(Judge.campaign_id == campaign.id).order_by(User.username)).all()
    by_source: dict[tuple[int, str], list[str]] = {}
    for conflict in db.session.scalars(select(Conflict).where(
            Conflict.campaign_id == campaign.id,
            Conflict.source.in_(("organiser", "affiliation")))):
        by_source.setdefault((conflict.judge_id, conflict.source), []).append(
            codes[conflict.department_id])
    judges = []
    for judge, user in rows:
        table: dict[str, Any] = {"username": user.username, "name": judge.name}
        conflicts = sorted(by_source.get((judge.id, "organiser"), []))
        if conflicts:
            table["conflicts"] = conflicts
        # The judge's own department first (it is the account's department), then the others.
        own = [user.department_code] if user.department_code in codes.values() else []
        others = sorted(set(by_source.get((judge.id, "affiliation"), [])) - set(own))
        if own or others:
            table["affiliations"] = own + others
        judges.append(table)
    return judges


def campaign_spec(campaign: Campaign) -> CampaignSpec:
    """The spec the stored campaign corresponds to (what its downloaded file parses to)."""
    return validate_config(config_data(campaign))


# --- TOML text -------------------------------------------------------------------------

def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, datetime):
        moment = as_utc(value)
        text = moment.strftime("%Y-%m-%dT%H:%M:%S")
        if moment.microsecond:
            text += f".{moment.microsecond:06d}"
        return text + "Z"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    # A JSON string is a TOML basic string, once DEL (allowed in JSON) is escaped too.
    return json.dumps(str(value), ensure_ascii=False).replace("\x7f", "\\u007f")


def toml_text(data: dict[str, Any]) -> str:
    """TOML text of config tables (strings, numbers, booleans, UTC datetimes and lists)."""
    lines = ["[campaign]"]
    lines += [f"{key} = {_toml_value(value)}" for key, value in data["campaign"].items()]
    for section in SECTIONS:
        for table in data.get(section, []):
            lines += ["", f"[[{section}]]"]
            lines += [f"{key} = {_toml_value(value)}" for key, value in table.items()]
    return "\n".join(lines) + "\n"


def dump_config(campaign: Campaign) -> str:
    """The campaign as a config file: ``parse_config(dump_config(c)) == campaign_spec(c)``,
    and loading it back changes nothing."""
    header = (f"# Campaign configuration of '{campaign.slug}' (SPEC section 8).\n"
              "# Edit and upload it on the campaign's set-up page, or load it with\n"
              "# 'flask awards campaign load FILE.toml'.\n\n")
    return header + toml_text(config_data(campaign))


# --- Changes between two configs -------------------------------------------------------

@dataclass(frozen=True)
class ConfigChange:
    """One difference: ``section`` (``campaign`` or a list section), the ``item`` it
    concerns (its code; empty for settings), the ``key`` (empty when a whole item is
    added or removed), and the values before and after (None: not there)."""

    section: str
    item: str
    key: str
    before: Any
    after: Any

    @property
    def kind(self) -> str:
        if self.key:
            return "changed"
        return "added" if self.before is None else "removed"


#: Lists whose order means nothing (a judge's conflicts are a set of departments).
UNORDERED = ("conflicts",)


def item_key(section: str, item: Any, index: int) -> str:
    """What names an item of ``section``: its code (criteria: ``round/code``), a judge's
    username, an award tier's place in the list."""
    if section == "criteria":
        return f"{item.round}/{item.code}"
    if section == "judges":
        return item.username
    if section == "awards":
        return str(index + 1)
    return item.code


def config_changes(before: CampaignSpec | None, after: CampaignSpec) -> list[ConfigChange]:
    """What loading ``after`` over ``before`` (None: a new campaign) changes, in file order."""
    changes = []
    for name in setting_names():
        old = getattr(before, name) if before is not None else None
        new = getattr(after, name)
        if old != new:
            changes.append(ConfigChange("campaign", "", name, old, new))
    for section in SECTIONS:
        old_items = {item_key(section, item, i): item for i, item in
                     enumerate(getattr(before, section) if before is not None else [])}
        new_items = {item_key(section, item, i): item
                     for i, item in enumerate(getattr(after, section))}
        for key, item in new_items.items():
            if key not in old_items:
                changes.append(ConfigChange(section, key, "", None, item))
                continue
            for name in item_names(section):
                old, new = getattr(old_items[key], name), getattr(item, name)
                if name in UNORDERED:
                    old, new = tuple(sorted(old)), tuple(sorted(new))
                if old != new:
                    changes.append(ConfigChange(section, key, name, old, new))
        changes += [ConfigChange(section, key, "", item, None)
                    for key, item in old_items.items() if key not in new_items]
    return changes
