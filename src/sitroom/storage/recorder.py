"""The event-log recorder: its interface, its records and the hash chain.

A run's log is append-only. Every event stores the hash of the event before it; the first
event's ``prev_hash`` is the run's package hash, so the chain also pins the exercise package
the run was started from. Hashes are computed over a canonical JSON text, so they verify the
same way on every backend after a round-trip through storage.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event to append: the run decided it, the log has not recorded it yet."""

    type: str
    """Stable kebab-case wire name, e.g. ``"inject-released"``."""
    payload: dict[str, Any]
    """JSON-serialisable content."""
    actor: str | None = None
    """Principal id, e.g. ``"account:alice"`` or ``"invite:abc"``."""
    idempotency_key: str | None = None
    """Client-made id, unique per run and actor when set. Only the first event of an append
    carries it: a second append by the same actor with the same key records nothing."""
    command_hash: str | None = None
    """A digest of the command the append carries out, kept with the key on the first event,
    so a retry can be told from a different submission that reuses the key."""


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event as recorded in a run's log."""

    run_id: str
    seq: int
    type: str
    payload: dict[str, Any]
    actor: str | None
    recorded_at: datetime
    idempotency_key: str | None
    prev_hash: str
    hash: str
    command_hash: str | None = None
    """The digest of the command an append carried out, on its first event (not hashed into
    the chain: it says what a key was used for, not what happened)."""


@dataclass(frozen=True, slots=True)
class RunRecord:
    """A run as the log knows it: the package it started from and how far its log goes."""

    id: str
    title: str
    package_json: str
    package_hash: str
    created_at: datetime
    last_seq: int


@dataclass(frozen=True, slots=True)
class AppendResult:
    """What an append recorded.

    ``duplicate`` is true when the first event's actor had already recorded an append with
    its idempotency key: nothing new was written and ``events`` are the ones recorded earlier
    with it (the first of them carries that append's ``command_hash``, for the caller to
    compare).
    """

    events: list[StoredEvent] = field(default_factory=list)
    duplicate: bool = False


class SequenceConflict(Exception):
    """The run's last sequence number was not the one the caller expected."""

    def __init__(self, run_id: str, expected: int, actual: int) -> None:
        super().__init__(f"run {run_id!r}: expected last seq {expected}, the log is at {actual}")
        self.run_id = run_id
        self.expected = expected
        self.actual = actual


class UnknownRun(Exception):
    """No run with this id has been created."""

    def __init__(self, run_id: str) -> None:
        super().__init__(f"no run with id {run_id!r}")
        self.run_id = run_id


class RunAlreadyExists(Exception):
    """A run with this id has already been created."""

    def __init__(self, run_id: str) -> None:
        super().__init__(f"a run with id {run_id!r} already exists")
        self.run_id = run_id


class RecorderClosed(RuntimeError):
    """The recorder was closed; it accepts no more work."""


@runtime_checkable
class Recorder(Protocol):
    """The append-only event log of runs. Every backend honours the same contract."""

    def create_run(
        self, run_id: str, title: str, package_json: str, package_hash: str
    ) -> RunRecord:
        """Create an empty run; raise `RunAlreadyExists` if the id is taken."""
        ...

    def get_run(self, run_id: str) -> RunRecord | None:
        """Return the run, or None if there is none with this id."""
        ...

    def list_runs(self) -> list[RunRecord]:
        """Return every run, oldest first."""
        ...

    def append(
        self, run_id: str, events: Sequence[NewEvent], expected_seq: int | None = None
    ) -> AppendResult:
        """Record all events in one transaction, or none; return after the commit."""
        ...

    def read(self, run_id: str, after: int = 0, limit: int | None = None) -> list[StoredEvent]:
        """Return the run's events with seq greater than ``after``, in order."""
        ...

    def last_seq(self, run_id: str) -> int:
        """Return the seq of the run's last event (0 for an empty log)."""
        ...

    def import_run(self, run: RunRecord, events: list[StoredEvent]) -> RunRecord:
        """Store a run and its already-hashed events verbatim (for ``sitroom import``)."""
        ...

    def find_by_key(
        self, run_id: str, idempotency_key: str, *, actor: str | None
    ) -> list[StoredEvent]:
        """Return the events ``actor`` appended with this idempotency key (empty if none)."""
        ...

    def close(self) -> None:
        """Finish pending work and release connections. Closing twice is harmless."""
        ...


def canonical_json(value: Any) -> str:
    """Return the canonical JSON text of a value: sorted keys, no spaces, UTF-8 safe.

    Raises ValueError if the value is not JSON-serialisable (NaN, infinities, objects,
    strings that cannot be encoded as UTF-8).
    """
    try:
        text = json.dumps(
            value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
        text.encode("utf-8")
    except (TypeError, ValueError) as error:
        raise ValueError(f"not JSON-serialisable: {error}") from error
    return text


def format_timestamp(moment: datetime) -> str:
    """Return the fixed-width ISO 8601 UTC form of a timezone-aware datetime."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("timestamps must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def parse_timestamp(text: str) -> datetime:
    """Return the timezone-aware UTC datetime written by `format_timestamp`."""
    return datetime.fromisoformat(text).astimezone(UTC)


def check_page(after: int, limit: int | None) -> None:
    """Refuse a read window no backend can serve the same way."""
    if after < 0:
        raise ValueError("after must be 0 or more")
    if limit is not None and limit < 0:
        raise ValueError("limit must be 0 or more")


Clock = Callable[[], datetime]
"""Where a recorder reads the time it stamps on runs and events (timezone-aware)."""


def utc_now() -> datetime:
    """The wall-clock time in UTC: the default clock of every recorder."""
    return datetime.now(UTC)


def new_run(
    run_id: str, title: str, package_json: str, package_hash: str, created_at: datetime
) -> RunRecord:
    """Check a new run's fields and stamp it with ``created_at``."""
    if not run_id:
        raise ValueError("a run needs an id")
    for name, value in (
        ("a run id", run_id),
        ("a run title", title),
        ("a package", package_json),
        ("a package hash", package_hash),
    ):
        check_text(name, value)
    return RunRecord(
        id=run_id,
        title=title,
        package_json=package_json,
        package_hash=package_hash,
        created_at=parse_timestamp(format_timestamp(created_at)),
        last_seq=0,
    )


def event_hash(
    run_id: str,
    seq: int,
    type: str,
    payload: dict[str, Any],
    actor: str | None,
    recorded_at: datetime,
    idempotency_key: str | None,
    prev_hash: str,
) -> str:
    """Return the hex SHA-256 of an event's canonical JSON (its content and its predecessor)."""
    document = {
        "actor": actor,
        "idempotency_key": idempotency_key,
        "payload": payload,
        "prev_hash": prev_hash,
        "recorded_at": format_timestamp(recorded_at),
        "run_id": run_id,
        "seq": seq,
        "type": type,
    }
    return hashlib.sha256(canonical_json(document).encode("utf-8")).hexdigest()


def key_scope(actor: str | None) -> str:
    """The owner of an idempotency key as every backend indexes it: keys are unique per run
    and actor, and events without an actor share one scope (``""``)."""
    return actor or ""


@dataclass(frozen=True, slots=True)
class PreparedEvent:
    """A new event checked and turned into the canonical text a backend stores."""

    type: str
    payload_json: str
    actor: str | None
    idempotency_key: str | None
    command_hash: str | None = None


def check_text(name: str, value: str | None) -> None:
    """Refuse text a backend could not store the same way (PostgreSQL refuses NUL)."""
    if value is not None and "\x00" in value:
        raise ValueError(f"{name} must not contain NUL characters")


def prepare_batch(events: Sequence[NewEvent]) -> list[PreparedEvent]:
    """Check a batch before it goes near storage and serialise its payloads.

    The batch's idempotency key and command hash are the first event's; the others must carry
    none or the same, and they are stored on the first event only. Raises ValueError for an
    empty batch, a blank type, a conflicting key, a NUL character in a text field or a payload
    that is not JSON-serialisable (NUL inside payload strings is fine: JSON escapes it).
    """
    if not events:
        raise ValueError("an append needs at least one event")
    key = events[0].idempotency_key
    command_hash = events[0].command_hash
    if key is not None and not key:
        raise ValueError("an idempotency key must not be empty")
    prepared: list[PreparedEvent] = []
    for index, event in enumerate(events):
        if not event.type:
            raise ValueError(f"event {index} of the batch has no type")
        check_text("an event type", event.type)
        check_text("an actor", event.actor)
        check_text("an idempotency key", event.idempotency_key)
        check_text("a command hash", event.command_hash)
        if not isinstance(event.payload, dict):
            raise ValueError(f"event {index} of the batch: the payload must be a JSON object")
        if index and event.idempotency_key not in (None, key):
            raise ValueError(
                "only the first event of an append carries an idempotency key; "
                f"event {index} has a different one"
            )
        if index and event.command_hash not in (None, command_hash):
            raise ValueError(
                "only the first event of an append carries a command hash; "
                f"event {index} has a different one"
            )
        prepared.append(
            PreparedEvent(
                type=event.type,
                payload_json=canonical_json(event.payload),
                actor=event.actor,
                idempotency_key=key if index == 0 else None,
                command_hash=command_hash if index == 0 else None,
            )
        )
    return prepared


def seal_batch(
    run_id: str,
    batch: Sequence[PreparedEvent],
    last_seq: int,
    last_hash: str,
    recorded_at: datetime,
) -> list[StoredEvent]:
    """Number and chain a prepared batch after the run's last event."""
    sealed: list[StoredEvent] = []
    prev_hash = last_hash
    for offset, item in enumerate(batch, start=1):
        seq = last_seq + offset
        payload: dict[str, Any] = json.loads(item.payload_json)
        digest = event_hash(
            run_id,
            seq,
            item.type,
            payload,
            item.actor,
            recorded_at,
            item.idempotency_key,
            prev_hash,
        )
        sealed.append(
            StoredEvent(
                run_id=run_id,
                seq=seq,
                type=item.type,
                payload=payload,
                actor=item.actor,
                recorded_at=recorded_at,
                idempotency_key=item.idempotency_key,
                prev_hash=prev_hash,
                hash=digest,
                command_hash=item.command_hash,
            )
        )
        prev_hash = digest
    return sealed


def verify_chain(events: Iterable[StoredEvent], package_hash: str | None = None) -> list[str]:
    """Check that a run's events form one whole chain from seq 1; return what is broken.

    An empty list means the record is whole. Each message names the seq where the chain
    breaks: a gap or reordering in seq, a ``prev_hash`` that is not the hash of the event
    before, or a stored hash that does not match the event's content. With ``package_hash``
    the first event must also point at the package the run started from.
    """
    problems: list[str] = []
    previous: StoredEvent | None = None
    for event in events:
        expected_seq = 1 if previous is None else previous.seq + 1
        if previous is not None and event.run_id != previous.run_id:
            problems.append(
                f"seq {event.seq}: belongs to run {event.run_id!r}, not {previous.run_id!r}"
            )
        if event.seq != expected_seq:
            problems.append(
                f"seq {event.seq}: expected seq {expected_seq}"
                " (an event is missing or out of order)"
            )
        if previous is None:
            if package_hash is not None and event.prev_hash != package_hash:
                problems.append(f"seq {event.seq}: prev_hash is not the hash of the run's package")
        elif event.prev_hash != previous.hash:
            problems.append(
                f"seq {event.seq}: prev_hash does not match the hash of seq {previous.seq}"
            )
        recomputed = event_hash(
            event.run_id,
            event.seq,
            event.type,
            event.payload,
            event.actor,
            event.recorded_at,
            event.idempotency_key,
            event.prev_hash,
        )
        if recomputed != event.hash:
            problems.append(f"seq {event.seq}: stored hash does not match the event's content")
        previous = event
    return problems
