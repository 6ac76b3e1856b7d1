"""A scripted simulated cell plays a matrix-game actor: it states the script's argument when a
turn opens (its own position when the script has none), as a person of its team could, held
for control in approval mode; a script naming a turn or actor the game lacks is an error."""

from __future__ import annotations

import pytest

from sitroom.conduct import commands as cmd
from sitroom.conduct import gamecommands as gcmd
from sitroom.conduct.principal import Principal, Role
from sitroom.package.examples import example_path
from sitroom.package.load import load_text
from sitroom.package.model import Package
from sitroom.package.validate import check_package
from sitroom.services.cells.follower import cells_of
from sitroom.services.followers import FollowerLoop
from sitroom.services.runs import Engine
from sitroom.storage.cursors import MemoryCursorStore
from sitroom.storage.memory import MemoryRecorder

FAC = Principal("account:fac", Role.FACILITATOR, "Umpire")
CELLS = """
cells:
  - team: cor-ministry
    persona:
      positions: [Corvania's inspection rules are lawful and stay.]
    script:
      arguments:
        - turn: 1
          action: Corvania invites Brenland alone to technical talks
          result: Brenland leaves Aldoria's side
          reasons: Brenland's election makes a quick deal attractive
          audience: [brenland]
          secret: true
"""


def _text() -> str:
    return (example_path("strait-matrix") / "exercise.yaml").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def package() -> Package:
    loaded = load_text(_text() + CELLS)
    assert loaded.package is not None
    problems = check_package(loaded.package, loaded.source, require_attachments=False)
    assert [p for p in problems if p.is_error] == []
    return loaded.package


def _turn(engine: Engine, run_id: str, package: Package, turn: int) -> None:
    engine.handle(run_id, gcmd.OpenTurn(turn), FAC)
    loop = FollowerLoop(engine, MemoryCursorStore())
    for cell in cells_of(package, engine.package, seed=3):
        loop.round(cell, run_id)


def test_a_scripted_cell_states_its_argument_when_a_turn_opens(package: Package) -> None:
    engine = Engine(MemoryRecorder())
    run_id = engine.create_run(package, run_id="cells").id
    engine.handle(run_id, cmd.StartRun(), FAC)
    _turn(engine, run_id, package, 1)
    [argument] = engine.state(run_id).game.arguments.values()
    assert argument.author == "cell:cor-ministry" and argument.actor == "corvania"
    assert argument.secret and argument.audience == ("corvania", "brenland")
    assert argument.action == "Corvania invites Brenland alone to technical talks"
    assert "cell-acted" in [e.type for e in engine.read(run_id)]
    _turn(engine, run_id, package, 2)  # no scripted argument: the cell holds its position
    second = [a for a in engine.state(run_id).game.arguments.values() if a.turn == 2]
    assert [a.action for a in second] == ["Corvania's inspection rules are lawful and stay."]


def test_in_approval_mode_the_argument_waits_for_control(package: Package) -> None:
    engine = Engine(MemoryRecorder())
    run_id = engine.create_run(package, run_id="held").id
    engine.handle(run_id, cmd.StartRun(), FAC)
    engine.handle(run_id, cmd.SetCellMode("cor-ministry", "approval"), FAC)
    _turn(engine, run_id, package, 1)
    state = engine.state(run_id)
    assert state.game.arguments == {}
    [held] = [h for h in state.cell_held.values() if h.action == "submit-argument"]
    engine.handle(run_id, cmd.ReleaseCellAction(held.id, "Corvania proposes talks"), FAC)
    [argument] = engine.state(run_id).game.arguments.values()
    assert argument.action == "Corvania proposes talks" and argument.secret


def test_a_script_naming_a_turn_or_actor_the_game_lacks_is_an_error() -> None:
    broken = (CELLS.replace("turn: 1", "turn: 9")).replace("[brenland]", "[atlantis]")
    loaded = load_text(_text() + broken)
    assert loaded.package is not None
    problems = check_package(loaded.package, loaded.source, require_attachments=False)
    found = {(p.code, p.message) for p in problems if p.is_error}
    assert ("unknown-reference", "unknown game turn '9' in cell 'cor-ministry'") in found
    assert ("unknown-reference", "unknown actor 'atlantis' in cell 'cor-ministry'") in found
