"""Checks of the newer package fields: what questions cite, attachments' files, acronyms.

They live beside ``validate.py`` (which calls them with its checker) so that neither module
grows past what one reader holds in mind; each problem names the field and what would do.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import Protocol

from sitroom.package.model import Attachment, Package

P = tuple[str | int, ...]


class Checker(Protocol):
    """What these checks need of ``validate._Checker``."""

    def report(
        self, path: P, code: str, message: str, hint: str = "", *, warning: bool = False
    ) -> None: ...

    def unknown(self, path: P, kind: str, value: str, known: Iterable[str], where: str) -> None: ...


def check_question_citations(c: Checker, package: Package, clause_ids: set[str]) -> None:
    """A discussion question's critical tasks and guideline clauses exist."""
    task_ids = {t.id for t in package.tasks()}
    for mi, module in enumerate(package.modules):
        for qi, question in enumerate(module.questions):
            qp: P = ("modules", mi, "questions", qi)
            where = f"question '{question.id}'"
            for i, task in enumerate(question.tasks):
                if task not in task_ids:
                    c.unknown(qp + ("tasks", i), "critical task", task, task_ids, where)
            for i, clause in enumerate(question.clauses):
                if clause not in clause_ids:
                    c.unknown(
                        qp + ("clauses", i),
                        "clause",
                        clause,
                        clause_ids,
                        f"{where} (write 'reference-id/clause-id')",
                    )


def check_attachment(
    c: Checker,
    package: Package,
    attachment: Attachment,
    path: P,
    where: str,
    documents_dir: Path | None,
    require_files: bool,
) -> None:
    """Every file of an attachment (its default and each language's) is inside documents/."""
    languages = package.exercise.languages
    for lang, file in attachment.paths():
        fp: P = path + (("path",) if lang is None else ("files", lang))
        label = f"attachment '{file}'" + (f" ({lang})" if lang else "")
        if lang is not None and lang not in languages:
            c.report(
                fp,
                "undeclared-language",
                f"{label} of {where} is for {lang}, which is not among the exercise languages"
                f" ({', '.join(languages)})",
                "add the language to exercise.languages or remove the file",
            )
        pure = PurePosixPath(file.replace("\\", "/"))
        if not file.strip() or pure.is_absolute() or ".." in pure.parts:
            c.report(
                fp,
                "attachment-path",
                f"{label} of {where} points outside documents/",
                "give a path inside documents/",
            )
        elif documents_dir is not None and not (documents_dir / pure).is_file():
            c.report(
                fp,
                "missing-attachment",
                f"{label} of {where} is not in {documents_dir}",
                "add the file or fix the path",
            )
        elif documents_dir is None and require_files:
            c.report(
                fp,
                "missing-attachment",
                f"{label} of {where} cannot be found: the package has no documents/ folder",
                "put exercise.yaml and documents/ in one folder",
            )


def check_acronyms(c: Checker, package: Package) -> None:
    """Each acronym is listed once (compared without case) and is a word, not a sentence."""
    seen: dict[str, int] = {}
    for i, acronym in enumerate(package.acronyms):
        term = acronym.term.strip()
        if not term or any(ch in term for ch in "\n\t"):
            c.report(
                ("acronyms", i, "term"),
                "acronym-term",
                f"acronym #{i + 1} has no usable term ({acronym.term!r})",
                "write the acronym itself, e.g. 'ACC'",
            )
            continue
        first = seen.setdefault(term.casefold(), i)
        if first != i:
            c.report(
                ("acronyms", i, "term"),
                "duplicate-id",
                f"acronym '{term}' is listed twice (also acronym #{first + 1})",
                "keep one entry and merge the expansions",
            )
