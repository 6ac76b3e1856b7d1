"""The evaluation record of a run: ratings, clause records, hot wash, feedback forms — who may
record them, when, what a bad reference says, and who sees them through the gate."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from sitroom.conduct import commands as cmd
from sitroom.conduct import events as ev
from sitroom.conduct.feedback import STATEMENT_IDS, STATEMENTS
from sitroom.conduct.principal import Principal, Role
from sitroom.conduct.run import Context, Rejected, decide
from sitroom.conduct.state import Recorded, RunState, apply, fold
from sitroom.conduct.visibility import view_event
from tests.support.packages import two_parties

FAC = Principal("account:fac", Role.FACILITATOR, "Fac")
EVAL = Principal("invite:eval", Role.EVALUATOR, "Eval")
EVAL2 = Principal("invite:eval2", Role.EVALUATOR, "Eval 2")
OBS = Principal("invite:obs", Role.OBSERVER, "Obs")
DISPLAY = Principal("invite:display", Role.DISPLAY, "Display")
ALD = Principal("invite:ald1", Role.PLAYER, "Ald", team="ald-nsc", party="ald")
BRN = Principal("invite:brn1", Role.PLAYER, "Brn", team="brn-nsc", party="brn")
NOW = datetime(2027, 3, 4, 9, 0, tzinfo=UTC)


class Run:
    """A run folded in memory: decide, then apply each event with the actor's id."""

    def __init__(self) -> None:
        self.state = RunState.initial("r", two_parties())
        self.log: list[Recorded] = []

    def do(self, command: cmd.Command, who: Principal) -> list[ev.Event]:
        events = decide(self.state, command, who, Context(NOW, f"id-{len(self.log)}"))
        for event in events:
            recorded = Recorded(self.state.seq + 1, NOW, event, who.id)
            apply(self.state, recorded)
            self.log.append(recorded)
        return events

    def refused(self, command: cmd.Command, who: Principal) -> Rejected:
        with pytest.raises(Rejected) as caught:
            self.do(command, who)
        return caught.value

    def seen(self, who: Principal) -> str:
        package = self.state.package
        return repr([view_event(who, package, r.event, actor=r.actor) for r in self.log])


def started() -> Run:
    run = Run()
    run.do(cmd.StartRun(), FAC)
    run.do(cmd.ReleaseInject("1"), FAC)
    return run


def ended() -> Run:
    run = started()
    run.do(cmd.EndRun(), FAC)
    return run


# --- ratings -----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", [ALD, OBS, DISPLAY])
def test_only_evaluators_and_control_rate(who: Principal) -> None:
    run = started()
    for command in (
        cmd.RateTarget("t1", "P"),
        cmd.RateCapability("o1", "operational-coordination", "S"),
        cmd.RecordClause("guide/1.1", True),
    ):
        assert run.refused(command, who).status == 403


def test_nothing_is_rated_before_startex() -> None:
    run = Run()
    assert run.refused(cmd.RateTarget("t1", "P"), EVAL).status == 409
    assert run.refused(cmd.RecordClause("guide/1.1", True), EVAL).status == 409


def test_target_rating_names_the_bad_field() -> None:
    run = started()
    assert run.refused(cmd.RateTarget("tx", "P"), EVAL).field == "target"
    assert run.refused(cmd.RateTarget("t1", "X"), EVAL).field == "rating"
    for evidence in ((0,), (run.state.seq + 1,), (-2,)):
        assert run.refused(cmd.RateTarget("t1", "P", evidence=evidence), EVAL).field == "evidence"
    bogus: Any = ("1",)
    assert run.refused(cmd.RateTarget("t1", "P", evidence=bogus), EVAL).field == "evidence"


def test_latest_target_rating_per_evaluator_counts_and_history_stays() -> None:
    run = started()
    (first,) = run.do(cmd.RateTarget("t1", "S", "ZZNOTE", evidence=(3, 1, 3)), EVAL)
    assert isinstance(first, ev.TargetRated)
    assert first.objective == "o1" and first.evidence == (1, 3)
    run.do(cmd.RateTarget("t1", "P"), EVAL)
    run.do(cmd.EndRun(), FAC)
    run.do(cmd.RateTarget("t1", "M"), FAC)  # after ENDEX too
    assert [r.rating for r in run.state.target_ratings] == ["S", "P", "M"]
    latest = run.state.latest_target_ratings()
    assert {k: r.rating for k, r in latest.items()} == {
        ("t1", EVAL.id): "P",
        ("t1", FAC.id): "M",
    }


def test_capability_must_be_one_the_objective_lists() -> None:
    run = started()
    assert run.refused(cmd.RateCapability("ox", "operational-coordination", "P"), EVAL).field == (
        "objective"
    )
    refused = run.refused(cmd.RateCapability("o1", "mass-care", "P"), EVAL)
    assert refused.field == "capability" and "operational-coordination" in refused.message
    run.do(cmd.RateCapability("o1", "operational-coordination", "U", "n"), EVAL2)
    assert run.state.latest_capability_ratings()[("o1", "operational-coordination", EVAL2.id)]


def test_clause_records() -> None:
    run = started()
    assert run.refused(cmd.RecordClause("guide/9.9", True), EVAL).field == "clause"
    assert run.refused(cmd.RecordClause("guide/1.1", True, evidence=(99,)), EVAL).field == (
        "evidence"
    )
    run.do(cmd.RecordClause("guide/1.1", False), EVAL)
    run.do(cmd.RecordClause("guide/1.1", True, "raised by Brenland", (3,)), EVAL)
    assert len(run.state.clause_records) == 2
    assert run.state.latest_clause_records()[("guide/1.1", EVAL.id)].discussed is True


# --- hot wash ----------------------------------------------------------------------------------


def test_hot_wash_items_while_running_paused_and_after_endex() -> None:
    run = Run()
    assert run.refused(cmd.AddHotWashItem("strength", "x"), FAC).status == 409
    run.do(cmd.StartRun(), FAC)
    run.do(cmd.AddHotWashItem("strength", "Early call", team="ald-nsc"), FAC)
    run.do(cmd.PauseRun(), FAC)
    run.do(cmd.AddHotWashItem("improvement", "Slow statement", party="brn"), EVAL)
    run.do(cmd.EndRun(), FAC)
    run.do(cmd.AddHotWashItem("improvement", "Unclear lead"), FAC)
    assert [i.kind for i in run.state.hot_wash] == ["strength", "improvement", "improvement"]
    assert run.refused(cmd.AddHotWashItem("strength", "x"), ALD).status == 403
    assert run.refused(cmd.AddHotWashItem("strength", "x"), OBS).status == 403
    assert run.refused(cmd.AddHotWashItem("praise", "x"), FAC).field == "kind"
    assert run.refused(cmd.AddHotWashItem("strength", "  "), FAC).field == "text"
    assert run.refused(cmd.AddHotWashItem("strength", "x", team="zz"), FAC).field == "team"
    assert run.refused(cmd.AddHotWashItem("strength", "x", party="zz"), FAC).field == "party"


# --- feedback forms ------------------------------------------------------------------------------


def form(**changes: Any) -> cmd.SubmitFeedback:
    base: dict[str, Any] = {
        "name": "A. Tester",
        "organisation": "Aldoria MFA",
        "role": "Desk officer",
        "strengths": ("Early consultation", " "),
        "improvements": ("Public statement",),
        "missed": "Side talks",
        "corrective_actions": (cmd.SuggestedAction("Update the call list", "High", "MFA"),),
        "ratings": {"scenario-plausible": 5, "right-people": 3},
    }
    return cmd.SubmitFeedback(**{**base, **changes})


def test_feedback_only_after_endex_and_not_from_a_display() -> None:
    run = started()
    assert run.refused(form(), ALD).status == 409
    run.do(cmd.EndRun(), FAC)
    assert run.refused(form(), DISPLAY).status == 403
    (event,) = run.do(form(), ALD)
    assert isinstance(event, ev.FeedbackSubmitted)
    assert event.respondent == ALD.id and event.strengths == ("Early consultation",)
    assert event.corrective_actions == (
        {"action": "Update the call list", "priority": "High", "responsible": "MFA"},
    )


def test_feedback_form_names_the_bad_field() -> None:
    run = ended()
    bad_priority = (cmd.SuggestedAction("x", "Urgent"),)
    empty_action = (cmd.SuggestedAction(" ", "Low"),)
    assert run.refused(form(corrective_actions=bad_priority), ALD).field == "corrective_actions"
    assert run.refused(form(corrective_actions=empty_action), ALD).field == "corrective_actions"
    assert run.refused(form(ratings={"nope": 3}), ALD).field == "ratings"
    assert run.refused(form(ratings={"right-people": 6}), ALD).field == "ratings"
    assert run.refused(form(ratings={"right-people": True}), ALD).field == "ratings"
    assert run.refused(form(anonymous=True), ALD).field == "name"
    assert run.refused(form(organisation="x" * 201), ALD).field == "organisation"
    assert run.refused(form(strengths=("s",) * 21), ALD).field == "strengths"


def test_anonymous_form_names_nobody() -> None:
    run = ended()
    (event,) = run.do(form(anonymous=True, name=""), BRN)
    assert isinstance(event, ev.FeedbackSubmitted)
    assert event.respondent is None and BRN.id not in repr(event.payload())
    control = view_event(FAC, run.state.package, event, actor=BRN.id)
    assert control is not None and BRN.id not in repr(control)
    own = view_event(BRN, run.state.package, event, actor=BRN.id)
    assert own is not None


def test_a_second_form_replaces_the_first_and_the_log_keeps_both() -> None:
    run = ended()
    run.do(form(missed="first"), ALD)
    run.do(form(missed="second"), ALD)
    run.do(form(), BRN)
    assert [r.event.TYPE for r in run.log].count("feedback-submitted") == 3
    mine = run.state.feedback[ALD.id]
    assert mine.missed == "second" and mine.replaced == 1
    assert len(run.state.feedback) == 2
    assert fold("r", run.state.package, run.log) == run.state


def test_statements_are_data_with_unique_ids() -> None:
    assert len(STATEMENT_IDS) == len(STATEMENTS) >= 5
    assert all({"en", "ko"} <= set(s.text) for s in STATEMENTS)


# --- the gate ------------------------------------------------------------------------------------


def test_players_displays_and_observers_never_see_the_evaluation_record() -> None:
    run = started()
    run.do(cmd.RateTarget("t1", "S", "ZZTARGET-NOTE"), EVAL)
    run.do(cmd.RateCapability("o1", "operational-coordination", "M", "ZZCAPABILITY-NOTE"), FAC)
    run.do(cmd.RecordClause("guide/1.1", False, "ZZCLAUSE-NOTE"), EVAL)
    run.do(cmd.AddHotWashItem("strength", "ZZHOT-WASH"), FAC)
    run.do(cmd.EndRun(), FAC)
    run.do(form(missed="ZZALD-FEEDBACK"), ALD)
    run.do(form(anonymous=True, name="", missed="ZZBRN-FEEDBACK"), BRN)
    record = ("ZZTARGET-NOTE", "ZZCAPABILITY-NOTE", "ZZCLAUSE-NOTE")
    for who in (FAC, EVAL):
        seen = run.seen(who)
        for marker in (*record, "ZZHOT-WASH", "ZZALD-FEEDBACK", "ZZBRN-FEEDBACK"):
            assert marker in seen, (who.role, marker)
    for who in (OBS, DISPLAY):
        seen = run.seen(who)
        assert "ZZHOT-WASH" in seen
        for marker in (*record, "ZZALD-FEEDBACK", "ZZBRN-FEEDBACK"):
            assert marker not in seen, (who.role, marker)
    ald = run.seen(ALD)
    assert "ZZHOT-WASH" in ald and "ZZALD-FEEDBACK" in ald
    for marker in (*record, "ZZBRN-FEEDBACK"):
        assert marker not in ald, marker
    brn = run.seen(BRN)
    assert "ZZBRN-FEEDBACK" in brn and "ZZALD-FEEDBACK" not in brn
