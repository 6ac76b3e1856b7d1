"""Aliases that would make a YAML document explode, found before anything is built.

An anchor (``&name``) and its aliases (``*name``) let a planner write a value once and repeat
it; nested, a few lines of them stand for billions of values ("billion laughs"). The composed
document keeps an alias as the anchored node itself, so counting what each node stands for,
once per node, tells how far the document would expand without expanding it.
"""

from __future__ import annotations

from typing import Any

import yaml

from sitroom.package.problems import Problem

MAX_ALIAS_VALUES = 100_000
"""Values that aliases may add to a document by repeating what their anchors stand for. A
planner who names a marking once and repeats it on every inject stays far below it; nested
aliases ("billion laughs") pass it within a few lines and are refused before anything is
built, where building even the two million values of ``MAX_NODES`` would take seconds."""


class _TooBig(Exception):
    pass


class _Cycle(Exception):
    def __init__(self, node: yaml.Node) -> None:
        self.node = node


def alias_problem(root: yaml.Node, text: str, file: str, loader: type[Any]) -> Problem | None:
    """A problem if aliases make the document expand past ``MAX_ALIAS_VALUES`` values or
    refer to a value they are part of; ``None`` for every document without such aliases.

    The composed document is a graph in which an alias is the anchored node itself, so the
    values it would expand to are counted once per node, without expanding anything.
    """
    if "*" not in text:  # no alias at all
        return None
    cap = MAX_ALIAS_VALUES + 1
    sizes: dict[int, int] = {}
    open_: set[int] = set()
    repeated = 0

    def size(node: yaml.Node) -> int:
        nonlocal repeated
        key = id(node)
        if key in sizes:  # met again: an alias, which repeats all the node stands for
            repeated += sizes[key]
            if repeated > MAX_ALIAS_VALUES:
                raise _TooBig
            return sizes[key]
        if key in open_:
            raise _Cycle(node)
        open_.add(key)
        total = 1
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                total = min(total + size(key_node) + size(value_node), cap)
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                total = min(total + size(item), cap)
        open_.discard(key)
        sizes[key] = total
        return total

    try:
        size(root)
        return None
    except _Cycle as cycle:
        line, column = cycle.node.start_mark.line + 1, cycle.node.start_mark.column + 1
        return Problem(
            "recursive-alias",
            "an alias refers to the value it is part of, so the value never ends",
            file=file,
            line=line,
            column=column,
            hint="write the value out instead of referring to it from inside itself",
        )
    except _TooBig:
        pass
    line, column, anchor = _costly_alias(text, loader)
    return Problem(
        "too-many-aliases",
        f"the alias '*{anchor}' repeats values so often that the document would expand to "
        f"more than {MAX_ALIAS_VALUES:,} repeated values",
        file=file,
        line=line,
        column=column,
        hint="write the content out, or repeat smaller anchors fewer times",
    )


def _costly_alias(text: str, loader: type[Any]) -> tuple[int | None, int | None, str]:
    """Where the aliases of ``text`` first add more than ``MAX_ALIAS_VALUES`` values: the
    alias's line, column and anchor name (read from the events, which keep each alias's
    place; the composed graph only knows the anchors')."""
    cap = MAX_ALIAS_VALUES + 1
    sizes: dict[str, int] = {}
    stack: list[list[Any]] = []  # [anchor, values so far] of each open mapping or sequence
    added = 0
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.CollectionStartEvent):
            stack.append([event.anchor, 1])
            continue
        if isinstance(event, yaml.CollectionEndEvent):
            anchor, count = stack.pop()
        elif isinstance(event, yaml.ScalarEvent):
            anchor, count = event.anchor, 1
        elif isinstance(event, yaml.AliasEvent):
            anchor, count = None, sizes.get(event.anchor or "", 1)
            added += count
            if added > MAX_ALIAS_VALUES:
                mark = event.start_mark
                if mark is None:  # pragma: no cover - both parsers mark every event
                    return None, None, str(event.anchor)
                return mark.line + 1, mark.column + 1, str(event.anchor)
        elif isinstance(event, yaml.DocumentEndEvent):
            break
        else:
            continue
        if anchor:
            sizes[anchor] = count
        if stack:
            stack[-1][1] = min(stack[-1][1] + count, cap)
    return None, None, "?"  # pragma: no cover - only called when the graph said so
