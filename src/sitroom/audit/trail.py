"""The audit trail of one process: events numbered and hash-chained, handed to its sinks.

Each line carries ``stream`` (this process's trail), ``seq`` (1, 2, … in that stream) and
``hash`` (SHA-256 of the line without it, which includes the previous line's hash as
``prev``). A reader that finds a stream's ``seq`` jump, or a ``prev`` that is not the hash
before it, knows lines are missing or were changed (`verify_lines`). Several worker
processes append to one file, each with its own stream.
"""

from __future__ import annotations

import contextlib
import contextvars
import getpass
import hashlib
import json
import logging
import os
import secrets
import socket
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

log = logging.getLogger("sitroom.audit")

SUCCESS, FAILURE = "success", "failure"
REDACTED = "[redacted]"
_SECRET_WORDS = ("password", "secret", "token", "code", "key", "cookie", "session", "auth")
_SAFE_SUFFIXES = ("_id", "_name", "_fingerprint", "_scope", "_expires", "_kind")
_source: contextvars.ContextVar[str | None] = contextvars.ContextVar("audit_source", default=None)


class Sink(Protocol):
    """Where audit lines go: a file, stderr, a syslog server, an HTTP collector."""

    name: str

    def emit(self, event: Mapping[str, Any], line: str) -> None: ...

    def close(self, timeout: float) -> None: ...

    @property
    def dropped(self) -> int: ...


def _secret_name(name: str) -> bool:
    lowered = name.lower()
    if lowered.endswith(_SAFE_SUFFIXES):
        return False
    return any(word in lowered for word in _SECRET_WORDS)


def _clean(value: Any, depth: int = 0) -> Any:
    """A JSON-safe copy of ``value`` whose secret-named fields are replaced by a mark."""
    if depth > 4:
        return str(value)[:200]
    if isinstance(value, Mapping):
        return {
            str(k): REDACTED if _secret_name(str(k)) else _clean(v, depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [_clean(v, depth + 1) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return str(value)[:1000]


def actor_of(actor: Any) -> dict[str, Any] | None:
    """``{"id", "role"}`` of a principal, a viewer (``.principal``), a mapping or an id."""
    if actor is None:
        return None
    actor = getattr(actor, "principal", actor)
    if isinstance(actor, Mapping):
        found = {"id": actor.get("id"), "role": actor.get("role")}
    elif isinstance(actor, str):
        found = {"id": actor, "role": None}
    else:
        found = {"id": getattr(actor, "id", None), "role": getattr(actor, "role", None)}
    return {k: None if v is None else str(v) for k, v in found.items()}


def local_actor() -> dict[str, str]:
    """The operator at this machine's command line, for events of CLI commands."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    return {"id": f"local:{user}", "role": "operator"}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _digest(event: Mapping[str, Any]) -> str:
    body = json.dumps(event, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(body.encode("utf-8")).hexdigest()


class AuditTrail:
    """Numbers, chains and writes audit events; one per process (see `install`)."""

    def __init__(self, sinks: Sequence[Sink], *, host: str | None = None) -> None:
        self.sinks = list(sinks)
        self.host = host or socket.gethostname()
        self.stream = secrets.token_hex(6)
        self._lock = threading.Lock()
        self._seq = 0
        self._prev = ""

    def record(
        self,
        event_type: str,
        *,
        actor: Any = None,
        outcome: str = SUCCESS,
        run_id: str | None = None,
        source: str | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """Write one event to every sink and return it. Secret-named fields are redacted."""
        source = source or _source.get()
        if source is None and actor is None:  # outside any request: the operator's CLI
            actor = local_actor()
        event: dict[str, Any] = {
            "time": _now(),
            "type": event_type,
            "outcome": outcome,
            "actor": actor_of(actor),
            "source": source or "local",
            "run_id": run_id,
            "details": _clean(fields),
            "host": self.host,
            "pid": os.getpid(),
            "stream": self.stream,
        }
        with self._lock:
            self._seq += 1
            event["seq"] = self._seq
            event["prev"] = self._prev
            event["hash"] = self._prev = _digest(event)
            line = json.dumps(event, ensure_ascii=False, sort_keys=True)
            for sink in self.sinks:
                try:
                    sink.emit(event, line)
                except Exception:  # an audit sink must never break what it audits
                    log.exception("audit sink %s failed", sink.name)
        return event

    def stats(self) -> dict[str, int]:
        """Events each sink dropped (its queue was full, or delivery failed for good)."""
        return {sink.name: sink.dropped for sink in self.sinks}

    def close(self, timeout: float = 2.0) -> None:
        """Flush the forwarders (up to ``timeout`` seconds each) and stop them."""
        for sink in self.sinks:
            sink.close(timeout)


def verify_lines(lines: Iterable[str]) -> list[str]:
    """Problems of a trail: lines that do not parse, gaps in a stream's seq, broken hashes."""
    problems: list[str] = []
    last: dict[str, tuple[int, str]] = {}
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            event = json.loads(text)
            stream, seq, digest = str(event["stream"]), int(event["seq"]), str(event["hash"])
        except (ValueError, KeyError, TypeError) as exc:
            problems.append(f"line {number}: not an audit event ({exc})")
            continue
        body = {k: v for k, v in event.items() if k != "hash"}
        if _digest(body) != digest:
            problems.append(f"line {number}: the hash does not match the line (changed?)")
        before = last.get(stream)
        if before is not None:
            if seq != before[0] + 1:
                problems.append(
                    f"line {number}: stream {stream} jumps from seq {before[0]} to {seq}"
                    f" ({seq - before[0] - 1} missing)"
                )
            elif event.get("prev") != before[1]:
                problems.append(f"line {number}: prev is not the hash of seq {before[0]}")
        last[stream] = (seq, digest)
    return problems


# --- the process's trail --------------------------------------------------------------------

_installed: list[AuditTrail] = []
"""The trails installed, newest last: a CLI command run inside a test server's process
installs its own and, when it closes, leaves the server's in place again."""


def install(trail: AuditTrail) -> None:
    """Make ``trail`` the one `record` writes to (until it is uninstalled)."""
    _installed.append(trail)


def uninstall(trail: AuditTrail) -> None:
    """Stop writing to ``trail``; the one installed before it is used again."""
    with contextlib.suppress(ValueError):
        _installed.remove(trail)


def current() -> AuditTrail | None:
    return _installed[-1] if _installed else None


def record(
    event_type: str,
    *,
    actor: Any = None,
    outcome: str = SUCCESS,
    run_id: str | None = None,
    source: str | None = None,
    **fields: Any,
) -> None:
    """Record a security event on the process's trail (nothing if none is installed).

    ``actor`` is a principal, a viewer or an id; ``outcome`` "success" or "failure";
    ``source`` the client's address (default: the request being served, see
    `request_source`). Never pass passwords or tokens: fields named like them are redacted.
    """
    trail = current()
    if trail is None:
        return
    try:
        trail.record(
            event_type, actor=actor, outcome=outcome, run_id=run_id, source=source, **fields
        )
    except Exception:
        log.exception("audit event %s not recorded", event_type)


@contextlib.contextmanager
def request_source(address: str | None) -> Iterator[None]:
    """Events recorded inside (threads started with the context too) come from ``address``."""
    token = _source.set(address)
    try:
        yield
    finally:
        _source.reset(token)
