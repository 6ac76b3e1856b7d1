"""The error every refusal in ``sitroom.auth`` raises: the field it is about and why."""

from __future__ import annotations

from typing import Literal

Reason = Literal[
    "invalid", "taken", "unknown", "expired", "revoked", "used", "denied", "throttled", "busy"
]
"""Why a request was refused; the web layer picks its status code from it."""

_STATUS: dict[Reason, int] = {
    "invalid": 422,
    "taken": 409,
    "unknown": 404,
    "expired": 410,
    "revoked": 410,
    "used": 410,
    "denied": 403,
    "throttled": 429,
    "busy": 503,
}


class AuthError(Exception):
    """A refusal that names the field it is about and says, for a person, what is wrong."""

    def __init__(self, field: str, message: str, *, reason: Reason = "invalid") -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.reason: Reason = reason

    @property
    def status(self) -> int:
        """The HTTP status that fits the reason (422, 409, 404, 410, 403, 429 or 503)."""
        return _STATUS[self.reason]


class TooManyAttempts(AuthError):
    """Too many failed attempts from one client; it may try again after ``retry_after`` s."""

    def __init__(self, field: str, retry_after: float) -> None:
        seconds = max(1, round(retry_after))
        super().__init__(
            field,
            f"too many failed attempts; try again in {seconds} seconds",
            reason="throttled",
        )
        self.retry_after = retry_after


class HashingBusy(AuthError):
    """Too many password checks run at once; answered at once, without hashing."""

    retry_after = 1.0

    def __init__(self, field: str = "password") -> None:
        message = "the server is busy checking other sign-ins; try again in a moment"
        super().__init__(field, message, reason="busy")


SignOnKind = Literal[
    "provider",
    "state",
    "token",
    "cancelled",
    "not-allowed",
    "no-role",
    "not-yours",
    "needs-sign-on",
    "disabled",
    "passwords-off",
]
"""Why a single sign-on did not sign anyone in (each has its own message for the person)."""


class SignOnRefused(AuthError):
    """A single sign-on that did not sign anyone in; ``kind`` says why, for the person."""

    def __init__(self, kind: SignOnKind, message: str, *, field: str = "sso") -> None:
        super().__init__(field, message, reason="busy" if kind == "provider" else "denied")
        self.kind: SignOnKind = kind
