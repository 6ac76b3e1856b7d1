"""The SimCell inbox on an in-memory log: players write to simulated organisations, control
answers as them, the gate shows a thread to its team (and to whom control forwards it) only,
unread counts per team, and the package checks of organisations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sitroom.conduct import commands as cmd
from sitroom.conduct.principal import Principal, Role
from sitroom.conduct.releasability import releasable_log
from sitroom.conduct.run import Rejected
from sitroom.conduct.state import fold
from sitroom.conduct.visibility import visible_org_injects, visible_threads
from sitroom.package.examples import example_path
from sitroom.package.load import load_package, load_text
from sitroom.package.msel import export_msel, import_msel
from sitroom.package.problems import Problem
from sitroom.package.validate import check_package
from sitroom.reports.html import render_html
from sitroom.reports.model import model_data
from sitroom.services.runs import Engine
from sitroom.storage.memory import MemoryRecorder
from tests.support.packages import TWO_PARTIES, simcell

FAC = Principal("account:fac", Role.FACILITATOR, "Fac")
EVAL = Principal("account:eval", Role.EVALUATOR, "Eval")
ALD = Principal("invite:ald1", Role.PLAYER, "Ald player", team="ald-nsc", party="ald")
ALD2 = Principal("invite:ald2", Role.PLAYER, "Ald player 2", team="ald-nsc", party="ald")
BRN = Principal("invite:brn1", Role.PLAYER, "Brn player", team="brn-nsc", party="brn")
DISPLAY = Principal("invite:display", Role.DISPLAY, "Room")
MINISTRY_CELL = Principal("cell:org:ministry", Role.PLAYER, "Ministry cell")


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2027, 3, 4, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def engine() -> Engine:
    clock = Clock()
    return Engine(MemoryRecorder(clock=clock), clock=clock)


def started(engine: Engine) -> str:
    run_id = engine.create_run(simcell(), run_id="simcell").id
    engine.handle(run_id, cmd.StartRun(), FAC)
    engine.handle(run_id, cmd.OpenModule("m1"), FAC)
    return run_id


def write(engine: Engine, run_id: str, who: Principal = ALD, org: str = "ministry") -> str:
    outcome = engine.handle(run_id, cmd.WriteToOrganisation(org, "Transit", "ZZASK"), who)
    return str(outcome.events[0].payload["id"])


def seen(engine: Engine, run_id: str, who: Principal) -> list[str]:
    return [
        view["type"]
        for stored in engine.read(run_id)
        if (view := engine.view(who, run_id, stored)) is not None
        and view["type"].startswith("thread-")
    ]


def test_a_team_writes_and_control_answers_as_the_organisation(engine: Engine) -> None:
    run_id = started(engine)
    thread_id = write(engine, run_id)
    engine.handle(run_id, cmd.PostInThread(thread_id, "ZZANSWER", classification="restricted"), FAC)
    thread = engine.state(run_id).inbox.threads[thread_id]
    assert [m.side for m in thread.messages] == ["team", "organisation"]
    assert thread.messages[1].classification == "RESTRICTED"  # the scheme's own spelling
    assert thread.organisation == "ministry" and thread.team == "ald-nsc"
    assert thread.first_answer is not None and thread.waiting_since is None


def test_only_the_team_and_staff_see_a_thread(engine: Engine) -> None:
    run_id = started(engine)
    thread_id = write(engine, run_id)
    engine.handle(run_id, cmd.PostInThread(thread_id, "ZZANSWER"), FAC)
    state = engine.state(run_id)
    for who in (ALD, ALD2, FAC, EVAL, MINISTRY_CELL):
        assert [t.id for t in visible_threads(who, state)] == [thread_id], who.id
        assert seen(engine, run_id, who)[:2] == ["thread-opened", "thread-message-posted"]
    for who in (BRN, DISPLAY, Principal("cell:org:press", Role.PLAYER)):
        assert visible_threads(who, state) == [], who.id
        assert seen(engine, run_id, who) == [], who.id
    with pytest.raises(Rejected) as refused:
        engine.handle(run_id, cmd.PostInThread(thread_id, "let me in"), BRN)
    assert refused.value.status == 404  # the id gives nothing away


def test_a_forwarded_thread_reaches_the_other_party_read_only(engine: Engine) -> None:
    run_id = started(engine)
    thread_id = write(engine, run_id)
    engine.handle(run_id, cmd.ForwardThread(thread_id, parties=("brn",), note="FYI"), FAC)
    assert [t.id for t in visible_threads(BRN, engine.state(run_id))] == [thread_id]
    assert "thread-opened" in seen(engine, run_id, BRN)
    with pytest.raises(Rejected) as refused:
        engine.handle(run_id, cmd.PostInThread(thread_id, "ours now?"), BRN)
    assert refused.value.status == 403


def test_players_cannot_answer_as_the_organisation_or_forward(engine: Engine) -> None:
    run_id = started(engine)
    thread_id = write(engine, run_id)
    with pytest.raises(Rejected) as marked:
        engine.handle(run_id, cmd.PostInThread(thread_id, "x", classification="SECRET"), ALD)
    assert marked.value.field == "classification"
    with pytest.raises(Rejected) as forwarded:
        engine.handle(run_id, cmd.ForwardThread(thread_id, teams=("brn-nsc",)), ALD)
    assert forwarded.value.status == 403
    engine.handle(run_id, cmd.PostInThread(thread_id, "more detail"), ALD2)
    sides = [m.side for m in engine.state(run_id).inbox.threads[thread_id].messages]
    assert sides == ["team", "team"]


def test_bad_input_names_the_field_and_what_is_accepted(engine: Engine) -> None:
    run_id = started(engine)
    with pytest.raises(Rejected) as unknown:
        engine.handle(run_id, cmd.WriteToOrganisation("embassy", "s", "b"), ALD)
    assert unknown.value.field == "organisation" and "ministry, press" in unknown.value.message
    with pytest.raises(Rejected) as empty:
        engine.handle(run_id, cmd.WriteToOrganisation("ministry", " ", "b"), ALD)
    assert empty.value.field == "subject"
    thread_id = write(engine, run_id)
    with pytest.raises(Rejected) as scheme:
        engine.handle(run_id, cmd.PostInThread(thread_id, "x", classification="ULTRA"), FAC)
    assert scheme.value.field == "classification" and "UNCLASSIFIED" in scheme.value.message
    with pytest.raises(Rejected) as tlp:
        engine.handle(run_id, cmd.PostInThread(thread_id, "x", tlp="PURPLE"), FAC)
    assert tlp.value.field == "tlp" and "AMBER" in tlp.value.message
    with pytest.raises(Rejected) as nobody:
        engine.handle(run_id, cmd.ForwardThread(thread_id), FAC)
    assert nobody.value.field == "teams"
    with pytest.raises(Rejected) as team:
        engine.handle(run_id, cmd.ForwardThread(thread_id, teams=("excon",)), FAC)
    assert team.value.field == "teams" and "brn-nsc" in team.value.message


def test_unread_counts_are_the_teams_and_reading_again_records_nothing(engine: Engine) -> None:
    run_id = started(engine)
    thread_id = write(engine, run_id)
    state = engine.state(run_id)
    thread = state.inbox.threads[thread_id]
    assert thread.unread("ald-nsc", state.inbox.read_by(thread_id, "ald-nsc")) == 0  # its own
    engine.handle(run_id, cmd.PostInThread(thread_id, "answer 1"), FAC)
    engine.handle(run_id, cmd.PostInThread(thread_id, "answer 2"), FAC)
    state = engine.state(run_id)
    thread = state.inbox.threads[thread_id]
    assert thread.unread("ald-nsc", state.inbox.read_by(thread_id, "ald-nsc")) == 2
    assert engine.handle(run_id, cmd.MarkThreadRead(thread_id), ALD2).events
    assert engine.handle(run_id, cmd.MarkThreadRead(thread_id), ALD).events == []
    state = engine.state(run_id)
    assert (
        state.inbox.threads[thread_id].unread("ald-nsc", state.inbox.read_by(thread_id, "ald-nsc"))
        == 0
    )
    assert "thread-read" not in seen(engine, run_id, BRN)
    with pytest.raises(Rejected):
        engine.handle(run_id, cmd.MarkThreadRead(thread_id), BRN)


def test_an_inject_from_an_organisation_is_in_the_addressed_teams_inbox(engine: Engine) -> None:
    run_id = started(engine)
    with pytest.raises(Rejected):  # not released yet: no such thread
        engine.handle(run_id, cmd.MarkThreadRead("inject:10"), ALD)
    engine.handle(run_id, cmd.ReleaseInject("10"), FAC)
    state = engine.state(run_id)
    assert [i.number for i, _ in visible_org_injects(ALD, state)] == ["10"]
    assert visible_org_injects(BRN, state) == []
    assert engine.handle(run_id, cmd.MarkThreadRead("inject:10"), ALD).events
    assert engine.state(run_id).inbox.read_by("inject:10", "ald-nsc") == 1


def test_the_organisations_cell_answers_its_threads_only(engine: Engine) -> None:
    run_id = started(engine)
    thread_id = write(engine, run_id)
    engine.handle(run_id, cmd.PostInThread(thread_id, "from the cell"), MINISTRY_CELL)
    assert engine.state(run_id).inbox.threads[thread_id].messages[-1].side == "organisation"
    press = write(engine, run_id, org="press")
    with pytest.raises(Rejected) as refused:
        engine.handle(run_id, cmd.PostInThread(press, "not mine"), MINISTRY_CELL)
    assert refused.value.status == 404


def test_folding_the_log_equals_the_live_inbox(engine: Engine) -> None:
    run_id = started(engine)
    thread_id = write(engine, run_id)
    engine.handle(run_id, cmd.PostInThread(thread_id, "answer"), FAC)
    engine.handle(run_id, cmd.ForwardThread(thread_id, teams=("brn-nsc",)), FAC)
    engine.handle(run_id, cmd.MarkThreadRead(thread_id), ALD)
    folded = fold(run_id, simcell(), engine.log(run_id))
    assert folded.inbox == engine.state(run_id).inbox


def _checked(text: str) -> list[Problem]:
    result = load_text(text, "orgs.yaml")
    assert result.package is not None, result.problems
    return check_package(result.package, result.source, require_attachments=False)


def _problems(extra: str) -> list[tuple[str, str, bool]]:
    problems = _checked(TWO_PARTIES + extra)
    return [(p.code, p.field or "", p.severity == "warning") for p in problems]


def test_package_organisations_are_checked() -> None:
    problems = _problems(
        """organisations:
  - {id: ministry, name: {en: Ministry, ko: 부처}, played_by: [White Cell]}
  - {id: ministry, name: {en: Again, ko: 다시}, played_by: [White Cell]}
  - {id: ald-nsc, name: {en: Clash, ko: 충돌}, played_by: [White Cell]}
  - {id: nobody, name: {en: Unplayed, ko: 미배정}}
"""
    )
    assert ("duplicate-id", "organisations.1.id", False) in problems
    assert ("organisation-is-team", "organisations.2.id", False) in problems
    assert ("organisation-unplayed", "organisations.3", True) in problems


def test_an_inject_from_an_unknown_organisation_is_an_error() -> None:
    text = (
        TWO_PARTIES.replace(
            "        title: {en: Statement, ko: 성명}\n",
            "        title: {en: Statement, ko: 성명}\n        from_organisation: ministy\n",
        )
        + "organisations:\n  - {id: ministry, name: {en: M, ko: 엠}, played_by: [W]}\n"
    )
    found = [p for p in _checked(text) if p.code == "unknown-reference"]
    assert found and found[0].field == "modules.1.injects.0.from_organisation"
    assert "did you mean 'ministry'" in found[0].hint


def test_the_complete_aar_counts_time_to_first_answer_per_organisation(engine: Engine) -> None:
    clock = engine.clock
    assert isinstance(clock, Clock)
    run_id = started(engine)
    first = write(engine, run_id)
    clock.now += timedelta(minutes=4)
    engine.handle(run_id, cmd.PostInThread(first, "answer"), FAC)
    second = write(engine, run_id, BRN)
    clock.now += timedelta(minutes=10)
    engine.handle(run_id, cmd.PostInThread(second, "answer"), FAC)
    engine.handle(run_id, cmd.PostInThread(second, "again"), FAC)  # only the first counts
    write(engine, run_id, org="press")  # never answered
    rows = {r.organisation: r for r in engine.report(run_id).model.answer_times}
    ministry, press = rows["ministry"], rows["press"]
    assert (ministry.threads, ministry.answered) == (2, 2)
    assert (ministry.median_minutes, ministry.max_minutes) == (7.0, 10.0)
    assert (press.threads, press.answered, press.median_minutes) == (1, 0, None)
    party = engine.report(run_id, ("ald",)).model
    assert "answer_times" not in model_data(party)  # exercise staff's, like milestones
    html = render_html(engine.report(run_id), lang="ko")
    assert "모의 기관(SimCell) 답변 시간" in html and "벨모라 외교부" in html


def test_organisations_and_injects_from_them_round_trip_through_the_msel(tmp_path: Path) -> None:
    package = load_package(example_path("allied-consultation")).package
    assert package is not None and package.organisations
    report = import_msel(export_msel(package, tmp_path / "msel.xlsx"))
    assert report.package is not None and not report.errors
    assert report.package.organisations == package.organisations
    inject = report.package.inject("2.6")
    assert inject is not None and inject.from_organisation == "meridian-press"


def test_a_thread_is_in_its_teams_partys_aar_alone_until_forwarded(engine: Engine) -> None:
    run_id = started(engine)
    thread_id = write(engine, run_id)
    engine.handle(run_id, cmd.PostInThread(thread_id, "answer"), FAC)
    log = engine.log(run_id)
    threads = [r for r in log if r.event.TYPE.startswith("thread-")]
    kept, _ = releasable_log(simcell(), log, ("brn",))
    assert not [r for r in kept if r.event.TYPE.startswith("thread-")]
    kept, _ = releasable_log(simcell(), log, ("ald",))
    assert [r.seq for r in kept if r.event.TYPE.startswith("thread-")] == [r.seq for r in threads]
    engine.handle(run_id, cmd.ForwardThread(thread_id, parties=("brn",)), FAC)
    kept, _ = releasable_log(simcell(), engine.log(run_id), ("brn",))
    assert [r.event.TYPE for r in kept if r.event.TYPE.startswith("thread-")] == [
        "thread-forwarded"
    ]
