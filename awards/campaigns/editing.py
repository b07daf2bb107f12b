"""Editing a campaign's configuration on the organiser's pages (SPEC section 8).

Every edit goes the way a config file goes: the page's form values are written into the
campaign's config tables (:func:`awards.campaigns.config_export.config_data`), the tables
are validated by :func:`awards.campaigns.config_file.validate_config` and the spec is
applied by :func:`awards.campaigns.services.load_campaign_config`, which refuses frozen
changes (SPEC section 2). So a rule, and the freeze, exist once for the file, the command
line and the pages. An edit that changes nothing writes nothing.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from awards.campaigns.config_export import (
    SECTIONS,
    ConfigChange,
    campaign_spec,
    config_changes,
    config_data,
    dump_config,
)
from awards.campaigns.config_file import (
    CampaignSpec,
    parse_config,
    validate_config,
    weights_sum_to_one,
)
from awards.campaigns.services import (
    FROZEN_ITEMS,
    FROZEN_SETTINGS,
    WINDOW,
    as_utc,
    frozen_parts_changed,
    load_campaign_config,
)
from awards.exceptions import ConfigLoadError, InvalidInput, NotFound
from awards.extensions import db
from awards.models import Campaign
from awards.models.campaign import JUDGE_METHODS, ROUNDS

#: Settings whose value comes from a fixed list.
CHOICES: dict[str, tuple[str, ...]] = {"judge_method": JUDGE_METHODS, "round": ROUNDS}
#: Text that may hold line breaks.
MULTILINE = ("guidance_en", "guidance_zh")
#: What the pages edit of a campaign's settings (the slug names the campaign: it stays).
FIXED_SETTINGS = ("slug",)
#: The list sections the set-up page edits (categories stay in the file).
EDITED_SECTIONS = ("departments", "districts", "criteria", "awards", "judges")


def field_kind(spec: type, name: str) -> str:
    """How a page edits one field of a spec dataclass, read from its type annotation:
    ``text``, ``int``, ``number``, ``bool``, ``datetime``, ``list`` or ``choice``."""
    if name in CHOICES:
        return "choice"
    if name in ("conflicts", "affiliations"):
        return "departments"
    annotation = next(f.type for f in fields(spec) if f.name == name)
    annotation = str(annotation).split("|")[0].strip()
    return {"int": "int", "float": "number", "bool": "bool", "datetime": "datetime"}.get(
        annotation, "list" if annotation.startswith("tuple") else "text")


def setting_fields() -> list[tuple[str, str]]:
    """The settings a page edits, with their kinds, in the spec's order."""
    return [(f.name, field_kind(CampaignSpec, f.name)) for f in fields(CampaignSpec)
            if f.name not in SECTIONS and f.name not in FIXED_SETTINGS]


def item_fields(section: str) -> list[tuple[str, str]]:
    spec = SECTIONS[section]
    return [(f.name, field_kind(spec, f.name)) for f in fields(spec)]


def coerce(kind: str, value: Any) -> Any:
    """A form value as the config file would hold it; None for an empty value (the key is
    left out, as a file leaves it out). A value that does not read as its kind is passed on
    unchanged, so that the validator names the problem as it does for a file."""
    if isinstance(value, list):
        items = [v.strip() for v in value if isinstance(v, str) and v.strip()]
        return items or None
    text = (value or "").strip() if isinstance(value, str) else value
    if text in ("", None):
        return None
    try:
        if kind == "int":
            return int(text)
        if kind == "number":
            return float(text)
        if kind == "bool":
            return {"true": True, "yes": True, "false": False, "no": False}.get(text, text)
        if kind == "datetime":
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    except ValueError:
        return text
    if kind == "list":
        return [line.strip() for line in text.splitlines() if line.strip()] or None
    return value.replace("\r\n", "\n").strip() if isinstance(value, str) else value


def form_table(kinds: list[tuple[str, str]], values: Mapping[str, Any],
               current: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The table of one item (or of ``[campaign]``) after a form: the keys the form sent,
    coerced; keys it did not send (a frozen field is shown, not sent) keep ``current``."""
    table = dict(current or {})
    for name, kind in kinds:
        if name not in values:
            continue
        value = coerce(kind, values[name])
        if value is None:
            table.pop(name, None)
        else:
            table[name] = value
    return table


@dataclass(frozen=True)
class EditResult:
    """What an edit did: the changes applied (empty: nothing to change, nothing written)."""

    campaign: Campaign
    changes: list[ConfigChange]


def _apply(campaign: Campaign, edit: Callable[[dict[str, Any]], None]) -> EditResult:
    """Edit the campaign's config tables, validate them and load them (one transaction).

    Raises
    ------
    ConfigLoadError
        The edited config breaks a rule of the file (nothing written).
    FrozenError
        The edit changes something frozen (recorded as a refused change).
    """
    data = config_data(campaign)
    edit(data)
    spec = validate_config(data)
    changes = config_changes(campaign_spec(campaign), spec)
    if changes:
        load_campaign_config(spec)
    return EditResult(campaign, changes)


def update_settings(campaign: Campaign, values: Mapping[str, Any]) -> EditResult:
    """Save the ``[campaign]`` settings a form sent."""
    def edit(data: dict[str, Any]) -> None:
        data["campaign"] = form_table(setting_fields(), values, data["campaign"])
    return _apply(campaign, edit)


def _checked_section(section: str) -> str:
    if section not in EDITED_SECTIONS:
        raise NotFound(f"no list '{section}' in a campaign's set-up", code="setup.no_section",
                       section=section)
    return section


def _checked_index(data: dict[str, Any], section: str, index: int) -> int:
    if not 0 <= index < len(data[section]):
        raise NotFound(f"no item {index + 1} in the {section} of the campaign; the list may "
                       "have changed: reload the page", code="setup.no_item", section=section)
    return index


def _set_weights(data: dict[str, Any], weights: Mapping[int, Any]) -> None:
    """Write the weights a form sent (by the criterion's place in the list) into the
    criteria tables; an empty value keeps the criterion's weight."""
    for index, value in weights.items():
        at = _checked_index(data, "criteria", index)
        weight = coerce("number", value)
        if weight is not None:
            data["criteria"][at]["weight"] = weight


def _check_round_sums(data: dict[str, Any]) -> None:
    """Refuse, in the reader's language, a round whose weights are all numbers but do not
    sum to 1 (the rule of :func:`awards.campaigns.config_file.weights_sum_to_one`, which
    the file's validation applies too; other problems are named by the validation)."""
    for rnd in ROUNDS:
        weights = [c.get("weight") for c in data["criteria"]
                   if c.get("round", "preliminary") == rnd]
        if not weights or not all(isinstance(w, int | float) and not isinstance(w, bool)
                                  for w in weights):
            continue
        if not weights_sum_to_one(weights):
            total = math.fsum(weights)
            raise ConfigLoadError(
                f"[[criteria]]: weights of the {rnd} round sum to {total:g}, not 1",
                problems=[], code="setup.weights_sum", round=rnd, total=f"{total:g}")


def save_item(campaign: Campaign, section: str, index: int | None,
              values: Mapping[str, Any],
              weights: Mapping[int, Any] | None = None) -> EditResult:
    """Add an item to ``section`` (``index`` None) or change the item at ``index``.

    For a criterion, ``weights`` may give other criteria new weights (by their place in
    the list) in the same change, so that a round's weights still sum to 1 after a
    criterion is added or its weight changed."""
    _checked_section(section)

    def edit(data: dict[str, Any]) -> None:
        if weights and section == "criteria":
            _set_weights(data, {i: w for i, w in weights.items() if i != index})
        if index is None:
            data[section].append(form_table(item_fields(section), values))
        else:
            at = _checked_index(data, section, index)
            data[section][at] = form_table(item_fields(section), values, data[section][at])
        if section == "criteria":
            _check_round_sums(data)
    return _apply(campaign, edit)


def set_weights(campaign: Campaign, weights: Mapping[int, Any]) -> EditResult:
    """Save the weights of the criteria together (by their place in the list): one change,
    refused whole when a round's weights do not sum to 1 (SPEC section 5.2).

    Raises
    ------
    ConfigLoadError
        ``setup.weights_sum`` when a round does not sum to 1; otherwise as the file's
        validation (a weight that is not a number above 0 and at most 1).
    FrozenError
        Voting has opened (the weights are frozen).
    """
    def edit(data: dict[str, Any]) -> None:
        _set_weights(data, weights)
        _check_round_sums(data)
    return _apply(campaign, edit)


def remove_item(campaign: Campaign, section: str, index: int) -> EditResult:
    """Remove the item at ``index`` of ``section``."""
    _checked_section(section)

    def edit(data: dict[str, Any]) -> None:
        del data[section][_checked_index(data, section, index)]
    return _apply(campaign, edit)


def named_lines(text: str, what: str) -> list[dict[str, str]]:
    """Items typed one per line as ``CODE | English name | 中文名`` (a tab also separates).

    Raises
    ------
    InvalidInput
        A line without its three parts, with the line number.
    """
    items, errors = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.replace("\t", "|").split("|")]
        if len(parts) != 3 or not all(parts):
            errors.append((number, line.strip()[:40]))
            continue
        items.append({"code": parts[0], "name_en": parts[1], "name_zh": parts[2]})
    if errors:
        raise InvalidInput(f"{what}: line {errors[0][0]} needs 'CODE | English name | 中文名'",
                           errors, code="setup.bad_line", what=what, line=errors[0][0])
    return items


def create_campaign(settings: Mapping[str, Any], departments: str,
                    districts: str) -> EditResult:
    """A new campaign from the creation form: its settings, and its departments and
    districts one per line (``CODE | English name | 中文名``).

    Raises
    ------
    InvalidInput
        The slug is taken, or a line is malformed.
    ConfigLoadError
        A rule of the config file is broken (nothing written).
    """
    data: dict[str, Any] = {"campaign": form_table([("slug", "text"), *setting_fields()],
                                                   settings)}
    data["departments"] = named_lines(departments, "departments")
    data["districts"] = named_lines(districts, "districts")
    spec = validate_config(data)
    if db.session.scalar(select(Campaign.id).where(Campaign.slug == spec.slug)):
        raise InvalidInput(f"a campaign '{spec.slug}' exists already; choose another slug",
                           code="setup.slug_taken", slug=spec.slug)
    campaign, _created, _notes = load_campaign_config(spec)
    return EditResult(campaign, config_changes(None, spec))


# --- Uploading a config file: a preview, then the change -------------------------------

def config_version(campaign: Campaign | None) -> str:
    """A fingerprint of the campaign's config as it is now ("" for no campaign): the
    upload applies only over the version its preview was made from."""
    if campaign is None:
        return ""
    return hashlib.sha256(dump_config(campaign).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class UploadPreview:
    """What loading an uploaded config would do, without doing it. ``frozen`` names the
    frozen parts it would change (then it will be refused); ``version`` is the campaign's
    config version the preview was made from."""

    spec: CampaignSpec
    campaign: Campaign | None
    changes: list[ConfigChange]
    frozen: list[str]
    version: str

    @property
    def refused(self) -> bool:
        return bool(self.frozen) or (self.campaign is not None
                                     and self.campaign.state == "published"
                                     and bool(self.changes))


def preview_upload(text: str, *, slug: str | None = None) -> UploadPreview:
    """Parse an uploaded config and list what it would change. Writes nothing.

    Raises
    ------
    ConfigLoadError
        The file is not a valid config.
    InvalidInput
        It names another campaign than ``slug``.
    """
    spec = parse_config(text)
    if slug is not None and spec.slug != slug:
        raise InvalidInput(f"this file is for campaign '{spec.slug}', not '{slug}'",
                           code="setup.other_campaign", slug=slug, other=spec.slug)
    campaign = db.session.scalar(select(Campaign).where(Campaign.slug == spec.slug))
    before = campaign_spec(campaign) if campaign is not None else None
    frozen = frozen_parts_changed(campaign, spec) if campaign is not None else []
    return UploadPreview(spec, campaign, config_changes(before, spec), frozen,
                         config_version(campaign))


def apply_upload(text: str, version: str, *, slug: str | None = None) -> EditResult:
    """Load an uploaded config whose preview was made from config ``version``.

    Raises
    ------
    InvalidInput
        The campaign changed since the preview (``setup.changed_since``): preview again.
    ConfigLoadError, FrozenError
        As :func:`awards.campaigns.services.load_campaign_config`.
    """
    preview = preview_upload(text, slug=slug)
    if version != preview.version:
        raise InvalidInput("the campaign changed after the preview; check the changes again",
                           code="setup.changed_since")
    if not preview.changes:
        return EditResult(preview.campaign, [])  # type: ignore[arg-type]
    campaign, _created, _notes = load_campaign_config(preview.spec)
    return EditResult(campaign, preview.changes)


# --- What is frozen, and why ----------------------------------------------------------

@dataclass(frozen=True)
class Freeze:
    """What of a campaign's configuration can no longer change, and why (SPEC section 2):
    ``reason`` is ``published`` (everything), ``voting_opened`` (the settings, lists and
    keys of :data:`FROZEN_SETTINGS` and :data:`FROZEN_ITEMS`) or None."""

    reason: str | None
    since: datetime | None

    def setting(self, name: str) -> bool:
        if self.reason == "published":
            return True
        return self.reason == "voting_opened" and name in (*FROZEN_SETTINGS, *WINDOW)

    def item_field(self, section: str, name: str) -> bool:
        if self.reason == "published":
            return True
        return self.reason == "voting_opened" and name in FROZEN_ITEMS.get(section, ())

    def list(self, section: str) -> bool:
        """Items cannot be added to or removed from ``section``."""
        if self.reason == "published":
            return True
        return self.reason == "voting_opened" and section in FROZEN_ITEMS


def campaign_freeze(campaign: Campaign) -> Freeze:
    if campaign.state == "published":
        return Freeze("published", as_utc(campaign.published_at))
    if campaign.is_frozen:
        return Freeze("voting_opened", as_utc(campaign.frozen_at))
    return Freeze(None, None)
