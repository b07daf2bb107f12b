"""The inputs digest of a result (SPEC section 6, ``results.json`` key ``inputs_digest``).

Pure and standard-library only, so that an independent verifier can recompute it from the
audit bundle: ``SHA256_hex(canonical_json(obj))`` with

``obj = {"spec": "awards-scoring/2",
         "config": {"seed", "method", "public_weight", "finalists", "final_public_weight",
                    "bootstrap", "awards": [[name_en, name_zh, places], ...]},
         "departments": [eligible codes, sorted],
         "districts": [[code, N_h], ... sorted by code],
         "ballots": [[district, choices, status, count], ... sorted],
         "scores": [[round, pseudonym, department, criterion, score], ... sorted]}``

where ``choices`` is the sorted department codes joined by ``";"`` (``""`` for a spoilt
return) and ``scores`` are the criterion-level integer scores of submitted scorecards, exactly
the rows of the audit bundle's ``scores.csv``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

DIGEST_SPEC = "awards-scoring/2"
CONFIG_KEYS = ("seed", "method", "public_weight", "finalists", "final_public_weight",
               "bootstrap")


def canonical_json(value: Any) -> str:
    """Keys sorted, separators ``(",", ":")``, no ASCII escaping (SPEC section 7)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_choices(choices: str | Iterable[str], status: str = "valid") -> str:
    """Department codes sorted and joined by ``";"``; ``""`` for a spoilt return."""
    if status == "spoilt":
        return ""
    codes = choices.split(";") if isinstance(choices, str) else list(choices)
    return ";".join(sorted(code for code in codes if code))


def digest_object(
    config: Mapping[str, Any],
    departments: Iterable[str],
    districts: Iterable[tuple[str, int]],
    ballots: Iterable[tuple[str, str, str, int]],
    scores: Iterable[tuple[str, str, str, str, int]],
) -> dict[str, Any]:
    """The object whose canonical JSON is hashed (see the module docstring).

    Parameters
    ----------
    config : mapping
        ``seed, method, public_weight, finalists, final_public_weight, bootstrap`` and
        ``awards`` as a sequence of ``(name_en, name_zh, places)``.
    departments : iterable of str
        Eligible department codes (any order).
    districts : iterable of (code, N_h)
    ballots : iterable of (district, choices, status, count)
        Ballot counts per district, pattern and status; ``choices`` in any order (it is
        canonicalised, and emptied for spoilt returns). Equal keys are summed.
    scores : iterable of (round, pseudonym, department, criterion, score)

    Returns
    -------
    dict
    """
    merged: dict[tuple[str, str, str], int] = {}
    canonical: dict[tuple[str, str], str] = {}  # many districts share a pattern
    for district, choices, status, count in ballots:
        if isinstance(choices, str):
            written = canonical.get((choices, status))
            if written is None:
                written = canonical[choices, status] = canonical_choices(choices, status)
        else:
            written = canonical_choices(choices, status)
        key = (district, written, status)
        merged[key] = merged.get(key, 0) + int(count)
    return {
        "spec": DIGEST_SPEC,
        "config": {
            **{key: config[key] for key in CONFIG_KEYS},
            "awards": [[str(a[0]), str(a[1]), int(a[2])] for a in config["awards"]],
        },
        "departments": sorted(departments),
        "districts": sorted([str(code), int(n)] for code, n in districts),
        "ballots": [[*key, count] for key, count in sorted(merged.items()) if count],
        "scores": sorted([str(r), str(j), str(d), str(c), int(s)] for r, j, d, c, s in scores),
    }


def inputs_digest(
    config: Mapping[str, Any],
    departments: Iterable[str],
    districts: Iterable[tuple[str, int]],
    ballots: Iterable[tuple[str, str, str, int]],
    scores: Iterable[tuple[str, str, str, str, int]],
) -> str:
    """``SHA256_hex(canonical_json(obj))`` of :func:`digest_object` (lowercase hex).

    Raises
    ------
    KeyError
        When ``config`` lacks one of the keys listed in :data:`CONFIG_KEYS` or ``awards``.
    """
    obj = digest_object(config, departments, districts, ballots, scores)
    return hashlib.sha256(canonical_json(obj).encode("utf-8")).hexdigest()


def config_for_digest(
    seed: str, method: str, public_weight: float, finalists: int,
    final_public_weight: float, bootstrap: int, awards: Sequence[Sequence[Any]],
) -> dict[str, Any]:
    """The ``config`` part with the types the digest uses (floats stay floats, ints ints)."""
    return {
        "seed": seed, "method": method, "public_weight": float(public_weight),
        "finalists": int(finalists), "final_public_weight": float(final_public_weight),
        "bootstrap": int(bootstrap),
        "awards": [[str(a[0]), str(a[1]), int(a[2])] for a in awards],
    }
