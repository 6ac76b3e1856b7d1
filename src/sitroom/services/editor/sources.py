"""Where a draft starts: a bundled example, the starter, an uploaded YAML file, a zipped
package folder, or an MSEL workbook. Each becomes YAML text and documents by path."""

from __future__ import annotations

import io
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from sitroom.package.dump import dump_yaml
from sitroom.package.examples import example_names, example_path
from sitroom.package.load import DOCUMENTS_DIR, MAX_FILE_BYTES, PACKAGE_FILE, decode
from sitroom.package.msel import import_msel
from sitroom.package.problems import Problem
from sitroom.package.starter import starter_text
from sitroom.services.editor.edits import EditorError
from sitroom.services.editor.yamldoc import read

MAX_DOCUMENTS = 500
MAX_ZIP_BYTES = 200 * 1024 * 1024
"""What a zipped package may unpack to, all files together."""

SOURCE_KINDS = ("example", "starter", "yaml", "zip", "msel")


@dataclass
class Started:
    """A draft's first version: its text, documents, and a name to list it under."""

    text: str
    name: str
    documents: dict[str, bytes] = field(default_factory=dict)
    summary: str = ""


def start(source: tuple[Any, ...], name: str | None) -> Started:
    """Read ``source``; `EditorError` says what is wrong with it and where."""
    if not isinstance(source, tuple) or not source or source[0] not in SOURCE_KINDS:
        kinds = ", ".join(SOURCE_KINDS)
        raise EditorError(f"source: give one of {kinds}")
    kind = source[0]
    if kind == "example":
        return _example(str(source[1]) if len(source) > 1 else "", name)
    if kind == "starter":
        slug = _slug(name or "new-exercise")
        return Started(starter_text(slug), name or slug, summary="Started from the starter package")
    if len(source) < 3 or not isinstance(source[1], bytes | bytearray):
        raise EditorError(f"source: ('{kind}', bytes, file name)")
    raw, file_name = bytes(source[1]), Path(str(source[2] or "upload")).name[:200]
    if kind == "yaml":
        return _yaml(raw, file_name, name)
    if kind == "zip":
        return _zip(raw, file_name, name)
    return _msel(raw, file_name, name)


def _slug(text: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9_.\-]+", "-", text.strip()).strip("-.")[:80]
    return slug or "new-exercise"


def _example(example: str, name: str | None) -> Started:
    if example not in example_names():
        known = ", ".join(example_names())
        raise EditorError(f"example: there is no example '{example}'; bundled: {known}")
    folder = example_path(example)
    text = (folder / PACKAGE_FILE).read_text(encoding="utf-8")
    documents = {}
    docs = folder / DOCUMENTS_DIR
    if docs.is_dir():
        for path in sorted(docs.rglob("*")):
            if path.is_file():
                documents[path.relative_to(docs).as_posix()] = path.read_bytes()
    return Started(text, name or example, documents, f"Started from the example '{example}'")


def _readable(text: str, file_name: str) -> None:
    doc = read(text, file_name)
    if doc.readable:
        return
    problem = doc.problems[0] if doc.problems else None
    if problem is None:
        raise EditorError(f"{file_name}: the file holds no package (it starts with 'exercise:')")
    raise EditorError(f"{problem}", line=problem.line)


def _too_large(file_name: str, size: int) -> EditorError:
    return EditorError(
        f"{file_name}: the file is {size / 1e6:.1f} MB; packages are at most "
        f"{MAX_FILE_BYTES // 1_000_000} MB"
    )


def _yaml(raw: bytes, file_name: str, name: str | None) -> Started:
    if len(raw) > MAX_FILE_BYTES:
        raise _too_large(file_name, len(raw))
    text, problems = decode(raw, file_name)
    if text is None:
        raise EditorError(str(problems[0]), line=problems[0].line)
    _readable(text, file_name)
    return Started(text, name or Path(file_name).stem, summary=f"Uploaded {file_name}")


def _zip(raw: bytes, file_name: str, name: str | None) -> Started:
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile as error:
        raise EditorError(f"{file_name}: not a zip file ({error})") from error
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if sum(m.file_size for m in members) > MAX_ZIP_BYTES:
            raise EditorError(
                f"{file_name}: the files unpack to more than {MAX_ZIP_BYTES // 1_000_000} MB"
            )
        names = [PurePosixPath(m.filename) for m in members]
        packages = sorted((p for p in names if p.name == PACKAGE_FILE), key=lambda p: len(p.parts))
        if not packages:
            raise EditorError(
                f"{file_name}: no {PACKAGE_FILE} in the zip; zip the package folder "
                f"({PACKAGE_FILE} and {DOCUMENTS_DIR}/)"
            )
        root = packages[0].parent
        if len(packages[0].parts) > 2:
            raise EditorError(f"{file_name}: {PACKAGE_FILE} is nested too deep ({packages[0]})")
        raw_yaml = archive.read(str(packages[0]))
        if len(raw_yaml) > MAX_FILE_BYTES:
            raise _too_large(f"{file_name}: {packages[0]}", len(raw_yaml))
        text, problems = decode(raw_yaml, f"{file_name}: {packages[0]}")
        if text is None:
            raise EditorError(str(problems[0]), line=problems[0].line)
        _readable(text, f"{file_name}: {packages[0]}")
        documents: dict[str, bytes] = {}
        prefix = root / DOCUMENTS_DIR
        for member, path in zip(members, names, strict=True):
            if not path.is_relative_to(prefix):
                continue
            relative = path.relative_to(prefix)
            if ".." in relative.parts or path.is_absolute():
                raise EditorError(f"{file_name}: {path} points outside {DOCUMENTS_DIR}/")
            documents[relative.as_posix()] = archive.read(member)
            if len(documents) > MAX_DOCUMENTS:
                raise EditorError(f"{file_name}: more than {MAX_DOCUMENTS} documents")
    stem = Path(file_name).stem
    return Started(text, name or stem, documents, f"Uploaded {file_name}")


def _msel(raw: bytes, file_name: str, name: str | None) -> Started:
    suffix = Path(file_name).suffix.lower()
    if suffix not in (".xlsx", ".xlsm", ".csv"):
        raise EditorError(f"{file_name}: an MSEL is an .xlsx workbook or a .csv file")
    if len(raw) > MAX_FILE_BYTES:
        raise _too_large(file_name, len(raw))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"msel{suffix}"
        path.write_bytes(raw)
        report = import_msel(path, title=Path(file_name).stem or None)
    errors = [_renamed(p, str(path), file_name) for p in report.problems if p.is_error]
    if report.package is None:
        first = errors[0] if errors else None
        detail = str(first) if first else "no injects could be read"
        raise EditorError(f"{file_name}: {detail}", line=first.row if first else None)
    stamp = datetime.now(UTC).date().isoformat()
    header = f"# Imported from the MSEL {file_name} on {stamp}.\n"
    return Started(
        header + dump_yaml(report.package),
        name or Path(file_name).stem,
        summary=f"Imported the MSEL {file_name} ({report.imported} injects)",
    )


def _renamed(problem: Problem, temp: str, name: str) -> Problem:
    from dataclasses import replace

    message = problem.message.replace(temp, name)
    return replace(problem, file=name if problem.file == temp else problem.file, message=message)
