"""A simulated organisation played by a language model (``simcell-<id>``, principal
``cell:org:<id>``), against the real fake chat-completions server: what it is sent (its own
thread, nothing of another thread or of control), its answer posted in the thread with the
trace recorded, an invalid answer asked again then a recorded "no action", and the canned
answers without a model."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from sitroom.conduct import commands as cmd
from sitroom.conduct.principal import Principal, Role
from sitroom.package.dump import _Dumper, to_data
from sitroom.package.load import load_text
from sitroom.package.model import Package
from sitroom.services.cells.provider import ChatClient, Endpoint
from sitroom.services.followers import FollowerLoop
from sitroom.services.orgcell import OrganisationCell
from sitroom.services.runs import Engine
from sitroom.storage.cursors import MemoryCursorStore
from sitroom.storage.memory import MemoryRecorder
from tests.support.fake_llm import FakeLLM, running
from tests.support.packages import simcell

FAC = Principal("account:fac", Role.FACILITATOR, "Fac")
ALD = Principal("invite:ald1", Role.PLAYER, "Ald player", team="ald-nsc", party="ald")
BRN = Principal("invite:brn1", Role.PLAYER, "Brn player", team="brn-nsc", party="brn")
CONTROL_MARKER = "CONTROL-ONLY-PLAYED-BY-7731"


@pytest.fixture
def llm(tmp_path: Path) -> Iterator[FakeLLM]:
    with running(tmp_path) as fake:
        yield fake


def _package() -> Package:
    data = to_data(simcell())
    data["organisations"][0]["played_by"] = [CONTROL_MARKER]
    data["organisations"][0]["description"] = {"en": "Answers through its spokesperson."}
    text = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False)
    result = load_text(text, "orgllm.yaml")
    assert result.package is not None, result.problems
    return result.package


def _started() -> tuple[Engine, str]:
    clock = lambda: datetime(2027, 3, 4, 9, 0, tzinfo=UTC)  # noqa: E731
    engine = Engine(MemoryRecorder(clock=clock), clock=clock)
    run_id = engine.create_run(_package(), run_id="orgllm").id
    engine.handle(run_id, cmd.StartRun(), FAC)
    engine.handle(run_id, cmd.OpenModule("m1"), FAC)
    return engine, run_id


def _client(fake: FakeLLM) -> ChatClient:
    return ChatClient(Endpoint(fake.base_url, "test-model"), sleep=lambda seconds: None)


def test_the_model_answers_as_the_organisation_from_its_own_thread(llm: FakeLLM) -> None:
    engine, run_id = _started()
    engine.handle(run_id, cmd.AddTeamNote("TEAM-NOTE-MARKER-4410"), ALD)
    engine.handle(run_id, cmd.WriteToOrganisation("ministry", "Border", "ALD-ASKS-8812"), ALD)
    engine.handle(run_id, cmd.WriteToOrganisation("press", "Visa", "PRESS-THREAD-5519"), BRN)
    engine.handle(run_id, cmd.WriteToOrganisation("ministry", "Fish", "BRN-ASKS-2290"), BRN)
    cell = OrganisationCell("ministry", engine.package, _client(llm))
    FollowerLoop(engine, MemoryCursorStore()).round(cell, run_id)

    sent = llm.requests()
    assert [r["user"] for r in sent] == ["cell:org:ministry", "cell:org:ministry"]
    first, second = (json.dumps(r["messages"], ensure_ascii=False) for r in sent)
    assert "ALD-ASKS-8812" in first and "Ministry of Foreign Affairs of Velmora" in first
    assert "<exercise-data>" in first
    assert "BRN-ASKS-2290" not in first  # another team's thread
    assert "BRN-ASKS-2290" in second and "ALD-ASKS-8812" not in second
    for text in (first, second):
        assert "PRESS-THREAD-5519" not in text  # another organisation's thread
        assert "TEAM-NOTE-MARKER-4410" not in text
        assert CONTROL_MARKER not in text  # control-only material of the package
    state = engine.state(run_id)
    threads = {t.subject: t for t in state.inbox.threads.values()}
    answer = threads["Border"].messages[-1]
    assert answer.side == "organisation" and answer.author == "cell:org:ministry"
    assert answer.body.startswith("We have your message")
    assert len(threads["Visa"].messages) == 1
    acted = [e.payload for e in engine.read(run_id) if e.type == "cell-acted"]
    assert [a["action"] for a in acted] == ["post-in-thread", "post-in-thread"]
    trace = acted[0]["trace"]
    assert trace["provider"] == "openai-compatible" and trace["model"] == "test-model"
    assert trace["prompt_hash"].startswith("sha256:") and "latency_ms" in trace
    assert trace["tokens"]["prompt"] >= 0


def test_an_invalid_answer_is_asked_again_then_no_action(llm: FakeLLM) -> None:
    engine, run_id = _started()
    engine.handle(run_id, cmd.WriteToOrganisation("ministry", "Border", "open?"), ALD)
    llm.script({"content": "not json"}, {"content": '{"text": ""}'})
    cell = OrganisationCell("ministry", engine.package, _client(llm))
    FollowerLoop(engine, MemoryCursorStore()).round(cell, run_id)
    sent = llm.requests()
    assert len(sent) == 2
    assert "invalid" in sent[1]["messages"][-1]["content"]
    thread = next(iter(engine.state(run_id).inbox.threads.values()))
    assert len(thread.messages) == 1  # nothing posted
    acted = [e.payload for e in engine.read(run_id) if e.type == "cell-acted"]
    assert [a["action"] for a in acted] == ["none"]
    assert acted[0]["note"].startswith("no action") and "invalid" in acted[0]["trace"]


def test_a_marking_outside_the_scheme_is_invalid(llm: FakeLLM) -> None:
    engine, run_id = _started()
    engine.handle(run_id, cmd.WriteToOrganisation("ministry", "Border", "open?"), ALD)
    llm.script({"content": '{"text": "Open.", "classification": "ULTRA-VIOLET"}'})
    cell = OrganisationCell("ministry", engine.package, _client(llm))
    FollowerLoop(engine, MemoryCursorStore()).round(cell, run_id)
    thread = next(iter(engine.state(run_id).inbox.threads.values()))
    assert thread.messages[-1].body.startswith("We have your message")  # the second try
    assert len(llm.requests()) == 2


def test_without_a_model_an_unscripted_organisation_stays_silent() -> None:
    engine, run_id = _started()
    engine.handle(run_id, cmd.WriteToOrganisation("ministry", "Border", "open?"), ALD)
    FollowerLoop(engine, MemoryCursorStore()).round(
        OrganisationCell("ministry", engine.package), run_id
    )
    thread = next(iter(engine.state(run_id).inbox.threads.values()))
    assert len(thread.messages) == 1  # left for the SimCell staff, as before
