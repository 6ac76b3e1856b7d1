"""Assistants' proposals on an in-memory log: what the run checks when a proposal is recorded,
who may answer it, what an answer records, and what the gate shows of it."""

from __future__ import annotations

import pytest

from sitroom.conduct import commands as cmd
from sitroom.conduct import events as ev
from sitroom.conduct.principal import Principal, Role
from sitroom.conduct.run import Rejected
from sitroom.conduct.visibility import view_event
from sitroom.package.examples import example_path
from sitroom.package.load import load_package
from sitroom.package.model import Package
from sitroom.services.assist.service import Assistants
from sitroom.services.runs import Engine
from sitroom.storage.memory import MemoryRecorder

FACILITATOR = Principal("account:fac", Role.FACILITATOR, "Fac")
EVALUATOR = Principal("account:eva", Role.EVALUATOR, "Eva")
OTHER = Principal("account:oli", Role.EVALUATOR, "Oli")
ALD = Principal("invite:ald1", Role.PLAYER, "Ald player", team="ald-nss", party="ald")
RATING = {"key": "T1.1", "task": "T1.1", "rating": "S", "evidence": [1], "why": "ok"}


@pytest.fixture(scope="module")
def allied() -> Package:
    package = load_package(example_path("allied-consultation")).package
    assert package is not None
    return package


def _run(package: Package) -> tuple[Engine, str]:
    engine = Engine(MemoryRecorder())
    run_id = engine.create_run(package, run_id="assist").id
    engine.handle(run_id, cmd.StartRun(), FACILITATOR)
    engine.handle(run_id, cmd.ReleaseInject("1.1"), FACILITATOR)
    return engine, run_id


def _propose(engine: Engine, run_id: str, assistant: str, item: dict[str, object]) -> str:
    who = FACILITATOR if assistant == "facilitator" else EVALUATOR
    outcome = engine.handle(run_id, cmd.RecordProposal(assistant, (item,), {}), who)
    return str(outcome.events[0].payload["id"])


@pytest.mark.parametrize(
    ("assistant", "item", "says"),
    [
        ("evaluator", {**RATING, "task": "T9"}, "unknown critical task"),
        ("evaluator", {**RATING, "rating": "X"}, "rating is P, S, M or U"),
        ("evaluator", {**RATING, "evidence": []}, "cites at least one event"),
        ("evaluator", {**RATING, "evidence": [99]}, "not an event of this run"),
        ("facilitator", {"key": "1", "kind": "inject", "inject": "9.9"}, "unknown inject"),
        ("facilitator", {"key": "1", "kind": "update", "text": " "}, "an update's text"),
        (
            "report",
            {
                "key": "f1",
                "kind": "strength",
                "title": "t",
                "sentences": [{"text": "cited", "cites": [1]}, {"text": "bare", "cites": []}],
            },
            "every sentence cites a log event",
        ),
        ("report", {"key": "f1", "kind": "strength", "title": "t", "sentences": []}, "sentence"),
    ],
)
def test_the_run_refuses_a_proposal_naming_what_it_does_not_have(
    allied: Package, assistant: str, item: dict[str, object], says: str
) -> None:
    engine, run_id = _run(allied)
    with pytest.raises(Rejected, match=says):
        _propose(engine, run_id, assistant, item)


def test_players_ask_nothing_and_evaluators_suggest_no_follow_up(allied: Package) -> None:
    engine, run_id = _run(allied)
    with pytest.raises(Rejected, match="only evaluators"):
        engine.handle(run_id, cmd.RecordProposal("evaluator", (RATING,), {}), ALD)
    with pytest.raises(Rejected, match="only the facilitator"):
        engine.handle(run_id, cmd.RecordProposal("facilitator", (), {}), EVALUATOR)


def test_a_proposal_is_answered_by_its_asker_or_control_once(allied: Package) -> None:
    engine, run_id = _run(allied)
    proposal = _propose(engine, run_id, "evaluator", RATING)
    with pytest.raises(Rejected, match="made for someone else"):
        engine.handle(run_id, cmd.AnswerProposal(proposal, "T1.1", True), OTHER)
    with pytest.raises(Rejected, match="only rating, why may be changed"):
        engine.handle(
            run_id, cmd.AnswerProposal(proposal, "T1.1", True, {"task": "T1.2"}), EVALUATOR
        )
    with pytest.raises(Rejected, match=r"no item 'T1\.2'"):
        engine.handle(run_id, cmd.AnswerProposal(proposal, "T1.2", True), EVALUATOR)
    done = engine.handle(run_id, cmd.AnswerProposal(proposal, "T1.1", False, None, "no"), EVALUATOR)
    assert [e.type for e in done.events] == ["assist-answered"]
    assert done.events[0].payload["outcome"] == "discarded"
    assert engine.state(run_id).proposal_answers == {f"{proposal}/T1.1": "discarded"}
    with pytest.raises(Rejected, match="already answered"):
        engine.handle(run_id, cmd.AnswerProposal(proposal, "T1.1", True), FACILITATOR)


def test_an_accepted_update_is_controls_own_broadcast(allied: Package) -> None:
    engine, run_id = _run(allied)
    item = {"key": "1", "kind": "update", "text": "Go on.", "teams": ["ald-nss"]}
    proposal = _propose(engine, run_id, "facilitator", item)
    done = engine.handle(
        run_id, cmd.AnswerProposal(proposal, "1", True, {"text": "Please go on."}), FACILITATOR
    )
    answered, update = done.events
    assert answered.payload["outcome"] == "edited" and update.type == "update-broadcast"
    assert update.payload["text"] == {"en": "Please go on."} and update.payload["teams"] == [
        "ald-nss"
    ]


def test_the_gate_shows_a_proposal_to_its_asker_and_control_only(allied: Package) -> None:
    rating = ev.AssistProposed("p", "evaluator", EVALUATOR.id, (RATING,))
    follow = ev.AssistProposed("q", "facilitator", FACILITATOR.id, ())
    answered = ev.AssistAnswered("p", "T1.1", "evaluator", EVALUATOR.id, EVALUATOR.id, "accepted")
    for event in (rating, answered):
        assert view_event(EVALUATOR, allied, event) is not None
        assert view_event(FACILITATOR, allied, event) is not None
        assert view_event(OTHER, allied, event) is None
        assert view_event(ALD, allied, event) is None
    assert view_event(FACILITATOR, allied, follow) is not None
    assert view_event(EVALUATOR, allied, follow) is None
    assert view_event(ALD, allied, follow) is None


def test_nothing_is_proposed_before_startex(allied: Package) -> None:
    engine = Engine(MemoryRecorder())
    run_id = engine.create_run(allied, run_id="planned").id
    with pytest.raises(Rejected):
        Assistants(engine).propose(run_id, EVALUATOR, "evaluator")
