"""The improvement loop end to end: three editions of a series, played, finalised and imported.

Edition 2025 finds areas for improvement; their corrective actions are tracked, some done and one
cancelled. The 2026 package re-tests the carried actions; the 2026 AAR verifies one, finds one
not verified and does not exercise one, and a new area for improvement repeats an old one.
Edition 2027 closes the loop and the trends come out with known numbers (the clock is stepped).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from sitroom.conduct import commands as cmd
from sitroom.conduct.principal import Principal, Role
from sitroom.conduct.run import Rejected
from sitroom.improvement import commands as ic
from sitroom.improvement.state import RUN_EVIDENCE, SeriesState, Status
from sitroom.improvement.trends import SEVERITY, due_soon, overdue, trends
from sitroom.package.dump import write_package
from sitroom.package.examples import example_path
from sitroom.package.load import load_package
from sitroom.package.model import Package, Series
from sitroom.reports.model import Report
from sitroom.services.runs import Engine
from sitroom.services.series import SeriesService, stream_id
from sitroom.storage.factory import open_recorder
from sitroom.storage.recorder import Recorder, verify_chain
from tests.support.playthrough import Played, StepClock, example_package, play
from tests.support.series import edition as in_series

ADMIN = Principal("account:admin", Role.ADMIN, "Programme manager")
FACILITATOR = Principal("account:facilitator", Role.FACILITATOR, "Facilitator")
SERIES = "allied-annual"
OPCO = "operational-coordination"
PUBLIC = "public-information-and-warning"


def at(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 9, 0, tzinfo=UTC)


class Loop:
    """One database, one clock, the engine and the series service on it."""

    def __init__(self, tmp_path: Path, recorder: Recorder, clock: StepClock) -> None:
        self.tmp_path = tmp_path
        self.clock = clock
        self.recorder = recorder
        self.engine = Engine(recorder, clock=clock)
        self.series = SeriesService(recorder, evidence_dir=tmp_path / "evidence", clock=clock)

    def edition(self, package: Package, name: str) -> Package:
        return in_series(package, name, SERIES)

    def finalise(self, run_id: str, played: Played) -> Report:
        report = self.engine.report(run_id)
        self.engine.handle(
            run_id,
            cmd.FinaliseReport(parties=(), upto=self.engine.state(run_id).seq, hash=report.hash),
            played.evaluator,
        )
        final = self.engine.report(run_id)
        assert final.final
        return final

    def state(self) -> SeriesState:
        return self.series.state(SERIES, ADMIN)

    def status(self, action_id: str, status: str, when: datetime, who: Principal) -> None:
        self.clock.now = when
        self.series.handle(SERIES, ic.ChangeStatus(action_id, status, "progress"), who)


@pytest.fixture
def loop(tmp_path: Path) -> Iterator[Loop]:
    clock = StepClock(at(2025, 3, 4))
    recorder = open_recorder(f"sqlite:///{tmp_path / 'loop.db'}", clock=clock)
    try:
        yield Loop(tmp_path, recorder, clock)
    finally:
        recorder.close()


def finding(
    title: str, capability: str | None, *actions: tuple[str, str, str, str, str]
) -> cmd.SaveFinding:
    return cmd.SaveFinding(
        "improvement",
        title,
        "Seen in the joint session.",
        capability=capability,
        corrective_actions=tuple(
            cmd.CorrectiveAction(action, element, org, poc, "2025-04-01", due)
            for action, element, org, poc, due in actions
        ),
    )


def play_2025(loop: Loop) -> Report:
    package = loop.edition(example_package("allied-consultation"), "2025")
    played = play(loop.engine, package, loop.clock, run_id="allied-2025", end=False)
    loop.engine.handle("allied-2025", cmd.EndRun(), played.facilitator)
    for command in (
        finding(
            "Notification to the ally was late",
            OPCO,
            (
                "Write a duty-desk notification checklist",
                "Planning",
                "Northland MoD",
                "Kim Arin",
                "2025-06-30",
            ),
            (
                "Drill the hotline fallback each quarter",
                "Training",
                "Southland JCS",
                "Lee Doun",
                "2025-09-30",
            ),
        ),
        finding(
            "Joint press lines were not agreed before release",
            PUBLIC,
            (
                "Agree a joint press-line template",
                "Planning",
                "Northland MFA",
                "Park Soyun",
                "2025-07-31",
            ),
        ),
        finding(
            "Liaison officers lacked a shared glossary",
            None,
            (
                "Publish a bilingual glossary",
                "Organization",
                "Combined Staff",
                "Choi Min",
                "2025-09-30",
            ),
        ),
    ):
        loop.engine.handle("allied-2025", command, played.evaluator)
    return loop.finalise("allied-2025", played)


def test_three_editions_carry_retest_verify_and_trend(loop: Loop) -> None:
    loop.series.create_series(SERIES, "Allied annual consultation exercise", ADMIN)

    # --- 2025: the AAR/IP becomes tracked actions --------------------------------------------
    report_2025 = play_2025(loop)
    assert len(report_2025.model.improvement_plan) == 4
    draft = loop.engine.report("allied-2025")
    assert draft.final
    loop.clock.now = at(2025, 4, 1)
    loop.series.import_report(SERIES, loop.engine, "allied-2025", FACILITATOR)
    state = loop.state()
    assert list(state.editions) == ["2025"]
    assert sorted(state.actions) == ["CA-2025-001", "CA-2025-002", "CA-2025-003", "CA-2025-004"]
    a1, a2, a3, a4 = (state.actions[f"CA-2025-00{n}"] for n in (1, 2, 3, 4))
    assert (a1.action, a1.organisation, a1.poc, a1.due, a1.status) == (
        "Write a duty-desk notification checklist",
        "Northland MoD",
        "Kim Arin",
        "2025-06-30",
        Status.OPEN,
    )
    assert (a1.capability, a1.capability_name, a1.edition, a1.source_run) == (
        OPCO,
        "Operational Coordination",
        "2025",
        "allied-2025",
    )
    assert a1.source_id == report_2025.model.improvement_plan[0].id
    assert a3.capability == PUBLIC and a4.capability == ""
    assert a1.created_by == FACILITATOR.id and a1.history[0].at == at(2025, 4, 1)
    with pytest.raises(Rejected) as twice:
        loop.series.import_report(SERIES, loop.engine, "allied-2025", ADMIN, parties=())
    assert twice.value.status == 409

    loop.status("CA-2025-001", "in-progress", at(2025, 4, 10), FACILITATOR)
    loop.status("CA-2025-001", "done", at(2025, 5, 11), FACILITATOR)
    loop.status("CA-2025-002", "in-progress", at(2025, 5, 1), FACILITATOR)
    loop.status("CA-2025-002", "done", at(2025, 6, 10), FACILITATOR)
    loop.status("CA-2025-003", "cancelled", at(2025, 6, 11), ADMIN)
    state = loop.state()
    assert [a.id for a in due_soon(state, date(2025, 9, 15))] == ["CA-2025-004"]
    assert [a.id for a in overdue(state, date(2025, 10, 1))] == ["CA-2025-004"]
    assert overdue(state, date(2025, 9, 15)) == []

    # --- 2026: the package re-tests what is carried -------------------------------------------
    base = example_package("allied-consultation")
    offered = loop.series.retest_objectives(SERIES, base, FACILITATOR, edition="2026")
    # Written next to the example's documents, as a planner would save the new edition.
    folder = loop.tmp_path / "allied-2026"
    shutil.copytree(example_path("allied-consultation"), folder)
    loaded = load_package(write_package(offered, folder / "exercise.yaml"))
    assert loaded.ok, [str(p) for p in loaded.problems]
    assert loaded.package is not None
    package_2026 = loaded.package
    assert package_2026.exercise.series == Series(id=SERIES, edition="2026")
    retests = {o.id: o for o in package_2026.objectives if o.retests}
    assert {o.retests for o in retests.values()} == {
        ("CA-2025-001",),
        ("CA-2025-002",),
        ("CA-2025-004",),
    }, "the cancelled action is not carried"
    assert retests["retest-ca-2025-001"].capabilities == (OPCO,)
    assert retests["retest-ca-2025-004"].capabilities == ()
    assert retests["retest-ca-2025-001"].text == {
        "en": "Re-test: Write a duty-desk notification checklist"
        " (Notification to the ally was late)",
        "ko": "재검증: Write a duty-desk notification checklist"
        " (Notification to the ally was late)",
    }

    loop.clock.now = at(2026, 3, 3)
    played = play(loop.engine, package_2026, loop.clock, run_id="allied-2026", end=False)
    for objective, rating in (("retest-ca-2025-001", "P"), ("retest-ca-2025-002", "M")):
        loop.engine.handle(
            "allied-2026",
            cmd.RateCapability(objective, OPCO, rating, "Re-tested.", ()),
            played.evaluator,
        )
    loop.engine.handle("allied-2026", cmd.EndRun(), played.facilitator)
    loop.engine.handle(
        "allied-2026",
        cmd.SaveFinding(
            "improvement",
            "Notification of the ally was late again",
            "The fallback channel was not used.",
            capability=OPCO,
            corrective_actions=(
                cmd.CorrectiveAction(
                    "Name a deputy for the duty desk",
                    "Organization",
                    "Northland MoD",
                    "Kim Arin",
                    "2026-04-01",
                    "2026-06-30",
                ),
            ),
        ),
        played.evaluator,
    )
    with pytest.raises(Rejected, match="finalise the AAR first"):
        loop.series.import_report(SERIES, loop.engine, "allied-2026", ADMIN)
    report_2026 = loop.finalise("allied-2026", played)
    outcomes = {r.action: r.outcome for r in report_2026.model.retests}
    assert outcomes == {
        "CA-2025-001": "verified",
        "CA-2025-002": "not-verified",
        "CA-2025-004": "not-exercised",
    }
    loop.clock.now = at(2026, 4, 1)
    loop.series.import_report(SERIES, loop.engine, "allied-2026", ADMIN)
    state = loop.state()
    a1, a2, a4 = (state.actions[i] for i in ("CA-2025-001", "CA-2025-002", "CA-2025-004"))
    assert a1.status == Status.VERIFIED
    assert [(r.edition, r.run, r.outcome) for r in a1.retests] == [
        ("2026", "allied-2026", "verified")
    ]
    assert [e.media_type for e in a1.evidence] == [RUN_EVIDENCE]
    assert a1.evidence[0].sha256 == report_2026.hash.removeprefix("sha256:")
    assert a2.status == Status.OPEN, "done but not verified: reopened"
    assert [(r.edition, r.outcome, r.rating) for r in a2.retests] == [("2026", "not-verified", "M")]
    assert a2.history[-1].what.startswith("status: done → open")
    assert a4.status == Status.OPEN
    assert [(r.edition, r.outcome) for r in a4.retests] == [("2026", "not-exercised")]
    b1 = state.actions["CA-2026-001"]
    assert b1.recurring_of == ("CA-2025-002",), "the same issue found again"
    assert b1.edition == "2026"
    loop.status("CA-2026-001", "in-progress", at(2026, 4, 2), FACILITATOR)
    loop.status("CA-2026-001", "done", at(2026, 5, 1), FACILITATOR)

    # --- 2027 ---------------------------------------------------------------------------------
    offered = loop.series.retest_objectives(SERIES, base, ADMIN, edition="2027")
    assert sorted(a for o in offered.objectives for a in o.retests) == [
        "CA-2025-002",
        "CA-2025-004",
        "CA-2026-001",
    ]
    loop.clock.now = at(2027, 3, 2)
    played = play(loop.engine, offered, loop.clock, run_id="allied-2027", end=False)
    for objective, rating in (("retest-ca-2025-002", "P"), ("retest-ca-2026-001", "S")):
        loop.engine.handle(
            "allied-2027",
            cmd.RateCapability(objective, OPCO, rating, "Re-tested.", ()),
            played.evaluator,
        )
    loop.engine.handle("allied-2027", cmd.EndRun(), played.facilitator)
    report_2027 = loop.finalise("allied-2027", played)
    loop.clock.now = at(2027, 4, 1)
    loop.series.import_report(SERIES, loop.engine, "allied-2027", ADMIN)
    state = loop.state()
    assert state.actions["CA-2025-002"].status == Status.VERIFIED
    assert state.actions["CA-2026-001"].status == Status.VERIFIED
    assert state.actions["CA-2025-004"].status == Status.OPEN

    found = trends(state)
    assert found.editions == ("2025", "2026", "2027")
    by_capability = {t.capability: dict(t.ratings) for t in found.capabilities}
    for edition, report in (("2025", report_2025), ("2026", report_2026), ("2027", report_2027)):
        for capability in {c.capability for c in report.model.capabilities}:
            rated = [
                c.rating
                for c in report.model.capabilities
                if c.capability == capability and c.rating
            ]
            worst = max(rated, key=SEVERITY.__getitem__) if rated else None
            assert by_capability[capability][edition] == worst, (capability, edition)
    assert by_capability[OPCO]["2026"] in ("M", "U"), "the failed re-test shows in the trend"
    assert [(r.action, [e[0] for e in r.earlier]) for r in found.recurring] == [
        ("CA-2026-001", ["CA-2025-002"])
    ]
    close = {row.edition: row for row in found.close_times}
    # CA-2025-001: opened 1 Apr 2025, done 11 May (verified later): 40 days.
    # CA-2025-002: opened 1 Apr 2025, reopened, verified by the 2027 import on 1 Apr 2027: 730.
    assert sorted(close["2025"].days) == [40, 730]
    assert close["2025"].median_days == 385.0
    assert (close["2025"].opened, close["2025"].closed) == (4, 2)
    assert close["2026"].days == (30,)  # opened 1 Apr 2026, done 1 May
    assert close["2027"].opened == 0
    assert found.median_days == 40.0

    # The series is a stream of the same log: whole, and not listed among the runs.
    record = loop.recorder.get_run(stream_id(SERIES))
    assert record is not None
    assert verify_chain(loop.recorder.read(record.id), record.package_hash) == []
    assert [r.id for r in loop.engine.runs()] == ["allied-2025", "allied-2026", "allied-2027"]
    with pytest.raises(ValueError, match="reserved"):
        loop.engine.create_run(base, "series:sneaky")


def test_an_exercise_of_another_series_is_refused(loop: Loop) -> None:
    loop.series.create_series(SERIES, "Allied annual", ADMIN)
    loop.series.create_series("other", "Another series", ADMIN)
    play_2025(loop)
    with pytest.raises(Rejected, match="not of series other") as refused:
        loop.series.import_report("other", loop.engine, "allied-2025", ADMIN)
    assert refused.value.field == "run"
    with pytest.raises(Rejected) as unknown:
        loop.series.import_report(SERIES, loop.engine, "no-such-run", ADMIN)
    assert unknown.value.status == 404


def test_evidence_is_stored_by_hash_and_capped(loop: Loop) -> None:
    loop.series.create_series(SERIES, "Allied annual", ADMIN)
    loop.series.handle(SERIES, ic.AddAction("Glossary missing", "Publish a glossary"), ADMIN)
    data = b"%PDF-1.4 minutes of the glossary working group"
    loop.series.attach(
        SERIES, "CA-001", "../minutes.pdf", data, "application/pdf", "signed", FACILITATOR
    )
    evidence = loop.state().actions["CA-001"].evidence
    assert [(e.name, e.size, e.note) for e in evidence] == [("minutes.pdf", len(data), "signed")]
    stored = loop.series.evidence_path(evidence[0].sha256)
    assert stored is not None and stored.read_bytes() == data
    with pytest.raises(Rejected, match="at most 20 MB") as big:
        loop.series.attach(
            SERIES, "CA-001", "big.bin", b"x" * (20 * 1024 * 1024 + 1), "x/y", "", ADMIN
        )
    assert big.value.status == 413
    player = Principal("invite:p", Role.PLAYER, "Player", "team", "party")
    with pytest.raises(Rejected) as refused:
        loop.series.attach(SERIES, "CA-001", "x.txt", b"other", "text/plain", "", player)
    assert refused.value.status == 403
    assert sorted(p.name for p in (loop.tmp_path / "evidence").iterdir()) == [evidence[0].sha256]
