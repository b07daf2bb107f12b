"""The verifier agrees with the scoring engine beyond the worked example: seeded random
campaigns of the real size (28 departments, 18 districts), every judge method, a public
weight in the final round, spoilt returns, a district without ballots and one with few,
ineligible departments with scores, incomplete scorecards and an incomplete final round."""

from __future__ import annotations

import random

import pytest

from awards.audit.verify import verify_bundle
from awards.scoring import (
    DEFAULT_AWARDS,
    District,
    PublicInputs,
    ScoringConfig,
    compute_results,
    judge_scores_from_scorecards,
)

from .conftest import SyntheticCampaign, crockford_id, make_bundle

CRITERIA = [("preliminary", "pledges", 0.5, 10), ("preliminary", "courtesy", 0.3, 10),
            ("preliminary", "access", 0.2, 5), ("final", "overall", 1.0, 100)]


def random_campaign(seed: int, *, method: str, final_public_weight: float = 0.0,
                    final_round: str = "complete") -> SyntheticCampaign:
    rng = random.Random(seed)
    districts = [(f"D{i:02d}", rng.randint(10_000, 300_000)) for i in range(1, 19)]
    departments = [(f"P{i:02d}", i not in (7, 19)) for i in range(1, 29)]
    eligible = [code for code, ok in departments if ok]
    popularity = [rng.random() ** 2 + 0.05 for _ in eligible]
    ballots = []
    number = seed * 100_000
    for index, (district, _n) in enumerate(districts):
        size = 0 if index == 4 else 12 if index == 9 else rng.randint(80, 300)
        for _ in range(size):
            number += 1
            if rng.random() < 0.03:
                ballots.append((crockford_id(number), district, "", "paper", "spoilt"))
                continue
            k = rng.choice((1, 1, 2, 3))
            picked = set()
            while len(picked) < k:
                picked.add(rng.choices(eligible, popularity)[0])
            ballots.append((crockford_id(number), district, ";".join(sorted(picked)),
                            rng.choice(("web", "web", "paper")), "valid"))
    judges = [f"J{i:02d}" for i in range(1, 13)]
    scores = []
    for j, judge in enumerate(judges):
        # A ring of overlapping assignments keeps the judge–department graph connected.
        codes = {departments[(j * 3 + k) % 28][0] for k in range(9)}
        codes |= set(rng.sample([c for c, _ok in departments], 3))
        for code in sorted(codes):
            for _round, criterion, _w, top in CRITERIA[:3]:
                if rng.random() < 0.02:
                    continue  # an incomplete scorecard: left out, never imputed
                scores.append(("preliminary", judge, code, criterion, rng.randint(0, top)))
    spec = SyntheticCampaign(
        seed=f"random-campaign-{seed}", districts=districts, departments=departments,
        criteria=CRITERIA, ballots=ballots, scores=scores, method=method, finalists=8,
        final_public_weight=final_public_weight, bootstrap=300, judges=judges,
        awards=tuple(DEFAULT_AWARDS), sample_size=100_000)
    finalists = preliminary_finalists(spec)
    if final_round == "none":
        return spec
    scored = finalists[:-1] if final_round == "incomplete" else finalists
    for judge in judges[:7]:
        for code in [*scored, "P28" if "P28" not in finalists else "P27"]:
            spec.scores.append(("final", judge, code, "overall", rng.randint(40, 100)))
    return spec


def preliminary_finalists(spec: SyntheticCampaign) -> list[str]:
    eligible = [c for c, ok in spec.departments if ok]
    patterns: dict[str, dict[tuple[str, ...], int]] = {}
    for _id, district, choices, _channel, status in spec.ballots:
        if status == "valid":
            key = tuple(choices.split(";"))
            patterns.setdefault(district, {})[key] = patterns.get(district, {}).get(key, 0) + 1
    public = PublicInputs([District(c, n) for c, n in spec.districts], eligible, patterns, {})
    criteria = {(r, c): (w, m) for r, c, w, m in spec.criteria}
    results = compute_results(public, judge_scores_from_scorecards(spec.scores, criteria),
                              ScoringConfig(seed=spec.seed, method=spec.method,
                                            finalists=spec.finalists, bootstrap=0))
    return results["finalists"]


@pytest.mark.parametrize("method", ["additive", "mean", "median", "trimmed", "zscore"])
def test_random_campaign_verifies_with_each_judge_method(method):
    bundle = make_bundle(random_campaign(11, method=method))
    warnings = {w["code"] for w in bundle.results["warnings"]}
    assert {"district_left_out", "few_valid_ballots", "ineligible_scores_ignored",
            "final_scores_ignored"} <= warnings
    assert len(bundle.results["final"]) == 8
    assert verify_bundle(bundle.zip(), bundle.public_key) == []


@pytest.mark.parametrize("seed", [3, 5])
def test_random_campaign_with_public_weight_in_the_final(seed):
    bundle = make_bundle(random_campaign(seed, method="additive", final_public_weight=0.25))
    assert verify_bundle(bundle.zip(), bundle.public_key) == []


@pytest.mark.parametrize("final_round", ["none", "incomplete"])
def test_random_campaign_without_a_complete_final_round(final_round):
    bundle = make_bundle(random_campaign(7, method="mean", final_round=final_round))
    assert bundle.results["final"] == [] and bundle.results["judges"]["final"] is None
    assert verify_bundle(bundle.zip(), bundle.public_key) == []


def test_random_campaign_resealed_with_one_changed_ballot_is_caught():
    bundle = make_bundle(random_campaign(13, method="zscore"))

    def change(data: bytes) -> bytes:
        lines = data.decode().splitlines(keepends=True)
        for index, line in enumerate(lines[1:], start=1):
            if line.endswith(",valid\n") and ",P01," in line:
                lines[index] = line.replace(",P01,", ",P02,")
                return "".join(lines).encode()
        raise AssertionError("no ballot for P01 alone")

    problems = verify_bundle(bundle.reseal("ballots.csv", change), bundle.public_key)
    assert any(p.startswith("results.json: public.departments[department=P01].count")
               for p in problems), problems
