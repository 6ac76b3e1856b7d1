"""The append-only, tamper-evident event log of runs, on SQLite or PostgreSQL."""

from sitroom.storage.factory import open_recorder
from sitroom.storage.recorder import (
    AppendResult,
    NewEvent,
    Recorder,
    RecorderClosed,
    RunAlreadyExists,
    RunRecord,
    SequenceConflict,
    StoredEvent,
    UnknownRun,
    canonical_json,
    event_hash,
    verify_chain,
)

__all__ = [
    "AppendResult",
    "NewEvent",
    "Recorder",
    "RecorderClosed",
    "RunAlreadyExists",
    "RunRecord",
    "SequenceConflict",
    "StoredEvent",
    "UnknownRun",
    "canonical_json",
    "event_hash",
    "open_recorder",
    "verify_chain",
]
