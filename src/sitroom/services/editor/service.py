"""Drafts: packages written in the browser, saved as versions, never overwritten silently.

Every save is a new version holding the whole YAML text as the planner will download it. A
save names the version it was made from: from the newest, it is applied; from an older one,
it is applied on top of the newest only if none of its places changed since (a merge), and
otherwise refused with a `Conflict` that says what changed, by whom and when.

Versions never change once saved, so each is read and validated once and kept in a small
cache: opening a 2,000-inject package again, or checking an edit to it, costs no parsing.
"""

from __future__ import annotations

import builtins
import io
import json
import tempfile
import threading
import time
import uuid
import zipfile
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from sitroom.package.load import DOCUMENTS_DIR, PACKAGE_FILE, to_package
from sitroom.package.model import Package, canonical_json
from sitroom.package.msel import export_msel
from sitroom.package.problems import Problem, Severity
from sitroom.package.sourcemap import Path_
from sitroom.package.validate import check_package
from sitroom.services.editor import sources
from sitroom.services.editor.changes import (
    Change,
    Diff,
    jsonable,
    lookup,
    outermost,
    overlaps,
    text_diff,
    translate,
    tree_diff,
)
from sitroom.services.editor.edits import Edit, EditorError, apply_edits
from sitroom.services.editor.places import attachment_problems, problem_paths
from sitroom.services.editor.store import (
    Documents,
    DraftRow,
    DraftStore,
    StaleHead,
    VersionRow,
)
from sitroom.services.editor.views import (
    CheckResult,
    Conflict,
    DraftNotFound,
    DraftSummary,
    DraftVersion,
    VersionInfo,
)
from sitroom.services.editor.yamldoc import Document, read

Clock = Callable[[], float]
SAVE_TRIES = 5


def _moment(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


@dataclass(frozen=True)
class _Checked:
    """A text read and validated (versions are immutable, so this is cached)."""

    doc: Document
    package: Package | None
    problems: list[Problem]
    places: dict[Problem, Path_]


def validate(doc: Document, documents: Iterable[str] | None) -> _Checked:
    """The same problems ``sitroom validate`` reports, for a text and its document paths."""
    problems = list(doc.problems)
    package: Package | None = None
    if doc.data is not None and not isinstance(doc.data, dict):
        problems.append(
            Problem(
                "not-a-package",
                "the document is not a mapping of keys to values",
                file=doc.source.file,
                line=1,
                column=1,
                hint="a package starts with 'exercise:'",
            )
        )
    elif isinstance(doc.data, dict):
        found, type_problems = to_package(doc.data, doc.source)
        problems.extend(type_problems)
        if found is not None and not any(p.is_error for p in problems):
            package = found
            problems.extend(check_package(found, doc.source, require_attachments=False))
            if documents is not None:
                problems.extend(attachment_problems(doc, set(documents)))
    return _Checked(doc, package, problems, problem_paths(doc, problems))


def _checks_json(checked: _Checked) -> str:
    """What validation said, as stored with the version."""
    return json.dumps(
        {
            "parsed": checked.package is not None,
            "problems": [p.as_dict() for p in checked.problems],
            "paths": [
                list(checked.places[p]) if p in checked.places else None for p in checked.problems
            ],
        },
        ensure_ascii=False,
    )


def _packed(checked: _Checked) -> bytes | None:
    """The version's package as stored beside it: canonical JSON, compressed."""
    if checked.package is None:
        return None
    return zlib.compress(canonical_json(checked.package).encode("utf-8"), 6)


def _unpacked(raw: bytes) -> Package:
    return Package.model_validate_json(zlib.decompress(raw), context={"default_language": "en"})


def _stored_checks(raw: str) -> tuple[bool, list[Problem], dict[Problem, Path_]]:
    stored = json.loads(raw)
    problems = []
    places: dict[Problem, Path_] = {}
    for item, path in zip(stored["problems"], stored["paths"], strict=True):
        problem = Problem(**{**item, "severity": Severity(item["severity"])})
        problems.append(problem)
        if path is not None:
            places[problem] = tuple(path)
    return bool(stored["parsed"]), problems, places


def _title(data: Any, fallback: str) -> str:
    exercise = data.get("exercise") if isinstance(data, dict) else None
    title = exercise.get("title") if isinstance(exercise, dict) else None
    if isinstance(title, dict):
        title = next((v for v in title.values() if isinstance(v, str) and v), None)
    return title if isinstance(title, str) and title else fallback


class Drafts:
    """Drafts on one database, with a cache of the versions read lately."""

    def __init__(self, store: DraftStore, *, cache_size: int = 6, clock: Clock = time.time):
        self.store = store
        self._clock = clock
        self._cache: OrderedDict[tuple[str, int], _Checked] = OrderedDict()
        self._packages: OrderedDict[tuple[str, int], Package] = OrderedDict()
        """Packages of versions this process has not read (built from their stored JSON)."""
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def close(self) -> None:
        self.store.close()

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)

    # -- reading ------------------------------------------------------------------------------

    def _draft(self, draft_id: str) -> DraftRow:
        row = self.store.draft(draft_id)
        if row is None:
            raise DraftNotFound(f"there is no draft '{draft_id}'")
        return row

    def _version(self, draft_id: str, version: int) -> tuple[VersionRow, str]:
        found = self.store.version(draft_id, version)
        if found is None:
            raise DraftNotFound(f"draft '{draft_id}' has no version {version}")
        return found

    def _checked(self, draft_id: str, version: int, text: str, refs: Mapping[str, str]) -> _Checked:
        key = (draft_id, version)
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        checked = validate(read(text, PACKAGE_FILE), refs.keys())
        self._remember(key, checked)
        return checked

    def _remember(self, key: tuple[str, int], checked: _Checked) -> None:
        with self._lock:
            self._cache[key] = checked
            self._cache.move_to_end(key)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)

    def _view(
        self, draft: DraftRow, row: VersionRow, text: str, checked: _Checked | None = None
    ) -> DraftVersion:
        key = (draft.id, row.version)
        if checked is None:
            with self._lock:
                checked = self._cache.get(key)
        if checked is None and row.checks is None:
            checked = self._checked(draft.id, row.version, text, row.documents)
        if checked is not None:
            found = checked
            parsed, problems, places = found.package is not None, found.problems, found.places
            load: Callable[[], Package | None] = lambda: found.package  # noqa: E731
        else:
            assert row.checks is not None
            parsed, problems, places = _stored_checks(row.checks)

            def load() -> Package | None:
                with self._lock:
                    kept = self._packages.get(key)
                if kept is not None:
                    return kept
                stored = self.store.package(draft.id, row.version)
                if stored is None:
                    return self._checked(draft.id, row.version, text, row.documents).package
                package = _unpacked(stored)
                with self._lock:
                    self._packages[key] = package
                    while len(self._packages) > self._cache_size:
                        self._packages.popitem(last=False)
                return package

        return DraftVersion(
            draft_id=draft.id,
            version=row.version,
            author=row.author,
            at=_moment(row.at_ms),
            summary=row.summary,
            text=text,
            documents=Documents(self.store, row.documents),
            problems=problems,
            problem_paths=places,
            base=row.base,
            head=draft.head,
            changes=row.changes,
            parsed=parsed,
            load_package=load,
        )

    def list(self) -> list[DraftSummary]:
        """Every draft, the most recently saved first."""
        return [
            DraftSummary(
                id=d.id,
                name=d.name,
                title=d.title,
                head=d.head,
                updated_at=_moment(d.updated_ms),
                updated_by=d.updated_by,
                created_at=_moment(d.created_ms),
                created_by=d.created_by,
            )
            for d in self.store.drafts()
        ]

    def get(self, draft_id: str, version: int | None = None) -> DraftVersion:
        """A version (the newest by default) with its problems."""
        draft = self._draft(draft_id)
        row, text = self._version(draft_id, version or draft.head)
        return self._view(draft, row, text)

    # -- writing ------------------------------------------------------------------------------

    def create(
        self, source: tuple[Any, ...], *, author: str, name: str | None = None
    ) -> DraftVersion:
        """Start a draft from ``("example", name)``, ``("starter", None)``, ``("yaml", bytes,
        file_name)``, ``("zip", bytes, file_name)`` or ``("msel", bytes, file_name)``."""
        started = sources.start(source, name)
        doc = read(started.text, PACKAGE_FILE)
        at = self._now_ms()
        draft = DraftRow(
            id=uuid.uuid4().hex[:12],
            name=started.name[:200],
            title=_title(doc.data, started.name)[:300],
            created_by=author,
            created_ms=at,
            head=1,
            updated_by=author,
            updated_ms=at,
        )
        checked = validate(doc, started.documents.keys())
        self.store.create(
            draft,
            started.text,
            started.documents,
            summary=started.summary,
            checks=_checks_json(checked),
            package=_packed(checked),
        )
        self._remember((draft.id, 1), checked)
        return self.get(draft.id, 1)

    def check(self, draft_id: str, base_version: int, edits: Sequence[Edit]) -> CheckResult:
        """The problems the draft would have after ``edits`` on ``base_version``; not saved."""
        self._draft(draft_id)
        row, text = self._version(draft_id, base_version)
        base = self._checked(draft_id, base_version, text, row.documents)
        doc = apply_edits(base.doc, edits)
        checked = base if doc is base.doc else validate(doc, row.documents.keys())
        return CheckResult(
            draft_id=draft_id,
            base_version=base_version,
            text=doc.text,
            package=checked.package,
            problems=checked.problems,
            problem_paths=checked.places,
            changed=outermost(e.touches() for e in edits),
        )

    def save(
        self,
        draft_id: str,
        base_version: int,
        edits: Sequence[Edit],
        *,
        author: str,
        summary: str = "",
        documents: Mapping[str, bytes | None] | None = None,
    ) -> DraftVersion:
        """Save ``edits`` made on ``base_version`` as a new version.

        ``documents`` adds or replaces documents by path (None removes one). Raises
        `Conflict` when a newer version changed a place the edits touch.
        """
        docs = tuple(("documents", p) for p in documents or {})
        asked = list(edits)
        for _ in range(SAVE_TRIES):
            edits = asked
            mine = outermost([e.touches() for e in edits] + list(docs))
            draft = self._draft(draft_id)
            if not 1 <= base_version <= draft.head:
                raise EditorError(
                    f"draft '{draft_id}' has versions 1 to {draft.head}; "
                    f"version {base_version} is not one of them"
                )
            target = draft.head
            if base_version != target:
                newer = self.store.versions(draft_id, after=base_version)
                clash = [
                    (v, p) for v in newer for p in v.changes if any(overlaps(p, m) for m in mine)
                ]
                if clash:
                    conflict = self._conflict(draft_id, base_version, target, clash, mine, edits)
                    if not _merges(conflict):
                        raise conflict
                    assert conflict.rebased is not None
                    edits = conflict.rebased  # their inserts or moves only shifted mine
                    mine = outermost([e.touches() for e in edits] + list(docs))
            row, text = self._version(draft_id, target)
            base = self._checked(draft_id, target, text, row.documents)
            doc = apply_edits(base.doc, edits)
            refs = dict(row.documents)
            added: dict[str, bytes] = {}
            for path, content in (documents or {}).items():
                clean = _document_path(path)
                refs.pop(clean, None)
                if content is not None:
                    added[clean] = content
            names = set(refs) | set(added)
            checked = validate(doc, names)
            at = self._now_ms()
            try:
                version = self.store.append(
                    draft_id,
                    head=target,
                    base=base_version,
                    author=author,
                    at_ms=at,
                    summary=summary,
                    text=doc.text,
                    changes=mine,
                    documents=added,
                    refs=refs,
                    title=_title(doc.data, draft.name)[:300],
                    checks=_checks_json(checked),
                    package=_packed(checked),
                )
            except StaleHead:
                continue  # another save landed meanwhile: look again from the new head
            self._remember((draft_id, version), checked)
            return self.get(draft_id, version)
        raise EditorError(f"draft '{draft_id}' is being saved by others too often; try again")

    def _conflict(
        self,
        draft_id: str,
        base_version: int,
        head: int,
        clash: builtins.list[tuple[VersionRow, Path_]],
        mine: tuple[Path_, ...],
        edits: Sequence[Edit] = (),
    ) -> Conflict:
        base_row, base_text = self._version(draft_id, base_version)
        head_row, head_text = self._version(draft_id, head)
        before = self._checked(draft_id, base_version, base_text, base_row.documents).doc.data
        after = self._checked(draft_id, head, head_text, head_row.documents).doc.data
        theirs = []
        seen: set[Path_] = set()
        for version, path in clash:
            # A changed list is told item by item (an inserted inject, not the whole list).
            for change in tree_diff(lookup(before, path), lookup(after, path), path):
                if change.path in seen:
                    continue
                seen.add(change.path)
                theirs.append(
                    Change(
                        change.path,
                        jsonable(change.before),
                        jsonable(change.after),
                        version.version,
                        version.author,
                        _moment(version.at_ms),
                    )
                )
        return Conflict(draft_id, base_version, head, theirs, mine, rebase(edits, before, after))

    def restore(self, draft_id: str, version: int, *, author: str) -> DraftVersion:
        """A new version equal to ``version`` (text and documents)."""
        for _ in range(SAVE_TRIES):
            draft = self._draft(draft_id)
            old_row, old_text = self._version(draft_id, version)
            head_row, head_text = self._version(draft_id, draft.head)
            old = self._checked(draft_id, version, old_text, old_row.documents)
            head = self._checked(draft_id, draft.head, head_text, head_row.documents)
            changed = outermost(c.path for c in tree_diff(head.doc.data, old.doc.data))
            docs_changed = tuple(
                ("documents", p)
                for p in set(old_row.documents) | set(head_row.documents)
                if old_row.documents.get(p) != head_row.documents.get(p)
            )
            try:
                new = self.store.append(
                    draft_id,
                    head=draft.head,
                    base=draft.head,
                    author=author,
                    at_ms=self._now_ms(),
                    summary=f"Restored version {version}",
                    text=old_text,
                    changes=changed + docs_changed,
                    documents={},
                    refs=old_row.documents,
                    title=_title(old.doc.data, draft.name)[:300],
                    checks=_checks_json(old),
                    package=_packed(old),
                )
            except StaleHead:
                continue
            self._remember((draft_id, new), old)
            return self.get(draft_id, new)
        raise EditorError(f"draft '{draft_id}' is being saved by others too often; try again")

    # -- history ------------------------------------------------------------------------------

    def history(self, draft_id: str) -> builtins.list[VersionInfo]:
        """Every version, newest first: who, when, what for, and how many places changed."""
        self._draft(draft_id)
        return [
            VersionInfo(
                version=v.version,
                author=v.author,
                at=_moment(v.at_ms),
                summary=v.summary,
                changed=len(v.changes),
                base=v.base,
                paths=v.changes,
            )
            for v in reversed(self.store.versions(draft_id))
        ]

    def diff(self, draft_id: str, a: int, b: int) -> Diff:
        """What changed from version ``a`` to version ``b``."""
        row_a, text_a = self._version(draft_id, a)
        row_b, text_b = self._version(draft_id, b)
        data_a = self._checked(draft_id, a, text_a, row_a.documents).doc.data
        data_b = self._checked(draft_id, b, text_b, row_b.documents).doc.data
        changes = [
            Change(c.path, jsonable(c.before), jsonable(c.after)) for c in tree_diff(data_a, data_b)
        ]
        for path in sorted(set(row_a.documents) | set(row_b.documents)):
            if row_a.documents.get(path) != row_b.documents.get(path):
                changes.append(
                    Change(
                        ("documents", path),
                        row_a.documents.get(path),
                        row_b.documents.get(path),
                    )
                )
        return Diff(
            draft_id,
            a,
            b,
            changes,
            text_diff(text_a, text_b, f"version {a}/{PACKAGE_FILE}", f"version {b}/{PACKAGE_FILE}"),
        )

    # -- downloads ----------------------------------------------------------------------------

    def download_yaml(self, draft_id: str, version: int | None = None) -> bytes:
        """The version's ``exercise.yaml``, as saved."""
        draft = self._draft(draft_id)
        _, text = self._version(draft_id, version or draft.head)
        return text.encode("utf-8")

    def download_zip(self, draft_id: str, version: int | None = None) -> bytes:
        """The package folder zipped: ``exercise.yaml`` and ``documents/``."""
        draft = self._draft(draft_id)
        row, text = self._version(draft_id, version or draft.head)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(PACKAGE_FILE, text.encode("utf-8"))
            for path, content in sorted(self.store.documents(row.documents).items()):
                archive.writestr(f"{DOCUMENTS_DIR}/{path}", content)
        return buffer.getvalue()

    def download_msel(self, draft_id: str, version: int | None = None) -> bytes:
        """The injects as an HSEEP-style MSEL workbook (.xlsx)."""
        package = self._package(draft_id, version, strict=False)
        with tempfile.TemporaryDirectory() as folder:
            path = export_msel(package, Path(folder) / "msel.xlsx")
            return path.read_bytes()

    def package_for_run(self, draft_id: str, version: int | None = None) -> Package:
        """The version's package, for `Engine.create_run`; `EditorError` while it has errors."""
        return self._package(draft_id, version, strict=True)

    def _package(self, draft_id: str, version: int | None, *, strict: bool) -> Package:
        found = self.get(draft_id, version)
        errors = found.errors
        if found.package is None or (strict and errors):
            first = errors[0] if errors else None
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            raise EditorError(
                f"version {found.version} has errors; fix them first: {first}{more}",
                line=first.line if first else None,
                path=found.problem_paths.get(first) if first else None,
            )
        return found.package


def _merges(conflict: Conflict) -> bool:
    """Whether the edits, moved onto the newest version, touch nothing changed since their
    version: then the clash was only their list items moving (an inject inserted, removed or
    moved elsewhere in the list) and the edits are applied on top."""
    if conflict.rebased is None:
        return False
    # A removed list item is told at its old index, which the newest version does not have
    # (an edit of the removed item itself cannot be moved, so it never gets here).
    places = [
        c.path
        for c in conflict.theirs
        if c.after is not None or not (c.path and isinstance(c.path[-1], int))
    ]
    return not any(overlaps(e.touches(), place) for e in conflict.rebased for place in places)


def rebase(edits: Sequence[Edit], before: Any, after: Any) -> builtins.list[Edit] | None:
    """``edits`` made on ``before`` with their paths moved onto ``after`` (None: an item
    they touch is gone)."""
    moved = []
    for edit in edits:
        slot = edit.op == "insert"
        path = translate(edit.path, before, after, slot=slot)
        if path is None:
            return None
        to = edit.to
        if edit.op == "move" and edit.to is not None:
            target = translate((*edit.path[:-1], edit.to), before, after)
            if target is None:
                return None
            to = int(target[-1])
        moved.append(Edit(edit.op, path, edit.value, to))
    return moved


def _document_path(path: str) -> str:
    pure = PurePosixPath(path.replace("\\", "/"))
    if not path.strip() or pure.is_absolute() or ".." in pure.parts:
        raise EditorError(f"document '{path}': give a path inside {DOCUMENTS_DIR}/")
    return pure.as_posix()
