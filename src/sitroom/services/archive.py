"""Run archives: a zip with the package, every event, a manifest with the hashes, signed.

The manifest names the files' SHA-256 and the head of the event chain; ``manifest.sig`` is
the installation key's Ed25519 signature of the manifest's exact bytes, and the manifest
carries the signer's public key. ``import_archive`` refuses an archive that is unsigned,
whose signature does not verify, whose files or chain do not match the manifest, or that is
signed by a key the importer does not trust. The hashes alone would not do: anyone who edits
an archive can recompute them, and only the signature says who wrote it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import zipfile
from collections.abc import Collection
from pathlib import Path
from typing import Any

from sitroom import audit
from sitroom.services.archive_labels import (
    LABELS_MEMBER,
    LABELS_XML_MEMBER,
    archive_labels,
    check_labels,
    labels_xml,
    package_of,
)
from sitroom.services.signing import (
    InstallationKey,
    KeyProblem,
    fingerprint,
    matches,
    parse_public_key,
    verify,
)
from sitroom.storage.recorder import (
    Recorder,
    RunRecord,
    StoredEvent,
    format_timestamp,
    parse_timestamp,
    verify_chain,
)

FORMAT = "sitroom-run-archive"
VERSION = 3
"""2: signed (manifest.sig and the signer's public key in the manifest); 3: with the
confidentiality labels of the exercise and its injects (labels.json, labels.xml)."""
SIGNATURE_MEMBER = "manifest.sig"
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


def export_archive(
    recorder: Recorder, run_id: str, path: Path, *, key: InstallationKey, actor: Any = None
) -> dict[str, Any]:
    """Write the run to ``path`` (.zip), signed with ``key``; return the manifest.

    KeyError for an unknown run. ``actor`` (default: the local operator) is audited.
    """
    record = recorder.get_run(run_id)
    if record is None:
        audit.record(
            "archive-exported",
            actor=actor or audit.local_actor(),
            outcome="failure",
            run_id=run_id,
            reason="no such run",
        )
        raise KeyError(run_id)
    events = recorder.read(run_id)
    package = record.package_json.encode("utf-8")
    lines = "".join(
        json.dumps(_event_line(e), ensure_ascii=False, sort_keys=True) + "\n" for e in events
    ).encode("utf-8")
    labels_data = archive_labels(package_of(package))
    labels = json.dumps(labels_data, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")
    labels_x = labels_xml(labels_data).encode("utf-8")
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "run_id": record.id,
        "title": record.title,
        "created_at": format_timestamp(record.created_at),
        "package_hash": record.package_hash,
        "events": len(events),
        "head_hash": events[-1].hash if events else record.package_hash,
        "files": {
            "package.json": _sha256(package),
            "events.jsonl": _sha256(lines),
            LABELS_MEMBER: _sha256(labels),
            LABELS_XML_MEMBER: _sha256(labels_x),
        },
        "signed_by": {"public_key": key.public_key, "fingerprint": key.fingerprint},
    }
    manifest_bytes = json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8")
    signature = base64.b64encode(key.sign(manifest_bytes))
    tmp = path.with_suffix(path.suffix + ".part")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", manifest_bytes)
        archive.writestr(SIGNATURE_MEMBER, signature + b"\n")
        archive.writestr("package.json", package)
        archive.writestr("events.jsonl", lines)
        archive.writestr(LABELS_MEMBER, labels)
        archive.writestr(LABELS_XML_MEMBER, labels_x)
    tmp.replace(path)
    audit.record(
        "archive-exported",
        actor=actor or audit.local_actor(),
        run_id=run_id,
        file=path.name,
        events=len(events),
        key_fingerprint=key.fingerprint,
    )
    return manifest


def _member(archive: zipfile.ZipFile, name: str) -> bytes:
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise ArchiveError(f"the archive has no {name}") from None
    if info.file_size > MAX_MEMBER_BYTES:
        raise ArchiveError(f"{name} is larger than {MAX_MEMBER_BYTES // 2**20} MiB")
    return archive.read(name)


def _signer(manifest: dict[str, Any], manifest_bytes: bytes, signature_text: bytes) -> bytes:
    """The raw public key that signed the manifest; `ArchiveError` unless it verifies."""
    signed_by = manifest.get("signed_by")
    public = signed_by.get("public_key") if isinstance(signed_by, dict) else None
    if not isinstance(public, str):
        raise ArchiveError("manifest.json names no signing key; the archive is not signed")
    try:
        raw = parse_public_key(public)
        signature = base64.b64decode(signature_text.strip(), validate=True)
    except (KeyProblem, binascii.Error, ValueError) as exc:
        raise ArchiveError(f"the archive's signature cannot be read ({exc})") from None
    if not verify(raw, manifest_bytes, signature):
        raise ArchiveError(
            "the signature does not match manifest.json: the archive was changed after it"
            " was signed, or signed by another key than the one it names"
        )
    return raw


def read_archive(
    path: Path, *, trusted: Collection[str] = ()
) -> tuple[RunRecord, list[StoredEvent]]:
    """Read and check an archive: signature, manifest hashes, event chain, then the signer.

    ``trusted`` are the public keys or fingerprints whose archives are accepted (the
    importer's own key among them). Raise `ArchiveError` saying what is wrong.
    """
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise ArchiveError(f"not a readable zip archive ({exc})") from None
    with archive:
        manifest_bytes = _member(archive, "manifest.json")
        try:
            manifest = json.loads(manifest_bytes)
        except json.JSONDecodeError as exc:
            raise ArchiveError(f"manifest.json is not JSON: {exc}") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise ArchiveError("manifest.json does not describe a sitroom run archive")
        if SIGNATURE_MEMBER not in archive.namelist():
            raise ArchiveError(
                "the archive is not signed, so nothing shows who wrote it; export it again"
                " with 'sitroom export' on the installation it comes from"
            )
        signer = _signer(manifest, manifest_bytes, _member(archive, SIGNATURE_MEMBER))
        package = _member(archive, "package.json")
        lines = _member(archive, "events.jsonl")
        labelled = int(manifest.get("version", 0)) >= 3
        labels = _member(archive, LABELS_MEMBER) if labelled else None
    files = manifest.get("files", {})
    members = [("package.json", package), ("events.jsonl", lines)]
    if labels is not None:
        members.append((LABELS_MEMBER, labels))
    for name, data in members:
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
    if events and events[-1].hash != manifest.get("head_hash"):
        raise ArchiveError("the last event's hash differs from the head in manifest.json")
    if not any(matches(item, signer) for item in trusted):
        print_ = fingerprint(signer)
        raise ArchiveError(
            f"the archive is signed by a key this installation does not know ({print_});"
            " if you expect archives from that installation (its 'sitroom keys' prints the"
            f" fingerprint), import with --trust {print_}"
        )
    if labels is not None:  # a signer we trust, yet labels that do not fit: refused too
        _check_labels(package, labels)
    record = RunRecord(
        id=run_id,
        title=str(manifest.get("title", run_id)),
        package_json=package.decode("utf-8"),
        package_hash=str(manifest["package_hash"]),
        created_at=parse_timestamp(manifest["created_at"]),
        last_seq=len(events),
    )
    return record, events


def _check_labels(package: bytes, labels: bytes) -> None:
    """`ArchiveError` naming each item whose label and content disagree."""
    try:
        stored = json.loads(labels)
        found = package_of(package)
    except ValueError as exc:
        raise ArchiveError(f"{LABELS_MEMBER} or package.json cannot be read: {exc}") from None
    problems = check_labels(found, stored)
    if problems:
        raise ArchiveError(
            "the archive's labels and content disagree: "
            + "; ".join(problems[:5])
            + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
        )


def import_archive(
    recorder: Recorder,
    path: Path,
    *,
    key: InstallationKey,
    trust: Collection[str] = (),
    actor: Any = None,
) -> RunRecord:
    """Import a checked archive as a new run with the same id and the same hashes.

    Archives signed by ``key`` (this installation's) are accepted, and those signed by a
    key named in ``trust`` (public keys or fingerprints). Audited, refusals too.
    """
    who = actor or audit.local_actor()
    try:
        record, events = read_archive(path, trusted=[key.public_key, *trust])
        if recorder.get_run(record.id) is not None:
            raise ArchiveError(f"a run '{record.id}' exists already in this database")
    except ArchiveError as exc:
        audit.record(
            "archive-imported", actor=who, outcome="failure", file=path.name, reason=str(exc)
        )
        raise
    recorder.import_run(record, events)
    audit.record(
        "archive-imported", actor=who, run_id=record.id, file=path.name, events=len(events)
    )
    return record
