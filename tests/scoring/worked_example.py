"""The SPEC section 6 worked example as scoring inputs (shared by the scoring tests).

Judges J1..J3 give scorecard values ``y`` directly. J1 is conflicted with E, J2 was not
assigned B and J3 was not assigned C.
"""

from __future__ import annotations

from awards.scoring import District, JudgeScore, PublicInputs, ScoringConfig

SEED = "CSEA-example-2002"
DISTRICTS = (District("KT", 247_592), District("ST", 246_425), District("IS", 67_104))
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
