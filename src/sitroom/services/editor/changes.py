"""What changed between two versions of a package: paths with their values before and after,
and which saves touch the same place (a conflict) or not (they merge)."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sitroom.package.sourcemap import Path_

MISSING: Any = None


@dataclass(frozen=True)
class Change:
    """One changed place: its path, the value before and after (None: not there), and the
    version that changed it (with who and when) where that is known."""

    path: Path_
    before: Any = None
    after: Any = None
    version: int | None = None
    author: str | None = None
    at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": list(self.path),
            "before": self.before,
            "after": self.after,
            "version": self.version,
            "author": self.author,
            "at": self.at.isoformat() if self.at else None,
        }


@dataclass(frozen=True)
class Diff:
    """Two versions compared: the changed paths and the unified diff of the YAML text."""

    draft_id: str
    a: int
    b: int
    changes: list[Change] = field(default_factory=list)
    text: str = ""


def overlaps(one: Path_, other: Path_) -> bool:
    """Whether two paths touch the same place: one is the other or lies inside it."""
    n = min(len(one), len(other))
    return one[:n] == other[:n]


def outermost(paths: Iterable[Path_]) -> tuple[Path_, ...]:
    """The paths without those inside another one, in first-seen order."""
    found: list[Path_] = []
    for path in paths:
        if any(overlaps(path, kept) and len(kept) <= len(path) for kept in found):
            continue
        found = [kept for kept in found if not (overlaps(kept, path) and len(kept) > len(path))]
        found.append(path)
    return tuple(found)


def lookup(data: Any, path: Path_) -> Any:
    """The value at ``path``, or None when there is none."""
    node = data
    for part in path:
        if isinstance(node, dict) and isinstance(part, str):
            if part not in node:
                return MISSING
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            return MISSING
    return node


def tree_diff(before: Any, after: Any, path: Path_ = ()) -> Iterator[Change]:
    """Every changed leaf or item between two documents' data.

    Lists of the same length are compared item by item; lists whose length changed are
    matched with difflib (by inject number or id where items have one), so an inserted
    inject shows as one added item, not as every later item changed.
    """
    if before == after:
        return
    if isinstance(before, dict) and isinstance(after, dict):
        for key in list(before) + [k for k in after if k not in before]:
            yield from tree_diff(before.get(key), after.get(key), (*path, key))
        return
    if isinstance(before, list) and isinstance(after, list):
        keys_a = [_key(x) for x in before]
        keys_b = [_key(y) for y in after]
        if len(before) == len(after) and (
            keys_a == keys_b or not all(isinstance(x, dict) for x in before + after)
        ):
            for i, (x, y) in enumerate(zip(before, after, strict=True)):
                yield from tree_diff(x, y, (*path, i))
            return
        matcher = difflib.SequenceMatcher(None, keys_a, keys_b, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
                for k in range(i2 - i1):
                    yield from tree_diff(before[i1 + k], after[j1 + k], (*path, j1 + k))
                continue
            for k in range(i1, i2):
                yield Change((*path, k), before[k], None)
            for k in range(j1, j2):
                yield Change((*path, k), None, after[k])
        return
    yield Change(path, before, after)


def _key(item: Any) -> str:
    """What identifies a list item: an inject's number or an item's id, else its content."""
    if isinstance(item, dict):
        for name in ("number", "id"):
            if isinstance(item.get(name), str | int):
                return f"{name}={item[name]}"
    return json.dumps(item, sort_keys=True, ensure_ascii=False, default=str)


def text_diff(before: str, after: str, a: str, b: str) -> str:
    """The unified diff of two YAML texts (three lines of context)."""
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True), after.splitlines(keepends=True), a, b
        )
    )


def jsonable(value: Any) -> Any:
    """A value of the YAML data in JSON's types (dates and times as ISO text)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _identity(item: Any) -> str | None:
    if isinstance(item, dict):
        for name in ("number", "id"):
            if isinstance(item.get(name), str | int):
                return f"{name}={item[name]}"
    return None


def _find(items: list[Any], item: Any) -> int | None:
    """The index in ``items`` of the item that is ``item`` (by number or id, else equal)."""
    identity = _identity(item)
    found = [
        i
        for i, other in enumerate(items)
        if (_identity(other) == identity if identity is not None else other == item)
    ]
    return found[0] if len(found) == 1 else None


def translate(path: Path_, before: Any, after: Any, *, slot: bool = False) -> Path_ | None:
    """``path`` in ``before`` as the same place in ``after``: each list index follows its
    item (found by inject number or id) to where it is now. None when an item on the way is
    gone or cannot be told apart. ``slot``: the last index is a position between items (an
    insert), which follows the item that was there."""
    out: list[str | int] = []
    node_a, node_b = before, after
    for depth, part in enumerate(path):
        last = depth == len(path) - 1
        if isinstance(part, int):
            if not isinstance(node_a, list) or not isinstance(node_b, list):
                return None
            if slot and last and part >= len(node_a):
                out.append(len(node_b))
                break
            if not 0 <= part < len(node_a):
                return None
            index = _find(node_b, node_a[part])
            if index is None:
                return None
            out.append(index)
            node_a, node_b = node_a[part], node_b[index]
        else:
            out.append(part)
            node_a = node_a.get(part) if isinstance(node_a, dict) else None
            node_b = node_b.get(part) if isinstance(node_b, dict) else None
    return tuple(out)
