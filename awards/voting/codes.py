"""One-time household codes and ballot receipt ids (SPEC section 3 "Codes", section 4).

Pure functions: no Flask, no database. A code is 13 random Crockford base32 symbols (65 bits
from :mod:`secrets`) followed by one check symbol computed over GF(32) with the reduction
polynomial x^5 + x^2 + 1 and alpha = x:

    c = XOR over i = 1..13 of alpha^i * d_i

Because alpha is primitive (order 31), every single-symbol substitution and every transposition
of two distinct adjacent symbols (including the last payload symbol with the check symbol)
changes the check, so typos are caught before the database is consulted.

Typed input is normalised first (:func:`normalise_code`) and then verified
(:func:`parse_code`); only ``HMAC-SHA256(pepper, normalised code)`` is ever stored
(:func:`code_hmac`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from collections.abc import Iterable

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
SYMBOL_VALUE = {symbol: value for value, symbol in enumerate(ALPHABET)}
PAYLOAD_LENGTH = 13
CODE_LENGTH = PAYLOAD_LENGTH + 1
BALLOT_ID_LENGTH = 16
REDUCTION_POLYNOMIAL = 0b100101  # x^5 + x^2 + 1
ALPHA = 0b00010  # x

# Characters people confuse with symbols of the alphabet (Crockford's decoding rules).
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
# Dashes that survive NFKC: U+2212 MINUS SIGN is category Sm, not Pd.
_EXTRA_SEPARATORS = frozenset("\u2212")
_HMAC_HEX = re.compile(r"[0-9a-f]{64}")


class SymbolTypo(ValueError):
    """Typed text is not a well-formed code or ballot id (found without the database).

    Parameters
    ----------
    reason
        One of :data:`WRONG_LENGTH`, :data:`CHECK_MISMATCH`, :data:`INVALID_CHARACTER`: a
        stable key the web layer translates.
    detail
        A sentence for people, in English.
    """

    WRONG_LENGTH = "wrong length"
    CHECK_MISMATCH = "check symbol mismatch"
    INVALID_CHARACTER = "invalid character"

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class CodeTypo(SymbolTypo):
    """A typed household code is malformed (SPEC section 3): reported as a typo, not a guess."""


class BallotIdTypo(SymbolTypo):
    """A typed receipt (ballot id, SPEC section 4) is malformed."""


def _gf32_multiply(a: int, b: int) -> int:
    """Multiply two elements of GF(32) = GF(2)[x] / (x^5 + x^2 + 1)."""
    product = 0
    while b:
        if b & 1:
            product ^= a
        b >>= 1
        a <<= 1
        if a & 0b100000:
            a ^= REDUCTION_POLYNOMIAL
    return product


def _weight_tables() -> tuple[tuple[int, ...], ...]:
    """``table[i - 1][d] = alpha^i * d`` for positions i = 1..13 and symbol values d."""
    tables = []
    power = 1
    for _ in range(PAYLOAD_LENGTH):
        power = _gf32_multiply(power, ALPHA)
        tables.append(tuple(_gf32_multiply(power, d) for d in range(32)))
    return tuple(tables)


_WEIGHTED = _weight_tables()


def _check_value(payload: str) -> int:
    value = 0
    for table, symbol in zip(_WEIGHTED, payload):
        value ^= table[SYMBOL_VALUE[symbol]]
    return value


def check_symbol(payload: str) -> str:
    """Check symbol of a 13-symbol payload (SPEC section 3 "Codes").

    Parameters
    ----------
    payload
        Exactly 13 symbols of :data:`ALPHABET` (already normalised, upper case).

    Returns
    -------
    str
        The single check symbol ``ALPHABET[c]`` with ``c = XOR_i alpha^i * d_i``.

    Raises
    ------
    ValueError
        If the payload is not 13 symbols of the alphabet.
    """
    if len(payload) != PAYLOAD_LENGTH or not set(payload) <= SYMBOL_VALUE.keys():
        raise ValueError(f"a payload is {PAYLOAD_LENGTH} symbols of {ALPHABET}; got {payload!r}")
    return ALPHABET[_check_value(payload)]


def _random_symbols(count: int) -> str:
    """``count`` symbols drawn uniformly from :data:`ALPHABET` by :mod:`secrets` (5 bits each)."""
    bits = secrets.randbits(5 * count)
    return "".join(ALPHABET[(bits >> (5 * k)) & 31] for k in range(count))


def generate_code() -> str:
    """A fresh household code: 13 symbols from :mod:`secrets` plus its check symbol.

    Never derived from the sample seed (SPEC section 3).

    Returns
    -------
    str
        14 symbols without hyphens, e.g. ``"0123456789ABCT"``.
    """
    payload = _random_symbols(PAYLOAD_LENGTH)
    return payload + ALPHABET[_check_value(payload)]


def format_code(code: str) -> str:
    """Group a code for print and display: ``XXXX-XXXX-XXXX-XX`` (SPEC section 3).

    Parameters
    ----------
    code
        A code in any accepted spelling (see :func:`normalise_code`).

    Returns
    -------
    str
        The grouped code.

    Raises
    ------
    CodeTypo
        If ``code`` is not a well-formed code (see :func:`parse_code`).
    """
    c = parse_code(code)
    return f"{c[0:4]}-{c[4:8]}-{c[8:12]}-{c[12:14]}"


def _is_separator(char: str) -> bool:
    """Spaces, dashes and invisible format characters (soft hyphen, zero-width space) that
    people type or paste between groups; none carries meaning in a code."""
    category = unicodedata.category(char)
    return char.isspace() or category in ("Pd", "Cf") or char in _EXTRA_SEPARATORS


def normalise_code(text: str) -> str:
    """Normalise typed text before anything else (SPEC section 3 "Codes").

    Steps, in order: Unicode NFKC (full-width characters from Chinese input methods become
    ASCII, the ideographic space becomes a space), upper case, removal of spaces, dashes
    (Unicode category Pd, and U+2212 minus) and invisible format characters, then
    ``O -> 0``, ``I -> 1``, ``L -> 1``. Nothing is validated here.

    Parameters
    ----------
    text
        What the person typed or the QR fragment carried.

    Returns
    -------
    str
        The normalised text (possibly still malformed).
    """
    if text.isascii() and text.isalnum():  # the common case, without per-character lookups
        return text.upper().translate(_LOOKALIKES)
    folded = unicodedata.normalize("NFKC", text).upper()
    kept = "".join(char for char in folded if not _is_separator(char))
    return kept.translate(_LOOKALIKES)


def _parse_symbols(text: str, length: int, error: type[SymbolTypo], noun: str) -> str:
    normalised = normalise_code(text)
    invalid = sorted({char for char in normalised if char not in SYMBOL_VALUE})
    if invalid:
        shown = " ".join(repr(char) for char in invalid)
        raise error(SymbolTypo.INVALID_CHARACTER, f"a {noun} cannot contain {shown}")
    if len(normalised) != length:
        raise error(
            SymbolTypo.WRONG_LENGTH,
            f"a {noun} has {length} characters; {len(normalised)} were given",
        )
    return normalised


def parse_code(text: str) -> str:
    """Normalise and verify a typed code without touching the database (SPEC section 3).

    Parameters
    ----------
    text
        Typed or scanned text, e.g. ``"０１２３－４５６７－８９ＡＢ－ＣＴ"`` or
        ``"0123 4567 89ab ct"``.

    Returns
    -------
    str
        The normalised 14-symbol code, ready for :func:`code_hmac`.

    Raises
    ------
    CodeTypo
        ``reason`` is ``"invalid character"`` (a symbol outside the alphabet, checked first),
        ``"wrong length"`` (not 14 symbols) or ``"check symbol mismatch"``.
    """
    code = _parse_symbols(text, CODE_LENGTH, CodeTypo, "code")
    if ALPHABET[_check_value(code[:PAYLOAD_LENGTH])] != code[PAYLOAD_LENGTH]:
        raise CodeTypo(
            SymbolTypo.CHECK_MISMATCH,
            "the code does not add up; one character is probably mistyped",
        )
    return code


def code_hmac(pepper: bytes, normalised_code: str) -> str:
    """The stored form of a code: ``HMAC-SHA256(pepper, normalised code)`` (SPEC section 3).

    Parameters
    ----------
    pepper
        Secret bytes from configuration (never from the database).
    normalised_code
        Output of :func:`parse_code` or :func:`generate_code`: 14 symbols, no hyphens.

    Returns
    -------
    str
        64 lowercase hex characters.

    Raises
    ------
    ValueError
        If the pepper is empty or the code is not in normalised form (a hyphenated or
        lower-case code would give an HMAC that never matches).
    """
    if not isinstance(pepper, bytes) or not pepper:
        raise ValueError("the code pepper must be non-empty bytes from configuration")
    if len(normalised_code) != CODE_LENGTH or not set(normalised_code) <= SYMBOL_VALUE.keys():
        raise ValueError("code_hmac needs a normalised 14-symbol code; call parse_code first")
    return hmac.new(pepper, normalised_code.encode("ascii"), hashlib.sha256).hexdigest()


def codes_commitment(hmacs: Iterable[str]) -> str:
    """Commitment to an issued code set, for the audit log (SPEC section 7 "codes issued").

    Defined as the lowercase hex SHA-256 of the UTF-8 bytes of the code HMACs sorted in
    ascending order, each followed by ``"\\n"``; i.e. ``SHA256_hex("".join(h + "\\n" for h in
    sorted(hmacs)))``. An empty set gives the SHA-256 of the empty string.

    Parameters
    ----------
    hmacs
        Outputs of :func:`code_hmac` (64 lowercase hex characters each), in any order.

    Returns
    -------
    str
        64 lowercase hex characters.

    Raises
    ------
    ValueError
        If an item is not 64 lowercase hex characters (e.g. a plaintext code was passed).
    """
    ordered = sorted(hmacs)
    for item in ordered:
        if not isinstance(item, str) or not _HMAC_HEX.fullmatch(item):
            raise ValueError(f"not a code HMAC (64 lowercase hex characters): {item!r}")
    digest = hashlib.sha256()
    digest.update("".join(item + "\n" for item in ordered).encode("utf-8"))
    return digest.hexdigest()


def ballot_id() -> str:
    """A fresh ballot id, the household's receipt (SPEC section 4): 16 symbols from
    :mod:`secrets` (80 bits), no check symbol.

    Returns
    -------
    str
        16 symbols of :data:`ALPHABET`.
    """
    return _random_symbols(BALLOT_ID_LENGTH)


def normalise_ballot_id(text: str) -> str:
    """Normalise and verify a typed receipt (SPEC section 4), with the rules of
    :func:`normalise_code`.

    Parameters
    ----------
    text
        What the person typed, e.g. ``"abcd efgh jkmn pqrs"``.

    Returns
    -------
    str
        16 symbols of :data:`ALPHABET`.

    Raises
    ------
    BallotIdTypo
        ``reason`` is ``"invalid character"`` or ``"wrong length"``.
    """
    return _parse_symbols(text, BALLOT_ID_LENGTH, BallotIdTypo, "receipt number")
