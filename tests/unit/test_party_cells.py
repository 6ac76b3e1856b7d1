"""A whole party played by one simulated cell: it plays each of the party's player teams as
that team (its own principal, its own view through the gate, its own mode), and the package
checks say when a party cell is malformed or overlaps a team's own cell."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from sitroom.conduct import commands as cmd
from sitroom.conduct.handlers.cells import cell_mode, cell_principal
from sitroom.conduct.principal import Principal, Role
from sitroom.conduct.run import Rejected
from sitroom.package.cellmodel import Cell, CellMode, CellScript
from sitroom.package.examples import example_path
from sitroom.package.load import load_package, load_text
from sitroom.package.model import Package
from sitroom.package.validate import check_package
from sitroom.reports.documents import DocumentKind, render_document
from sitroom.services.cells.follower import cells_of
from sitroom.services.followers import FollowerLoop
from sitroom.services.runs import Engine
from sitroom.storage.cursors import MemoryCursorStore
from sitroom.storage.memory import MemoryRecorder

HANDBOOK = DocumentKind.HANDBOOK
FACILITATOR = Principal("account:fac", Role.FACILITATOR, "Fac")


@pytest.fixture(scope="module")
def allied() -> Package:
    package = load_package(example_path("allied-consultation")).package
    assert package is not None
    return package


def _brenland_cell(allied: Package, mode: CellMode = CellMode.AUTONOMOUS) -> Package:
    """The allied example with all of Brenland played by one scripted cell."""
    script = CellScript(responses={"1.4": "Brenland will answer the press jointly."})
    return allied.model_copy(update={"cells": (Cell(party="brn", mode=mode, script=script),)})


def _errors(yaml_text: str) -> list[str]:
    result = load_text(yaml_text)
    assert result.package is not None, result.problems
    problems = check_package(result.package, result.source, require_attachments=False)
    return [f"{p.code}: {p.message}" for p in problems if p.is_error]


def _with_cells(cells_yaml: str) -> str:
    text = (example_path("allied-consultation") / "exercise.yaml").read_text()
    start = text.index("\ncells:\n")
    end = text.index("\nescalation:\n")
    return text[:start] + "\ncells:\n" + cells_yaml + text[end:]


def test_a_party_cell_plays_each_team_of_the_party_as_that_team(allied: Package) -> None:
    package = _brenland_cell(allied)
    assert package.cell("brn-nss") is package.cell("brn-mfd") is package.cells[0]
    assert package.cell("ald-nss") is None
    followers = cells_of(package, lambda run: package)
    assert [(f.team, f.party) for f in followers] == [("brn-nss", "brn"), ("brn-mfd", "brn")]

    engine = Engine(MemoryRecorder())
    run_id = engine.create_run(package, run_id="party").id
    engine.handle(run_id, cmd.StartRun(), FACILITATOR)
    engine.handle(run_id, cmd.OpenModule("day1"), FACILITATOR)
    engine.handle(run_id, cmd.ReleaseInject("1.4"), FACILITATOR)  # to ald-mfd, brn-mfd
    engine.handle(run_id, cmd.ReleaseInject("1.6"), FACILITATOR)  # to ald-nss, brn-nss
    loop = FollowerLoop(engine, MemoryCursorStore())
    for follower in followers:
        loop.round(follower, run_id)

    state = engine.state(run_id)
    nss, mfd = cell_principal("brn-nss", "brn").id, cell_principal("brn-mfd", "brn").id
    # Each team acknowledges only what reached it: the gate shows a team its own material.
    assert set(state.injects["1.4"].acknowledged) == {mfd}
    assert set(state.injects["1.6"].acknowledged) == {nss}
    answered = [(r.author, r.team, r.ref) for r in state.responses if r.ref == "1.4"]
    assert answered == [(mfd, "brn-mfd", "1.4")]
    assert not [r for r in state.responses if r.author == nss and r.ref == "1.4"]


def test_control_oversees_each_team_of_a_party_cell_on_its_own(allied: Package) -> None:
    package = _brenland_cell(allied, CellMode.APPROVAL)
    engine = Engine(MemoryRecorder())
    run_id = engine.create_run(package, run_id="party-modes").id
    engine.handle(run_id, cmd.StartRun(), FACILITATOR)
    engine.handle(run_id, cmd.OpenModule("day1"), FACILITATOR)
    engine.handle(run_id, cmd.ReleaseInject("1.3"), FACILITATOR)  # to both Brenland teams
    engine.handle(run_id, cmd.SetCellMode("brn-mfd", "paused"), FACILITATOR)
    state = engine.state(run_id)
    assert cell_mode(state, "brn-nss") == "approval" and cell_mode(state, "brn-mfd") == "paused"

    engine.handle(
        run_id, cmd.CellAct(cmd.AcknowledgeInject("1.3")), cell_principal("brn-nss", "brn")
    )
    assert [h.team for h in engine.state(run_id).cell_held.values()] == ["brn-nss"]
    with pytest.raises(Rejected):
        engine.handle(
            run_id, cmd.CellAct(cmd.AcknowledgeInject("1.3")), cell_principal("brn-mfd", "brn")
        )


def test_a_cell_names_exactly_one_of_team_or_party() -> None:
    for fields in ({"team": "brn-nss", "party": "brn"}, {}):
        with pytest.raises(ValidationError, match=r"exactly one of 'team'.*or 'party'"):
            Cell.model_validate(fields)
    assert Cell(party="brn").team is None


def test_a_party_cell_must_name_a_known_party_and_not_overlap_a_team_cell() -> None:
    unknown = _errors(_with_cells("  - party: brnn\n"))
    assert any(e.startswith("unknown-reference: unknown party 'brnn'") for e in unknown), unknown
    overlap = _errors(_with_cells("  - party: brn\n  - team: brn-mfd\n"))
    assert any("duplicate-id: team 'brn-mfd' has two cells" in e for e in overlap), overlap
    assert _errors(_with_cells("  - party: brn\n  - team: ald-nss\n")) == []
    both = load_text(_with_cells("  - party: brn\n    team: brn-nss\n"))
    assert any("exactly one of 'team'" in p.message for p in both.problems), both.problems


def test_the_handbook_prints_a_party_cell_as_the_whole_party(allied: Package) -> None:
    handbook = render_document(_brenland_cell(allied), HANDBOOK)
    assert "Party: Kingdom of Brenland (all its teams)" in handbook
    korean = render_document(_brenland_cell(allied), HANDBOOK, lang="ko")
    assert "(소속 모든 팀)" in korean
