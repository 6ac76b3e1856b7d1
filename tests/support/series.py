"""A series of exercises for tests: editions of the allied example, finalised AARs."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sitroom.conduct import commands as cmd
from sitroom.config import load_settings
from sitroom.package.model import Package, Series
from sitroom.services.runs import Engine
from sitroom.storage.factory import open_recorder
from tests.support.playthrough import StepClock, example_package, play

SERIES = "allied-annual"
RUN = "allied-2025"
DRAFT = "allied-2026-draft"


def edition(package: Package, name: str, series: str = SERIES) -> Package:
    """``package`` as edition ``name`` of ``series``."""
    exercise = package.exercise.model_copy(update={"series": Series(id=series, edition=name)})
    return package.model_copy(update={"exercise": exercise})


def finding(title: str, capability: str | None, *rows: tuple[str, str, str]) -> cmd.SaveFinding:
    return cmd.SaveFinding(
        "improvement",
        title,
        "Seen in the joint session.",
        capability=capability,
        corrective_actions=tuple(
            cmd.CorrectiveAction(action, "Planning", org, "Kim Arin", "2025-04-01", due)
            for action, org, due in rows
        ),
    )


def play_editions(data_dir: Path) -> None:
    """A finalised 2025 edition with three IP rows (one overdue long ago), a 2026 draft."""
    settings = load_settings({"SITROOM_DATA_DIR": str(data_dir)})
    clock = StepClock(datetime(2025, 3, 4, 9, 0, tzinfo=UTC))
    recorder = open_recorder(settings.effective_database_url, clock=clock)
    try:
        engine = Engine(recorder, clock=clock)
        package = example_package("allied-consultation")
        played = play(engine, edition(package, "2025"), clock, run_id=RUN, end=False)
        engine.handle(RUN, cmd.EndRun(), played.facilitator)
        for command in (
            finding(
                "Notification to the ally was late",
                "operational-coordination",
                ("Write a duty-desk notification checklist", "Northland MoD", "2025-06-30"),
                ("Drill the hotline fallback each quarter", "Southland JCS", "2099-01-31"),
            ),
            finding(
                "Joint press lines were not agreed before release",
                "public-information-and-warning",
                ("Agree a joint press-line template", "Northland MFA", ""),
            ),
        ):
            engine.handle(RUN, command, played.evaluator)
        report = engine.report(RUN)
        engine.handle(
            RUN,
            cmd.FinaliseReport(parties=(), upto=engine.state(RUN).seq, hash=report.hash),
            played.evaluator,
        )
        assert engine.report(RUN).final
        engine.create_run(edition(package, "2026"), run_id=DRAFT)
    finally:
        recorder.close()
