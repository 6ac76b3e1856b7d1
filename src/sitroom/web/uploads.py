"""Packages uploaded on the design pages, kept by content hash until a run is made of them.

An upload that validates is stored as canonical JSON in ``DATA_DIR/uploads/<sha256>.json``
with a note of where it came from. A run copies the package into the event store, so these
files are only a planner's workbench: deleting the folder loses no run.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from sitroom.package.model import Package, canonical_json

DIGEST = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class UploadInfo:
    """Where an uploaded package came from."""

    digest: str
    file_name: str
    kind: str  # "package" | "msel"
    title: str
    injects: int
    uploaded_at: str
    uploaded_by: str
    warnings: int = 0


class Uploads:
    """Uploaded packages in one folder, each file named by its package's content hash."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, digest: str) -> Path | None:
        return self.folder / f"{digest}.json" if DIGEST.fullmatch(digest) else None

    def save(
        self, package: Package, file_name: str, kind: str, uploaded_by: str, warnings: int = 0
    ) -> UploadInfo:
        """Keep ``package``; the same content uploaded twice is one file."""
        digest = package.content_hash().removeprefix("sha256:")
        info = UploadInfo(
            digest=digest,
            file_name=file_name[:200],
            kind=kind,
            title=next(iter(package.exercise.title.values()), package.exercise.id),
            injects=len(package.injects()),
            uploaded_at=datetime.now(UTC).isoformat(timespec="seconds"),
            uploaded_by=uploaded_by,
            warnings=warnings,
        )
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        body = '{"info":' + json.dumps(asdict(info), ensure_ascii=False)
        body += ',"package":' + canonical_json(package) + "}"
        fd, temp = tempfile.mkstemp(dir=self.folder, suffix=".part")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(body)
            os.replace(temp, self.folder / f"{digest}.json")
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        return info

    def get(self, digest: str) -> tuple[UploadInfo, Package] | None:
        """The upload with this hash, or None (unknown, or its file no longer matches)."""
        path = self._path(digest)
        if path is None or not path.is_file():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        package = Package.model_validate(data["package"], context={"default_language": "en"})
        if package.content_hash() != f"sha256:{digest}":
            return None
        return UploadInfo(**data["info"]), package

    def list(self) -> list[UploadInfo]:
        """Every upload, newest first."""
        if not self.folder.is_dir():
            return []
        found = []
        for path in self.folder.glob("*.json"):
            try:
                with path.open(encoding="utf-8") as handle:
                    head = json.loads(handle.read())["info"]
                found.append(UploadInfo(**head))
            except (OSError, ValueError, KeyError, TypeError):
                continue
        return sorted(found, key=lambda i: i.uploaded_at, reverse=True)
