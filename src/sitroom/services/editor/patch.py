"""Edits of single values without reading the whole text again.

Reading a 2,000-inject package takes most of a second; an edit in the MSEL grid changes one
value on one line. When every edit replaces one value written on one line by another on one
line, the new document is made from the old one: the new value is read from a one-line
fragment with the package loader's rules, the data is copied along the edited paths only,
and the places of the values after the edit are shifted by the characters it added or
removed. Anything else (new lines, inserts, moves, a text becoming a mapping) reads the
whole text again, which gives the same result more slowly.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sitroom.package.sourcemap import Path_, SourceMap
from sitroom.services.editor import render
from sitroom.services.editor.yamldoc import Document, Span, _new, read


@dataclass(frozen=True)
class Splice:
    """Replace the characters from ``start`` to ``end`` with ``text``."""

    start: int
    end: int
    text: str


def _inside(path: Path_, root: Path_) -> bool:
    return path[: len(root)] == root


def _fragment(path: Path_, text: str) -> tuple[Document, Path_] | None:
    key = path[-1]
    if isinstance(key, str):
        frag = read(f"{render.key_text(key)}: {text}\n", "<fragment>")
        top: Path_ = (key,)
    else:
        frag = read(f"- {text}\n", "<fragment>")
        top = (0,)
    if frag.problems or top not in frag.spans:
        return None
    return frag, top


def _with(data: Any, path: Path_, value: Any) -> Any:
    """``data`` with ``value`` at ``path``, copying only the containers along the way."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(data, dict):
        copy: Any = dict(data)
    elif isinstance(data, list):
        copy = list(data)
    else:  # pragma: no cover - the path was read from this data
        raise TypeError(path)
    copy[head] = _with(data[head], rest, value)
    return copy


def patched(doc: Document, paths: Sequence[Path_], splices: Sequence[Splice]) -> Document | None:
    """The document after ``splices`` (one per path, each replacing that path's value), or
    None when they are not all one-line replacements of one-line values."""
    if doc.problems or len(paths) != len(splices):
        return None
    text = doc.text
    jobs = []
    for path, splice in zip(paths, splices, strict=True):
        span = doc.spans.get(path)
        if span is None or span.start != splice.start or span.end != splice.end:
            return None
        if span.end == span.start:  # an empty value: what follows the colon is rewritten
            return None
        parent = doc.spans.get(path[:-1])
        if parent is not None and parent.style == "flow":
            return None  # read in brackets, a value follows other rules than on its own line
        if span.kind == "alias" or (span.kind != "scalar" and span.style != "flow"):
            return None
        if "\n" in splice.text or "\n" in text[splice.start : splice.end]:
            return None
        found = _fragment(path, splice.text)
        if found is None:
            return None
        jobs.append((path, span, splice, *found))
    jobs.sort(key=lambda job: job[2].start)
    starts = [job[2].start for job in jobs]
    ends = [job[2].end for job in jobs]
    deltas = []
    total = 0
    for job in jobs:
        total += len(job[2].text) - (job[2].end - job[2].start)
        deltas.append(total)
    lines = {job[1].line for job in jobs}

    def shift(index: int) -> int:
        if index < 0:
            return index
        k = bisect.bisect_right(ends, index)
        return index + (deltas[k - 1] if k else 0)

    def column_shift(line: int, index: int, column: int) -> int:
        if line not in lines or index < 0:
            return column
        return column + (shift(index) - index) - _shift_before_line(line, index)

    def _shift_before_line(line: int, index: int) -> int:
        # Only the splices on the same line move a column.
        line_start = text.rfind("\n", 0, index) + 1
        return shift(line_start) - line_start

    # Values inside a replaced list or mapping are replaced by the fragment's.
    nested = [job[0] for job in jobs if doc.children.get(job[0])]
    first = starts[0]
    spans: dict[Path_, Span] = {}
    moved: list[tuple[Path_, Span]] = []
    for path, span in doc.spans.items():
        if span.end < first and span.key_start < first:
            spans[path] = span  # wholly before the first edit: unchanged
            continue
        if nested and any(len(path) > len(root) and _inside(path, root) for root in nested):
            continue
        new = _new(
            Span,
            (
                shift(span.start),
                shift(span.end),
                span.line,
                column_shift(span.line, span.start, span.column),
                span.kind,
                span.style,
                shift(span.key_start),
                shift(span.key_end),
                column_shift(span.line, span.key_start, span.key_column),
            ),
        )
        if new.column != span.column:
            moved.append((path, new))
        spans[path] = new
    positions = dict(doc.source.positions)
    children = dict(doc.children)
    data = doc.data
    for path, span, _splice, frag, top in jobs:
        if doc.children.get(path):
            for old in [p for p in positions if _inside(p, path) and p != path]:
                del positions[old]
            for old in [p for p in children if _inside(p, path)]:
                del children[old]
        base = frag.spans[top]
        start = spans[path].start
        for fpath, fspan in frag.spans.items():
            if fpath[:1] != top:
                continue
            new_path = path + fpath[1:]
            if fpath == top:
                spans[new_path] = spans[path]._replace(
                    end=start + (fspan.end - base.start), kind=fspan.kind, style=fspan.style
                )
                continue

            def at(index: int, base: Span = base, start: int = start) -> int:
                return -1 if index < 0 else start + (index - base.start)

            column = spans[path].column + (fspan.column - base.column)
            spans[new_path] = _new(
                Span,
                (
                    at(fspan.start),
                    at(fspan.end),
                    span.line,
                    column,
                    fspan.kind,
                    fspan.style,
                    at(fspan.key_start),
                    at(fspan.key_end),
                    -1
                    if fspan.key_column < 0
                    else spans[path].column + fspan.key_column - base.column,
                ),
            )
        for fpath, (_line, fcolumn) in frag.source.positions.items():
            if len(fpath) > 1 and fpath[0] == top[0]:
                column = spans[path].column + 1 + (fcolumn - 1 - base.column)
                positions[path + fpath[1:]] = (span.line + 1, column)
        for fpath, keys in frag.children.items():
            if fpath and fpath[0] == top[0]:
                children[path + fpath[1:]] = keys
        data = _with(data, path, frag.data[top[0]])
    for path, new in moved:
        if path in positions:
            positions[path] = (new.line + 1, new.column + 1)
    new_text = text
    for job in reversed(jobs):
        splice = job[2]
        new_text = new_text[: splice.start] + splice.text + new_text[splice.end :]
    source = SourceMap(doc.source.file, positions)
    return Document(new_text, data, source, [], spans, children)
