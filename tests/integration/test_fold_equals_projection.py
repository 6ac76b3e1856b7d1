"""Folding the whole log equals the live projection, on random command sequences."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sitroom.conduct import commands as cmd
from sitroom.conduct.principal import Principal, Role
from sitroom.conduct.run import Rejected
from sitroom.conduct.state import fold
from sitroom.services.runs import Engine, to_recorded
from sitroom.storage.factory import open_recorder
from tests.support.packages import two_parties

PEOPLE = [
    Principal("account:fac", Role.FACILITATOR),
    Principal("invite:a1", Role.PLAYER, team="ald-nsc", party="ald"),
    Principal("invite:b1", Role.PLAYER, team="brn-nsc", party="brn"),
    Principal("invite:ev", Role.EVALUATOR),
]
PACKAGE = two_parties()

numbers = st.sampled_from(["1", "2", "3", "4", "99"])
texts = st.text(min_size=0, max_size=20)
ratings = st.sampled_from(["P", "S", "M", "U", "X"])
evidence = st.lists(st.integers(0, 6), max_size=2).map(tuple)
actions = st.lists(
    st.builds(
        cmd.SuggestedAction,
        st.just("Update the call list") | texts,
        st.sampled_from(["High", "Low", "Low", "Soon"]),
        texts,
    ),
    max_size=1,
).map(tuple)
evaluation = st.one_of(
    st.builds(cmd.RateTarget, st.sampled_from(["t1", "tx"]), ratings, texts, evidence),
    st.builds(
        cmd.RateCapability,
        st.sampled_from(["o1", "ox"]),
        st.sampled_from(["operational-coordination", "mass-care"]),
        ratings,
        texts,
        evidence,
    ),
    st.builds(cmd.RecordClause, st.sampled_from(["guide/1.1", "guide/9"]), st.booleans(), texts),
    st.builds(
        cmd.AddHotWashItem,
        st.sampled_from(["strength", "improvement", "praise"]),
        texts,
        st.none() | st.sampled_from(["ald-nsc", "zz"]),
        st.none() | st.just("brn"),
    ),
    st.builds(
        cmd.SubmitFeedback,
        st.booleans(),
        st.sampled_from(["", "", "A. Tester"]),
        texts,
        texts,
        st.lists(texts, max_size=2).map(tuple),
        st.lists(texts, max_size=2).map(tuple),
        texts,
        actions,
        st.dictionaries(st.sampled_from(["scenario-plausible", "right-people"]), st.integers(1, 5)),
    ),
)
commands = st.one_of(
    st.just(cmd.StartRun()),
    st.just(cmd.PauseRun()),
    st.just(cmd.ResumeRun()),
    st.just(cmd.EndRun()),
    st.builds(cmd.OpenModule, st.sampled_from(["m1", "m2", "mx"])),
    st.builds(cmd.ReleaseInject, numbers),
    st.builds(cmd.CorrectInject, numbers, st.fixed_dictionaries({"en": texts})),
    st.builds(cmd.RetractInject, numbers),
    st.builds(cmd.RecordReceipt, numbers),
    st.builds(cmd.AcknowledgeInject, numbers),
    st.builds(
        cmd.RecordMailDelivery,
        numbers,
        st.sampled_from(["invite:a", "invite:b"]),
        st.just("<m@aldoria.example>"),
        st.integers(0, 4),
        st.sampled_from(["", "", "550 no such mailbox"]),
        st.booleans(),
        st.booleans(),
    ),
    st.builds(
        cmd.SubmitResponse,
        st.sampled_from(["inject", "question"]),
        st.sampled_from(["1", "2", "q1", "q2"]),
        texts,
    ),
    st.builds(cmd.ProposeDecision, texts, texts, st.sampled_from([(), ("ald",), ("brn",)])),
    st.builds(cmd.OpenPoll, st.just("p1")),
    st.builds(cmd.ClosePoll, st.just("p1")),
    st.builds(
        cmd.CastVote,
        st.just("p1"),
        st.sampled_from([("yes",), ("no",), ("yes", "no")]),
        st.none() | st.integers(0, 6),
    ),
    st.builds(cmd.AddTeamNote, texts),
    st.builds(
        cmd.RecordObservation,
        texts,
        st.none() | st.just("o1"),
        st.none(),
        st.none(),
        st.none(),
        st.none() | st.sampled_from(["P", "S", "X"]),
    ),
    evaluation,
)
steps = st.lists(
    st.tuples(st.integers(0, len(PEOPLE) - 1), commands, st.none() | st.sampled_from("abc")),
    max_size=40,
)
after_endex = st.lists(
    st.tuples(st.integers(0, len(PEOPLE) - 1), evaluation, st.none() | st.sampled_from("abc")),
    max_size=10,
)
# Most random sequences never reach STARTEX or ENDEX; these phases make sure the commands that
# need a running or an ended run (ratings, hot wash, feedback forms) are explored too.
START = (0, cmd.StartRun(), None)
END = (0, cmd.EndRun(), None)
runs = st.tuples(st.booleans(), steps, st.booleans(), after_endex).map(
    lambda p: [START] * p[0] + p[1] + [END] * p[2] + p[3]
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(runs)
def test_fold_of_log_equals_live_state(sequence: list[tuple[int, cmd.Command, str | None]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        recorder = open_recorder(f"sqlite:///{Path(folder) / 'fold.db'}")
        try:
            engine = Engine(recorder)
            run = engine.create_run(PACKAGE, run_id="fold")
            decisions: list[str] = []
            for who, command, key in sequence:
                if isinstance(command, cmd.AnswerDecision):
                    continue
                try:
                    outcome = engine.handle(run.id, command, PEOPLE[who], key)
                except Rejected:
                    continue
                decisions += [
                    e.payload["id"] for e in outcome.events if e.type == "decision-proposed"
                ]
                for decision in decisions[-1:]:
                    try:
                        engine.handle(
                            run.id,
                            cmd.AnswerDecision(decision, who % 2 == 0, "r"),
                            PEOPLE[2 - who % 2],
                        )
                    except Rejected:
                        pass
            live = engine.state(run.id)
            folded = fold(run.id, PACKAGE, [to_recorded(e) for e in recorder.read(run.id)])
            assert folded == live
            fresh = Engine(recorder).state(run.id)
            assert fresh == live
        finally:
            recorder.close()
