"""Drafted findings read as sentences: who (team and party names, not ids), on which inject,
against which critical task and clause, the rating in words, the evaluator's note as written
and the event it comes from — in English and Korean."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from babel.messages.extract import extract_from_file

from sitroom.conduct import commands as cmd
from sitroom.conduct.principal import Principal, Role
from sitroom.conduct.run import Context, decide
from sitroom.conduct.state import Recorded, RunState, apply
from sitroom.reports import draft_text
from sitroom.reports.build import build_model
from sitroom.reports.i18n import report_translations
from sitroom.reports.model import FindingItem, ReportModel
from tests.support.packages import two_parties

FAC = Principal("account:fac", Role.FACILITATOR, "Fac")
EVAL = Principal("invite:eval", Role.EVALUATOR, "Eval")
ALD = Principal("invite:ald1", Role.PLAYER, "Ald", team="ald-nsc", party="ald")
NOW = datetime(2027, 3, 4, 9, 0, tzinfo=UTC)


class Run:
    def __init__(self) -> None:
        self.state = RunState.initial("r", two_parties())
        self.log: list[Recorded] = []

    def do(self, command: cmd.Command, who: Principal) -> int:
        for event in decide(self.state, command, who, Context(NOW, f"id-{len(self.log)}")):
            recorded = Recorded(self.state.seq + 1, NOW, event, who.id)
            apply(self.state, recorded)
            self.log.append(recorded)
        return self.state.seq

    def model(self) -> ReportModel:
        return build_model(self.state.package, self.log, run_id="r")


def started() -> Run:
    run = Run()
    run.do(cmd.StartRun(), FAC)
    run.do(cmd.ReleaseInject("1"), FAC)
    return run


def finding(model: ReportModel, kind: str) -> FindingItem:
    (found,) = [
        f for c in model.capabilities for f in (*c.strengths, *c.improvements) if f.kind == kind
    ]
    return found


def test_an_observation_on_an_inject_against_an_objective() -> None:
    run = started()
    seq = run.do(
        cmd.RecordObservation("Called *early*", inject="1", team="ald-nsc", rating="S"), EVAL
    )
    strength = finding(run.model(), "strength")
    assert strength.title == "Aldoria staff: inject 1 “Announcement” was handled well"
    assert strength.analysis == (
        "- Aldoria staff (Aldoria), on inject 1 “Announcement” — rated S (Performed with Some "
        f"Challenges): “Called \\*early\\*” (#{seq})"
    )
    assert [e.seq for e in strength.evidence] == [seq]
    assert strength.text_in("ko")[0] == "알도리아 참모: 상황 조성 1 “발표” 대응 양호"


def test_an_observation_of_no_team_against_an_objective() -> None:
    run = started()
    seq = run.do(cmd.RecordObservation("Nobody called", objective="o1", rating="U"), EVAL)
    improvement = finding(run.model(), "improvement")
    assert improvement.title == "Operational Coordination: performed with challenges"
    assert improvement.analysis == (
        "- the players, against objective 1 — rated U (Unable to be Performed): "
        f"“Nobody called” (#{seq})"
    )
    assert improvement.text_in("ko")[1] == (
        f"- 참가자, 목표 1 기준 — U 등급(수행 불가): “Nobody called” (#{seq})"
    )


def test_a_rated_target_names_the_target_not_its_id() -> None:
    run = started()
    seq = run.do(cmd.RateTarget("t1", "P", "Consulted within the hour."), EVAL)
    strength = finding(run.model(), "strength")
    assert strength.title == "Operational Coordination: the capability target “Consult” was met"
    assert strength.analysis == (
        "- Capability target “Consult” — rated P (Performed without Challenges) by an evaluator:"
        f" “Consulted within the hour.” (#{seq})"
    )


def test_general_findings_say_where_each_point_was_made() -> None:
    run = started()
    said = run.do(cmd.AddHotWashItem("strength", "Clear roles.", party="ald"), EVAL)
    anyone = run.do(cmd.AddHotWashItem("strength", "Good pace."), EVAL)
    (general,) = run.model().general
    assert general.title == "Clear roles"
    assert general.analysis == (
        f"- Said in the hot wash by Aldoria: “Clear roles.” (#{said})\n"
        f"- Said in the hot wash: “Good pace.” (#{anyone})"
    )
    assert general.text_in("ko")[1].startswith("- 즉각 강평에서 알도리아 발언: “Clear roles.”")


def test_a_saved_finding_is_shown_as_written_in_every_language() -> None:
    run = started()
    run.do(cmd.SaveFinding("strength", "Early call", "As **written**."), EVAL)
    (saved,) = [f for f in run.model().general if not f.drafted]
    assert saved.translations == {}
    assert saved.text_in("ko") == ("Early call", "As **written**.")


def test_every_drafting_sentence_has_a_korean_translation() -> None:
    source = Path(draft_text.__file__)
    found = [
        message
        for _, message, _, _ in extract_from_file(
            "python", str(source), keywords={"_": None, "N_": None}
        )
    ]
    assert len(found) >= 20
    korean = report_translations("ko")
    missing = [m for m in found if korean.gettext(m) == m and m != "%(lead)s: %(what)s"]
    assert missing == []
