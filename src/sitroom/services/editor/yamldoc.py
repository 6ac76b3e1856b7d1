"""A package's YAML read once for editing: its data, where each value was written, and the
exact stretch of text each value occupies.

The data and the source map are the same as `sitroom.package.load.parse_yaml` gives (the
same scalar rules: YAML 1.2 booleans, identifiers kept as written, one problem per bad
value); on top, every path gets a `Span`, so that an edit can replace the few characters of
one value and leave every other byte of the planner's file as it was.

The common case (no anchors, aliases, tags or repeated keys) is read in one pass over the
parser's events, about twice as fast as composing nodes; anything unusual falls back to the
package loader itself for the data, so the two never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

import yaml

from sitroom.package import load
from sitroom.package.problems import Problem
from sitroom.package.sourcemap import Path_, SourceMap


class Span(NamedTuple):
    """Where one value sits in the text (0-based character offsets, lines and columns).

    ``end`` is where its content ends (trailing blank lines and the line break of a block
    text are not part of it). ``key_start``/``key_end`` mark the key of a mapping entry
    (-1 for sequence items and the root). ``style`` is the scalar style ('' plain, '"', "'",
    '|', '>') or, for collections, 'flow' or 'block'.
    """

    start: int
    end: int
    line: int
    column: int
    kind: str  # "scalar" | "map" | "seq" | "alias"
    style: str
    key_start: int = -1
    key_end: int = -1
    key_column: int = -1


@dataclass
class Document:
    """One YAML text read for editing."""

    text: str
    data: Any
    source: SourceMap
    problems: list[Problem] = field(default_factory=list)
    spans: dict[Path_, Span] = field(default_factory=dict)
    children: dict[Path_, list[str | int]] = field(default_factory=dict)
    """The keys (in written order) or item indexes of every collection."""

    @property
    def readable(self) -> bool:
        """Whether the text parsed into a mapping that edits can address."""
        return isinstance(self.data, dict) and () in self.spans


_new = tuple.__new__
"""Makes a `Span` without the named tuple's Python-level constructor (many thousand per read)."""


class _Unusual(Exception):
    """The text uses a YAML feature the one-pass reader leaves to the package loader."""


_MERGE = "<<"


def read(text: str, file: str = "exercise.yaml") -> Document:
    """Read ``text``; syntax errors and the loader's problems are in ``problems``."""
    try:
        events = list(yaml.parse(text, Loader=load._FastLoader))
    except yaml.YAMLError:
        data, source, problems = load.parse_yaml(text, file)
        return Document(text, data, source, problems)
    reader = _Reader(text, events, file)
    try:
        reader.run(fast=True)
    except _Unusual:
        data, source, problems = load.parse_yaml(text, file)
        reader = _Reader(text, events, file)
        reader.run(fast=False)
        return Document(text, data, source, problems, reader.spans, reader.children)
    except RecursionError:
        data, source, problems = load.parse_yaml(text, file)
        return Document(text, data, source, problems)
    document = Document(
        text, reader.data, reader.source, reader.problems, reader.spans, reader.children
    )
    if reader.documents > 1:
        document.problems.insert(
            0,
            Problem(
                "multiple-documents",
                "the file holds more than one YAML document ('---')",
                file=file,
                line=reader.second_line,
                hint="keep one package per file",
            ),
        )
    if reader.documents == 0:
        data, source, problems = load.parse_yaml(text, file)
        return Document(text, data, source, problems)
    return document


class _Reader:
    """Walks the parser's events once, building data, positions and spans."""

    def __init__(self, text: str, events: list[Any], file: str) -> None:
        self.text = text
        self.events: list[Any] = events  # parser events (their marks are always set)
        self.pos = 0
        self.source = SourceMap(file)
        self.spans: dict[Path_, Span] = {}
        self.children: dict[Path_, list[str | int]] = {}
        self.problems: list[Problem] = []
        self.data: Any = None
        self.documents = 0
        self.second_line: int | None = None
        self.fast = True
        self.count = 0
        self._build = load._Build(self.source)
        self._resolvers = load._FastLoader.yaml_implicit_resolvers

    def run(self, *, fast: bool) -> None:
        self.fast = fast
        events = self.events
        for i, event in enumerate(events):
            if isinstance(event, yaml.DocumentStartEvent):
                self.documents += 1
                if self.documents == 1:
                    self.pos = i + 1
                elif self.second_line is None:
                    mark: Any = event.start_mark
                    self.second_line = mark.line + 1
        if self.documents:
            self.data = self.value((), -1, -1, -1)
        self.problems.extend(self._build.problems)

    def value(self, path: Path_, key_start: int, key_end: int, key_column: int) -> Any:
        event = self.events[self.pos]
        self.pos += 1
        self.count += 1
        if self.count > load.MAX_NODES:
            raise _Unusual
        start = event.start_mark
        if self.fast and getattr(event, "anchor", None):
            raise _Unusual
        if isinstance(event, yaml.ScalarEvent):
            style = event.style or ""
            end_mark: Any = event.end_mark
            end = end_mark.index
            if style in ("|", ">"):
                end = self._block_end(start.index, end)
            self.spans[path] = _new(
                Span,
                (
                    start.index,
                    end,
                    start.line,
                    start.column,
                    "scalar",
                    style,
                    key_start,
                    key_end,
                    key_column,
                ),
            )
            if not self.fast:
                return None
            self.source.positions.setdefault(path, (start.line + 1, start.column + 1))
            return self._scalar(event, path)
        if isinstance(event, yaml.MappingStartEvent):
            if self.fast and event.tag not in (None, "tag:yaml.org,2002:map"):
                raise _Unusual
            self.source.positions.setdefault(path, (start.line + 1, start.column + 1))
            result: dict[str, Any] = {}
            keys: list[str | int] = []
            last_end = start.index
            while not isinstance(self.events[self.pos], yaml.MappingEndEvent):
                key_event = self.events[self.pos]
                self.pos += 1
                self.count += 1
                key = self._key(key_event, path)
                if self.fast and key in result:
                    raise _Unusual  # a repeated key: the loader reports it
                kmark = key_event.start_mark
                value_event = self.events[self.pos]
                vmark = value_event.start_mark
                child = (*path, key)
                if self.fast:
                    self.source.positions.setdefault(
                        (*path, "<key>"), (kmark.line + 1, kmark.column + 1)
                    )
                    self.source.positions[child] = (vmark.line + 1, vmark.column + 1)
                result[key] = self.value(child, kmark.index, key_event.end_mark.index, kmark.column)
                keys.append(key)
                last_end = self.spans[child].end
            end_event = self.events[self.pos]
            self.pos += 1
            flow = bool(event.flow_style)
            end = end_event.end_mark.index if flow else last_end
            self.spans[path] = _new(
                Span,
                (
                    start.index,
                    end,
                    start.line,
                    start.column,
                    "map",
                    "flow" if flow else "block",
                    key_start,
                    key_end,
                    key_column,
                ),
            )
            self.children[path] = keys
            return result
        if isinstance(event, yaml.SequenceStartEvent):
            if self.fast and event.tag not in (None, "tag:yaml.org,2002:seq"):
                raise _Unusual
            self.source.positions.setdefault(path, (start.line + 1, start.column + 1))
            items: list[Any] = []
            last_end = start.index
            while not isinstance(self.events[self.pos], yaml.SequenceEndEvent):
                child = (*path, len(items))
                items.append(self.value(child, -1, -1, -1))
                last_end = self.spans[child].end
            end_event = self.events[self.pos]
            self.pos += 1
            flow = bool(event.flow_style)
            end = end_event.end_mark.index if flow else last_end
            self.spans[path] = _new(
                Span,
                (
                    start.index,
                    end,
                    start.line,
                    start.column,
                    "seq",
                    "flow" if flow else "block",
                    key_start,
                    key_end,
                    key_column,
                ),
            )
            self.children[path] = list(range(len(items)))
            return items
        if isinstance(event, yaml.AliasEvent):
            if self.fast:
                raise _Unusual
            alias_end: Any = event.end_mark
            self.spans[path] = _new(
                Span,
                (
                    start.index,
                    alias_end.index,
                    start.line,
                    start.column,
                    "alias",
                    "",
                    key_start,
                    key_end,
                    key_column,
                ),
            )
            return None
        raise _Unusual  # pragma: no cover - a document holds only the three kinds and aliases

    def _key(self, event: Any, path: Path_) -> str:
        if not isinstance(event, yaml.ScalarEvent):
            if self.fast:
                raise _Unusual
            # A complex key: skip it; the loader reports it.
            self._skip(event)
            return f"<key {event.start_mark.index}>"
        value = event.value
        if self.fast:
            if event.anchor or (event.tag and event.tag != "tag:yaml.org,2002:str"):
                raise _Unusual
            plain = not event.style
            if plain and value == _MERGE:
                raise _Unusual
            if plain and self._tag(value) != "tag:yaml.org,2002:str":
                raise _Unusual  # a key such as 1 or true: the loader says what it makes of it
        return str(value)

    def _skip(self, event: Any) -> None:
        depth = 1 if isinstance(event, yaml.CollectionStartEvent) else 0
        while depth:
            nxt = self.events[self.pos]
            self.pos += 1
            if isinstance(nxt, yaml.CollectionStartEvent):
                depth += 1
            elif isinstance(nxt, yaml.CollectionEndEvent):
                depth -= 1

    def _tag(self, value: str) -> str:
        resolvers = self._resolvers.get(value[:1] if value else "", ())
        for tag, regexp in resolvers:
            if regexp.match(value):
                return str(tag)
        return "tag:yaml.org,2002:str"

    def _scalar(self, event: Any, path: Path_) -> Any:
        if event.tag and event.tag != "!" and not event.implicit[0]:
            if event.tag != "tag:yaml.org,2002:str":
                raise _Unusual
            return event.value
        if event.style:  # quoted or block: always text
            return event.value
        tag = self._tag(event.value)
        if tag == "tag:yaml.org,2002:str":
            return event.value
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, None)
        return self._build.build(node, path)

    def _block_end(self, start: int, end: int) -> int:
        """Where a block text's last written line ends (its line break and the blank lines
        after it are layout, not part of the span)."""
        text = self.text
        last = end
        while last > start and text[last - 1] in " \t\r\n":
            last -= 1
        stop = text.find("\n", last, end)
        stop = end if stop < 0 else stop
        return stop - 1 if stop > last and text[stop - 1] == "\r" else stop


def value_at(data: Any, path: Path_) -> Any:
    """The value at ``path`` in plain data; KeyError/IndexError/TypeError if there is none."""
    node = data
    for part in path:
        node = node[part]
    return node
