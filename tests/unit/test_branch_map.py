"""The branch map lays out every module, inject and milestone and draws one arrow per
reference of a trigger; the list beside it says the same."""

from __future__ import annotations

from sitroom.package.examples import example_path
from sitroom.package.load import load_package
from sitroom.web.views.branchmap import build_branch_map
from tests.support.packages import branching, two_parties


def test_every_trigger_reference_is_an_arrow() -> None:
    package = branching()
    bm = build_branch_map(package, "en")
    arrows = {(e.source, e.target) for e in bm.edges}
    assert arrows == {
        ("module:m1", "inject:5"),
        ("milestone:acc", "inject:8"),
        ("inject:1", "inject:7"),
        ("inject:4", "inject:9"),
    }
    kinds = {n.key: n.kind for n in bm.nodes}
    assert kinds["inject:5"] == "triggered" and kinds["inject:1"] == "inject"
    assert kinds["milestone:agreed"] == "milestone" and kinds["inject:3"] == "contingency"
    boxes = {(n.x, n.y) for n in bm.nodes}
    assert len(boxes) == len(bm.nodes), "two boxes drawn on one place"
    assert all(0 <= n.x < bm.width and 0 <= n.y < bm.height for n in bm.nodes)
    listed = [item.condition for group in bm.outline for item in group.items if item.condition]
    assert "not-acknowledged(1, within=20m)" in listed


def test_a_package_without_branches_draws_no_map() -> None:
    assert build_branch_map(two_parties(), "en").empty


def test_the_allied_example_shows_both_day_two_branches() -> None:
    package = load_package(example_path("allied-consultation")).package
    assert package is not None
    bm = build_branch_map(package, "ko")
    targets = {e.target for e in bm.edges}
    assert {"inject:2.6", "inject:2.6a", "inject:1.5"} <= targets
    titles = {n.key: n.title for n in bm.nodes}
    assert titles["inject:2.6a"].startswith("2.6a 우방국")
