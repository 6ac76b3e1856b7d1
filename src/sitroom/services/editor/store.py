"""Where drafts are kept: every version's text, who saved it and what it changed, in SQL.

The tables (revision 0009) live in the database of the event log and use the auth store's
two small adapters (SQLite under ``BEGIN IMMEDIATE``, PostgreSQL one transaction per call).
One write carries the guarantee against lost updates: `DraftStore.append` adds a version
only if the draft's head is still the version the caller read, in the same transaction.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sitroom.auth.sqldatabase import Database, PostgresDatabase, Row, SqliteDatabase
from sitroom.package.sourcemap import Path_

_POSTGRES_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")
_VERSION_COLUMNS = "version, base, author, at_ms, summary, changes, documents, checks"


@dataclass(frozen=True, slots=True)
class DraftRow:
    """A draft: its name, title and newest version."""

    id: str
    name: str
    title: str
    created_by: str
    created_ms: int
    head: int
    updated_by: str
    updated_ms: int


@dataclass(frozen=True, slots=True)
class VersionRow:
    """One saved version, without its text."""

    version: int
    base: int | None
    author: str
    at_ms: int
    summary: str
    changes: tuple[Path_, ...]
    documents: dict[str, str]
    """Document path → SHA-256 of its bytes."""
    checks: str | None = None
    """What validation said of the version (JSON), when it was saved."""


class StaleHead(Exception):
    """The draft moved on since the caller read it: another version was saved first."""


def digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _paths(raw: str) -> tuple[Path_, ...]:
    return tuple(tuple(p) for p in json.loads(raw))


def _version(row: Row) -> VersionRow:
    return VersionRow(
        version=int(row[0]),
        base=None if row[1] is None else int(row[1]),
        author=row[2],
        at_ms=int(row[3]),
        summary=row[4],
        changes=_paths(row[5]),
        documents=dict(json.loads(row[6])),
        checks=row[7],
    )


def _draft(row: Row) -> DraftRow:
    return DraftRow(
        id=row[0],
        name=row[1],
        title=row[2],
        created_by=row[3],
        created_ms=int(row[4]),
        head=int(row[5]),
        updated_by=row[6],
        updated_ms=int(row[7]),
    )


_DRAFT_COLUMNS = "id, name, title, created_by, created_ms, head, updated_by, updated_ms"


class DraftStore:
    """Drafts, their versions and documents on one SQL database."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def close(self) -> None:
        self._db.close()

    def create(
        self,
        draft: DraftRow,
        text: str,
        documents: Mapping[str, bytes],
        *,
        summary: str,
        checks: str | None = None,
        package: bytes | None = None,
    ) -> None:
        """Store a new draft and its version 1 (``checks``: validation's outcome, JSON;
        ``package``: the compressed canonical JSON of its package, if it makes one)."""
        refs = self._put_documents(documents)
        with self._db.transaction(write=True) as cur:
            cur.count(
                f"INSERT INTO drafts ({_DRAFT_COLUMNS}) VALUES (:id, :name, :title, :created_by,"
                " :created_ms, 1, :created_by, :created_ms)",
                {
                    "id": draft.id,
                    "name": draft.name,
                    "title": draft.title,
                    "created_by": draft.created_by,
                    "created_ms": draft.created_ms,
                },
            )
            self._insert_version(
                cur,
                draft.id,
                1,
                None,
                draft.created_by,
                draft.created_ms,
                summary,
                text,
                (),
                refs,
                checks,
                package,
            )

    def _put_documents(self, documents: Mapping[str, bytes]) -> dict[str, str]:
        refs = {path: digest(content) for path, content in documents.items()}
        if not documents:
            return refs
        with self._db.transaction(write=True) as cur:
            wanted = {refs[p]: c for p, c in documents.items()}
            for key, content in wanted.items():
                # Two drafts may bring the same document at once: the first one stores it.
                cur.count(
                    "INSERT INTO draft_documents (digest, size, content)"
                    " VALUES (:d, :size, :content) ON CONFLICT (digest) DO NOTHING",
                    {"d": key, "size": len(content), "content": content},
                )
        return refs

    def _insert_version(
        self,
        cur: Any,
        draft_id: str,
        version: int,
        base: int | None,
        author: str,
        at_ms: int,
        summary: str,
        text: str,
        changes: tuple[Path_, ...],
        refs: Mapping[str, str],
        checks: str | None,
        package: bytes | None = None,
    ) -> None:
        cur.count(
            "INSERT INTO draft_versions (draft_id, version, base, author, at_ms, summary, text,"
            " changes, documents, checks, package) VALUES (:draft, :version, :base, :author,"
            " :at, :summary, :text, :changes, :documents, :checks, :package)",
            {
                "draft": draft_id,
                "version": version,
                "base": base,
                "author": author,
                "at": at_ms,
                "summary": summary,
                "text": text,
                "changes": json.dumps([list(p) for p in changes], ensure_ascii=False),
                "documents": json.dumps(dict(sorted(refs.items())), ensure_ascii=False),
                "checks": checks,
                "package": package,
            },
        )

    def append(
        self,
        draft_id: str,
        *,
        head: int,
        base: int,
        author: str,
        at_ms: int,
        summary: str,
        text: str,
        changes: tuple[Path_, ...],
        documents: Mapping[str, bytes],
        refs: Mapping[str, str],
        title: str | None = None,
        checks: str | None = None,
        package: bytes | None = None,
    ) -> int:
        """Add version ``head + 1`` if the draft's head is still ``head``; else `StaleHead`.

        ``refs`` are documents already stored (path → digest); ``documents`` new bytes.
        """
        all_refs = {**refs, **self._put_documents(documents)}
        version = head + 1
        with self._db.transaction(write=True) as cur:
            moved = cur.count(
                "UPDATE drafts SET head = :next, updated_by = :author, updated_ms = :at,"
                " title = COALESCE(:title, title) WHERE id = :id AND head = :head",
                {
                    "next": version,
                    "author": author,
                    "at": at_ms,
                    "title": title,
                    "id": draft_id,
                    "head": head,
                },
            )
            if moved != 1:
                raise StaleHead(draft_id)
            self._insert_version(
                cur,
                draft_id,
                version,
                base,
                author,
                at_ms,
                summary,
                text,
                changes,
                all_refs,
                checks,
                package,
            )
        return version

    def drafts(self) -> list[DraftRow]:
        """Every draft, the most recently saved first."""
        with self._db.transaction(write=False) as cur:
            rows = cur.rows(f"SELECT {_DRAFT_COLUMNS} FROM drafts ORDER BY updated_ms DESC, id", {})
        return [_draft(r) for r in rows]

    def draft(self, draft_id: str) -> DraftRow | None:
        with self._db.transaction(write=False) as cur:
            rows = cur.rows(f"SELECT {_DRAFT_COLUMNS} FROM drafts WHERE id = :id", {"id": draft_id})
        return _draft(rows[0]) if rows else None

    def version(self, draft_id: str, version: int) -> tuple[VersionRow, str] | None:
        """One version and its text."""
        with self._db.transaction(write=False) as cur:
            rows = cur.rows(
                f"SELECT {_VERSION_COLUMNS}, text FROM draft_versions"
                " WHERE draft_id = :id AND version = :v",
                {"id": draft_id, "v": version},
            )
        return (_version(rows[0]), str(rows[0][8])) if rows else None

    def package(self, draft_id: str, version: int) -> bytes | None:
        """The stored package of a version (compressed canonical JSON), if it has one."""
        with self._db.transaction(write=False) as cur:
            rows = cur.rows(
                "SELECT package FROM draft_versions WHERE draft_id = :id AND version = :v",
                {"id": draft_id, "v": version},
            )
        return bytes(rows[0][0]) if rows and rows[0][0] is not None else None

    def versions(self, draft_id: str, after: int = 0) -> list[VersionRow]:
        """The draft's versions after ``after``, oldest first (without their texts)."""
        with self._db.transaction(write=False) as cur:
            rows = cur.rows(
                f"SELECT {_VERSION_COLUMNS} FROM draft_versions"
                " WHERE draft_id = :id AND version > :after ORDER BY version",
                {"id": draft_id, "after": after},
            )
        return [_version(r) for r in rows]

    def sizes(self, digests: Iterable[str]) -> dict[str, int]:
        """The size in bytes of each stored document, by digest."""
        wanted = sorted(set(digests))
        found: dict[str, int] = {}
        with self._db.transaction(write=False) as cur:
            for key in wanted:
                rows = cur.rows("SELECT size FROM draft_documents WHERE digest = :d", {"d": key})
                if rows:
                    found[key] = int(rows[0][0])
        return found

    def documents(self, refs: Mapping[str, str]) -> dict[str, bytes]:
        """The bytes of documents by path, from their digests."""
        if not refs:
            return {}
        found: dict[str, bytes] = {}
        with self._db.transaction(write=False) as cur:
            for key in sorted(set(refs.values())):
                rows = cur.rows("SELECT content FROM draft_documents WHERE digest = :d", {"d": key})
                if rows:
                    found[key] = bytes(rows[0][0])
        return {path: found[key] for path, key in refs.items() if key in found}

    def record_run(self, run_id: str, draft_id: str, version: int) -> dict[str, str]:
        """Keep which documents the version a run was made of has (path → SHA-256)."""
        found = self.version(draft_id, version)
        refs = dict(found[0].documents) if found else {}
        with self._db.transaction(write=True) as cur:
            cur.count(
                "INSERT INTO run_documents (run_id, draft_id, version, documents)"
                " VALUES (:r, :d, :v, :docs) ON CONFLICT (run_id) DO NOTHING",
                {"r": run_id, "d": draft_id, "v": version, "docs": json.dumps(refs)},
            )
        return refs

    def run_documents(self, run_id: str) -> dict[str, str] | None:
        """The documents of a run made of a draft's version (path → SHA-256), else None."""
        with self._db.transaction(write=False) as cur:
            rows = cur.rows("SELECT documents FROM run_documents WHERE run_id = :r", {"r": run_id})
        return dict(json.loads(rows[0][0])) if rows else None


class Documents(Mapping[str, bytes]):
    """A version's documents by path; each one's bytes are read when first asked for, so
    opening a version with large documents reads none of them."""

    def __init__(self, store: DraftStore, refs: Mapping[str, str]) -> None:
        self._store = store
        self.refs = dict(refs)
        """Path → SHA-256 of the bytes."""
        self._read: dict[str, bytes] = {}

    def __getitem__(self, path: str) -> bytes:
        if path not in self._read:
            found = self._store.documents({path: self.refs[path]})
            if path not in found:
                raise KeyError(path)
            self._read[path] = found[path]
        return self._read[path]

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self.refs))

    def __len__(self) -> int:
        return len(self.refs)

    def sizes(self) -> dict[str, int]:
        """Each document's size in bytes, without reading them."""
        known = self._store.sizes(self.refs.values())
        return {path: known.get(key, 0) for path, key in sorted(self.refs.items())}


def open_draft_store(url: str) -> DraftStore:
    """The draft store on the database ``url`` names (the URLs `open_recorder` takes)."""
    if url.startswith(_POSTGRES_SCHEMES):
        conninfo = "postgresql://" + url.split("://", 1)[1]
        return DraftStore(PostgresDatabase(conninfo, pool_size=4, pool_timeout=10.0))
    path = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else url
    if not path or path.startswith(":memory:") or "://" in path:
        raise ValueError(f"{url!r}: name a database file or a postgresql:// URL")
    return DraftStore(SqliteDatabase(path, busy_timeout_ms=10_000, pool_size=4, pool_timeout=10.0))
