"""Run archives: a zip with the package, every event, and a manifest with the hashes.

``import_archive`` refuses an archive whose files do not match their manifest hashes or whose
event chain does not verify, so an archive moved between machines stays tamper-evident.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path
from typing import Any

from sitroom.storage.recorder import (
    Recorder,
    RunRecord,
    StoredEvent,
    format_timestamp,
    parse_timestamp,
    verify_chain,
)

FORMAT = "sitroom-run-archive"
VERSION = 1
MAX_MEMBER_BYTES = 512 * 1024 * 1024


class ArchiveError(ValueError):
    """The archive cannot be imported; the message says why."""


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _event_line(event: StoredEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "type": event.type,
        "payload": event.payload,
        "actor": event.actor,
        "recorded_at": format_timestamp(event.recorded_at),
        "idempotency_key": event.idempotency_key,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
        "command_hash": event.command_hash,
    }


def export_archive(recorder: Recorder, run_id: str, path: Path) -> dict[str, Any]:
    """Write the run to ``path`` (.zip); return the manifest. KeyError for an unknown run."""
    record = recorder.get_run(run_id)
    if record is None:
        raise KeyError(run_id)
    events = recorder.read(run_id)
    package = record.package_json.encode("utf-8")
    lines = "".join(
        json.dumps(_event_line(e), ensure_ascii=False, sort_keys=True) + "\n" for e in events
    ).encode("utf-8")
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "run_id": record.id,
        "title": record.title,
        "created_at": format_timestamp(record.created_at),
        "package_hash": record.package_hash,
        "events": len(events),
        "head_hash": events[-1].hash if events else record.package_hash,
        "files": {"package.json": _sha256(package), "events.jsonl": _sha256(lines)},
    }
    tmp = path.with_suffix(path.suffix + ".part")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
        archive.writestr("package.json", package)
        archive.writestr("events.jsonl", lines)
    tmp.replace(path)
    return manifest


def _member(archive: zipfile.ZipFile, name: str) -> bytes:
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise ArchiveError(f"the archive has no {name}") from None
    if info.file_size > MAX_MEMBER_BYTES:
        raise ArchiveError(f"{name} is larger than {MAX_MEMBER_BYTES // 2**20} MiB")
    return archive.read(name)


def read_archive(path: Path) -> tuple[RunRecord, list[StoredEvent]]:
    """Read and check an archive: manifest hashes, then the event chain."""
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise ArchiveError(f"not a readable zip archive ({exc})") from None
    with archive:
        try:
            manifest = json.loads(_member(archive, "manifest.json"))
        except json.JSONDecodeError as exc:
            raise ArchiveError(f"manifest.json is not JSON: {exc}") from None
        if manifest.get("format") != FORMAT:
            raise ArchiveError("manifest.json does not describe a sitroom run archive")
        package = _member(archive, "package.json")
        lines = _member(archive, "events.jsonl")
    files = manifest.get("files", {})
    for name, data in (("package.json", package), ("events.jsonl", lines)):
        if files.get(name) != _sha256(data):
            raise ArchiveError(f"{name} does not match the hash in manifest.json")
    if _sha256(package) != manifest.get("package_hash"):
        raise ArchiveError("package.json does not match the run's package hash")
    events: list[StoredEvent] = []
    run_id = str(manifest["run_id"])
    for number, line in enumerate(lines.decode("utf-8").splitlines(), start=1):
        try:
            item = json.loads(line)
            events.append(
                StoredEvent(
                    run_id=run_id,
                    seq=int(item["seq"]),
                    type=str(item["type"]),
                    payload=dict(item["payload"]),
                    actor=item.get("actor"),
                    recorded_at=parse_timestamp(item["recorded_at"]),
                    idempotency_key=item.get("idempotency_key"),
                    prev_hash=str(item["prev_hash"]),
                    hash=str(item["hash"]),
                    command_hash=item.get("command_hash"),
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ArchiveError(f"events.jsonl line {number}: {exc}") from None
    problems = verify_chain(events, manifest["package_hash"])
    if problems:
        raise ArchiveError("the event chain does not verify: " + "; ".join(problems[:3]))
    if len(events) != manifest.get("events"):
        raise ArchiveError("the number of events differs from the manifest")
    record = RunRecord(
        id=run_id,
        title=str(manifest.get("title", run_id)),
        package_json=package.decode("utf-8"),
        package_hash=str(manifest["package_hash"]),
        created_at=parse_timestamp(manifest["created_at"]),
        last_seq=len(events),
    )
    return record, events


def import_archive(recorder: Recorder, path: Path) -> RunRecord:
    """Import a checked archive as a new run with the same id and the same hashes."""
    record, events = read_archive(path)
    if recorder.get_run(record.id) is not None:
        raise ArchiveError(f"a run '{record.id}' exists already in this database")
    recorder.import_run(record, events)
    return record
