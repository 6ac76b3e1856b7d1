"""Edits to a package's YAML, applied to the text itself.

An edit names a path into the document (``("modules", 0, "injects", 3, "title", "en")``)
and what to do there. It is applied by replacing only the characters of the values it
touches, so every comment, every key order and every line of layout that the edit does not
reach stays byte for byte as the planner wrote it.

Texts in several languages follow the package format: a plain string is in the exercise's
first language. Setting that language keeps the plain string; setting another language turns
the string into a mapping (``{en: old, ko: new}``).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sitroom.package.sourcemap import Path_
from sitroom.services.editor import render
from sitroom.services.editor.patch import Splice as _Splice
from sitroom.services.editor.patch import patched
from sitroom.services.editor.yamldoc import Document, Span, read, value_at

OPS = ("set", "insert", "remove", "move")


class EditorError(ValueError):
    """An edit or an upload that cannot be used; the message names the place and the fix."""

    def __init__(self, message: str, *, path: Path_ | None = None, line: int | None = None):
        super().__init__(message)
        self.path = path
        self.line = line


@dataclass(frozen=True)
class Edit:
    """One change: ``set`` a value, ``insert`` a list item before ``path[-1]``, ``remove`` a
    value, or ``move`` a list item to index ``to`` (the index it has afterwards)."""

    op: str
    path: tuple[str | int, ...]
    value: Any = None
    to: int | None = None

    def touches(self) -> Path_:
        """The path whose content this edit changes (a list, for item inserts, removals and
        moves: every index after the edited one changes meaning)."""
        if self.op in ("insert", "remove", "move") and self.path and isinstance(self.path[-1], int):
            return self.path[:-1]
        return self.path


def show(path: Path_) -> str:
    """A path as planners read it in messages: ``modules[0].injects[3].title.en``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(the whole package)"


def default_language(data: Any) -> str:
    exercise = data.get("exercise") if isinstance(data, dict) else None
    languages = exercise.get("languages") if isinstance(exercise, dict) else None
    if isinstance(languages, list) and languages and isinstance(languages[0], str):
        return languages[0]
    return "en"


def _line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def _after_line(text: str, index: int) -> int:
    """The start of the line after the one holding ``index``."""
    found = text.find("\n", index)
    return len(text) if found < 0 else found + 1


def _ends_line(text: str) -> str:
    return text if text.endswith("\n") or not text else text + "\n"


def check_edit(edit: Edit) -> None:
    if edit.op not in OPS:
        raise EditorError(f"unknown edit '{edit.op}'; use one of {', '.join(OPS)}", path=edit.path)
    if not isinstance(edit.path, tuple) or not all(
        isinstance(p, str | int) and not isinstance(p, bool) for p in edit.path
    ):
        raise EditorError("a path is a list of keys and item numbers", path=None)
    if not edit.path:
        raise EditorError("an edit needs a path inside the package", path=edit.path)
    if edit.op in ("insert", "move") and not isinstance(edit.path[-1], int):
        raise EditorError(
            f"{show(edit.path)}: '{edit.op}' needs a path ending in an item number", path=edit.path
        )
    if edit.op == "move" and not isinstance(edit.to, int):
        raise EditorError(f"{show(edit.path)}: 'move' needs 'to', the new index", path=edit.path)


class _Editor:
    """Turns one edit into splices of the current text."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.text = doc.text

    def span(self, path: Path_) -> Span | None:
        return self.doc.spans.get(path)

    def value(self, path: Path_) -> Any:
        return value_at(self.doc.data, path)

    def plan(self, edit: Edit) -> list[_Splice]:
        check_edit(edit)
        if edit.op == "set":
            splices = self.set(edit.path, edit.value)
        elif edit.op == "remove":
            splices = self.remove(edit.path)
        elif edit.op == "insert":
            splices = self.insert(edit.path, edit.value)
        else:
            splices = self.move(edit.path, edit.to if edit.to is not None else 0)
        if "\r\n" in self.text:  # a file written with Windows line ends keeps them
            splices = [
                _Splice(s.start, s.end, s.text.replace("\r\n", "\n").replace("\n", "\r\n"))
                for s in splices
            ]
        return splices

    # -- set ------------------------------------------------------------------------------

    def set(self, path: Path_, value: Any) -> list[_Splice]:
        if value is None and isinstance(path[-1], str):
            return self.remove(path, missing_ok=True)
        span = self.span(path)
        if span is None:
            return self.add(path, value)
        if span.kind == "alias":
            raise EditorError(
                f"{show(path)} is written as an alias (*name); edit the anchored value", path=path
            )
        if (span.kind == "scalar" and span.end > span.start) or span.style == "flow":
            parent = self.span(path[:-1])
            in_flow = parent is not None and parent.style == "flow"
            new_inline = self._inline(path, span, value, in_flow=in_flow)
            if new_inline is not None:
                return [_Splice(span.start, span.end, new_inline)]
        return [self._replace_entry(path, span, value)]

    def _inline(self, path: Path_, span: Span, value: Any, *, in_flow: bool) -> str | None:
        key = path[-1]
        if isinstance(value, dict | list):
            found = render.inline(value, key=key)
            return found if found is not None and span.style != "block" else None
        indent = self._child_indent(path, span)
        if isinstance(value, str) and (span.style in ("|", ">") or "\n" in value):
            if span.style in ("|", ">"):
                old = self.value(path)
                # A block kept its last line break: keep it, so the header line stays.
                if isinstance(old, str) and old.endswith("\n") and not value.endswith("\n"):
                    value += "\n"
                indent = self._block_indent(span) or indent
            return render.scalar(value, indent, style=span.style, key=key)
        style = span.style if span.kind == "scalar" else ""
        return render.inline(value, style=style, key=key, in_flow=in_flow)

    def _child_indent(self, path: Path_, span: Span) -> int:
        if span.key_column >= 0:
            return span.key_column + 2
        return span.column + 2

    def _block_indent(self, span: Span) -> int | None:
        first = self.text.find("\n", span.start) + 1
        if first <= 0 or first >= span.end:
            return None
        line_end = self.text.find("\n", first)
        line = self.text[first : line_end if line_end >= 0 else len(self.text)]
        return len(line) - len(line.lstrip(" ")) if line.strip() else None

    def _replace_entry(self, path: Path_, span: Span, value: Any) -> _Splice:
        """Write ``value`` anew as a block where the old one was (with its key, if any)."""
        stop = _after_line(self.text, span.end)
        if span.key_start >= 0:
            lines = render.pair(self._key_text(span), value, span.key_column)
            text = "".join(lines)[span.key_column :]
            return _Splice(span.key_start, stop, _ends_line(text))
        dash = self._dash_column(span)
        if dash is None:
            raise EditorError(f"{show(path)}: cannot replace the whole document", path=path)
        lines = render.item_lines(value, dash)
        text = "".join(lines)[dash + 2 :]
        return _Splice(span.start, stop, _ends_line(text))

    def _key_text(self, span: Span) -> str:
        return self.text[span.key_start : span.key_end]

    def _dash_column(self, span: Span) -> int | None:
        start = _line_start(self.text, span.start)
        dash = self.text.rfind("-", start, span.start)
        return None if dash < 0 else dash - start

    def add(self, path: Path_, value: Any) -> list[_Splice]:
        """Set a key that is not written yet."""
        parent_path, key = path[:-1], path[-1]
        parent = self.span(parent_path)
        if parent is None:
            if isinstance(key, int):
                raise EditorError(f"{show(path)}: there is no such item", path=path)
            return self.set(parent_path, {key: value})
        if parent.kind == "scalar":
            old = self.value(parent_path)
            if render.is_language(key) and isinstance(old, str):
                if key == default_language(self.doc.data):
                    return self.set(parent_path, value)
                return self.set(parent_path, {default_language(self.doc.data): old, key: value})
            if old is None:
                return self.set(parent_path, {key: value})
            raise EditorError(
                f"{show(parent_path)} is a single value; it has no '{key}'", path=path
            )
        if parent.kind != "map" or isinstance(key, int):
            raise EditorError(f"{show(path)}: there is no such item", path=path)
        old_map = dict(self.value(parent_path))
        if parent.style == "flow":
            old_map[key] = value
            return self.set(parent_path, old_map)
        keys = self.doc.children.get(parent_path, [])
        last = self.span((*parent_path, keys[-1])) if keys else None
        if last is None:  # pragma: no cover - a block mapping has at least one key
            return self.set(parent_path, {**old_map, key: value})
        at = _after_line(self.text, last.end)
        text = "".join(render.pair(key, value, last.key_column))
        if at == len(self.text) and not self.text.endswith("\n"):
            text = "\n" + text
        return [_Splice(at, at, text)]

    # -- remove ----------------------------------------------------------------------------

    def remove(self, path: Path_, *, missing_ok: bool = False) -> list[_Splice]:
        span = self.span(path)
        if span is None:
            if missing_ok:
                return []
            raise EditorError(f"{show(path)}: there is nothing to remove here", path=path)
        parent_path = path[:-1]
        parent = self.span(parent_path)
        if parent is None:
            raise EditorError("the whole package cannot be removed", path=path)
        siblings = self.doc.children.get(parent_path, [])
        if parent.style == "flow" or len(siblings) == 1:
            rest = self.value(parent_path)
            if isinstance(rest, dict):
                rest = {k: v for k, v in rest.items() if k != path[-1]}
            else:
                rest = [v for i, v in enumerate(rest) if i != path[-1]]
            if not rest and isinstance(path[-1], str) and len(parent_path) > 0:
                grand = self.span(parent_path[:-1])
                if grand is not None and grand.kind == "map":
                    return self.remove(parent_path)
            return self.set(parent_path, rest)
        start = span.key_start if span.key_start >= 0 else span.start
        line = _line_start(self.text, start)
        stop = _after_line(self.text, span.end)
        if self.text[line:start].strip() in ("", "-"):
            if self.text[line:start].strip() == "-" and span.key_start >= 0:
                # The first key of a list item: the next key moves up beside the dash.
                index = siblings.index(path[-1])
                following = self.span((*parent_path, siblings[index + 1]))
                if following is None:  # pragma: no cover
                    raise EditorError(f"{show(path)}: cannot remove", path=path)
                return [_Splice(start, following.key_start, "")]
            return [_Splice(line, stop, "")]
        raise EditorError(f"{show(path)}: cannot remove a value written inline", path=path)

    # -- lists -----------------------------------------------------------------------------

    def _list(self, path: Path_) -> tuple[Path_, Span, list[Any]]:
        list_path = path[:-1]
        span = self.span(list_path)
        if span is None or span.kind != "seq":
            raise EditorError(f"{show(list_path)} is not a list", path=path)
        return list_path, span, self.value(list_path)

    def insert(self, path: Path_, value: Any) -> list[_Splice]:
        list_path = path[:-1]
        if self.span(list_path) is None:
            if path[-1] != 0:
                raise EditorError(f"{show(list_path)} is empty; insert at 0", path=path)
            return self.set(list_path, [value])
        list_path, span, items = self._list(path)
        index = int(path[-1])
        if not 0 <= index <= len(items):
            raise EditorError(
                f"{show(path)}: the list has {len(items)} items; insert at 0 to {len(items)}",
                path=path,
            )
        if span.style == "flow" or not items:
            return self.set(list_path, [*items[:index], value, *items[index:]])
        first = self.span((*list_path, 0))
        assert first is not None
        dash = self._dash_column(first)
        if dash is None:  # pragma: no cover - block items always follow a dash
            raise EditorError(f"{show(list_path)}: cannot insert here", path=path)
        text = "".join(render.item_lines(value, dash))
        at = self._item_slot(list_path, index, len(items))
        if at == len(self.text) and not self.text.endswith("\n"):
            text = "\n" + text
        return [_Splice(at, at, text)]

    def _item_slot(self, list_path: Path_, index: int, count: int) -> int:
        """Where a block item placed at ``index`` begins (after the item before it)."""
        if index == 0:
            first = self.span((*list_path, 0))
            assert first is not None
            return _line_start(self.text, first.start)
        before = self.span((*list_path, index - 1))
        assert before is not None
        return _after_line(self.text, before.end)

    def move(self, path: Path_, to: int) -> list[_Splice]:
        list_path, span, items = self._list(path)
        index = int(path[-1])
        count = len(items)
        if not 0 <= index < count or not 0 <= to < count:
            raise EditorError(
                f"{show(path)}: the list has {count} items; move between 0 and {count - 1}",
                path=path,
            )
        if index == to:
            return []
        if span.style == "flow":
            rest = [v for i, v in enumerate(items) if i != index]
            rest.insert(to, items[index])
            return self.set(list_path, rest)
        item = self.span(path)
        assert item is not None
        start = _line_start(self.text, item.start)
        stop = _after_line(self.text, item.end)
        chunk = _ends_line(self.text[start:stop])
        if to < index:
            at = self._item_slot(list_path, to, count)
        else:
            after = self.span((*list_path, to))
            assert after is not None
            at = _after_line(self.text, after.end)
        return [_Splice(start, stop, ""), _Splice(at, at, chunk)]


def _apply(text: str, splices: Sequence[_Splice]) -> str:
    for splice in sorted(splices, key=lambda s: s.start, reverse=True):
        text = text[: splice.start] + splice.text + text[splice.end :]
    return text


def _independent(edits: Sequence[Edit]) -> bool:
    """Whether every edit is a ``set`` on a path no other edit contains or is inside."""
    if not all(e.op == "set" for e in edits):
        return False
    paths = sorted(e.path for e in edits) if _comparable(edits) else None
    if paths is None:
        return False
    return all(paths[i + 1][: len(paths[i])] != paths[i] for i in range(len(paths) - 1))


def _comparable(edits: Sequence[Edit]) -> bool:
    try:
        sorted(e.path for e in edits)
    except TypeError:
        return False
    return True


def apply_edits(doc: Document, edits: Sequence[Edit]) -> Document:
    """The document after ``edits``, in order; `EditorError` names the first that fails.

    Every value written is read back; one that would read differently is refused.

    Edits to separate values are spliced into the text in one pass; edits that depend on
    each other (an insert, then a change to the new item) re-read the text between them.
    """
    if not edits:
        return doc
    if not doc.readable:
        raise EditorError(
            "the package's YAML cannot be read; fix the problem shown first",
            line=doc.problems[0].line if doc.problems else None,
        )
    if _independent(edits):
        editor = _Editor(doc)
        plans = [editor.plan(edit) for edit in edits]
        splices = [splice for plan in plans for splice in plan]
        if not _overlapping(splices):
            done = None
            if all(len(plan) == 1 for plan in plans):
                done = patched(doc, [e.path for e in edits], splices)
            if done is None:
                done = read(_apply(doc.text, splices), doc.source.file)
            verify(done, edits)
            return done
    done = _one_by_one(doc, edits)
    verify(done, edits)
    return done


def _overlapping(splices: Sequence[_Splice]) -> bool:
    ordered = sorted(splices, key=lambda s: (s.start, s.end))
    return any(b.start < a.end for a, b in itertools.pairwise(ordered))


def _one_by_one(doc: Document, edits: Sequence[Edit]) -> Document:
    for edit in edits:
        if not doc.readable:
            raise EditorError(f"{show(edit.path)}: the text no longer reads as a package")
        doc = read(_apply(doc.text, _Editor(doc).plan(edit)), doc.source.file)
    return doc


def _written(data: Any, path: Path_) -> tuple[bool, Any]:
    node = data
    for i, part in enumerate(path):
        if isinstance(node, str) and i == len(path) - 1 and render.is_language(part):
            # A plain string is the text in the default language.
            return part == default_language(data), node
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return False, None
    return True, node


def verify(doc: Document, edits: Sequence[Edit]) -> None:
    """Read back every value a ``set`` wrote (unless a later edit touched it): a value that
    reads back differently is refused rather than saved."""
    for i, edit in enumerate(edits):
        if edit.op != "set" or any(overlaps_path(e.touches(), edit.path) for e in edits[i + 1 :]):
            continue
        found, value = _written(doc.data, edit.path)
        if edit.value is None and isinstance(edit.path[-1], str):
            if found:
                raise EditorError(f"{show(edit.path)}: could not remove the value", path=edit.path)
            continue
        if not found or not _same(value, edit.value):
            raise EditorError(
                f"{show(edit.path)}: the value could not be written so that it reads back the "
                "same; write it differently",
                path=edit.path,
            )


def overlaps_path(one: Path_, other: Path_) -> bool:
    n = min(len(one), len(other))
    return one[:n] == other[:n]


def _same(found: Any, wanted: Any) -> bool:
    if isinstance(found, str) and isinstance(wanted, str):
        return found.rstrip("\n") == wanted.rstrip("\n")
    if isinstance(found, dict) and isinstance(wanted, dict):
        return found.keys() == wanted.keys() and all(_same(found[k], wanted[k]) for k in found)
    if isinstance(found, list) and isinstance(wanted, list):
        return len(found) == len(wanted) and all(
            _same(a, b) for a, b in zip(found, wanted, strict=True)
        )
    if isinstance(found, str) and isinstance(wanted, int | float) and not isinstance(wanted, bool):
        return found == str(wanted)  # identifiers keep numbers as written
    return bool(found == wanted) and type(found) is type(wanted)
