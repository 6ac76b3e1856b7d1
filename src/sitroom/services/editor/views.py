"""What the editor hands out: versions with their problems, summaries, history entries, the
result of a check, and the conflict a save can run into."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sitroom.package.model import Package
from sitroom.package.problems import Problem
from sitroom.package.sourcemap import Path_
from sitroom.services.editor.changes import Change
from sitroom.services.editor.edits import Edit


def _sizes(documents: Mapping[str, bytes]) -> dict[str, int]:
    sizes = getattr(documents, "sizes", None)
    if callable(sizes):
        return dict(sizes())
    return {path: len(content) for path, content in documents.items()}


def _no_package() -> Package | None:
    return None


def problem_entries(problems: list[Problem], places: dict[Problem, Path_]) -> list[dict[str, Any]]:
    """Problems as JSON-ready mappings, each with the YAML path of its field (or None)."""
    return [{**p.as_dict(), "path": list(places[p]) if p in places else None} for p in problems]


@dataclass(frozen=True)
class DraftVersion:
    """One version of a draft: its YAML text, documents, and what validation says of it.

    The problems were found when the version was saved; ``package`` is built when first
    asked for (from the JSON stored with the version), so opening a large draft costs no
    parsing.
    """

    draft_id: str
    version: int
    author: str
    at: datetime
    summary: str
    text: str
    documents: Mapping[str, bytes]
    """Path under ``documents/`` → bytes (read when first asked for)."""
    problems: list[Problem]
    problem_paths: dict[Problem, Path_]
    """Each problem's place in the YAML document, where it can be told."""
    base: int | None = None
    head: int = 0
    """The draft's newest version when this one was read."""
    changes: tuple[Path_, ...] = ()
    parsed: bool = True
    """Whether the YAML reads as a package (its problems may still hold errors)."""
    load_package: Callable[[], Package | None] = field(
        default=_no_package, repr=False, compare=False
    )

    @property
    def package(self) -> Package | None:
        """The typed package (None when the YAML does not read as one)."""
        return self.load_package() if self.parsed else None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def ok(self) -> bool:
        """Whether a run can be made of this version (it parsed and has no errors)."""
        return self.parsed and not self.errors

    def as_dict(self, *, text: bool = True) -> dict[str, Any]:
        """The version for the JSON API (documents by path and size, not their bytes)."""
        found: dict[str, Any] = {
            "draft_id": self.draft_id,
            "version": self.version,
            "head": self.head,
            "base": self.base,
            "author": self.author,
            "at": self.at.isoformat(),
            "summary": self.summary,
            "documents": _sizes(self.documents),
            "problems": problem_entries(self.problems, self.problem_paths),
            "ok": self.ok,
            "changes": [list(p) for p in self.changes],
        }
        if text:
            found["text"] = self.text
        return found


@dataclass(frozen=True)
class DraftSummary:
    """A draft in the list: its name, title and newest version."""

    id: str
    name: str
    title: str
    head: int
    updated_at: datetime
    updated_by: str
    created_at: datetime
    created_by: str


@dataclass(frozen=True)
class VersionInfo:
    """One entry of a draft's history."""

    version: int
    author: str
    at: datetime
    summary: str
    changed: int
    """How many places the save changed."""
    base: int | None
    paths: tuple[Path_, ...] = ()


@dataclass(frozen=True)
class CheckResult:
    """What validation would say after some edits (nothing is saved)."""

    draft_id: str
    base_version: int
    text: str
    package: Package | None
    problems: list[Problem]
    problem_paths: dict[Problem, Path_]
    changed: tuple[Path_, ...] = ()

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    def as_dict(self) -> dict[str, Any]:
        """The outcome for the JSON API (without the text)."""
        return {
            "draft_id": self.draft_id,
            "base_version": self.base_version,
            "problems": problem_entries(self.problems, self.problem_paths),
            "changed": [list(p) for p in self.changed],
        }


class DraftNotFound(LookupError):
    """There is no draft (or no such version of it)."""


@dataclass
class Conflict(Exception):
    """A save from an older version touches places changed since: nothing was saved.

    ``theirs`` lists each such place with the value at the caller's version (``before``),
    the value now (``after``), and who changed it when. ``rebased`` are the caller's edits
    with their paths moved onto ``head_version`` (an inject inserted above the edited one
    shifts its index; list items are followed by inject number or id), or None when an item
    they touch is gone: saving ``rebased`` with ``head_version`` as the base applies them on
    top (the caller has then seen the change). Re-saving the original edits on the newest
    version could change another item than the one the planner edited.
    """

    draft_id: str
    base_version: int
    head_version: int
    theirs: list[Change] = field(default_factory=list)
    mine: tuple[Path_, ...] = ()
    rebased: list[Edit] | None = None

    def __str__(self) -> str:
        return (
            f"draft {self.draft_id}: version {self.base_version} is no longer the newest "
            f"(now {self.head_version}) and {len(self.theirs)} changed place(s) overlap"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "draft_id": self.draft_id,
            "base_version": self.base_version,
            "head_version": self.head_version,
            "theirs": [c.as_dict() for c in self.theirs],
            "mine": [list(p) for p in self.mine],
            "rebased": None
            if self.rebased is None
            else [
                {"op": e.op, "path": list(e.path), "value": e.value, "to": e.to}
                for e in self.rebased
            ],
        }
