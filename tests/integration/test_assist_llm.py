"""Assistants against a real HTTP server speaking the chat-completions wire format
(tests/support/fake_llm.py, a process of its own): a proposal accepted is recorded as the
person's own, invalid ids are asked again and then give "no proposal", drafted sentences
without a citation are dropped, the scripted default works offline, and an evaluator's
prompt carries only what that evaluator may see."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sitroom.conduct import commands as cmd
from sitroom.conduct.handlers.cells import cell_principal
from sitroom.conduct.principal import Principal, Role
from sitroom.conduct.run import Rejected
from sitroom.services.assist.service import Assistants
from sitroom.services.cells.provider import ChatClient, Endpoint
from tests.support.fake_llm import FakeLLM, running
from tests.support.playthrough import Example, played_example


@pytest.fixture
def llm(tmp_path: Path) -> Iterator[FakeLLM]:
    folder = tmp_path / "llm"
    folder.mkdir()
    with running(folder) as fake:
        yield fake


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Example]:
    with played_example(tmp_path_factory.mktemp("assist"), "assisted", end=False) as found:
        yield found


def _model(example: Example, fake: FakeLLM) -> Assistants:
    client = ChatClient(Endpoint(fake.base_url, "test-model"), sleep=lambda seconds: None)
    return Assistants(example.engine, client)


def _shown(body: dict[str, Any]) -> dict[str, Any]:
    user = next(m["content"] for m in body["messages"] if m["role"] == "user")
    found = re.search(r"<exercise-data>\n(.*)\n</exercise-data>", user, re.S)
    assert found, "the facts travel as quoted data in the labelled block"
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def test_an_accepted_rating_is_recorded_as_the_evaluators_own(
    example: Example, llm: FakeLLM
) -> None:
    evaluator = example.played.evaluator
    made = _model(example, llm).propose(example.played.run_id, evaluator, "evaluator")
    (sent,) = llm.requests()
    assert sent["user"] == "assist:evaluator"
    assert sent["response_format"]["json_schema"]["schema"]["title"] == "RatingsAnswer"
    (item,) = made.items
    first = _shown(sent)["evidence"][0]["event"]
    assert item["rating"] == "S" and item["evidence"] == [first]
    proposed = made.outcome.events[0]
    assert proposed.type == "assist-proposed" and proposed.actor == evaluator.id
    trace = proposed.payload["trace"]
    assert trace["provider"] == "openai-compatible" and trace["model"] == "test-model"
    assert trace["prompt_hash"].startswith("sha256:") and trace["tokens"]["completion"] == 12
    assert trace["latency_ms"] >= 0
    accept = cmd.AnswerProposal(made.id, item["key"], True, {"rating": "M", "why": "Mine."})
    done = example.engine.handle(example.played.run_id, accept, evaluator)
    answered, observed = done.events
    assert answered.type == "assist-answered" and answered.payload["outcome"] == "edited"
    assert observed.type == "observation-recorded" and observed.actor == evaluator.id
    assert observed.payload["author"] == evaluator.id
    assert observed.payload["task"] == item["task"] and observed.payload["rating"] == "M"
    assert observed.payload["text"] == f"Mine. (evidence: #{first})"
    with pytest.raises(Rejected, match="already answered"):
        example.engine.handle(example.played.run_id, accept, evaluator)


def test_invalid_cited_ids_are_asked_again_then_no_proposal(example: Example, llm: FakeLLM) -> None:
    tasks = [t.id for t in example.package.tasks()]
    unknown_event = {
        "proposals": [{"task": tasks[0], "rating": "P", "evidence": [999999], "why": "x"}]
    }
    unknown_task = {"proposals": [{"task": "T9.9", "rating": "P", "evidence": [1], "why": "x"}]}
    llm.script({"content": json.dumps(unknown_event)}, {"content": json.dumps(unknown_task)})
    made = _model(example, llm).propose(
        example.played.run_id, example.played.evaluator, "evaluator"
    )
    _, second = llm.requests()
    assert second["messages"][-2] == {"role": "assistant", "content": json.dumps(unknown_event)}
    assert "event 999999 is not in the data" in second["messages"][-1]["content"]
    assert made.items == [] and made.note.startswith("no proposal")
    recorded = made.outcome.events[0].payload
    assert recorded["items"] == [] and "unknown task 'T9.9'" in recorded["trace"]["invalid"]


def test_a_proposal_the_run_cannot_check_is_refused_by_the_run(example: Example) -> None:
    item = {"key": "T1.1", "task": "T1.1", "rating": "P", "evidence": [10**6], "why": ""}
    with pytest.raises(Rejected, match="not an event of this run"):
        example.engine.handle(
            example.played.run_id,
            cmd.RecordProposal("evaluator", (item,), {}),
            example.played.evaluator,
        )


def test_drafted_sentences_without_a_citation_are_dropped_and_counted(
    example: Example, llm: FakeLLM
) -> None:
    good = {"text": "Aldoria told Brenland first.", "cites": []}
    draft = {
        "findings": [
            {
                "kind": "improvement",
                "title": "Late public line",
                "capability": "",
                "sentences": [good, {"text": "Nobody cites this.", "cites": []}],
                "recommendation": {"text": "Agree the line sooner.", "cites": [424242]},
            }
        ]
    }
    llm.script({"content": json.dumps(draft)}, {})  # nothing cited: refused, asked again
    made = _model(example, llm).propose(example.played.run_id, example.played.evaluator, "report")
    assert len(llm.requests()) == 2
    assert "no sentence cites an event" in llm.requests()[1]["messages"][-1]["content"]
    (finding,) = made.items
    shown = {e["event"] for e in _shown(llm.requests()[1])["evidence"]}
    assert finding["sentences"] and all(
        s["cites"] and set(s["cites"]) <= shown for s in finding["sentences"]
    )
    mixed = dict(draft["findings"][0])  # type: ignore[arg-type]
    first = min(shown)
    mixed["sentences"] = [{"text": "Cited.", "cites": [first]}, {"text": "Bare.", "cites": []}]
    llm.script({"content": json.dumps({"findings": [mixed]})})
    made = _model(example, llm).propose(example.played.run_id, example.played.evaluator, "report")
    (kept,) = made.items
    assert [s["text"] for s in kept["sentences"]] == ["Cited."]
    assert kept["recommendation"] is None  # it cited an event that does not exist
    assert made.outcome.events[0].payload["dropped"] == 2
    saved = example.engine.handle(
        example.played.run_id,
        cmd.AnswerProposal(made.id, kept["key"], True),
        example.played.evaluator,
    )
    finding_saved = saved.events[1].payload
    assert finding_saved["evidence"] == [first] and f"(#{first})" in finding_saved["analysis"]


def test_a_follow_up_names_a_planned_inject_and_one_click_releases_it(
    example: Example, llm: FakeLLM
) -> None:
    llm.script(
        {
            "content": json.dumps(
                {"kind": "inject", "inject": "1.1", "text": "", "teams": [], "why": "x"}
            )
        }
    )  # 1.1 was released long ago: not a planned inject
    facilitator = example.played.facilitator
    made = _model(example, llm).propose(example.played.run_id, facilitator, "facilitator")
    first, second = llm.requests()
    assert first["user"] == "assist:facilitator"
    assert "'1.1' is not a planned inject" in second["messages"][-1]["content"]
    (item,) = made.items
    planned = _shown(first)["planned_injects"]
    assert item == {
        "key": "1",
        "kind": "inject",
        "inject": planned[0]["inject"],
        "teams": [],
        "why": "Next.",
    }
    done = example.engine.handle(
        example.played.run_id, cmd.AnswerProposal(made.id, "1", True), facilitator
    )
    assert [e.type for e in done.events] == ["assist-answered", "inject-released"]
    assert done.events[1].payload["number"] == planned[0]["inject"]


def test_only_control_asks_for_a_follow_up_and_players_ask_nothing(example: Example) -> None:
    player = example.played.players[0]
    scripted = Assistants(example.engine)
    for assistant in ("evaluator", "facilitator", "report"):
        with pytest.raises(Rejected):
            scripted.propose(example.played.run_id, player, assistant)
    with pytest.raises(Rejected, match="only the facilitator"):
        scripted.propose(example.played.run_id, example.played.evaluator, "facilitator")


def test_the_scripted_assistants_work_offline_and_the_same_record_gives_the_same_proposal(
    example: Example,
) -> None:
    scripted = Assistants(example.engine)
    run, evaluator = example.played.run_id, example.played.evaluator
    once = scripted.propose(run, evaluator, "evaluator")
    again = scripted.propose(run, evaluator, "evaluator")
    assert once.items and once.items == again.items
    trace = once.outcome.events[0].payload["trace"]
    assert trace["provider"] == "scripted" and trace["prompt_hash"].startswith("sha256:")
    visible = {e.seq for e in example.engine.read(run) if example.engine.view(evaluator, run, e)}
    for item in once.items:
        assert item["rating"] in "PSMU" and set(item["evidence"]) <= visible
    findings = scripted.propose(run, evaluator, "report")
    assert findings.items
    for finding in findings.items:
        for sentence in [*finding["sentences"], finding["recommendation"]]:
            assert sentence["cites"] and set(sentence["cites"]) <= visible
    follow = scripted.propose(run, example.played.facilitator, "facilitator")
    assert len(follow.items) == 1 and follow.items[0]["kind"] in ("inject", "update")


def test_an_evaluators_prompt_carries_only_what_that_evaluator_may_see(
    example: Example, llm: FakeLLM
) -> None:
    run, engine = example.played.run_id, example.engine
    # Control's record of a cell (a held answer and its trace) and a follow-up suggested to
    # the facilitator are in the log: not the evaluator's to see.
    other = Principal("invite:other-evaluator", Role.EVALUATOR, "Other")
    engine.handle(run, cmd.RecordObservation("an aside"), other)
    held = cmd.SubmitResponse("inject", "1.1", "MARKER-HELD-CELL answer")
    cell = cell_principal("brn-nss", "brn")
    engine.handle(run, cmd.CellAct(held, {"model": "MARKER-CELL-TRACE"}), cell)
    update = {"key": "1", "kind": "update", "text": "MARKER-FOLLOW-UP", "teams": [], "why": ""}
    engine.handle(run, cmd.RecordProposal("facilitator", (update,), {}), example.played.facilitator)
    assert any(e.type == "cell-action-held" for e in engine.read(run))
    model = _model(example, llm)
    model.propose(run, example.played.evaluator, "evaluator")
    model.propose(run, example.played.evaluator, "report")
    people = [example.played.facilitator, example.played.evaluator, other, *example.played.players]
    for body in llm.requests():
        assert body["user"] in ("assist:evaluator", "assist:report")
        prompt = json.dumps(body["messages"], ensure_ascii=False)
        for marker in ("MARKER-HELD-CELL", "MARKER-CELL-TRACE", "MARKER-FOLLOW-UP"):
            assert marker not in prompt
        for person in people:  # data minimisation: nobody's account or name
            assert person.id not in prompt and f'"{person.name}"' not in prompt
        for fact in _shown(body)["evidence"]:
            stored = engine.read(run, after=fact["event"] - 1, limit=1)[0]
            assert engine.view(example.played.evaluator, run, stored) is not None
            assert stored.type not in ("inject-mailed", "mail-failed", "cell-acted")
