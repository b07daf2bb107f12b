"""The SPEC section 6 worked example as scoring inputs (shared by the scoring tests).

Judges J1..J3 give scorecard values ``y`` directly. J1 is conflicted with E, J2 was not
assigned B and J3 was not assigned C.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from awards.scoring import District, JudgeScore, PublicInputs, ScoringConfig

SEED = "CSEA-example-2002"
DISTRICTS = (District("KT", 247_592), District("ST", 246_425), District("IS", 67_104))
DISTRICT_NAMES = {"KT": ("Kwun Tong", "觀塘"), "ST": ("Sha Tin", "沙田"),
                  "IS": ("Islands", "離島")}  # code: (name_en, name_zh)
DEPARTMENTS = ("A", "B", "C", "D", "E")

# pattern: (KT, ST, IS)
PATTERN_COUNTS: dict[tuple[str, ...], tuple[int, int, int]] = {
    ("A",): (70, 60, 20),
    ("B",): (10, 100, 45),
    ("A", "B"): (50, 60, 10),
    ("C",): (20, 40, 30),
    ("D", "E"): (60, 50, 20),
    ("B", "D"): (30, 80, 30),
    ("A", "C", "E"): (40, 60, 25),
    ("E",): (20, 50, 20),
}

PRELIMINARY_SCORES = {
    "J1": {"A": 79, "B": 87, "C": 69, "D": 82},
    "J2": {"A": 71, "C": 61, "D": 74, "E": 66},
    "J3": {"A": 61, "B": 73, "D": 68, "E": 56},
}
FINAL_SCORES = {
    "A": (84, 80, 76),
    "B": (88, 80, 72),
    "D": (85, 77, 70),
}


def example_patterns() -> dict[str, dict[tuple[str, ...], int]]:
    """Valid ballot patterns per district."""
    return {
        district.code: {pattern: counts[i] for pattern, counts in PATTERN_COUNTS.items()}
        for i, district in enumerate(DISTRICTS)
    }


def example_public() -> PublicInputs:
    return PublicInputs(
        districts=list(DISTRICTS),
        departments=list(DEPARTMENTS),
        patterns=example_patterns(),
        spoilt={},
    )


def example_scores(final: bool = True) -> list[JudgeScore]:
    scores = [
        JudgeScore("preliminary", judge, department, float(y))
        for judge, row in PRELIMINARY_SCORES.items()
        for department, y in row.items()
    ]
    if final:
        scores += [
            JudgeScore("final", f"J{i}", department, float(y))
            for department, ys in FINAL_SCORES.items()
            for i, y in enumerate(ys, start=1)
        ]
    return scores


def example_config(bootstrap: int = 2000) -> ScoringConfig:
    return ScoringConfig(seed=SEED, finalists=3, bootstrap=bootstrap)


# A config file's criterion: (round, code, name_en, name_zh, weight, max).
Criterion = tuple[str, str, str, str, float, int]


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return repr(value)


def _toml_table(header: str, fields: dict[str, object]) -> str:
    """One ``[header]`` (or ``[[header]]``) table, preceded by a blank line."""
    return f"\n{header}\n" + "".join(f"{k} = {_toml_value(v)}\n" for k, v in fields.items())


def campaign_config_toml(*, slug: str, name_en: str, name_zh: str,
                         criteria: Sequence[Criterion],
                         department_zh: Mapping[str, str] | None = None,
                         bootstrap: int | None = None) -> str:
    """The worked example as a campaign config file (TOML).

    Every such config has the districts of :data:`DISTRICTS`, the departments of
    :data:`DEPARTMENTS` (``name_zh`` from ``department_zh``, by default ``部門A`` and so
    on), the Grand and Gold awards, judges j1..j3 (j1 conflicted with E), 3 finalists, at
    most 3 choices and no entries required. Without ``bootstrap`` the config leaves the
    number of replicates to the default.
    """
    campaign: dict[str, object] = {"slug": slug, "name_en": name_en, "name_zh": name_zh,
                                   "max_choices": 3, "finalists": 3}
    if bootstrap is not None:
        campaign["bootstrap"] = bootstrap
    campaign["entries_required"] = False
    tables = [("[campaign]", campaign)]
    tables += [("[[awards]]", {"name_en": en, "name_zh": zh, "places": 1})
               for en, zh in (("Grand Award", "大獎"), ("Gold Award", "金獎"))]
    tables += [("[[districts]]", {"code": d.code, "name_en": DISTRICT_NAMES[d.code][0],
                                  "name_zh": DISTRICT_NAMES[d.code][1],
                                  "households": d.households}) for d in DISTRICTS]
    tables += [("[[departments]]", {
        "code": code, "name_en": f"Department {code}",
        "name_zh": department_zh[code] if department_zh else f"部門{code}",
    }) for code in DEPARTMENTS]
    tables += [("[[criteria]]", {"round": r, "code": c, "name_en": en, "name_zh": zh,
                                 "weight": weight, "max": top})
               for r, c, en, zh, weight, top in criteria]
    tables += [("[[judges]]", {"username": "j1", "name": "Judge One", "conflicts": ["E"]}),
               ("[[judges]]", {"username": "j2", "name": "Judge Two"}),
               ("[[judges]]", {"username": "j3", "name": "Judge Three"})]
    return "".join(_toml_table(header, fields) for header, fields in tables)
