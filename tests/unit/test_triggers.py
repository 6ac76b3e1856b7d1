"""Triggers, milestones and choices on an in-memory log: the condition evaluator, the
handlers' rules, and the triggers follower meeting each trigger once when its condition holds."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from sitroom.conduct import commands as cmd
from sitroom.conduct.branching import TriggerStatus
from sitroom.conduct.conditions import became, deadline, holds, scenario_deadline
from sitroom.conduct.principal import Principal, Role
from sitroom.conduct.run import Rejected
from sitroom.package.conditions import (
    ConditionSyntaxError,
    format_condition,
    parse_condition,
)
from sitroom.reports.html import render_html
from sitroom.reports.model import model_data
from sitroom.services.followers import FollowerLoop
from sitroom.services.runs import Engine
from sitroom.services.triggers import TRIGGERS, Triggers
from sitroom.storage.cursors import MemoryCursorStore
from sitroom.storage.memory import MemoryRecorder
from tests.support.packages import branching

FAC = Principal("account:fac", Role.FACILITATOR, "Fac")
ALD = Principal("invite:ald1", Role.PLAYER, "Ald player", team="ald-nsc", party="ald")
BRN = Principal("invite:brn1", Role.PLAYER, "Brn player", team="brn-nsc", party="brn")


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2027, 3, 4, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, minutes: float) -> None:
        self.now += timedelta(minutes=minutes)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def engine(clock: Clock) -> Engine:
    return Engine(MemoryRecorder(clock=clock), clock=clock)


def started(engine: Engine) -> str:
    run_id = engine.create_run(branching(), run_id="branches").id
    engine.handle(run_id, cmd.StartRun(), FAC)
    engine.handle(run_id, cmd.OpenModule("m1"), FAC)
    return run_id


def propose(engine: Engine, run_id: str) -> str:
    engine.handle(run_id, cmd.ProposeDecision("Joint statement", "", joint_with=("ald",)), BRN)
    return next(iter(engine.state(run_id).decisions))


def cond(text: str) -> object:
    return parse_condition(text)


def follow(engine: Engine, loop: FollowerLoop, run_id: str) -> int:
    return loop.round(Triggers(), run_id)


def met(engine: Engine, run_id: str) -> list[str]:
    return [e.payload["trigger"] for e in engine.read(run_id, after=0) if e.type == "trigger-met"]


# --- the compact syntax ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "released(1.2)",
        "not-answered(2.3, within=30m, by=ald-nss)",
        "all(module(day2), any(milestone(x), poll(p1, wins=yes)))",
        "not-concurred(by=brn, with=ald, within=1h30m, after=module:day2)",
        "poll(p1, confidence-below=2.5)",
        "choice(2.4, is=joint-only)",
        "not-answered(2.3, before=2027-03-04T09:30Z)",
        "not-concurred(with=ald, before=041000ZMAR27)",
    ],
)
def test_condition_text_round_trips(text: str) -> None:
    assert format_condition(parse_condition(text)) == text
    assert parse_condition(format_condition(parse_condition(text))) == parse_condition(text)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "empty"),
        ("relased(1)", "unknown fact 'relased'"),
        ("not-answered(1)", "needs a deadline: within="),
        ("not-answered(1, within=1h, before=2027-03-04T10:00Z)", "give one deadline"),
        ("not-answered(1, before=tomorrow)", "not a scenario time"),
        ("concurred(with=ald, before=041000ZMAR)", "before=041000ZMAR"),
        ("not-answered(1, within=soon)", "not a duration"),
        ("answered(1, who=x)", "unknown argument 'who'"),
        ("concurred(with=ald, within=1h)", "go together"),
        ("concurred(with=ald, within=1h, after=day2)", "module:<id>"),
        ("poll(p1)", "exactly one of"),
        ("all(released(1)", "expected ')'"),
        ("released(1) extra", "unexpected 'extra'"),
        ("released(1, 2)", "name=value"),
        ("milestone()", "needs the milestone"),
    ],
)
def test_bad_condition_says_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(ConditionSyntaxError, match=re.escape(says)):
        parse_condition(text)


# --- the evaluator --------------------------------------------------------------------------


def test_released_and_acknowledged_become_true_at_their_events(engine: Engine) -> None:
    run_id = started(engine)
    state = engine.state(run_id)
    assert became(cond("released(1)"), state, state.started_at) is None  # type: ignore[arg-type]
    engine.handle(run_id, cmd.ReleaseInject("1"), FAC)
    engine.handle(run_id, cmd.AcknowledgeInject("1"), ALD)
    state = engine.state(run_id)
    release, ack = state.injects["1"].released_seq, state.seq
    now = datetime.now(UTC) + timedelta(days=1)
    assert became(cond("released(1)"), state, now).event_seq == release  # type: ignore[union-attr]
    assert became(cond("acknowledged(1)"), state, now).event_seq == ack  # type: ignore[union-attr]
    assert became(cond("acknowledged(1, by=ald-nsc)"), state, now) is not None
    assert became(cond("acknowledged(1, by=brn-nsc)"), state, now) is None


def test_not_acknowledged_counts_exercise_time_and_stops_during_a_pause(
    engine: Engine, clock: Clock
) -> None:
    run_id = started(engine)
    engine.handle(run_id, cmd.ReleaseInject("1"), FAC)
    released = clock.now
    condition = cond("not-acknowledged(1, within=20m)")
    clock.advance(10)
    engine.handle(run_id, cmd.PauseRun(), FAC)
    clock.advance(30)  # paused: the clock of the exercise stands still
    assert not holds(condition, engine.state(run_id), clock.now)  # type: ignore[arg-type]
    engine.handle(run_id, cmd.ResumeRun(), FAC)
    clock.advance(9)
    assert not holds(condition, engine.state(run_id), clock.now)  # type: ignore[arg-type]
    clock.advance(2)
    moment = became(condition, engine.state(run_id), clock.now)  # type: ignore[arg-type]
    assert moment is not None and moment.event_seq is None
    assert moment.at == released + timedelta(minutes=50)
    assert deadline(engine.state(run_id), released, timedelta(minutes=20)) == moment.at


def test_an_acknowledgement_in_time_means_not_acknowledged_never_holds(
    engine: Engine, clock: Clock
) -> None:
    run_id = started(engine)
    engine.handle(run_id, cmd.ReleaseInject("1"), FAC)
    clock.advance(19)
    engine.handle(run_id, cmd.AcknowledgeInject("1"), BRN)
    clock.advance(300)
    assert not holds(cond("not-acknowledged(1, within=20m)"), engine.state(run_id), clock.now)  # type: ignore[arg-type]
    assert holds(cond("not-answered(1, within=20m)"), engine.state(run_id), clock.now)  # type: ignore[arg-type]


def test_what_happens_exactly_at_the_deadline_is_late(engine: Engine, clock: Clock) -> None:
    run_id = started(engine)
    engine.handle(run_id, cmd.ReleaseInject("1"), FAC)
    clock.advance(20)
    condition = cond("not-acknowledged(1, within=20m)")
    assert holds(condition, engine.state(run_id), clock.now)  # type: ignore[arg-type]
    engine.handle(run_id, cmd.AcknowledgeInject("1"), BRN)  # at the deadline: too late
    assert holds(condition, engine.state(run_id), clock.now)  # type: ignore[arg-type]


def test_concurrence_and_refusal(engine: Engine, clock: Clock) -> None:
    run_id = started(engine)
    decision = propose(engine, run_id)
    state = engine.state(run_id)
    assert holds(cond("proposed(by=brn, with=ald)"), state, clock.now)  # type: ignore[arg-type]
    assert not holds(cond("proposed(by=ald)"), state, clock.now)  # type: ignore[arg-type]
    refusal = cond("not-concurred(with=ald, within=30m, after=module:m1)")
    assert not holds(refusal, state, clock.now)  # type: ignore[arg-type]
    engine.handle(run_id, cmd.AnswerDecision(decision, concur=False, reasons="Not yet"), ALD)
    state = engine.state(run_id)
    assert became(refusal, state, clock.now).event_seq == state.seq  # type: ignore[arg-type,union-attr]
    assert not holds(cond("concurred(with=ald)"), state, clock.now)  # type: ignore[arg-type]


def test_a_missed_deadline_is_a_refusal_and_a_late_concurrence_does_not_undo_it(
    engine: Engine, clock: Clock
) -> None:
    run_id = started(engine)
    decision = propose(engine, run_id)
    refusal = cond("not-concurred(with=ald, within=30m, after=module:m1)")
    in_time = cond("concurred(with=ald, within=30m, after=module:m1)")
    clock.advance(31)
    assert holds(refusal, engine.state(run_id), clock.now)  # type: ignore[arg-type]
    engine.handle(run_id, cmd.AnswerDecision(decision, concur=True), ALD)
    state = engine.state(run_id)
    assert holds(refusal, state, clock.now)  # type: ignore[arg-type]
    assert not holds(in_time, state, clock.now)  # type: ignore[arg-type]
    assert holds(cond("concurred(with=ald)"), state, clock.now)  # type: ignore[arg-type]


# --- deadlines in scenario time -------------------------------------------------------------


def test_a_scenario_time_deadline_passes_when_the_scenario_clock_reaches_it(
    engine: Engine, clock: Clock
) -> None:
    run_id = started(engine)  # m1's scenario starts at 09:00 when it opens at 09:00
    engine.handle(run_id, cmd.ReleaseInject("1"), FAC)
    condition = cond("not-answered(1, before=2027-03-04T09:30Z)")
    clock.advance(10)
    engine.handle(run_id, cmd.PauseRun(), FAC)
    clock.advance(60)  # a pause stops the scenario clock too
    engine.handle(run_id, cmd.ResumeRun(), FAC)
    clock.advance(19)
    assert not holds(condition, engine.state(run_id), clock.now)  # type: ignore[arg-type]
    clock.advance(2)
    moment = became(condition, engine.state(run_id), clock.now)  # type: ignore[arg-type]
    assert moment is not None and moment.event_seq is None
    assert moment.at == datetime(2027, 3, 4, 10, 30, tzinfo=UTC)  # 09:30 scenario + the pause
    assert scenario_deadline(engine.state(run_id), datetime(2027, 3, 4, 9, 30)) == moment.at


def test_compression_brings_a_scenario_deadline_nearer(clock: Clock) -> None:
    engine = Engine(MemoryRecorder(clock=clock), clock=clock)
    run_id = engine.create_run(branching(), run_id="fast").id
    engine.handle(run_id, cmd.StartRun(compression=4.0), FAC)
    engine.handle(run_id, cmd.OpenModule("m1"), FAC)
    engine.handle(run_id, cmd.ReleaseInject("1"), FAC)
    clock.advance(16)  # 64 scenario minutes
    moment = became(
        cond("not-acknowledged(1, before=041000ZMAR27)"), engine.state(run_id), clock.now
    )  # type: ignore[arg-type]
    assert moment is not None and moment.at == datetime(2027, 3, 4, 9, 15, tzinfo=UTC)


def test_opening_a_later_module_jumps_the_scenario_clock_past_the_deadline(
    engine: Engine, clock: Clock
) -> None:
    run_id = started(engine)
    engine.handle(run_id, cmd.ReleaseInject("1"), FAC)
    clock.advance(5)
    condition = cond("not-answered(1, before=2027-03-04T18:00Z)")
    assert not holds(condition, engine.state(run_id), clock.now)  # type: ignore[arg-type]
    engine.handle(run_id, cmd.OpenModule("m2"), FAC)  # m2 begins the next day
    moment = became(condition, engine.state(run_id), clock.now)  # type: ignore[arg-type]
    assert moment is not None and moment.at == clock.now
    engine.handle(run_id, cmd.OpenModule("m1"), FAC)  # going back does not undo it
    assert became(condition, engine.state(run_id), clock.now + timedelta(hours=1)) == moment  # type: ignore[arg-type]


def test_concurrence_by_a_scenario_deadline(engine: Engine, clock: Clock) -> None:
    run_id = started(engine)
    decision = propose(engine, run_id)
    in_time = cond("concurred(with=ald, before=2027-03-04T09:30Z)")
    refusal = cond("not-concurred(with=ald, before=2027-03-04T09:30Z)")
    clock.advance(20)
    engine.handle(run_id, cmd.AnswerDecision(decision, concur=True), ALD)
    state = engine.state(run_id)
    assert became(in_time, state, clock.now).event_seq == state.seq  # type: ignore[arg-type,union-attr]
    clock.advance(60)
    assert not holds(refusal, engine.state(run_id), clock.now)  # type: ignore[arg-type]


def test_no_concurrence_by_a_scenario_deadline_is_a_refusal(engine: Engine, clock: Clock) -> None:
    run_id = started(engine)
    decision = propose(engine, run_id)
    refusal = cond("not-concurred(with=ald, before=2027-03-04T09:30Z)")
    clock.advance(29)
    assert not holds(refusal, engine.state(run_id), clock.now)  # type: ignore[arg-type]
    clock.advance(2)
    assert became(refusal, engine.state(run_id), clock.now).at == datetime(
        2027, 3, 4, 9, 30, tzinfo=UTC
    )  # type: ignore[arg-type,union-attr]
    engine.handle(run_id, cmd.AnswerDecision(decision, concur=True), ALD)  # too late
    state = engine.state(run_id)
    assert holds(refusal, state, clock.now)  # type: ignore[arg-type]
    assert not holds(cond("concurred(with=ald, before=2027-03-04T09:30Z)"), state, clock.now)  # type: ignore[arg-type]


def test_poll_milestone_module_and_combinations(engine: Engine, clock: Clock) -> None:
    run_id = started(engine)
    engine.handle(run_id, cmd.OpenPoll("p1"), FAC)
    engine.handle(run_id, cmd.CastVote("p1", ("yes",), confidence=2), ALD)
    engine.handle(run_id, cmd.CastVote("p1", ("yes",), confidence=3), BRN)
    engine.handle(run_id, cmd.ClosePoll("p1"), FAC)
    state = engine.state(run_id)
    now = clock.now
    assert holds(cond("poll(p1, wins=yes)"), state, now)  # type: ignore[arg-type]
    assert not holds(cond("poll(p1, wins=no)"), state, now)  # type: ignore[arg-type]
    assert holds(cond("poll(p1, confidence-below=3)"), state, now)  # type: ignore[arg-type]
    assert not holds(cond("poll(p1, confidence-below=2.5)"), state, now)  # type: ignore[arg-type]
    assert holds(cond("module(m1)"), state, now)  # type: ignore[arg-type]
    assert not holds(cond("milestone(acc)"), state, now)  # type: ignore[arg-type]
    engine.handle(run_id, cmd.ReachMilestone("acc"), FAC)
    state = engine.state(run_id)
    both = cond("all(milestone(acc), poll(p1, wins=yes))")
    assert became(both, state, now).event_seq == state.seq  # type: ignore[arg-type,union-attr]
    either = cond("any(milestone(acc), module(m2), poll(p1, wins=yes))")
    assert became(either, state, now).event_seq == state.seq - 1  # type: ignore[arg-type,union-attr]
    assert not holds(cond("all(milestone(acc), module(m2))"), state, now)  # type: ignore[arg-type]


def test_a_joint_choice_settles_when_both_parties_pick_the_same(engine: Engine) -> None:
    run_id = started(engine)
    engine.handle(run_id, cmd.ReleaseInject("4"), FAC)
    engine.handle(run_id, cmd.MakeChoice("4", "b"), ALD)
    engine.handle(run_id, cmd.MakeChoice("4", "a"), BRN)
    assert engine.state(run_id).branches.choices["4"].settled is None
    engine.handle(run_id, cmd.MakeChoice("4", "a"), ALD)
    state = engine.state(run_id)
    assert state.branches.choices["4"].settled == "a"
    assert holds(cond("choice(4, is=a)"), state, datetime.now(UTC))  # type: ignore[arg-type]
    with pytest.raises(Rejected, match="settled"):
        engine.handle(run_id, cmd.MakeChoice("4", "b"), BRN)
    with pytest.raises(Rejected, match="no option 'c'"):
        engine.handle(run_id, cmd.MakeChoice("4", "c"), BRN)
    with pytest.raises(Rejected) as unseen:
        engine.handle(run_id, cmd.MakeChoice("2", "a"), BRN)  # inject 2 is Aldoria's only
    assert unseen.value.status == 404


# --- the handlers ---------------------------------------------------------------------------


def test_meet_trigger_refuses_a_condition_that_does_not_hold_or_a_second_time(
    engine: Engine,
) -> None:
    run_id = started(engine)
    with pytest.raises(Rejected, match="does not hold"):
        engine.handle(run_id, cmd.MeetTrigger("inject:8"), TRIGGERS)
    engine.handle(run_id, cmd.ReachMilestone("acc"), FAC)
    engine.handle(run_id, cmd.MeetTrigger("inject:8"), TRIGGERS)
    with pytest.raises(Rejected, match="met already"):
        engine.handle(run_id, cmd.MeetTrigger("inject:8"), TRIGGERS)
    with pytest.raises(Rejected) as players:
        engine.handle(run_id, cmd.MeetTrigger("inject:8"), ALD)
    assert players.value.status == 403
    with pytest.raises(Rejected, match="reached already"):
        engine.handle(run_id, cmd.ReachMilestone("acc"), FAC)


def test_a_trigger_whose_inject_went_out_by_hand_is_not_met(engine: Engine) -> None:
    run_id = started(engine)
    engine.handle(run_id, cmd.ReleaseInject("8"), FAC)
    engine.handle(run_id, cmd.ReachMilestone("acc"), FAC)
    with pytest.raises(Rejected, match="done already"):
        engine.handle(run_id, cmd.MeetTrigger("inject:8"), TRIGGERS)


# --- the follower ---------------------------------------------------------------------------


def test_a_firing_trigger_releases_with_the_condition_that_fired_it(
    engine: Engine, clock: Clock
) -> None:
    run_id = started(engine)
    loop = FollowerLoop(engine, MemoryCursorStore())
    engine.handle(run_id, cmd.ReleaseInject("1"), FAC)
    assert follow(engine, loop, run_id) == 0
    clock.advance(21)
    assert follow(engine, loop, run_id) == 1
    assert follow(engine, loop, run_id) == 0
    state = engine.state(run_id)
    assert state.injects["7"].how == "trigger"
    fired = state.branches.triggers["inject:7"]
    assert fired.status == TriggerStatus.FIRED
    assert fired.condition == "not-acknowledged(1, within=20m)"
    assert fired.since_seq is None


def test_a_proposing_trigger_waits_for_control_and_one_click_releases_it(
    engine: Engine, clock: Clock
) -> None:
    run_id = started(engine)
    loop = FollowerLoop(engine, MemoryCursorStore())
    decision = propose(engine, run_id)
    engine.handle(run_id, cmd.AnswerDecision(decision, concur=False, reasons="No"), ALD)
    follow(engine, loop, run_id)
    state = engine.state(run_id)
    assert [p.trigger for p in state.branches.proposals()] == ["inject:5"]
    assert state.injects["5"].status == "planned"
    assert state.branches.triggers["inject:5"].since_seq == state.seq - 1
    engine.handle(run_id, cmd.AnswerTrigger("inject:5", accept=True), FAC)
    state = engine.state(run_id)
    assert state.injects["5"].how == "trigger"
    assert state.branches.proposals() == []
    with pytest.raises(Rejected):
        engine.handle(run_id, cmd.AnswerTrigger("inject:5", accept=False), FAC)


def test_a_dismissed_proposal_is_never_proposed_again(engine: Engine, clock: Clock) -> None:
    run_id = started(engine)
    loop = FollowerLoop(engine, MemoryCursorStore())
    clock.advance(31)  # no concurrence by the deadline
    follow(engine, loop, run_id)
    engine.handle(run_id, cmd.AnswerTrigger("inject:5", accept=False, reason="Not today"), FAC)
    clock.advance(60)
    assert follow(engine, loop, run_id) == 0
    assert met(engine, run_id) == ["inject:5"]
    assert engine.state(run_id).injects["5"].status == "planned"


def test_concurrence_fires_the_other_branch_and_reaches_the_milestone(engine: Engine) -> None:
    run_id = started(engine)
    loop = FollowerLoop(engine, MemoryCursorStore())
    decision = propose(engine, run_id)
    engine.handle(run_id, cmd.AnswerDecision(decision, concur=True), ALD)
    follow(engine, loop, run_id)
    state = engine.state(run_id)
    assert sorted(met(engine, run_id)) == ["inject:6", "milestone:agreed"]
    assert state.injects["6"].how == "trigger"
    assert state.branches.milestones["agreed"].trigger == "milestone:agreed"
    assert "inject:5" not in state.branches.triggers


def test_a_chain_of_triggers_each_fires_once(engine: Engine) -> None:
    run_id = started(engine)
    loop = FollowerLoop(engine, MemoryCursorStore())
    engine.handle(run_id, cmd.ReachMilestone("acc"), FAC)
    engine.handle(run_id, cmd.OpenModule("m2"), FAC)
    engine.handle(run_id, cmd.ReleaseInject("4"), FAC)
    engine.handle(run_id, cmd.MakeChoice("4", "a"), ALD)
    engine.handle(run_id, cmd.MakeChoice("4", "a"), BRN)
    for _ in range(3):
        follow(engine, loop, run_id)
    assert sorted(met(engine, run_id)) == ["inject:8", "inject:9"]


def test_nothing_is_met_before_the_run_starts_or_after_it_ends(
    engine: Engine, clock: Clock
) -> None:
    run_id = engine.create_run(branching(), run_id="idle").id
    loop = FollowerLoop(engine, MemoryCursorStore())
    assert follow(engine, loop, run_id) == 0
    engine.handle(run_id, cmd.StartRun(), FAC)
    engine.handle(run_id, cmd.EndRun(), FAC)
    clock.advance(600)
    assert follow(engine, loop, run_id) == 0


# --- the AAR --------------------------------------------------------------------------------


def test_the_complete_aar_says_when_each_milestone_was_reached_and_which_branch_was_played(
    engine: Engine, clock: Clock
) -> None:
    run_id = started(engine)
    loop = FollowerLoop(engine, MemoryCursorStore())
    decision = propose(engine, run_id)
    clock.advance(5)
    engine.handle(run_id, cmd.AnswerDecision(decision, concur=True), ALD)
    follow(engine, loop, run_id)
    complete = engine.report(run_id).model.timeline
    milestone = next(i for i in complete if i.kind == "milestone")
    assert milestone.ref == "agreed" and milestone.label == {
        "en": "Joint statement agreed",
        "ko": "공동성명 합의",
    }
    assert milestone.clock == pytest.approx(300)
    branch = next(i for i in complete if i.kind == "branch")
    assert branch.ref == "6" and branch.text == "concurred(with=ald)"
    rows = {m.id: m for m in engine.report(run_id).model.milestones}
    assert rows["agreed"].clock == pytest.approx(300) and rows["agreed"].trigger
    assert rows["agreed"].objectives == ("o1",) and rows["acc"].seq is None
    for party in ("ald", "brn"):  # a party's AAR leaves control material out
        model = engine.report(run_id, (party,)).model
        assert not {i.kind for i in model.timeline} & {"milestone", "branch"}
        assert model.milestones == ()
        assert "milestones" not in model_data(model)
    html = render_html(engine.report(run_id), lang="en")
    assert "Joint statement agreed" in html and "Milestone reached" in html


def test_a_module_trigger_opens_its_module(clock: Clock) -> None:
    import yaml

    from sitroom.package.dump import _Dumper, to_data
    from sitroom.package.load import load_text
    from tests.support.packages import two_parties

    data = to_data(two_parties())
    data["modules"][1]["trigger"] = {"when": "answered(1, by=ald-nsc)", "mode": "fires"}
    loaded = load_text(yaml.dump(data, Dumper=_Dumper, sort_keys=False), "m.yaml")
    assert loaded.package is not None, [str(p) for p in loaded.problems]
    engine = Engine(MemoryRecorder(clock=clock), clock=clock)
    run_id = engine.create_run(loaded.package, run_id="modules").id
    engine.handle(run_id, cmd.StartRun(), FAC)
    engine.handle(run_id, cmd.OpenModule("m1"), FAC)
    engine.handle(run_id, cmd.ReleaseInject("1"), FAC)
    loop = FollowerLoop(engine, MemoryCursorStore())
    follow(engine, loop, run_id)
    assert engine.state(run_id).module == "m1"
    engine.handle(run_id, cmd.SubmitResponse("inject", "1", "We call at once."), ALD)
    follow(engine, loop, run_id)
    state = engine.state(run_id)
    assert state.module == "m2" and met(engine, run_id) == ["module:m2"]
