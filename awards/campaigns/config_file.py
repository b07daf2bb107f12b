"""Parse and validate a campaign config file (SPEC section 8) into plain dataclasses.

Validation is whole-file and pure: nothing here touches the database, so a refused file
writes nothing. Every problem is collected; the exception's message is one line.
"""

from __future__ import annotations

import math
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from awards.exceptions import ConfigLoadError
from awards.models.campaign import (
    JUDGE_METHODS,
    ROUNDS,
    AwardTier,
    Campaign,
    Category,
    Criterion,
    Department,
    District,
)
from awards.models.judging import Judge
from awards.models.users import User

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
CODE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
WEIGHT_TOLERANCE = 1e-9
#: The largest whole number every database stores in an integer column.
INT_MAX = 2**31 - 1
#: Characters of a value echoed in a message (the message stays one short line).
SHOWN_CHARS = 40


def column_size(model: type, name: str) -> int | None:
    """The length of ``model``'s string column ``name`` (None for unbounded text), so the
    file is held to what the database can store."""
    return getattr(model.__table__.c[name].type, "length", None)


USERNAME_SIZE = column_size(User, "username") or 64
#: A judge's name is stored on the judge and on the account created for them.
JUDGE_NAME_SIZE = min(column_size(Judge, "name") or 200, column_size(User, "name") or 200)


def shown(value: Any) -> str:
    """``value`` for a one-line message: control characters escaped, cut after
    :data:`SHOWN_CHARS` characters."""
    text = str(value)
    cut = text[:SHOWN_CHARS] + ("…" if len(text) > SHOWN_CHARS else "")
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in cut)


def control_character(text: str, *, multiline: bool = False) -> str | None:
    """The first control character of ``text`` as ``U+XXXX`` (NUL included; newline and
    tab allowed in ``multiline`` text), or None."""
    for char in text:
        if unicodedata.category(char) == "Cc" and not (multiline and char in "\n\t"):
            return f"U+{ord(char):04X}"
    return None


@dataclass(frozen=True)
class NamedItem:
    code: str
    name_en: str
    name_zh: str


@dataclass(frozen=True)
class DistrictSpec(NamedItem):
    households: int | None = None


@dataclass(frozen=True)
class CriterionSpec(NamedItem):
    round: str = "preliminary"
    weight: float = 0.0
    max: int = 10
    guidance_en: str = ""
    guidance_zh: str = ""
    anchors_en: tuple[str, ...] = ()
    anchors_zh: tuple[str, ...] = ()


@dataclass(frozen=True)
class AwardSpec:
    name_en: str
    name_zh: str
    places: int


@dataclass(frozen=True)
class JudgeSpec:
    username: str
    name: str
    conflicts: tuple[str, ...] = ()
    affiliations: tuple[str, ...] = ()  # departments the judge belongs or belonged to


@dataclass
class CampaignSpec:
    slug: str
    name_en: str
    name_zh: str
    max_choices: int = 3
    finalists: int = 8
    public_weight: float = 0.3
    judge_method: str = "additive"
    final_public_weight: float = 0.0
    bootstrap: int = 2000
    entries_required: bool = True
    voting_opens_at: datetime | None = None
    voting_closes_at: datetime | None = None
    entries_close_at: datetime | None = None
    grace_minutes: int = 0
    awards: list[AwardSpec] = field(default_factory=list)
    districts: list[DistrictSpec] = field(default_factory=list)
    departments: list[NamedItem] = field(default_factory=list)
    categories: list[NamedItem] = field(default_factory=list)
    criteria: list[CriterionSpec] = field(default_factory=list)
    judges: list[JudgeSpec] = field(default_factory=list)


DEFAULT_CATEGORY = NamedItem("overall", "Overall service", "整體服務")


class _Collector:
    """The problems found in a config: the English lines (``errors``) and, for the pages,
    each with its message code and parameters (``coded``; code None for a rare one that
    the pages show in English under a translated heading)."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.coded: list[tuple[str, str | None, dict[str, Any]]] = []

    def add(self, message: str, code: str | None = None, **params: Any) -> None:
        self.errors.append(message)
        self.coded.append((message, code, params))

    def text(self, table: dict, key: str, where: str, *, limit: int | None,
             required: bool = True, multiline: bool = False) -> str:
        """The stripped text at ``key``: non-empty, at most ``limit`` characters (the
        column's size; None for unbounded text), without control characters."""
        value = table.get(key)
        if value is None:
            if required:
                self.add(f"{where}: '{key}' is missing", "config.missing", where=where,
                         key=key)
            return ""
        if not isinstance(value, str) or not value.strip():
            self.add(f"{where}: '{key}' must be non-empty text", "config.empty_text",
                     where=where, key=key)
            return ""
        value = value.strip()
        if limit is not None and len(value) > limit:
            self.add(f"{where}: '{key}' is {len(value):,} characters long; at most {limit} "
                     "are allowed", "config.too_long", where=where, key=key,
                     length=f"{len(value):,}", limit=limit)
            return ""
        bad = control_character(value, multiline=multiline)
        if bad:
            self.add(f"{where}: '{key}' contains the control character {bad}",
                     "config.control_character", where=where, key=key, char=bad)
            return ""
        return value

    def integer(self, table: dict, key: str, where: str, default: int, minimum: int,
                maximum: int = INT_MAX) -> int:
        value = table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not (
            minimum <= value <= maximum
        ):
            self.add(f"{where}: '{key}' must be a whole number from {minimum} to {maximum:,}",
                     "config.whole_number", where=where, key=key, minimum=minimum,
                     maximum=f"{maximum:,}")
            return default
        return value

    def fraction(self, table: dict, key: str, where: str, default: float) -> float:
        value = table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            self.add(f"{where}: '{key}' must be a number from 0 to 1", "config.fraction",
                     where=where, key=key)
            return default
        return float(value)


def parse_config(text: str) -> CampaignSpec:
    """Parse TOML text into a validated :class:`CampaignSpec`.

    Raises
    ------
    ConfigLoadError
        With a one-line message naming every problem found.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigLoadError(f"not valid TOML: {exc}", code="config.not_toml") from None
    return validate_config(data)


def validate_config(data: dict[str, Any]) -> CampaignSpec:
    """Validate the tables of a config (what TOML parses into: ``{"campaign": {...},
    "departments": [{...}, ...], ...}``) into a :class:`CampaignSpec`. The file and the
    organiser's set-up pages both come here, so each rule exists once.

    Raises
    ------
    ConfigLoadError
        With a one-line message naming every problem found.
    """
    check = _Collector()
    unknown = set(data) - {"campaign", "awards", "districts", "departments", "categories",
                           "criteria", "judges"}
    for key in sorted(unknown):
        check.add(f"unknown section [{shown(key)}]")
    spec = _campaign(data.get("campaign"), check)
    spec.awards = _awards(data.get("awards", []), check)
    spec.districts = _districts(data.get("districts", []), check)
    spec.departments = _named_list(data.get("departments", []), "departments", check,
                                   Department)
    spec.categories = _named_list(data.get("categories", []), "categories", check,
                                  Category) or [
        DEFAULT_CATEGORY
    ]
    spec.criteria = _criteria(data.get("criteria", []), check)
    spec.judges = _judges(data.get("judges", []), {d.code for d in spec.departments}, check)
    if not spec.departments:
        check.add("at least one [[departments]] is needed", "config.no_departments")
    if not spec.districts:
        check.add("at least one [[districts]] is needed", "config.no_districts")
    if spec.departments and spec.finalists > len(spec.departments):
        check.add(f"finalists ({spec.finalists}) exceeds the number of departments "
                  f"({len(spec.departments)})", "config.too_many_finalists",
                  finalists=spec.finalists, departments=len(spec.departments))
    if spec.departments and spec.max_choices > len(spec.departments):
        check.add(f"max_choices ({spec.max_choices}) exceeds the number of departments",
                  "config.too_many_choices", choices=spec.max_choices,
                  departments=len(spec.departments))
    places = sum(a.places for a in spec.awards)
    if places > spec.finalists:
        check.add(f"award places ({places}) exceed the number of finalists ({spec.finalists})",
                  "config.too_many_places", places=places, finalists=spec.finalists)
    if check.errors:
        raise ConfigLoadError("; ".join(check.errors), problems=check.errors,
                              coded=check.coded, count=len(check.errors))
    return spec


def _as_tables(value: Any, name: str, check: _Collector) -> list[dict]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        check.add(f"[[{name}]] must be a list of tables")
        return []
    return value


def _campaign(table: Any, check: _Collector) -> CampaignSpec:
    if not isinstance(table, dict):
        check.add("[campaign] section is missing")
        return CampaignSpec(slug="", name_en="", name_zh="")
    known = {"slug", "name_en", "name_zh", "max_choices", "finalists", "public_weight",
             "judge_method", "final_public_weight", "bootstrap", "entries_required",
             "voting_opens_at", "voting_closes_at", "entries_close_at", "grace_minutes"}
    for key in sorted(set(table) - known):
        check.add(f"[campaign]: unknown setting '{shown(key)}'")
    where = "[campaign]"
    slug = check.text(table, "slug", where, limit=column_size(Campaign, "slug"))
    if slug and not SLUG.fullmatch(slug):
        check.add(f"{where}: slug '{shown(slug)}' must be 2 to 63 lower-case letters, digits "
                  "and hyphens", "config.bad_slug", slug=shown(slug))
    method = table.get("judge_method", "additive")
    if method not in JUDGE_METHODS:
        check.add(f"{where}: unknown judge_method '{shown(method)}' (use one of "
                  + ", ".join(JUDGE_METHODS) + ")")
    entries_required = table.get("entries_required", True)
    if not isinstance(entries_required, bool):
        check.add(f"{where}: 'entries_required' must be true or false")
    spec = CampaignSpec(
        slug=slug,
        name_en=check.text(table, "name_en", where, limit=column_size(Campaign, "name_en")),
        name_zh=check.text(table, "name_zh", where, limit=column_size(Campaign, "name_zh")),
        max_choices=check.integer(table, "max_choices", where, 3, 1),
        finalists=check.integer(table, "finalists", where, 8, 1),
        public_weight=check.fraction(table, "public_weight", where, 0.3),
        judge_method=method if method in JUDGE_METHODS else "additive",
        final_public_weight=check.fraction(table, "final_public_weight", where, 0.0),
        bootstrap=check.integer(table, "bootstrap", where, 2000, 0),
        entries_required=entries_required is not False,
        voting_opens_at=_moment(table, "voting_opens_at", check),
        voting_closes_at=_moment(table, "voting_closes_at", check),
        entries_close_at=_moment(table, "entries_close_at", check),
        grace_minutes=check.integer(table, "grace_minutes", where, 0, 0, 7 * 24 * 60),
    )
    if spec.voting_opens_at and spec.voting_closes_at and (
        spec.voting_closes_at <= spec.voting_opens_at
    ):
        check.add(f"{where}: voting_closes_at must be after voting_opens_at",
                  "config.voting_window")
    return spec


def _moment(table: dict, key: str, check: _Collector) -> datetime | None:
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, datetime):
        check.add(f"[campaign]: '{key}' must be a TOML date-time such as 2026-12-01T09:00:00Z")
        return None
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def _unique_codes(items: list[NamedItem], name: str, check: _Collector) -> None:
    seen: set[str] = set()
    for item in items:
        if item.code in seen:
            check.add(f"[[{name}]]: duplicate code '{shown(item.code)}'",
                      "config.duplicate_code", where=f"[[{name}]]", item=shown(item.code))
        seen.add(item.code)


def _named(table: dict, name: str, index: int, check: _Collector,
           model: type) -> tuple[str, str, str]:
    """Code and both names of one item, held to ``model``'s column sizes."""
    where = f"[[{name}]] #{index}"
    code = check.text(table, "code", where, limit=column_size(model, "code"))
    if code and not CODE.fullmatch(code):
        check.add(f"{where}: code '{shown(code)}' may use only letters, digits, '-' and '_' "
                  "(at most 32)", "config.bad_code", where=where, item=shown(code))
    return (code, check.text(table, "name_en", where, limit=column_size(model, "name_en")),
            check.text(table, "name_zh", where, limit=column_size(model, "name_zh")))


def _named_list(value: Any, name: str, check: _Collector, model: type) -> list[NamedItem]:
    items = [NamedItem(*_named(t, name, i, check, model)) for i, t in
             enumerate(_as_tables(value, name, check), start=1)]
    _unique_codes(items, name, check)
    return items


def _districts(value: Any, check: _Collector) -> list[DistrictSpec]:
    items = []
    for i, table in enumerate(_as_tables(value, "districts", check), start=1):
        code, en, zh = _named(table, "districts", i, check, District)
        households = table.get("households")
        if households is not None and (
            isinstance(households, bool) or not isinstance(households, int)
            or not 1 <= households <= INT_MAX
        ):
            check.add(f"[[districts]] {code or '#' + str(i)}: 'households' must be a positive "
                      "whole number")
            households = None
        items.append(DistrictSpec(code, en, zh, households))
    _unique_codes(items, "districts", check)
    return items


def _awards(value: Any, check: _Collector) -> list[AwardSpec]:
    items = []
    for i, table in enumerate(_as_tables(value, "awards", check), start=1):
        where = f"[[awards]] #{i}"
        items.append(AwardSpec(check.text(table, "name_en", where,
                                          limit=column_size(AwardTier, "name_en")),
                               check.text(table, "name_zh", where,
                                          limit=column_size(AwardTier, "name_zh")),
                               check.integer(table, "places", where, 1, 1)))
    return items


def weights_sum_to_one(weights: list[float]) -> bool:
    """The rule of a round's criteria weights (SPEC section 5.2): they sum to 1."""
    return abs(math.fsum(weights) - 1) <= WEIGHT_TOLERANCE


def _criteria(value: Any, check: _Collector) -> list[CriterionSpec]:
    items: list[CriterionSpec] = []
    for i, table in enumerate(_as_tables(value, "criteria", check), start=1):
        code, en, zh = _named(table, "criteria", i, check, Criterion)
        where = f"[[criteria]] {code or '#' + str(i)}"
        rnd = table.get("round", "preliminary")
        if rnd not in ROUNDS:
            check.add(f"{where}: round must be 'preliminary' or 'final', not '{shown(rnd)}'")
        weight = table.get("weight")
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not (
            0 < weight <= 1
        ):
            check.add(f"{where}: 'weight' must be a number above 0 and at most 1")
            weight = 0.0
        items.append(CriterionSpec(
            code, en, zh, round=rnd, weight=float(weight),
            max=check.integer(table, "max", where, 10, 1),
            guidance_en=check.text(table, "guidance_en", where, limit=None, required=False,
                                   multiline=True),
            guidance_zh=check.text(table, "guidance_zh", where, limit=None, required=False,
                                   multiline=True),
            anchors_en=_anchors(table, "anchors_en", where, check),
            anchors_zh=_anchors(table, "anchors_zh", where, check),
        ))
    for rnd in ROUNDS:
        in_round = [c for c in items if c.round == rnd]
        seen: set[str] = set()
        for c in in_round:
            if c.code in seen:
                check.add(f"[[criteria]]: duplicate code '{c.code}' in the {rnd} round",
                          "config.duplicate_criterion", item=c.code, round=rnd)
            seen.add(c.code)
        total = math.fsum(c.weight for c in in_round)
        if in_round and not weights_sum_to_one([c.weight for c in in_round]):
            check.add(f"[[criteria]]: weights of the {rnd} round sum to {total:g}, not 1",
                      "config.weights_sum", round=rnd, total=f"{total:g}")
    return items


ANCHOR_SIZE = 200


def _anchors(table: dict, key: str, where: str, check: _Collector) -> tuple[str, ...]:
    """Optional anchor texts of a criterion's score bands ("0-3 rarely met", …)."""
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        check.add(f"{where}: '{key}' must be a list of texts")
        return ()
    anchors = tuple(v.strip() for v in value)
    for anchor in anchors:
        if not anchor or len(anchor) > ANCHOR_SIZE or control_character(anchor):
            check.add(f"{where}: each of '{key}' must be non-empty text of at most "
                      f"{ANCHOR_SIZE} characters without control characters")
            return ()
    return anchors


def _judges(value: Any, departments: set[str], check: _Collector) -> list[JudgeSpec]:
    items = []
    seen: set[str] = set()
    for i, table in enumerate(_as_tables(value, "judges", check), start=1):
        where = f"[[judges]] #{i}"
        username = check.text(table, "username", where, limit=USERNAME_SIZE)
        if username and not USERNAME.fullmatch(username):
            check.add(f"{where}: username '{shown(username)}' must be 2 to 64 lower-case "
                      "letters, digits, '.', '_' or '-'")
            username = ""
        if username and username in seen:
            check.add(f"[[judges]]: duplicate username '{username}'")
        seen.add(username)
        conflicts = table.get("conflicts", [])
        if not isinstance(conflicts, list) or not all(isinstance(c, str) for c in conflicts):
            check.add(f"[[judges]] {username}: 'conflicts' must be a list of department codes")
            conflicts = []
        for code in conflicts:
            if code not in departments:
                check.add(f"[[judges]] {username}: conflict with unknown department "
                          f"'{shown(code)}'")
        # SPEC 8: ``affiliations = ["IMMD"]``; a single ``affiliation = "IMMD"`` is read too.
        affiliations = table.get("affiliations", [])
        if not isinstance(affiliations, list) or not all(isinstance(a, str)
                                                         for a in affiliations):
            check.add(f"[[judges]] {username}: 'affiliations' must be a list of department "
                      "codes")
            affiliations = []
        single = table.get("affiliation")
        if single is not None:
            if isinstance(single, str):
                affiliations = [single, *affiliations]
            else:
                check.add(f"[[judges]] {username}: 'affiliation' must be a department code")
        for code in affiliations:
            if code not in departments:
                check.add(f"[[judges]] {username}: affiliation '{shown(code)}' is not a "
                          "department")
        items.append(JudgeSpec(username, check.text(table, "name", where, required=False,
                                                    limit=JUDGE_NAME_SIZE)
                               or username, tuple(dict.fromkeys(conflicts)),
                               tuple(dict.fromkeys(affiliations))))
    return items
