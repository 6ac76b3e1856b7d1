"""Analytics of a scripted run with known timings, through the engine on a real SQLite log."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from sitroom.conduct import commands as cmd
from sitroom.conduct.principal import Principal, Role
from sitroom.conduct.state import DecisionStatus, RunState, fold
from sitroom.evaluation import analytics
from sitroom.package.load import load_text
from sitroom.package.model import Package
from sitroom.services.runs import Engine, to_recorded
from sitroom.storage.factory import open_recorder
from tests.support.packages import TWO_PARTIES

FAC = Principal("account:fac", Role.FACILITATOR, "Fac")
EVAL = Principal("invite:eval", Role.EVALUATOR, "Eval")
ALD = Principal("invite:ald1", Role.PLAYER, "Ald 1", team="ald-nsc", party="ald")
ALD2 = Principal("invite:ald2", Role.PLAYER, "Ald 2", team="ald-nsc", party="ald")
BRN = Principal("invite:brn1", Role.PLAYER, "Brn", team="brn-nsc", party="brn")
MIN = timedelta(minutes=1)


def wider_package() -> Package:
    """The two-party package with a second clause and a second objective nobody exercises."""
    text = TWO_PARTIES.replace(
        '      - {id: "1.1", text: {en: Consult early., ko: 조기에 협의한다.}}\n',
        '      - {id: "1.1", text: {en: Consult early., ko: 조기에 협의한다.}}\n'
        '      - {id: "1.2", text: {en: Inform the public., ko: 대중에 알린다.}}\n',
    ).replace(
        "objectives:\n",
        "objectives:\n  - id: o2\n    text: {en: Inform the public., ko: 대중에 알린다.}\n",
    )
    result = load_text(text, "wider.yaml")
    assert result.package is not None, [str(p) for p in result.problems]
    return result.package


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2027, 3, 4, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunState]:
    clock = FakeClock()
    recorder = open_recorder(
        f"sqlite:///{tmp_path_factory.mktemp('analytics') / 'runs.db'}", clock=clock
    )
    engine = Engine(recorder, clock=clock)
    run = engine.create_run(wider_package(), run_id="scripted").id

    def at(minutes: int, command: cmd.Command, who: Principal) -> list[int]:
        clock.now += minutes * MIN
        return [e.seq for e in engine.handle(run, command, who).events]

    at(0, cmd.StartRun(), FAC)  # 09:00 seq 1, 2 (m1 opened)
    at(5, cmd.ReleaseInject("1"), FAC)  # 09:05 seq 3
    at(2, cmd.SubmitResponse("inject", "1", "we call Brenland"), ALD)  # 09:07 seq 4
    at(0, cmd.SubmitResponse("inject", "1", "and again"), ALD2)  # seq 5: not the first
    at(3, cmd.PauseRun(), FAC)  # 09:10 seq 6
    at(10, cmd.ResumeRun(), FAC)  # 09:20 seq 7
    at(1, cmd.SubmitResponse("inject", "1", "noted"), BRN)  # 09:21 seq 8
    (proposal,) = at(
        4,
        cmd.ProposeDecision("Joint statement", "Issue it", ("brn",), ("guide/1.1",)),
        ALD,
    )  # 09:25 seq 9
    decision = engine.read(run, after=proposal - 1)[0].payload["id"]
    at(5, cmd.AnswerDecision(decision, True, "agreed", ("guide/1.1",)), BRN)  # 09:30 seq 10
    at(0, cmd.ProposeDecision("National line", "", ()), ALD)  # seq 11: no joint
    at(0, cmd.OpenPoll("p1"), FAC)
    at(0, cmd.CastVote("p1", ("yes",), 4), ALD)
    at(0, cmd.CastVote("p1", ("no",), 2), ALD)  # a changed vote: the latest counts
    at(0, cmd.CastVote("p1", ("yes",), 2), ALD2)
    at(0, cmd.CastVote("p1", ("no",), 3), BRN)
    at(0, cmd.AddTeamNote("call list"), ALD)
    at(0, cmd.RecordObservation("Early call", task="k1"), EVAL)
    at(0, cmd.RateTarget("t1", "S", evidence=(4, 9)), EVAL)
    at(0, cmd.RateTarget("t1", "P", evidence=(4, 9)), EVAL)
    at(0, cmd.RateTarget("t1", "M"), FAC)
    at(0, cmd.RateCapability("o1", "operational-coordination", "S"), EVAL)
    at(0, cmd.RecordClause("guide/1.2", False), EVAL)
    at(0, cmd.EndRun(), FAC)
    state = engine.state(run)
    assert fold(run, state.package, [to_recorded(e) for e in recorder.read(run)]) == state
    yield state
    recorder.close()


def test_time_to_first_response_and_decision_per_team(played: RunState) -> None:
    timings = {(t.inject, t.team): t for t in analytics.inject_timings(played)}
    assert set(timings) == {("1", "ald-nsc"), ("1", "brn-nsc")}
    ald, brn = timings["1", "ald-nsc"], timings["1", "brn-nsc"]
    assert ald.released_seq == 3
    assert ald.first_response.to_seq == 4
    assert ald.first_response.elapsed == ald.first_response.active == 2 * MIN
    assert brn.first_response.to_seq == 8
    assert brn.first_response.elapsed == 16 * MIN
    assert brn.first_response.active == 6 * MIN  # ten paused minutes left out
    assert ald.first_decision.to_seq == 9
    assert (ald.first_decision.elapsed, ald.first_decision.active) == (20 * MIN, 10 * MIN)
    assert brn.first_decision.to_seq is None and brn.first_decision.elapsed is None


def test_time_to_allied_concurrence(played: RunState) -> None:
    (joint,) = analytics.concurrence_times(played)
    assert joint.status == DecisionStatus.CONCURRED and joint.answered == ("brn",)
    assert joint.latency.from_seq == 9 and joint.latency.to_seq == 10
    assert joint.latency.elapsed == joint.latency.active == 5 * MIN


def test_participation_balance(played: RunState) -> None:
    balance = analytics.participation(played)
    teams = {t.team: t for t in balance.teams}
    assert (teams["ald-nsc"].responses, teams["ald-nsc"].decisions) == (2, 2)
    assert (teams["ald-nsc"].notes, teams["ald-nsc"].votes) == (1, 2)
    assert (teams["brn-nsc"].responses, teams["brn-nsc"].answers) == (1, 1)
    assert teams["brn-nsc"].votes == 1 and teams["brn-nsc"].total == 3
    parties = {p.party: p for p in balance.parties}
    assert parties["ald"].total == 7 and parties["brn"].total == 3
    assert balance.share(parties["brn"]) == 0.3


def test_coverage_of_objectives_and_clauses(played: RunState) -> None:
    covered = analytics.coverage(played)
    o1 = next(c for c in covered.objectives if c.id == "o1")
    assert {(e.seq, e.source, e.ref) for e in o1.evidence} >= {
        (2, "question", "q1"),
        (3, "inject", "1"),
    }
    assert any(e.source == "observation" for e in o1.evidence)  # tagged with task k1
    assert covered.untouched_objectives == ("o2",)
    clause = next(c for c in covered.clauses if c.id == "guide/1.1")
    assert {e.source for e in clause.evidence} == {"decision", "answer", "observation"}
    assert covered.untouched_clauses == ("guide/1.2",)
    unspoken = next(c for c in covered.clauses if c.id == "guide/1.2")
    assert unspoken.discussed is False and not unspoken.exercised


def test_poll_alignment(played: RunState) -> None:
    (poll,) = analytics.poll_alignment(played)
    assert poll.voters == 3 and dict(poll.counts) == {"yes": 1, "no": 2}
    assert poll.top_option == "no" and poll.alignment == 0.667
    assert poll.mean_confidence == pytest.approx(2.33)


def test_rating_distribution_counts_the_latest_per_evaluator(played: RunState) -> None:
    ratings = analytics.rating_distribution(played)
    assert dict(ratings.targets) == {"P": 1, "S": 0, "M": 1, "U": 0}
    assert dict(ratings.capabilities) == {"P": 0, "S": 1, "M": 0, "U": 0}
    assert dict(ratings.total) == {"P": 1, "S": 1, "M": 1, "U": 0}
    assert len(played.target_ratings) == 3  # the history stays


def test_active_time_of_an_open_pause() -> None:
    state = RunState.initial("r", wider_package())
    start = datetime(2027, 3, 4, 9, 0, tzinfo=UTC)
    state.pauses = [(start + 10 * MIN, None)]
    assert analytics.active_time(state, start, start + 30 * MIN) == 10 * MIN
    assert analytics.active_time(state, start + 5 * MIN, start) == timedelta()
