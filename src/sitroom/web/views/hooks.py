"""The webhooks of a run as control reads them: one read model for the page and the API.

A subscription's secret never appears here (it is shown once, in the answer that created
it), and neither does its whole URL: an incoming-webhook URL of a chat server is itself a
secret, so only its scheme, host and last four characters are shown.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from sitroom.services.hooks.store import Attempt, Delivery, Subscription


def _iso(ms: int | None) -> str | None:
    if not ms:
        return None
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds")


def url_hint(url: str) -> str:
    """``https://chat.example/…abcd``: enough to recognise a URL, not enough to use it."""
    parts = urlsplit(url)
    rest = url.split(parts.netloc, 1)[-1]
    tail = rest[-4:] if len(rest) > 8 else ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname or ''}{port}/…{tail}"


def subscription(sub: Subscription) -> dict[str, Any]:
    """A subscription without its secret, its URL shortened to a hint."""
    return {
        "id": sub.id,
        "url": url_hint(sub.url),
        "format": sub.format,
        "events": list(sub.events),
        "audience": sub.audience,
        "label": sub.label,
        "language": sub.language,
        "active": sub.active,
        "created_by": sub.created_by,
        "created_at": _iso(sub.created_ms),
    }


def attempt(a: Attempt) -> dict[str, Any]:
    return {
        "number": a.number,
        "at": _iso(a.at_ms),
        "status_code": a.status_code,
        "error": a.error,
        "duration_ms": a.duration_ms,
    }


def delivery(d: Delivery) -> dict[str, Any]:
    """A delivery with every attempt (its body is left out: see the receiver for it)."""
    return {
        "id": d.id,
        "subscription": d.subscription_id,
        "seq": d.seq,
        "type": d.event_type,
        "status": d.status,
        "attempts": d.attempts,
        "next_at": _iso(d.next_at) if d.status == "pending" else None,
        "created_at": _iso(d.created_ms),
        "finished_at": _iso(d.finished_ms),
        "tries": [attempt(a) for a in d.tries],
    }
