"""The gate's lists of a run's state say what ``view_event`` says of the events they come from,
and the roles that hold more than a player are decided in one place."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from sitroom.conduct import commands as cmd
from sitroom.conduct import events as ev
from sitroom.conduct.principal import Principal, Role
from sitroom.conduct.run import Context, decide
from sitroom.conduct.state import Recorded, RunState, apply
from sitroom.conduct.visibility import (
    can_plan,
    can_see_inject_now,
    is_admin,
    is_control,
    is_room_display,
    is_staff,
    sees_all_observations,
    view_event,
    visible_broadcasts,
    visible_decisions,
    visible_hot_wash,
    visible_injects,
    visible_modules,
    visible_notes,
    visible_observations,
    visible_polls,
    visible_responses,
)
from sitroom.package.load import load_text
from tests.support.packages import TWO_PARTIES

ADMIN = Principal("account:admin", Role.ADMIN)
FAC = Principal("account:fac", Role.FACILITATOR)
EVAL = Principal("invite:eval", Role.EVALUATOR)
OBS = Principal("invite:obs", Role.OBSERVER)
ALD_OBS = Principal("invite:ald-obs", Role.OBSERVER, team="ald-nsc", party="ald")
DISPLAY = Principal("invite:display", Role.DISPLAY)
ALD = Principal("invite:ald", Role.PLAYER, team="ald-nsc", party="ald")
BRN = Principal("invite:brn", Role.PLAYER, team="brn-nsc", party="brn")
EVERYONE = (ADMIN, FAC, EVAL, OBS, ALD_OBS, DISPLAY, ALD, BRN)
NOW = datetime(2027, 3, 4, 9, 0, tzinfo=UTC)

PACKAGE = (
    TWO_PARTIES
    + """    polls:
      - id: p2
        question: {en: Later, ko: 나중}
        options: [{id: a, text: {en: A, ko: 가}}, {id: b, text: {en: B, ko: 나}}]
"""
)


class Run:
    """A run folded in memory."""

    def __init__(self) -> None:
        result = load_text(PACKAGE, "duo.yaml")
        assert result.package is not None, [str(p) for p in result.problems]
        self.state = RunState.initial("r", result.package)
        self.log: list[Recorded] = []

    def do(self, command: cmd.Command, who: Principal) -> None:
        for event in decide(self.state, command, who, Context(NOW, f"id-{len(self.log)}")):
            recorded = Recorded(self.state.seq + 1, NOW, event, who.id)
            apply(self.state, recorded)
            self.log.append(recorded)

    def shown_by_view_event(self, who: Principal, kind: type[ev.Event]) -> set[str]:
        package, shown = self.state.package, set()
        for r in self.log:
            if isinstance(r.event, kind) and view_event(who, package, r.event, actor=r.actor):
                shown.add(str(getattr(r.event, "id", r.seq)))
        return shown


@pytest.fixture
def run() -> Run:
    run = Run()
    run.do(cmd.StartRun(), FAC)
    run.do(cmd.ReleaseInject("1"), FAC)
    run.do(cmd.ReleaseInject("2"), FAC)
    run.do(cmd.BroadcastUpdate({"en": "to Aldoria"}, (), ("ald",)), FAC)
    run.do(cmd.BroadcastUpdate({"en": "to all"}), FAC)
    run.do(cmd.SubmitResponse("inject", "2", "ours"), ALD)
    run.do(cmd.SubmitResponse("question", "q1", "theirs"), BRN)
    run.do(cmd.AddTeamNote("a note"), ALD)
    run.do(cmd.ProposeDecision("Ours", "national"), ALD)
    run.do(cmd.ProposeDecision("Joint", "together", ("ald",)), BRN)
    run.do(cmd.RecordObservation("seen"), EVAL)
    run.do(cmd.AddHotWashItem("strength", "to Aldoria's staff", team="ald-nsc"), EVAL)
    run.do(cmd.AddHotWashItem("strength", "to Brenland", party="brn"), FAC)
    run.do(cmd.AddHotWashItem("improvement", "to the room"), FAC)
    return run


VISIBLE: list[tuple[Callable[[Principal, RunState], list[Any]], type[ev.Event]]] = [
    (visible_responses, ev.ResponseSubmitted),
    (visible_notes, ev.TeamNoteAdded),
    (visible_observations, ev.ObservationRecorded),
    (visible_decisions, ev.DecisionProposed),
    (visible_broadcasts, ev.UpdateBroadcast),
    (visible_hot_wash, ev.HotWashItemAdded),
]


@pytest.mark.parametrize(("listed", "kind"), VISIBLE, ids=lambda x: getattr(x, "__name__", ""))
@pytest.mark.parametrize("who", EVERYONE, ids=lambda p: p.id)
def test_each_list_of_the_state_agrees_with_the_events_gate(
    run: Run, who: Principal, listed: Callable[[Principal, RunState], list[Any]], kind: type
) -> None:
    assert {item.id for item in listed(who, run.state)} == run.shown_by_view_event(who, kind)


def test_a_scoped_hot_wash_item_reaches_only_its_team_or_party(run: Run) -> None:
    def said_to(who: Principal) -> list[str]:
        return [i.text for i in visible_hot_wash(who, run.state)]

    everything = ["to Aldoria's staff", "to Brenland", "to the room"]
    for who in (ADMIN, FAC, EVAL):
        assert said_to(who) == everything
    assert said_to(ALD) == said_to(ALD_OBS) == ["to Aldoria's staff", "to the room"]
    assert said_to(BRN) == ["to Brenland", "to the room"]
    assert said_to(OBS) == said_to(DISPLAY) == ["to the room"]


def test_polls_and_questions_of_a_module_not_yet_opened_are_control_material(run: Run) -> None:
    def polls(who: Principal) -> list[str]:
        return [poll.id for _, poll, _ in visible_polls(who, run.state)]

    assert polls(FAC) == polls(EVAL) == ["p1", "p2"]
    assert polls(ALD) == polls(BRN) == polls(DISPLAY) == ["p1"]
    assert [m.id for m in visible_modules(ALD, run.state)] == ["m1"]
    assert [m.id for m in visible_modules(EVAL, run.state)] == ["m1", "m2"]
    run.do(cmd.OpenPoll("p2"), FAC)  # control may open a poll early: then it is out
    assert polls(ALD) == ["p1", "p2"]
    run.do(cmd.OpenModule("m2"), FAC)
    assert [m.id for m in visible_modules(BRN, run.state)] == ["m1", "m2"]


def test_a_planned_inject_is_control_material(run: Run) -> None:
    def injects(who: Principal) -> list[str]:
        return [i.number for i, _ in visible_injects(who, run.state)]

    assert injects(FAC) == injects(EVAL) == ["1", "2", "3", "4"]
    assert injects(ALD) == ["1", "2"]
    assert injects(BRN) == injects(OBS) == injects(DISPLAY) == ["1"]
    planned = run.state.package.inject("4")
    assert planned is not None
    assert not can_see_inject_now(BRN, run.state, planned)
    run.do(cmd.ReleaseInject("4"), FAC)
    assert can_see_inject_now(BRN, run.state, planned)


@pytest.mark.parametrize(
    ("who", "control", "staff", "admin", "display"),
    [
        (ADMIN, True, True, True, False),
        (FAC, True, True, False, False),
        (EVAL, False, True, False, False),
        (OBS, False, False, False, False),
        (DISPLAY, False, False, False, True),
        (ALD, False, False, False, False),
    ],
    ids=lambda x: x.id if isinstance(x, Principal) else str(x),
)
def test_roles_that_hold_more_than_a_player(
    who: Principal, control: bool, staff: bool, admin: bool, display: bool
) -> None:
    assert (is_control(who), is_staff(who), is_admin(who)) == (control, staff, admin)
    assert is_room_display(who) == display
    assert sees_all_observations(who) == staff == who.sees_control_material
    assert can_plan(who, invited=False) == control
    assert not can_plan(who, invited=True), "an invitation opens only its run, never design"
