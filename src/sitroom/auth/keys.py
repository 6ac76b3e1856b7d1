"""Keys derived from the server secret, and the digests under which tokens are stored."""

from __future__ import annotations

import hashlib
import hmac

MIN_SECRET_BYTES = 16


def check_secret(secret: bytes) -> bytes:
    """Return the server secret; raise ValueError if it is too short to protect anything."""
    if not isinstance(secret, bytes):
        raise TypeError("the server secret must be bytes")
    if len(secret) < MIN_SECRET_BYTES:
        raise ValueError(
            f"the server secret must have at least {MIN_SECRET_BYTES} bytes"
            f" (it has {len(secret)}); set SITROOM_SECRET_KEY to a long random value"
        )
    return secret


def derive_key(secret: bytes, purpose: str) -> bytes:
    """A key for one purpose, so a value signed for one use is worthless for another."""
    return hmac.new(secret, b"sitroom:" + purpose.encode(), hashlib.sha256).digest()


def token_digest(raw: str) -> str:
    """The hex SHA-256 of a random token, which is what the store keeps of it.

    Tokens carry 256 random bits, so a plain hash is enough: it cannot be reversed or guessed.
    """
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()
