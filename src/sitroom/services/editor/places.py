"""Problems placed in the YAML document, so the editor can show each beside its field."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sitroom.package.problems import Problem
from sitroom.package.sourcemap import Path_
from sitroom.services.editor.yamldoc import Document


def field_path(data: Any, field: str) -> Path_:
    """A problem's ``field`` ("modules.0.injects.3.title") as a path into ``data``.

    Keys may hold dots themselves (a language such as ``fr-CA`` does not, but a custom key
    might): parts are joined again until they name a key that exists.
    """
    parts = field.split(".")
    path: list[str | int] = []
    node = data
    i = 0
    while i < len(parts):
        part = parts[i]
        if isinstance(node, list) and part.isdigit():
            index = int(part)
            path.append(index)
            node = node[index] if index < len(node) else None
            i += 1
            continue
        if isinstance(node, dict):
            j = i + 1
            key = part
            while key not in node and j < len(parts):
                key += "." + parts[j]
                j += 1
            if key in node:
                path.append(key)
                node = node[key]
                i = j
                continue
        path.append(part)
        node = None
        i += 1
    return tuple(path)


def _by_line(doc: Document) -> dict[int, Path_]:
    deepest: dict[int, Path_] = {}
    for path, (line, _column) in doc.source.positions.items():
        if path and path[-1] == "<key>":
            continue
        known = deepest.get(line)
        if known is None or len(path) > len(known):
            deepest[line] = path
    return deepest


def problem_paths(doc: Document, problems: Sequence[Problem]) -> dict[Problem, Path_]:
    """Each problem's path: the field it names, else the deepest value starting on its line."""
    found: dict[Problem, Path_] = {}
    lines: dict[int, Path_] | None = None
    for problem in problems:
        if problem.field and problem.sheet is None:
            found[problem] = field_path(doc.data, problem.field)
        elif problem.line is not None:
            if lines is None:
                lines = _by_line(doc)
            if problem.line in lines:
                found[problem] = lines[problem.line]
    return found


def _attachments(data: Any) -> Iterator[tuple[Path_, str, dict[str, Any]]]:
    modules = data.get("modules") if isinstance(data, dict) else None
    for mi, module in enumerate(modules if isinstance(modules, list) else []):
        injects = module.get("injects") if isinstance(module, dict) else None
        for ii, inject in enumerate(injects if isinstance(injects, list) else []):
            items = inject.get("attachments") if isinstance(inject, dict) else None
            number = inject.get("number", ii + 1) if isinstance(inject, dict) else ii + 1
            for ai, item in enumerate(items if isinstance(items, list) else []):
                if isinstance(item, dict):
                    yield ("modules", mi, "injects", ii, "attachments", ai), str(number), item


def attachment_problems(doc: Document, documents: set[str]) -> list[Problem]:
    """An attachment whose file is not among the draft's documents is an error."""
    problems = []
    for path, number, item in _attachments(doc.data):
        files: list[tuple[Path_, Any]] = [((*path, "path"), item.get("path"))]
        extra = item.get("files")
        if isinstance(extra, dict):
            files.extend(((*path, "files", lang), f) for lang, f in extra.items())
        for where, file in files:
            if not isinstance(file, str) or not file.strip() or file in documents:
                continue
            if file.replace("\\", "/").lstrip("./") in documents:
                continue
            line, column = doc.source.find(where)
            problems.append(
                Problem(
                    "missing-attachment",
                    f"attachment '{file}' of inject '{number}' is not among the documents",
                    file=doc.source.file,
                    line=line,
                    column=column,
                    hint="upload the document or fix the path",
                    field=".".join(str(p) for p in where),
                )
            )
    return problems
