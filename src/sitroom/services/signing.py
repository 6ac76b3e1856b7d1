"""The installation's signing key: Ed25519, made on first use, kept in the data folder.

The hash chain of a run proves that its record is whole relative to its head, but anyone can
recompute it, so it proves nothing about who wrote the record. An export is therefore signed
with a key only this installation holds; another installation imports it only if it knows the
key (its own, or one named with ``--trust``). Public keys are written ``ed25519:<base64url>``
and fingerprinted ``SHA256:<base64>`` (as OpenSSH does), short enough to read over a phone.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from sitroom import audit

KEY_FILE = "signing.key"
PUBLIC_PREFIX = "ed25519:"
FINGERPRINT_PREFIX = "SHA256:"


class KeyProblem(ValueError):
    """A public key or fingerprint that cannot be read; the message says what is wrong."""


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def public_key_text(raw: bytes) -> str:
    """A raw 32-byte Ed25519 public key as sitroom writes it."""
    return PUBLIC_PREFIX + _b64url(raw)


def fingerprint(raw: bytes) -> str:
    """The SHA-256 fingerprint of a raw public key: ``SHA256:`` and 43 base64 characters."""
    digest = hashlib.sha256(raw).digest()
    return FINGERPRINT_PREFIX + base64.b64encode(digest).rstrip(b"=").decode("ascii")


def parse_public_key(text: str) -> bytes:
    """The raw 32 bytes of a public key written ``ed25519:<base64url>``; `KeyProblem` if not."""
    cleaned = text.strip()
    if not cleaned.startswith(PUBLIC_PREFIX):
        raise KeyProblem(f"a public key starts with {PUBLIC_PREFIX!r}, got {cleaned[:20]!r}")
    body = cleaned.removeprefix(PUBLIC_PREFIX)
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise KeyProblem("the public key is not 32 bytes of base64url after 'ed25519:'")
    return raw


def matches(trusted: str, raw: bytes) -> bool:
    """Whether ``trusted`` (a public key or a fingerprint) names the raw public key."""
    cleaned = trusted.strip()
    if cleaned.startswith(FINGERPRINT_PREFIX):
        return cleaned.rstrip("=") == fingerprint(raw)
    try:
        return parse_public_key(cleaned) == raw
    except KeyProblem:
        return False


def check_trusted(text: str) -> str:
    """Return a ``--trust`` value if it is a public key or a fingerprint; `KeyProblem` if not."""
    cleaned = text.strip()
    if cleaned.startswith(FINGERPRINT_PREFIX):
        body = cleaned.removeprefix(FINGERPRINT_PREFIX).rstrip("=")
        try:
            ok = len(base64.b64decode(body + "=" * (-len(body) % 4), validate=True)) == 32
        except (binascii.Error, ValueError):
            ok = False
        if not ok:
            raise KeyProblem(f"{cleaned!r} is not a SHA256: fingerprint as 'sitroom keys' prints")
        return cleaned
    parse_public_key(cleaned)
    return cleaned


def verify(raw_public: bytes, data: bytes, signature: bytes) -> bool:
    """Whether ``signature`` is the Ed25519 signature of ``data`` by that public key."""
    try:
        Ed25519PublicKey.from_public_bytes(raw_public).verify(signature, data)
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass(frozen=True)
class InstallationKey:
    """This installation's Ed25519 key pair."""

    private: Ed25519PrivateKey

    @property
    def raw_public(self) -> bytes:
        """The raw 32-byte public key."""
        return self.private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    @property
    def public_key(self) -> str:
        """The public key as ``ed25519:<base64url>``."""
        return public_key_text(self.raw_public)

    @property
    def fingerprint(self) -> str:
        """The public key's ``SHA256:`` fingerprint."""
        return fingerprint(self.raw_public)

    def sign(self, data: bytes) -> bytes:
        """The 64-byte Ed25519 signature of ``data``."""
        return self.private.sign(data)

    @classmethod
    def load_or_create(cls, data_dir: Path) -> InstallationKey:
        """Read ``DATA_DIR/signing.key``, making it (mode 0600) on first use.

        Several processes may start at once: the first to link its file in place wins, and
        the others read that one.
        """
        path = data_dir / KEY_FILE
        if not path.exists():
            data_dir.mkdir(parents=True, exist_ok=True)
            pem = Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            tmp = data_dir / f".{KEY_FILE}.{os.getpid()}"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
                handle.flush()
                os.fsync(handle.fileno())
            made = False
            try:
                os.link(tmp, path)
                made = True
            except FileExistsError:
                pass
            finally:
                tmp.unlink()
            if made:
                key = cls.load_or_create(data_dir)
                audit.record(
                    "signing-key-created",
                    actor=audit.local_actor(),
                    key_fingerprint=key.fingerprint,
                )
                return key
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(loaded, Ed25519PrivateKey):
            raise ValueError(f"{path} does not hold an Ed25519 private key")
        return cls(loaded)
