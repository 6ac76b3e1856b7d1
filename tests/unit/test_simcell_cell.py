"""The scripted cell that plays a simulated organisation (``simcell-<id>``): it answers the
threads teams open with its organisation from the canned answers, once per message however
often it is run, sees nothing else of the run, and leaves unmatched messages to the SimCell."""

from __future__ import annotations

from datetime import UTC, datetime

import yaml

from sitroom.conduct import commands as cmd
from sitroom.conduct.principal import Principal, Role
from sitroom.package.dump import _Dumper, to_data
from sitroom.package.load import load_text
from sitroom.package.model import Package
from sitroom.services.followers import FollowerLoop
from sitroom.services.orgcell import OrganisationCell, organisation_principal
from sitroom.services.runs import Engine
from sitroom.storage.cursors import MemoryCursorStore
from sitroom.storage.memory import MemoryRecorder
from tests.support.packages import simcell

FAC = Principal("account:fac", Role.FACILITATOR, "Fac")
ALD = Principal("invite:ald1", Role.PLAYER, "Ald player", team="ald-nsc", party="ald")
BRN = Principal("invite:brn1", Role.PLAYER, "Brn player", team="brn-nsc", party="brn")


def scripted() -> Package:
    data = to_data(simcell())
    data["organisations"][0]["script"] = {
        "classification": "RESTRICTED",
        "answers": [
            {"keywords": ["crossing", "border"], "text": "The crossing stays open."},
            {"keywords": ["visa"], "text": "Visas are issued at the consulate."},
        ],
    }
    text = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False)
    result = load_text(text, "scripted.yaml")
    assert result.package is not None, result.problems
    return result.package


def started() -> tuple[Engine, str]:
    clock = lambda: datetime(2027, 3, 4, 9, 0, tzinfo=UTC)  # noqa: E731
    engine = Engine(MemoryRecorder(clock=clock), clock=clock)
    run_id = engine.create_run(scripted(), run_id="orgcell").id
    engine.handle(run_id, cmd.StartRun(), FAC)
    engine.handle(run_id, cmd.OpenModule("m1"), FAC)
    return engine, run_id


def test_the_cell_answers_from_its_canned_answers_once() -> None:
    engine, run_id = started()
    engine.handle(run_id, cmd.WriteToOrganisation("ministry", "Border", "Is it open?"), ALD)
    engine.handle(run_id, cmd.WriteToOrganisation("ministry", "Fishing", "Quotas?"), BRN)
    engine.handle(run_id, cmd.WriteToOrganisation("press", "Visa", "visa?"), BRN)
    cell = OrganisationCell("ministry", engine.package)
    loop = FollowerLoop(engine, MemoryCursorStore())
    loop.round(cell, run_id)
    threads = {t.subject: t for t in engine.state(run_id).inbox.threads.values()}
    answer = threads["Border"].messages[-1]
    assert (answer.side, answer.body) == ("organisation", "The crossing stays open.")
    assert answer.classification == "RESTRICTED" and answer.author == "cell:org:ministry"
    assert len(threads["Fishing"].messages) == 1  # nothing fits: left for the SimCell staff
    assert len(threads["Visa"].messages) == 1  # the press's thread is not the ministry's
    # A restarted cell (a fresh cursor) records nothing twice.
    FollowerLoop(engine, MemoryCursorStore()).round(
        OrganisationCell("ministry", engine.package), run_id
    )
    border = engine.state(run_id).inbox.threads[threads["Border"].id]
    assert len(border.messages) == 2


def test_the_cell_sees_its_threads_and_nothing_else_of_the_run() -> None:
    engine, run_id = started()
    engine.handle(run_id, cmd.ReleaseInject("1"), FAC)
    engine.handle(run_id, cmd.BroadcastUpdate({"en": "To everyone"}), FAC)
    engine.handle(run_id, cmd.AddTeamNote("ours"), ALD)
    engine.handle(run_id, cmd.WriteToOrganisation("ministry", "Border", "open?"), ALD)
    engine.handle(run_id, cmd.WriteToOrganisation("press", "Border", "open?"), ALD)
    me = organisation_principal("ministry")
    seen = [
        view
        for stored in engine.read(run_id)
        if (view := engine.view(me, run_id, stored)) is not None
    ]
    assert [(v["type"], v["data"]["organisation"]) for v in seen] == [("thread-opened", "ministry")]
