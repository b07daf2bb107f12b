"""The inputs digest: exact canonical form, independent of row order (pure, no app)."""

from __future__ import annotations

import hashlib

from awards.results.digest import canonical_json, digest_object, inputs_digest

CONFIG = {"seed": "CSEA-example-2002", "method": "additive", "public_weight": 0.3,
          "finalists": 3, "final_public_weight": 0.0, "bootstrap": 2000,
          "awards": [("Grand Award", "大獎", 1)]}


def test_digest_is_sha256_of_the_documented_canonical_json():
    digest = inputs_digest(
        CONFIG, ["B", "A"], [("ST", 246425), ("KT", 247592)],
        [("KT", "B;A", "valid", 2), ("KT", "", "spoilt", 1)],
        [("preliminary", "J01", "A", "overall", 79)])
    # Written out by hand from SPEC: keys sorted, no spaces, UTF-8 kept.
    text = ('{"ballots":[["KT","","spoilt",1],["KT","A;B","valid",2]],'
            '"config":{"awards":[["Grand Award","大獎",1]],"bootstrap":2000,'
            '"final_public_weight":0.0,"finalists":3,"method":"additive",'
            '"public_weight":0.3,"seed":"CSEA-example-2002"},'
            '"departments":["A","B"],"districts":[["KT",247592],["ST",246425]],'
            '"scores":[["preliminary","J01","A","overall",79]],"spec":"awards-scoring/2"}')
    assert digest == hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_digest_does_not_depend_on_row_order_and_merges_equal_keys():
    a = inputs_digest(CONFIG, ["A", "B"], [("KT", 1), ("ST", 2)],
                      [("KT", "A", "valid", 1), ("KT", "A", "valid", 2), ("ST", "B", "valid", 1)],
                      [("final", "J02", "B", "x", 1), ("preliminary", "J01", "A", "x", 5)])
    b = inputs_digest(CONFIG, ["B", "A"], [("ST", 2), ("KT", 1)],
                      [("ST", "B", "valid", 1), ("KT", "A", "valid", 3)],
                      [("preliminary", "J01", "A", "x", 5), ("final", "J02", "B", "x", 1)])
    assert a == b


def test_spoilt_returns_have_empty_choices_and_any_change_changes_the_digest():
    obj = digest_object(CONFIG, ["A"], [("KT", 1)], [("KT", "A", "spoilt", 4)], [])
    assert obj["ballots"] == [["KT", "", "spoilt", 4]]
    base = inputs_digest(CONFIG, ["A"], [("KT", 1)], [("KT", "A", "valid", 4)], [])
    assert base != inputs_digest(CONFIG, ["A"], [("KT", 1)], [("KT", "A", "valid", 5)], [])
    assert base != inputs_digest({**CONFIG, "seed": "other"}, ["A"], [("KT", 1)],
                                 [("KT", "A", "valid", 4)], [])
    assert base != inputs_digest(CONFIG, ["A"], [("KT", 2)], [("KT", "A", "valid", 4)], [])


def test_canonical_json_keeps_chinese():
    assert canonical_json({"b": "大獎", "a": [1, 2.5]}) == '{"a":[1,2.5],"b":"大獎"}'
