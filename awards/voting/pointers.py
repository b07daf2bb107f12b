"""The encrypted pointer from a sampled household to its current code row (SPEC section 4,
"Secrecy against whoever holds the database", point a).

A code row does not reference its household; reissuing a lost letter still has to find the
household's code. The sampled-household row therefore holds

    code_pointer = nonce (12 random bytes) ‖ AES-256-GCM(key, code row id as 8 bytes big-endian,
                                                          associated data)

with ``key = HKDF-SHA256(POINTER_KEY, info = b"awards code pointer v1")``. The associated data
names the campaign and the household's primary key, so a pointer copied onto another row does
not decrypt. ``POINTER_KEY`` comes from configuration (``AWARDS_POINTER_KEY``), never from
the database: a copy of the database without it cannot tell whose code a row is.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from awards.exceptions import LifecycleError

HKDF_INFO = b"awards code pointer v1"
NONCE_BYTES = 12


class PointerError(LifecycleError):
    """The pointer key is missing, or a pointer does not decrypt under it."""


def configured_pointer_key(config) -> str:
    """``POINTER_KEY`` from an application's configuration.

    Raises
    ------
    PointerError
        When it is not configured.
    """
    secret = config.get("POINTER_KEY")
    if not secret:
        raise PointerError("AWARDS_POINTER_KEY is not configured")
    return secret


def pointer_cipher(secret: str) -> AESGCM:
    """The AES-256-GCM cipher keyed by HKDF-SHA256 of the configured secret."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
               info=HKDF_INFO).derive(secret.encode("utf-8"))
    return AESGCM(key)


def _associated_data(campaign_id: int, household_pk: int) -> bytes:
    return f"awards-code-pointer|{campaign_id}|{household_pk}".encode()


def seal_pointer(cipher: AESGCM, campaign_id: int, household_pk: int, code_id: int) -> bytes:
    """The pointer to code row ``code_id`` for one household (a fresh random nonce each time,
    so two pointers to nearby ids look unrelated)."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + cipher.encrypt(nonce, code_id.to_bytes(8, "big"),
                                  _associated_data(campaign_id, household_pk))


def open_pointer(cipher: AESGCM, campaign_id: int, household_pk: int, blob: bytes) -> int:
    """The code row id a pointer names.

    Raises
    ------
    PointerError
        When the pointer was sealed under another key or for another household.
    """
    try:
        plain = cipher.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:],
                               _associated_data(campaign_id, household_pk))
    except (InvalidTag, ValueError):
        raise PointerError("the household's code pointer does not decrypt: "
                           "AWARDS_POINTER_KEY differs from the one the codes were issued "
                           "with") from None
    return int.from_bytes(plain, "big")
