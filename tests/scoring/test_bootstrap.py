"""Bootstrap diagnostics against a plain, replicate-by-replicate reading of SPEC 6.9."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from awards.scoring import District, PublicInputs, compute_results
from awards.scoring.bootstrap import bootstrap_generator, replicate_counts
from awards.scoring.public import tally_public

from .worked_example import SEED, example_config, example_public, example_scores

REPLICATES = 150


def reference_bootstrap(public, judge, seed, public_weight, finalists, replicates):
    """SPEC 6.9 written out literally, one replicate and one district at a time."""
    digest = hashlib.sha256(f"{seed}|bootstrap".encode()).hexdigest()
    rng = np.random.Generator(np.random.PCG64(int(digest[:16], 16)))
    departments = sorted(public.departments)
    households = {d.code: d.households for d in public.districts}
    districts = sorted(c for c, pats in public.patterns.items() if sum(pats.values()) > 0)
    total = sum(households[c] for c in districts)
    hashes = {c: hashlib.sha256(f"{seed}|tiebreak|{c}".encode()).hexdigest() for c in departments}
    ranks, best = [], []
    for _ in range(replicates):
        x = {d: 0 for d in departments}
        p = {d: 0.0 for d in departments}
        for code in districts:
            patterns = sorted(tuple(sorted(k)) for k in public.patterns[code])
            counts = np.array([public.patterns[code][k] for k in patterns])
            r = int(counts.sum())
            drawn = rng.multinomial(r, counts / r)
            for pattern, n in zip(patterns, drawn.tolist()):
                for d in pattern:
                    x[d] += n
                    p[d] += households[code] / total * n / r
        pv = np.array([p[d] for d in departments])
        zp = (pv - pv.mean()) / pv.std()
        zj = (judge - judge.mean()) / judge.std()
        c = public_weight * zp + (1 - public_weight) * zj
        key = {d: (-round(c[i], 9), -round(judge[i], 9), -round(pv[i], 9), -x[d], hashes[d])
               for i, d in enumerate(departments)}
        order = sorted(departments, key=key.get)
        ranks.append([order.index(d) + 1 for d in departments])
        best.append(min(departments, key=lambda d: (-round(p[d], 9), -x[d], hashes[d])))
    ranks = np.array(ranks)
    return {
        "p_finalist": (ranks <= finalists).mean(axis=0).tolist(),
        "p_best_public_image": [best.count(d) / replicates for d in departments],
        "rank95": [
            [int(np.percentile(ranks[:, i], 2.5, method="lower")),
             int(np.percentile(ranks[:, i], 97.5, method="higher"))]
            for i in range(len(departments))
        ],
    }


def test_generator_seed_is_the_published_one():
    digest = hashlib.sha256(f"{SEED}|bootstrap".encode()).hexdigest()
    expected = np.random.Generator(np.random.PCG64(int(digest[:16], 16)))
    assert bootstrap_generator(SEED).integers(0, 2**62, 4).tolist() == (
        expected.integers(0, 2**62, 4).tolist()
    )


def test_chunking_does_not_change_the_draws():
    tally = tally_public(example_public())
    whole = np.concatenate(list(replicate_counts(tally, 10, SEED, chunk=10)))
    pieces = np.concatenate(list(replicate_counts(tally, 10, SEED, chunk=3)))
    assert np.array_equal(whole, pieces)
    assert (whole.sum(axis=2) >= tally.valid).all()


def test_matches_literal_reading_of_the_spec():
    config = example_config(bootstrap=REPLICATES)
    results = compute_results(example_public(), example_scores(), config)
    judge = np.array(list(results["judges"]["preliminary"]["scores"].values()))
    expected = reference_bootstrap(
        example_public(), judge, SEED, config.public_weight, config.finalists, REPLICATES
    )
    rows = results["public"]["departments"]
    assert [r["p_finalist"] for r in rows] == pytest.approx(expected["p_finalist"], abs=0)
    assert [r["p_best_public_image"] for r in rows] == pytest.approx(
        expected["p_best_public_image"], abs=0
    )
    assert [r["rank95"] for r in rows] == expected["rank95"]


def test_reproducible_and_switchable_off():
    first = compute_results(example_public(), example_scores(), example_config(bootstrap=50))
    again = compute_results(example_public(), example_scores(), example_config(bootstrap=50))
    assert first == again
    off = compute_results(example_public(), example_scores(), example_config(bootstrap=0))
    assert off["best_public_image_conclusive"] is None
    row = off["public"]["departments"][0]
    assert (row["p_finalist"], row["p_best_public_image"], row["rank95"]) == (None, None, None)
    assert off["finalists"] == first["finalists"]


def literal_draws(tally, replicates, seed):
    """SPEC 6.9's loop as written: replicates outer, districts with ballots inner, one
    ``multinomial(r_h, freqs_h)`` each."""
    rng = bootstrap_generator(seed)
    out = np.zeros((replicates, len(tally.districts), len(tally.departments)))
    for b in range(replicates):
        for h in range(len(tally.districts)):
            if tally.valid[h] > 0:
                drawn = rng.multinomial(int(tally.valid[h]),
                                        tally.pattern_counts[h] / tally.valid[h])
                out[b, h] = drawn @ tally.incidence[h]
    return out


@pytest.mark.parametrize("chunk", [None, 1, 7])
def test_batched_draws_equal_the_literal_loop(chunk):
    """Districts of very different widths (1 pattern, hundreds, none at all), so the
    padding to a common width is exercised, as are the chunk edges."""
    rng = np.random.default_rng(7)
    departments = [f"D{i:02d}" for i in range(12)]
    patterns = {}
    for code, ballots in (("AA", 900), ("BB", 0), ("CC", 3), ("DD", 40), ("EE", 1)):
        chosen = {}
        for _ in range(ballots):
            pick = tuple(sorted(rng.choice(departments, rng.integers(1, 4), replace=False)))
            chosen[pick] = chosen.get(pick, 0) + 1
        patterns[code] = chosen
    patterns["CC"] = {("D03",): 3}
    districts = [District(code, 1000 * (i + 1)) for i, code in enumerate(sorted(patterns))]
    tally = tally_public(PublicInputs(districts, departments, patterns))
    assert sorted(len(c) for c in tally.pattern_counts) == [0, 1, 1, 35, 252]
    batched = np.concatenate(list(replicate_counts(tally, 23, SEED, chunk=chunk)))
    assert np.array_equal(batched, literal_draws(tally, 23, SEED))
