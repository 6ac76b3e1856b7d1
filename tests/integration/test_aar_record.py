"""Findings, finalising and one AAR per party, through the engine on a real SQLite log."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from sitroom.conduct import commands as cmd
from sitroom.conduct import events as ev
from sitroom.conduct.principal import Principal, Role
from sitroom.conduct.run import Rejected
from sitroom.conduct.visibility import view_event
from sitroom.reports.build import ReportError
from sitroom.reports.model import model_data
from sitroom.services.runs import Engine
from sitroom.storage.factory import open_recorder
from tests.support.packages import two_parties
from tests.support.playthrough import StepClock

FAC = Principal("account:fac", Role.FACILITATOR, "Fac")
EVAL = Principal("invite:eval", Role.EVALUATOR, "Eval")
ALD = Principal("invite:ald1", Role.PLAYER, "Ald 1", team="ald-nsc", party="ald")
BRN = Principal("invite:brn1", Role.PLAYER, "Brn 1", team="brn-nsc", party="brn")


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    clock = StepClock()
    recorder = open_recorder(f"sqlite:///{tmp_path / 'runs.db'}", clock=clock)
    yield Engine(recorder, clock=clock)
    recorder.close()


def started(engine: Engine) -> str:
    run = engine.create_run(two_parties(), run_id="duo").id
    engine.handle(run, cmd.StartRun(), FAC)
    return run


def refused(engine: Engine, run: str, command: cmd.Command, who: Principal) -> Rejected:
    with pytest.raises(Rejected) as caught:
        engine.handle(run, command, who)
    return caught.value


def text_of(engine: Engine, run: str, parties: tuple[str, ...] = ()) -> str:
    return json.dumps(model_data(engine.report(run, parties).model), ensure_ascii=False)


def test_only_evaluators_and_control_write_findings(engine: Engine) -> None:
    run = engine.create_run(two_parties(), run_id="duo").id
    finding = cmd.SaveFinding("strength", "Early call")
    assert refused(engine, run, finding, EVAL).status == 409  # before STARTEX
    engine.handle(run, cmd.StartRun(), FAC)
    assert refused(engine, run, finding, ALD).status == 403
    assert refused(engine, run, cmd.RemoveFinding("x"), BRN).status == 403
    engine.handle(run, finding, EVAL)
    engine.handle(run, finding, FAC)
    assert len(engine.state(run).findings) == 2


@pytest.mark.parametrize(
    ("command", "field"),
    [
        (cmd.SaveFinding("weakness", "x"), "kind"),
        (cmd.SaveFinding("strength", "  "), "title"),
        (cmd.SaveFinding("strength", "x", capability="no-such"), "capability"),
        (cmd.SaveFinding("strength", "x", objective="o9"), "objective"),
        (cmd.SaveFinding("strength", "x", evidence=(999,)), "evidence"),
        (cmd.SaveFinding("strength", "x", rel_to=("zed",)), "rel_to"),
        (cmd.SaveFinding("strength", "x", id="bad id!"), "id"),
        (
            cmd.SaveFinding("strength", "x", corrective_actions=(cmd.CorrectiveAction("a"),)),
            "corrective_actions",
        ),
        (
            cmd.SaveFinding(
                "improvement", "x", corrective_actions=(cmd.CorrectiveAction("a", "Money"),)
            ),
            "corrective_actions[0].element",
        ),
        (
            cmd.SaveFinding(
                "improvement",
                "x",
                corrective_actions=(
                    cmd.CorrectiveAction("a", start="2027-05-01"),
                    cmd.CorrectiveAction("b", start="2027-05-01", completion="2027-04-01"),
                ),
            ),
            "corrective_actions[1].completion",
        ),
        (
            cmd.SaveFinding(
                "improvement", "x", corrective_actions=(cmd.CorrectiveAction("a", start="May"),)
            ),
            "corrective_actions[0].start",
        ),
        (
            cmd.SaveFinding("improvement", "x", corrective_actions=(cmd.CorrectiveAction(" "),)),
            "corrective_actions[0].action",
        ),
    ],
)
def test_a_bad_finding_names_its_field(engine: Engine, command: cmd.Command, field: str) -> None:
    run = started(engine)
    error = refused(engine, run, command, EVAL)
    assert (error.status, error.field) == (422, field), error.message


def test_editing_and_removing_findings(engine: Engine) -> None:
    run = started(engine)
    engine.handle(run, cmd.ReleaseInject("1"), FAC)
    (obs,) = engine.handle(
        run,
        cmd.RecordObservation("Aldoria called late", task="k1", team="ald-nsc", rating="M"),
        EVAL,
    ).events
    report = engine.report(run)
    (drafted,) = [f for c in report.model.capabilities for f in c.improvements]
    assert drafted.drafted
    # A reader's sentences: the team and party by name, the critical task and its clause,
    # the rating in words, the evaluator's note and the event it comes from.
    assert drafted.title == "Aldoria staff: the critical task “Call the ally” met challenges"
    assert drafted.analysis == (
        "- Aldoria staff (Aldoria), against the critical task “Call the ally” (Guidelines 1.1)"
        f" — rated M (Performed with Major Challenges): “Aldoria called late” (#{obs.seq})"
    )
    assert drafted.text_in("ko") == (
        "알도리아 참모: 핵심 과업 “동맹국에 연락” 수행에 어려움",
        "- 알도리아 참모(알도리아), 핵심 과업 “동맹국에 연락”(지침 1.1) 기준 — M 등급(중대한 문제 "
        f"있으나 수행): “Aldoria called late” (#{obs.seq})",
    )
    assert [e.seq for e in drafted.evidence] == [obs.seq]
    action = cmd.CorrectiveAction(
        "Write a consultation checklist",
        "Planning",
        "Aldoria MFA",
        "Director J5",
        "2027-04-01",
        "2027-09-30",
    )
    engine.handle(
        run,
        cmd.SaveFinding(
            "improvement",
            "Consultation started late",
            "The first call came 40 minutes after notification.",
            capability="operational-coordination",
            evidence=(obs.seq,),
            corrective_actions=(action,),
            id=drafted.id,
        ),
        EVAL,
    )
    report = engine.report(run)
    (edited,) = [f for c in report.model.capabilities for f in c.improvements]
    assert (edited.id, edited.drafted, edited.title) == (
        drafted.id,
        False,
        "Consultation started late",
    )
    (row,) = report.model.improvement_plan
    assert (row.action, row.element, row.organisation, row.poc, row.start, row.completion) == (
        "Write a consultation checklist",
        "Planning",
        "Aldoria MFA",
        "Director J5",
        "2027-04-01",
        "2027-09-30",
    )
    assert row.issue == "Consultation started late" and row.id == f"{drafted.id}-1"
    engine.handle(run, cmd.RemoveFinding(drafted.id, "merged into another"), EVAL)
    report = engine.report(run)
    assert not [f for c in report.model.capabilities for f in c.improvements]
    assert refused(engine, run, cmd.RemoveFinding(drafted.id), EVAL).status == 409


def test_finalising_freezes_the_report(engine: Engine) -> None:
    run = started(engine)
    engine.handle(run, cmd.RecordObservation("Good call", task="k1", rating="P"), EVAL)
    draft = engine.report(run)
    last = engine.state(run).seq
    early = refused(engine, run, cmd.FinaliseReport((), last, draft.hash), EVAL)
    assert early.status == 409 and "ENDEX" in early.message
    engine.handle(run, cmd.EndRun(), FAC)
    draft = engine.report(run)
    last = engine.state(run).seq
    assert refused(engine, run, cmd.FinaliseReport((), last - 1, draft.hash), EVAL).field == "upto"
    assert refused(engine, run, cmd.FinaliseReport((), last, "md5:x"), EVAL).field == "hash"
    assert refused(engine, run, cmd.FinaliseReport((), last, draft.hash), ALD).status == 403
    engine.handle(run, cmd.FinaliseReport((), last, draft.hash), EVAL)
    assert refused(engine, run, cmd.FinaliseReport((), last + 1, draft.hash), EVAL).status == 409
    # Later events change the live record, never the final report.
    engine.handle(run, cmd.SubmitFeedback(strengths=("A late form",)), ALD)
    engine.handle(run, cmd.SaveFinding("strength", "Added after finalising"), EVAL)
    final = engine.report(run)
    assert final.final and final.intact and final.hash == draft.hash == final.frozen_hash
    assert final.model.upto == last and "Added after finalising" not in text_of(engine, run)
    # A party's AAR is finalised on its own.
    assert not engine.report(run, ("ald",)).final


def test_unknown_party_is_a_clear_error(engine: Engine) -> None:
    run = started(engine)
    with pytest.raises(ReportError) as caught:
        engine.report(run, ("zed",))
    assert caught.value.field == "party" and "ald, brn" in caught.value.message


def test_findings_are_not_for_players_through_the_gate(engine: Engine) -> None:
    run = started(engine)
    engine.handle(run, cmd.SaveFinding("strength", "ZZFINDING"), EVAL)
    package = engine.package(run)
    event = next(r.event for r in engine.log(run) if isinstance(r.event, ev.FindingSaved))
    assert view_event(ALD, package, event) is None
    assert view_event(Principal("d", Role.DISPLAY), package, event) is None
    assert view_event(EVAL, package, event) is not None


def test_each_party_s_aar_holds_only_what_is_releasable_to_it(engine: Engine) -> None:
    run = started(engine)
    engine.handle(run, cmd.ReleaseInject("2"), FAC)  # SECRET, REL TO ALD, to Aldoria only
    engine.handle(run, cmd.ReleaseInject("1"), FAC)
    (ald_says,) = engine.handle(
        run, cmd.SubmitResponse("inject", "2", "ZZALD-RESPONSE"), ALD
    ).events
    engine.handle(run, cmd.SubmitResponse("inject", "1", "ZZBRN-RESPONSE"), BRN)
    (ald_obs,) = engine.handle(
        run,
        cmd.RecordObservation("ZZALD-OBSERVED", task="k1", team="ald-nsc", rating="U"),
        EVAL,
    ).events
    engine.handle(
        run,
        cmd.RecordObservation("ZZBRN-OBSERVED", task="k1", team="brn-nsc", rating="S"),
        EVAL,
    )
    engine.handle(run, cmd.RateTarget("t1", "M", "ZZALD-RATING-NOTE", (ald_says.seq,)), EVAL)
    engine.handle(
        run,
        cmd.SaveFinding("improvement", "ZZALD-FINDING", evidence=(ald_obs.seq,)),
        EVAL,
    )
    engine.handle(
        run,
        cmd.SaveFinding("strength", "ZZNARROWED-FINDING", rel_to=("ald",)),
        EVAL,
    )
    engine.handle(run, cmd.AddHotWashItem("strength", "ZZBRN-HOTWASH", party="brn"), EVAL)
    (joint,) = engine.handle(
        run, cmd.ProposeDecision("ZZJOINT-DECISION", "Issue it", ("brn",)), ALD
    ).events
    decision = engine.read(run, after=joint.seq - 1)[0].payload["id"]
    engine.handle(run, cmd.AnswerDecision(decision, True, "ZZBRN-CONCURS"), BRN)
    engine.handle(run, cmd.EndRun(), FAC)
    engine.handle(run, cmd.SubmitFeedback(anonymous=True, strengths=("ZZALD-FEEDBACK",)), ALD)

    ald_only = (
        "ZZALD-OBSERVED",
        "ZZALD-RATING-NOTE",
        "ZZALD-FINDING",
        "ZZNARROWED-FINDING",
        "ZZALD-FEEDBACK",
        "National assessment",
    )
    brn_only = ("ZZBRN-OBSERVED", "ZZBRN-HOTWASH")
    complete, ald, brn, both = (
        text_of(engine, run, parties) for parties in ((), ("ald",), ("brn",), ("ald", "brn"))
    )
    for marker in (*ald_only, *brn_only, "ZZJOINT-DECISION"):
        assert marker in complete, marker
    for marker in ald_only:
        assert marker in ald, marker
        assert marker not in brn and marker not in both, marker
    for marker in brn_only:
        assert marker in brn, marker
        assert marker not in ald and marker not in both, marker
    for text in (ald, brn, both):
        assert "ZZJOINT-DECISION" in text
    assert engine.report(run, ("brn",)).model.marking == "SECRET//REL TO BRN" or (
        "REL TO BRN" in engine.report(run, ("brn",)).model.marking
    )
    assert "REL TO ALD, BRN" in engine.report(run, ("ald", "brn")).model.marking
    assert "SECRET" not in engine.report(run, ("brn",)).model.marking
    assert engine.report(run, ("ald",)).model.marking.startswith("SECRET")


def test_an_anonymous_form_is_recorded_under_a_pseudonym(tmp_path: Path) -> None:
    recorder = open_recorder(f"sqlite:///{tmp_path / 'runs.db'}")
    engine = Engine(recorder, secret=b"test-secret")
    run = started(engine)
    engine.handle(run, cmd.EndRun(), FAC)
    engine.handle(run, cmd.SubmitFeedback(anonymous=True, strengths=("first",)), ALD)
    engine.handle(run, cmd.SubmitFeedback(anonymous=True, strengths=("second",)), ALD)
    engine.handle(run, cmd.SubmitFeedback(anonymous=True, strengths=("brn",)), BRN)
    stored = [s for s in engine.read(run) if s.type == "feedback-submitted"]
    actors = [s.actor for s in stored]
    assert all(a and a.startswith("anonymous:") for a in actors)
    assert actors[0] == actors[1] != actors[2]
    assert not any(ALD.id in json.dumps(s.payload) for s in stored)
    forms = engine.state(run).feedback
    assert sorted(f.strengths for f in forms.values()) == [("brn",), ("second",)]
    # The submitter still sees their own form through the gate; the other player does not.
    assert engine.view(ALD, run, stored[1]) is not None
    assert engine.view(BRN, run, stored[1]) is None
    # Another secret makes other pseudonyms: the name cannot be worked out without it.
    assert Engine(recorder, secret=b"other").pseudonym(run, ALD.id) != actors[0]
    recorder.close()
