"""The package as a branch map: modules in columns, their injects below them, milestones in a
column of their own, and an arrow from whatever a trigger waits for to what it releases.

Laid out here, drawn by ``design/_branchmap.html`` as inline SVG (no script, no library),
with the same content as a nested list beside it for screen readers and for printing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sitroom.package.branches import references
from sitroom.package.conditions import format_condition
from sitroom.package.model import Package, Trigger, text_in

COLUMN = 230
BOX_W = 200
BOX_H = 28
ROW = 38
TOP = 56
MARGIN = 10
LABEL = 30  # characters of a title shown in a box


@dataclass(frozen=True)
class Node:
    key: str  # inject:<n> | module:<id> | milestone:<id>
    x: int
    y: int
    label: str
    title: str  # the full text, as a tooltip
    kind: str  # inject | triggered | contingency | milestone | module
    condition: str = ""


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    path: str  # SVG path data


@dataclass(frozen=True)
class OutlineItem:
    label: str
    condition: str
    mode: str


@dataclass(frozen=True)
class OutlineGroup:
    title: str
    condition: str
    items: tuple[OutlineItem, ...]


@dataclass(frozen=True)
class BranchMap:
    width: int
    height: int
    headers: tuple[Node, ...]
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    outline: tuple[OutlineGroup, ...]

    @property
    def empty(self) -> bool:
        return not self.edges and not any(n.kind == "milestone" for n in self.nodes)


def _short(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= LABEL else flat[: LABEL - 1] + "…"


def _condition(trigger: Trigger | None) -> str:
    return format_condition(trigger.when) if trigger else ""


def _mode(trigger: Trigger | None) -> str:
    return str(trigger.mode) if trigger else ""


def build_branch_map(package: Package, lang: str) -> BranchMap:
    """Where each module, inject and milestone goes, and the arrows of every trigger."""
    fallbacks = package.exercise.languages
    headers: list[Node] = []
    nodes: dict[str, Node] = {}
    outline: list[OutlineGroup] = []
    height = TOP
    for column, module in enumerate(package.modules):
        x = MARGIN + column * COLUMN
        title = text_in(module.title, lang, fallbacks)
        headers.append(
            Node(
                f"module:{module.id}",
                x,
                20,
                _short(title),
                title,
                "module",
                _condition(module.trigger),
            )
        )
        items = []
        for row, inject in enumerate(module.injects):
            y = TOP + row * ROW
            subject = text_in(inject.title, lang, fallbacks)
            kind = "triggered" if inject.trigger else "inject"
            if inject.type == "contingency" and not inject.trigger:
                kind = "contingency"
            label = f"{inject.number} {subject}"
            nodes[f"inject:{inject.number}"] = Node(
                f"inject:{inject.number}",
                x,
                y,
                _short(label),
                label,
                kind,
                _condition(inject.trigger),
            )
            items.append(OutlineItem(label, _condition(inject.trigger), _mode(inject.trigger)))
            height = max(height, y + ROW)
        outline.append(OutlineGroup(title, _condition(module.trigger), tuple(items)))
    x = MARGIN + len(package.modules) * COLUMN
    milestone_items = []
    for row, milestone in enumerate(package.milestones):
        y = TOP + row * ROW
        name = text_in(milestone.name, lang, fallbacks)
        nodes[f"milestone:{milestone.id}"] = Node(
            f"milestone:{milestone.id}",
            x,
            y,
            _short(name),
            name,
            "milestone",
            _condition(milestone.trigger),
        )
        milestone_items.append(
            OutlineItem(name, _condition(milestone.trigger), _mode(milestone.trigger))
        )
        height = max(height, y + ROW)
    if package.milestones:
        headers.append(Node("milestones", x, 20, "", "", "milestones"))
        outline.append(OutlineGroup("", "", tuple(milestone_items)))
    header_of = {h.key: h for h in headers}
    edges = []
    for target, trigger in package.triggers().items():
        end = nodes.get(target) or header_of.get(target)
        if end is None:
            continue
        for source in sorted(references(trigger.when)):
            start = nodes.get(source) or header_of.get(source)
            if start is None:
                continue
            edges.append(Edge(source, target, _path(start, end)))
    width = MARGIN * 2 + (len(package.modules) + (1 if package.milestones else 0)) * COLUMN
    return BranchMap(
        width, height + MARGIN, tuple(headers), tuple(nodes.values()), tuple(edges), tuple(outline)
    )


def _path(start: Node, end: Node) -> str:
    """A curve from the right of ``start`` to the left of ``end`` (out and back round when
    both are in one column)."""
    y1, y2 = start.y + BOX_H // 2, end.y + BOX_H // 2
    if start.x == end.x:
        x = start.x + BOX_W
        bend = x + 24
        return f"M{x},{y1} C{bend},{y1} {bend},{y2} {x},{y2}"
    x1, x2 = start.x + BOX_W, end.x
    if x2 < x1:  # a later column waits for an earlier one's: go round the other way
        x1, x2 = start.x, end.x + BOX_W
    middle = (x1 + x2) // 2
    return f"M{x1},{y1} C{middle},{y1} {middle},{y2} {x2},{y2}"
