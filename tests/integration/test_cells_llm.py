"""Simulated cells against a real HTTP server that speaks the chat-completions wire format
(tests/support/fake_llm.py, a process of its own): structured answers, invalid answers, errors,
timeouts, and what every prompt carries (nothing a cell's team may not see)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sitroom.conduct.visibility import can_see_inject
from sitroom.package.examples import example_path
from sitroom.package.load import load_package
from sitroom.package.model import Package, text_in
from sitroom.services.cells.follower import cells_of
from sitroom.services.cells.mind import ModelMind
from sitroom.services.cells.provider import ChatClient, Endpoint, ProviderDown
from sitroom.services.cells.situation import Situation
from sitroom.services.rehearsal import rehearse
from tests.support.fake_llm import FakeLLM, running
from tests.support.server import free_port


@pytest.fixture
def llm(tmp_path: Path) -> Iterator[FakeLLM]:
    with running(tmp_path) as fake:
        yield fake


@pytest.fixture(scope="module")
def allied() -> Package:
    package = load_package(example_path("allied-consultation")).package
    assert package is not None
    return package


def _client(fake: FakeLLM, **kw: Any) -> ChatClient:
    endpoint = Endpoint(fake.base_url, "test-model", **kw)
    return ChatClient(endpoint, sleep=lambda seconds: None)


def _brenland(package: Package) -> Any:
    cell = next(c for c in cells_of(package, lambda run: package) if c.team == "brn-nss")
    return cell.context("run")


def _poll(package: Package) -> Situation:
    return Situation(
        "poll",
        "d3-poll",
        {"poll": "d3-poll", "question": "Which level?", "options": [{"id": "level-3"}]},
        {"option": frozenset({"level-3", "level-2", "level-1"})},
    )


def test_a_cell_asks_for_json_against_a_schema_and_names_its_principal(
    llm: FakeLLM, allied: Package
) -> None:
    llm.script({"content": json.dumps({"options": ["level-2"], "confidence": 3})})
    choice = ModelMind(_client(llm)).choose(_brenland(allied), _poll(allied))
    assert [type(c).__name__ for c in choice.commands] == ["CastVote"]
    assert choice.commands[0].options == ("level-2",)  # type: ignore[attr-defined]
    (sent,) = llm.requests()
    assert sent["user"] == "cell:brn-nss"
    assert sent["response_format"]["json_schema"]["schema"]["title"] == "PollAnswer"
    assert sent["seed"] == choice.trace["seed"] and sent["temperature"] == 0.2
    trace = choice.trace
    assert trace["provider"] == "openai-compatible" and trace["model"] == "test-model"
    assert trace["prompt_hash"].startswith("sha256:") and trace["tokens"]["completion"] == 12


def test_an_invalid_answer_is_asked_again_once_with_the_error(
    llm: FakeLLM, allied: Package
) -> None:
    llm.script(
        {"content": "{not json"}, {"content": json.dumps({"options": ["level-3"], "confidence": 2})}
    )
    choice = ModelMind(_client(llm)).choose(_brenland(allied), _poll(allied))
    assert choice.commands and choice.commands[0].options == ("level-3",)  # type: ignore[attr-defined]
    second = llm.requests()[1]["messages"]
    assert second[-2] == {"role": "assistant", "content": "{not json"}
    assert "invalid" in second[-1]["content"]


@pytest.mark.parametrize(
    "bad",
    [
        "{not json",
        json.dumps({"options": ["level-9"], "confidence": 3}),  # an option the poll lacks
        json.dumps({"options": ["level-1"], "confidence": 9}),  # out of the schema's range
        json.dumps({"options": ["level-1"], "confidence": 3, "extra": "x"}),
    ],
)
def test_invalid_twice_is_a_recorded_no_action(llm: FakeLLM, allied: Package, bad: str) -> None:
    llm.script({"content": bad}, {"content": bad})
    choice = ModelMind(_client(llm)).choose(_brenland(allied), _poll(allied))
    assert choice.commands == [] and choice.trace["invalid"]
    assert choice.note.startswith("no action")
    assert len(llm.requests()) == 2


def test_429_and_500_are_tried_again_with_backoff(llm: FakeLLM, allied: Package) -> None:
    waits: list[float] = []
    llm.script({"status": 429, "retry_after": 3}, {"status": 500}, {})
    client = ChatClient(Endpoint(llm.base_url, "test-model", retries=2), sleep=waits.append)
    choice = ModelMind(client).choose(_brenland(allied), _poll(allied))
    assert choice.commands and choice.trace["attempts"] == 3
    assert waits == [3.0, 1.0]  # Retry-After honoured, then the doubled backoff


def test_a_request_the_endpoint_refuses_is_not_tried_again(llm: FakeLLM) -> None:
    llm.script({"status": 400})
    with pytest.raises(ProviderDown, match="HTTP 400"):
        _client(llm, retries=3).complete([{"role": "user", "content": "x"}], user="cell:t")
    assert len(llm.requests()) == 1


def test_a_slow_answer_within_the_timeout_is_taken(llm: FakeLLM) -> None:
    llm.script({"delay": 0.3, "content": "{}"})
    done = _client(llm, timeout=10).complete([{"role": "user", "content": "x"}], user="cell:t")
    assert done.text == "{}"


def test_a_timeout_becomes_no_action_not_a_stuck_run(llm: FakeLLM, allied: Package) -> None:
    llm.script({"delay": 2}, {"delay": 2})
    client = _client(llm, timeout=0.3, retries=1)
    choice = ModelMind(client).choose(_brenland(allied), _poll(allied))
    assert choice.commands == [] and "no answer within 0.3 s" in choice.trace["error"]


def test_an_endpoint_that_is_down_gives_a_clear_error() -> None:
    endpoint = Endpoint(f"http://127.0.0.1:{free_port()}/v1", "m", timeout=2, retries=1)
    client = ChatClient(endpoint, sleep=lambda seconds: None)
    with pytest.raises(
        ProviderDown, match=r"the model endpoint http://127\.0\.0\.1:\d+/v1 failed: cannot connect"
    ):
        client.complete([{"role": "user", "content": "x"}], user="cell:t")


def test_a_body_that_is_not_a_completion_is_an_error(llm: FakeLLM) -> None:
    llm.script({"raw": "<html>proxy error</html>"})
    with pytest.raises(ProviderDown, match="something else than a chat completion"):
        _client(llm, retries=0).complete([{"role": "user", "content": "x"}], user="cell:t")


# --- what every prompt carries -------------------------------------------------------------


def _control_texts(package: Package) -> list[str]:
    found: list[str] = []
    for module in package.modules:
        if module.facilitator_notes:
            found += module.facilitator_notes.values()
        for inject in module.injects:
            for action in inject.expected_actions:
                found += action.values()
            if inject.notes:
                found += inject.notes.values()
            if inject.controller:
                found.append(inject.controller)
    for cell in package.cells:
        found += [*cell.persona.red_lines, *cell.script.responses.values()]
    return found


def _markers(texts: list[str], allowed: str) -> set[str]:
    """A distinctive piece of each text (one that what the reader may see does not contain)."""
    found = set()
    for text in texts:
        piece = text.strip().splitlines()[0][:48] if text.strip() else ""
        if len(piece) >= 12 and piece not in allowed:
            found.add(piece)
    return found


def test_no_prompt_carries_control_material_or_another_partys_private_content(
    llm: FakeLLM, allied: Package
) -> None:
    client = _client(llm)
    result = rehearse(allied, seed=3, mind=ModelMind(client))
    assert result.ended and result.chain_problems == []
    prompts: dict[str, str] = {}
    for body in llm.requests():
        prompts[body["user"]] = prompts.get(body["user"], "") + json.dumps(
            body["messages"], ensure_ascii=False
        )
    assert set(prompts) == {f"cell:{t.id}" for t in allied.player_teams()}
    for team in allied.player_teams():
        own = allied.cell(team.id)
        mine = " ".join([*own.persona.positions, *own.persona.red_lines]) if own else ""
        from sitroom.services.cells.follower import CellFollower

        principal = CellFollower(team.id, team.party, lambda run: allied).principal
        private = [
            text
            for inject in allied.injects()
            if not can_see_inject(principal, allied, inject)
            for text in (*inject.content.values(), *inject.title.values())
        ]
        visible = " ".join(
            text_in(i.content, "en") + text_in(i.title, "en")
            for i in allied.injects()
            if can_see_inject(principal, allied, i)
        )
        prompt = json.loads(json.dumps(prompts[f"cell:{team.id}"]))
        leaked = {
            m
            for m in _markers(_control_texts(allied), mine) | _markers(private, visible + mine)
            if m in prompt or json.dumps(m, ensure_ascii=False)[1:-1] in prompt
        }
        assert not leaked, f"{team.id} was shown {sorted(leaked)[:3]}"
        assert "<exercise-data>" in prompt  # the situation is quoted, labelled as data


def test_a_cell_may_name_its_own_endpoint_and_model(
    llm: FakeLLM, allied: Package, tmp_path: Path
) -> None:
    from dataclasses import replace

    other_dir = tmp_path / "other"
    other_dir.mkdir()
    with running(other_dir) as other:
        me = _brenland(allied)
        provider = me.cell.provider.model_copy(
            update={"base_url": other.base_url, "model": "cell-model"}
        )
        me = replace(me, cell=me.cell.model_copy(update={"provider": provider}))
        choice = ModelMind(_client(llm)).choose(me, _poll(allied))
        assert choice.commands and llm.requests() == []
        (sent,) = other.requests()
        assert sent["model"] == "cell-model" and choice.trace["model"] == "cell-model"
