"""Per-campaign Ed25519 signing keys (SPEC section 7: the bundle's ``manifest.sig``).

Formats (also documented on the verification page and in ``verify.py``):

* ``campaign.signing_public_key``: the raw 32-byte Ed25519 public key (RFC 8032) as 64
  lowercase hexadecimal characters. The same text is in ``manifest.json`` (``public_key``)
  and on the public verification page.
* ``campaign.signing_private_key``: ``"aesgcm1:" + base64(nonce ‖ ciphertext)``, where the
  plaintext is the raw 32-byte private key, the cipher is AES-256-GCM with a 12-byte random
  nonce, the associated data is ``"awards-signing-key|" + slug`` (a blob copied to another
  campaign does not decrypt) and the key is HKDF-SHA256 of the configuration secret
  ``SIGNING_KEY_SECRET`` (environment ``AWARDS_SIGNING_KEY``) with ``info`` =
  ``b"awards campaign signing key v1"``. The secret never enters the database.
* Signatures: the raw 64-byte Ed25519 signature as 128 lowercase hexadecimal characters.
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

from awards.exceptions import AwardsError
from awards.models import Campaign

BLOB_PREFIX = "aesgcm1:"
HKDF_INFO = b"awards campaign signing key v1"
NONCE_BYTES = 12


class SigningKeyError(AwardsError):
    """The signing key is missing, cannot be decrypted, or the secret is not configured."""

    status = 500
    code = "signing.key"


def _wrapping_key(secret: str | None = None) -> bytes:
    """The AES-256 key derived from ``SIGNING_KEY_SECRET`` by HKDF-SHA256."""
    secret = secret if secret is not None else current_app.config.get("SIGNING_KEY_SECRET")
    if not secret:
        raise SigningKeyError("no signing-key secret is configured: set AWARDS_SIGNING_KEY")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=HKDF_INFO).derive(secret.encode("utf-8"))


def _associated_data(slug: str) -> bytes:
    return f"awards-signing-key|{slug}".encode()


def raw_public_key(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.public_key().public_bytes(serialization.Encoding.Raw,
                                                 serialization.PublicFormat.Raw)


def encrypt_private_key(private_key: Ed25519PrivateKey, slug: str,
                        secret: str | None = None) -> str:
    """The storage text of a private key (format in the module docstring)."""
    raw = private_key.private_bytes(serialization.Encoding.Raw,
                                    serialization.PrivateFormat.Raw,
                                    serialization.NoEncryption())
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(_wrapping_key(secret)).encrypt(nonce, raw, _associated_data(slug))
    return BLOB_PREFIX + base64.b64encode(nonce + sealed).decode("ascii")


def decrypt_private_key(blob: str, slug: str, secret: str | None = None) -> Ed25519PrivateKey:
    """Inverse of :func:`encrypt_private_key`.

    Raises
    ------
    SigningKeyError
        Unknown format, or a secret other than the one the key was stored with.
    """
    if not blob.startswith(BLOB_PREFIX):
        raise SigningKeyError(f"the signing key of '{slug}' is stored in an unknown format")
    try:
        data = base64.b64decode(blob[len(BLOB_PREFIX):], validate=True)
        raw = AESGCM(_wrapping_key(secret)).decrypt(data[:NONCE_BYTES], data[NONCE_BYTES:],
                                                    _associated_data(slug))
    except (InvalidTag, binascii.Error, ValueError):
        raise SigningKeyError(
            f"the signing key of '{slug}' cannot be decrypted: AWARDS_SIGNING_KEY differs "
            "from the secret it was stored with") from None
    return Ed25519PrivateKey.from_private_bytes(raw)


def ensure_campaign_key(campaign: Campaign) -> str:
    """Give the campaign a signing key if it has none (the caller commits).

    Returns
    -------
    str
        The public key, 64 hex characters. An existing key is kept, so a corrected result
        version is signed with the key auditors already hold.
    """
    if campaign.signing_public_key and campaign.signing_private_key:
        return campaign.signing_public_key
    private_key = Ed25519PrivateKey.generate()
    campaign.signing_private_key = encrypt_private_key(private_key, campaign.slug)
    campaign.signing_public_key = raw_public_key(private_key).hex()
    return campaign.signing_public_key


def campaign_private_key(campaign: Campaign) -> Ed25519PrivateKey:
    """The campaign's decrypted private key.

    Raises
    ------
    SigningKeyError
        When the campaign has no key (not published) or it cannot be decrypted, or when the
        stored public key does not belong to the private key.
    """
    if not campaign.signing_private_key or not campaign.signing_public_key:
        raise SigningKeyError(f"'{campaign.slug}' has no signing key: publish it first")
    key = decrypt_private_key(campaign.signing_private_key, campaign.slug)
    if raw_public_key(key).hex() != campaign.signing_public_key:
        raise SigningKeyError(f"the stored public key of '{campaign.slug}' does not match "
                              "its private key")
    return key
