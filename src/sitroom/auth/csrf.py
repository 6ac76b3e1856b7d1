"""CSRF tokens for form posts: a signed double-submit token bound to the session.

A token is a random nonce and an HMAC over the session token and that nonce. A page puts a
fresh one in each form; a post is accepted only if its token was made for the same session.
A new nonce every time keeps the token from being a fixed secret in every page.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

from sitroom.auth.keys import check_secret, derive_key

CSRF_FIELD = "csrf_token"
"""The form field (and ``X-CSRF-Token`` header) the token travels in."""
_NONCE_BYTES = 16
_MAX_LENGTH = 128


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CsrfGuard:
    """Makes and checks CSRF tokens with a key derived from the server secret."""

    def __init__(self, secret: bytes) -> None:
        """Sign with a key derived from ``secret`` for this purpose only."""
        self._key = derive_key(check_secret(secret), "csrf")

    def _mac(self, session_token: str, nonce: bytes) -> bytes:
        bound = hashlib.sha256(session_token.encode("utf-8", "surrogatepass")).digest()
        return hmac.new(self._key, bound + nonce, hashlib.sha256).digest()

    def csrf_token(self, session_token: str) -> str:
        """A fresh token for a form of the session with this (raw) token."""
        nonce = secrets.token_bytes(_NONCE_BYTES)
        return f"{_encode(nonce)}.{_encode(self._mac(session_token, nonce))}"

    def check_csrf(self, session_token: str | None, submitted: str | None) -> bool:
        """Return whether ``submitted`` was made for this session (compared in constant time)."""
        if not session_token or not submitted or len(submitted) > _MAX_LENGTH:
            return False
        nonce_text, _, mac_text = submitted.partition(".")
        try:
            nonce = _decode(nonce_text)
            mac = _decode(mac_text)
        except (binascii.Error, ValueError):
            return False
        if len(nonce) != _NONCE_BYTES:
            return False
        return hmac.compare_digest(mac, self._mac(session_token, nonce))
