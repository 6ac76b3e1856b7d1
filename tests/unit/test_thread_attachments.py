"""Control's answer as a simulated organisation may attach package documents: only declared
ones, named in the error otherwise, and only on the organisation's side."""

from __future__ import annotations

import pytest
import yaml

from sitroom.conduct import commands as cmd
from sitroom.conduct.principal import Principal, Role
from sitroom.conduct.run import Rejected
from sitroom.package.dump import _Dumper, to_data
from sitroom.package.load import load_text
from sitroom.package.model import Package
from sitroom.services.runs import Engine
from sitroom.storage.memory import MemoryRecorder
from tests.support.packages import simcell

FAC = Principal("account:fac", Role.FACILITATOR, "Fac")
ALD = Principal("invite:ald1", Role.PLAYER, "Ald player", team="ald-nsc", party="ald")


def with_document() -> Package:
    data = to_data(simcell())
    data["modules"][0]["injects"][-1]["attachments"] = [{"path": "transit-note.pdf"}]
    text = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False)
    loaded = load_text(text, "attached.yaml")
    assert loaded.package is not None, [str(p) for p in loaded.problems]
    return loaded.package


@pytest.fixture
def run() -> tuple[Engine, str, str]:
    engine = Engine(MemoryRecorder())
    run_id = engine.create_run(with_document(), run_id="attached").id
    engine.handle(run_id, cmd.StartRun(), FAC)
    engine.handle(run_id, cmd.OpenModule("m1"), FAC)
    wrote = engine.handle(run_id, cmd.WriteToOrganisation("ministry", "Transit", "ASK"), ALD)
    return engine, run_id, str(wrote.events[0].payload["id"])


def test_the_organisation_attaches_a_declared_document(run: tuple[Engine, str, str]) -> None:
    engine, run_id, thread = run
    answer = cmd.PostInThread(thread, "See the note", attachments=("transit-note.pdf",) * 2)
    engine.handle(run_id, answer, FAC)
    message = engine.state(run_id).inbox.threads[thread].messages[-1]
    assert message.attachments == ("transit-note.pdf",)


def test_an_unknown_document_is_named_with_what_is_accepted(
    run: tuple[Engine, str, str],
) -> None:
    engine, run_id, thread = run
    with pytest.raises(Rejected) as refused:
        engine.handle(run_id, cmd.PostInThread(thread, "x", attachments=("secret.pdf",)), FAC)
    assert refused.value.field == "attachments"
    assert "secret.pdf" in str(refused.value) and "transit-note.pdf" in str(refused.value)


def test_a_team_reply_attaches_nothing(run: tuple[Engine, str, str]) -> None:
    engine, run_id, thread = run
    with pytest.raises(Rejected) as refused:
        engine.handle(run_id, cmd.PostInThread(thread, "x", attachments=("transit-note.pdf",)), ALD)
    assert refused.value.field == "attachments"
