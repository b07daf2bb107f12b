"""One-time codes and receipts (SPEC section 3 "Codes", section 4 "Receipt")."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from awards.voting.codes import (
    ALPHABET,
    BallotIdTypo,
    CodeTypo,
    ballot_id,
    check_symbol,
    code_hmac,
    codes_commitment,
    format_code,
    generate_code,
    normalise_ballot_id,
    normalise_code,
    parse_code,
)

PEPPER = b"test pepper: 32 bytes of secret!"
payloads = st.text(alphabet=ALPHABET, min_size=13, max_size=13)


def rejected(text: str) -> bool:
    try:
        parse_code(text)
    except CodeTypo:
        return True
    return False


# --- SPEC test vectors ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "check"),
    [("0123456789ABC", "T"), ("ZZZZZZZZZZZZZ", "E"), ("7K2MQ9XD4HTRA", "8")],
)
def test_spec_check_symbol_vectors(payload: str, check: str) -> None:
    assert check_symbol(payload) == check


def test_spec_formatted_code() -> None:
    assert format_code("0123456789ABCT") == "0123-4567-89AB-CT"
    assert parse_code("0123-4567-89AB-CT") == "0123456789ABCT"


@pytest.mark.parametrize("payload", ["", "0123456789AB", "0123456789ABCD", "0123456789ABU"])
def test_check_symbol_refuses_a_malformed_payload(payload: str) -> None:
    with pytest.raises(ValueError, match="13 symbols"):
        check_symbol(payload)


# --- generation -------------------------------------------------------------------------


def test_generated_codes_are_well_formed_and_distinct() -> None:
    codes = [generate_code() for _ in range(5000)]
    assert len(set(codes)) == len(codes)
    for code in codes:
        assert len(code) == 14 and set(code) <= set(ALPHABET)
        assert parse_code(code) == code


def test_generated_codes_use_the_whole_alphabet_in_every_position() -> None:
    codes = [generate_code() for _ in range(3000)]
    for position in range(13):
        assert {code[position] for code in codes} == set(ALPHABET)


# --- normalisation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "0123-4567-89AB-CT",
        "0123456789abct",
        "0123 4567 89ab ct",
        "  0123-4567-89AB-CT\n",
        "０１２３－４５６７－８９ＡＢ－ＣＴ",  # full-width, as typed with a Chinese IME
        "０１２３\u3000４５６７\u3000８９ａｂ\u3000ｃｔ",  # ideographic spaces
        "0123\u20134567\u201489AB\u2212CT",  # en dash, em dash, minus sign
        "0123\u20104567\u00ad89AB\u200bCT",  # hyphen, soft hyphen, zero-width space
        "o123-4567-89ab-ct",  # letter O for zero
        "O123-4567-89AB-CT",
    ],
)
def test_typed_variants_normalise_to_the_code(typed: str) -> None:
    assert parse_code(typed) == "0123456789ABCT"


def test_i_and_l_read_as_one() -> None:
    code = "1111111111111" + check_symbol("1111111111111")
    assert parse_code("IiLl-1111-1111-1" + code[13]) == code
    assert normalise_code("il-LI") == "1111"


def test_normalise_code_does_not_validate() -> None:
    assert normalise_code("ab#c") == "AB#C"


# --- typos ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("", "wrong length"),
        ("0123-4567-89AB-C", "wrong length"),
        ("0123-4567-89AB-CTT", "wrong length"),
        ("0123-4567-89AB-CU", "invalid character"),
        ("0123-4567-89AB-C#", "invalid character"),
        ("0123-4567-89AB-C票", "invalid character"),
        ("0123-4567-89AB-CS", "check symbol mismatch"),
        ("1023-4567-89AB-CT", "check symbol mismatch"),
    ],
)
def test_malformed_codes_are_typos_with_a_reason(typed: str, reason: str) -> None:
    with pytest.raises(CodeTypo) as caught:
        parse_code(typed)
    assert caught.value.reason == reason
    assert str(caught.value).startswith(reason)
    assert isinstance(caught.value, ValueError)


def test_typo_messages_tell_what_is_wrong() -> None:
    with pytest.raises(CodeTypo, match="a code has 14 characters; 13 were given"):
        parse_code("0123456789ABC")
    with pytest.raises(CodeTypo, match="cannot contain 'U'"):
        parse_code("0123456789ABCU")
    with pytest.raises(CodeTypo, match="mistyped"):
        parse_code("0123456789ABCS")


def test_format_code_refuses_a_typo() -> None:
    with pytest.raises(CodeTypo):
        format_code("0123456789ABCS")


def test_every_substitution_and_transposition_is_detected_exhaustively() -> None:
    """The check is linear over GF(32), so one position at a time with zeros elsewhere
    covers every code; the last-payload/check swap is tried against every value of the
    other symbols' contribution (alpha * d_1 runs over the whole field)."""
    for position in range(13):
        for a in ALPHABET:
            for b in ALPHABET.replace(a, ""):
                left = "0" * position + a + "0" * (12 - position)
                right = "0" * position + b + "0" * (12 - position)
                assert check_symbol(left) != check_symbol(right)
    for position in range(12):
        for a in ALPHABET:
            for b in ALPHABET.replace(a, ""):
                payload = "0" * position + a + b + "0" * (11 - position)
                swapped = "0" * position + b + a + "0" * (11 - position)
                assert check_symbol(payload) != check_symbol(swapped)
    for first in ALPHABET:
        for last in ALPHABET:
            code = first + "0" * 11 + last + check_symbol(first + "0" * 11 + last)
            if code[12] != code[13]:
                assert rejected(code[:12] + code[13] + code[12])


@settings(max_examples=300, deadline=None)
@given(payloads)
def test_any_single_substitution_or_adjacent_transposition_is_a_typo(payload: str) -> None:
    """Through ``parse_code`` on drawn codes (each case tries 447 typos); the exhaustive
    test above proves the property for every code, from the check's linearity."""
    code = payload + check_symbol(payload)
    assert parse_code(code) == code
    for position in range(14):
        for symbol in ALPHABET:
            if symbol != code[position]:
                assert rejected(code[:position] + symbol + code[position + 1:])
    for position in range(13):
        if code[position] != code[position + 1]:
            swapped = (code[:position] + code[position + 1] + code[position]
                       + code[position + 2:])
            assert rejected(swapped)


def test_generated_codes_resist_substitution_and_transposition() -> None:
    for _ in range(200):
        code = generate_code()
        for position in range(13):
            if code[position] != code[position + 1]:
                swapped = (code[:position] + code[position + 1] + code[position]
                           + code[position + 2:])
                assert rejected(swapped)
        for position in range(14):
            for symbol in ALPHABET.replace(code[position], ""):
                assert rejected(code[:position] + symbol + code[position + 1:])


# --- HMAC and commitment ----------------------------------------------------------------


def test_code_hmac_is_hmac_sha256_of_the_normalised_code() -> None:
    expected = hmac.new(PEPPER, b"0123456789ABCT", hashlib.sha256).hexdigest()
    assert code_hmac(PEPPER, "0123456789ABCT") == expected
    assert code_hmac(PEPPER, parse_code("０１２３－４５６７－８９ａｂ－ｃｔ")) == expected
    assert code_hmac(b"another pepper", "0123456789ABCT") != expected


@pytest.mark.parametrize("code", ["0123-4567-89AB-CT", "0123456789abct", "0123456789ABC"])
def test_code_hmac_refuses_a_code_that_is_not_normalised(code: str) -> None:
    with pytest.raises(ValueError, match="parse_code"):
        code_hmac(PEPPER, code)


def test_code_hmac_refuses_an_empty_pepper() -> None:
    with pytest.raises(ValueError, match="pepper"):
        code_hmac(b"", "0123456789ABCT")


def test_commitment_is_sha256_of_sorted_hmacs_each_ending_in_newline() -> None:
    hmacs = [code_hmac(PEPPER, generate_code()) for _ in range(50)]
    text = "".join(h + "\n" for h in sorted(hmacs))
    assert codes_commitment(hmacs) == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert codes_commitment(reversed(hmacs)) == codes_commitment(hmacs)
    assert codes_commitment(hmacs[1:]) != codes_commitment(hmacs)


def test_commitment_of_no_codes_is_sha256_of_nothing() -> None:
    assert codes_commitment([]) == hashlib.sha256(b"").hexdigest()


@pytest.mark.parametrize("item", ["0123456789ABCT", "A" * 64, "0" * 63])
def test_commitment_refuses_anything_but_hmacs(item: str) -> None:
    with pytest.raises(ValueError, match="not a code HMAC"):
        codes_commitment(["0" * 64, item])


# --- receipts ---------------------------------------------------------------------------


def test_ballot_ids_are_16_symbols_and_distinct() -> None:
    ids = [ballot_id() for _ in range(5000)]
    assert len(set(ids)) == len(ids)
    assert all(len(i) == 16 and set(i) <= set(ALPHABET) for i in ids)


def test_typed_receipts_normalise() -> None:
    assert normalise_ballot_id("abcd efgh jkmn pqrs") == "ABCDEFGHJKMNPQRS"
    assert normalise_ballot_id("ＡＢＣＤ－ＥＦＧＨ－ＪＫＭＮ－ＰＱＲＳ") == "ABCDEFGHJKMNPQRS"
    assert normalise_ballot_id("oil0-0000-0000-0000") == "0110000000000000"


@pytest.mark.parametrize(
    ("typed", "reason"),
    [("ABCD", "wrong length"), ("ABCDEFGHJKMNPQRSU", "invalid character"),
     ("ABCDEFGHJKMNPQRU", "invalid character")],
)
def test_malformed_receipts_are_refused(typed: str, reason: str) -> None:
    with pytest.raises(BallotIdTypo) as caught:
        normalise_ballot_id(typed)
    assert caught.value.reason == reason
