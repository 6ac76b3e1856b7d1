"""A snapshot of a run's state stays as it was while the live state folds on.

Readers render pages from ``Engine.state``, a snapshot that copies only the state's lists and
dicts; this holds only if folding never changes a record in place. Every kind of record that
changes after it was first folded (an inject's status, receipts and acknowledgements; a
decision's answers; a poll's votes and whether it is open) is changed here after a snapshot.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime

from sitroom.conduct import commands as cmd
from sitroom.conduct.principal import Principal, Role
from sitroom.conduct.state import InjectStatus, RunState, fold
from sitroom.services.runs import Engine
from sitroom.storage import MemoryRecorder
from tests.support.packages import two_parties

FACILITATOR = Principal("account:fac", Role.FACILITATOR, "Fac")
ALD = Principal("invite:ald1", Role.PLAYER, "Ald player", team="ald-nsc", party="ald")
BRN = Principal("invite:brn1", Role.PLAYER, "Brn player", team="brn-nsc", party="brn")


def frozen(state: RunState) -> RunState:
    """A deep copy that shares only the (immutable) package, to compare with later."""
    return copy.deepcopy(state, memo={id(state.package): state.package})


def test_a_snapshot_is_not_changed_by_later_events() -> None:
    clock = lambda: datetime(2027, 3, 4, 9, 0, tzinfo=UTC)  # noqa: E731
    engine = Engine(MemoryRecorder(clock=clock), clock=clock)
    engine.create_run(two_parties(), run_id="duo")
    engine.handle("duo", cmd.StartRun(), FACILITATOR)
    engine.handle("duo", cmd.ReleaseInject("1"), FACILITATOR)
    engine.handle("duo", cmd.ReleaseInject("2"), FACILITATOR)
    engine.handle("duo", cmd.RecordReceipt("1"), ALD)
    engine.handle("duo", cmd.OpenPoll("p1"), FACILITATOR)
    engine.handle("duo", cmd.CastVote("p1", ("yes",), 3), ALD)
    engine.handle("duo", cmd.ProposeDecision("Joint line", "Say it together.", ("brn",)), ALD)
    decision = next(iter(engine.state("duo").decisions))

    first = engine.state("duo")
    later: list[tuple[cmd.Command, Principal]] = [
        (cmd.RecordReceipt("1"), BRN),
        (cmd.AcknowledgeInject("1"), ALD),
        (cmd.CastVote("p1", ("no",), 5), ALD),
        (cmd.CastVote("p1", ("yes",), 2), BRN),
        (cmd.AnswerDecision(decision, True, "Agreed."), BRN),
        (cmd.CorrectInject("1", {"en": "Corrected."}, "typo"), FACILITATOR),
        (cmd.RetractInject("2", "sent in error"), FACILITATOR),
        (cmd.ClosePoll("p1"), FACILITATOR),
        (cmd.SubmitResponse("inject", "1", "We call Brenland."), ALD),
        (cmd.PauseRun(), FACILITATOR),
        (cmd.ResumeRun(), FACILITATOR),
    ]
    for command, who in later:  # a snapshot before each event, compared after it
        snapshot = engine.state("duo")
        expected = frozen(snapshot)
        assert engine.handle("duo", command, who).events, command
        assert snapshot == expected, command

    after = engine.state("duo")
    assert after.seq == first.seq + len(later)
    # The live state did move on, record by record.
    assert after.injects["1"].status == InjectStatus.CORRECTED
    assert after.injects["2"].status == InjectStatus.RETRACTED
    assert set(after.injects["1"].receipts) == {ALD.id, BRN.id}
    assert set(after.injects["1"].acknowledged) == {ALD.id}
    assert after.polls["p1"].votes[ALD.id].options == ("no",)
    assert not after.polls["p1"].open
    assert set(after.decisions[decision].answers) == {"brn"}
    assert len(after.responses) == len(first.responses) + 1


def test_the_snapshot_equals_a_fresh_fold_of_the_log() -> None:
    clock = lambda: datetime(2027, 3, 4, 9, 0, tzinfo=UTC)  # noqa: E731
    engine = Engine(MemoryRecorder(clock=clock), clock=clock)
    engine.create_run(two_parties(), run_id="duo")
    engine.handle("duo", cmd.StartRun(), FACILITATOR)
    engine.handle("duo", cmd.ReleaseInject("1"), FACILITATOR)
    engine.handle("duo", cmd.RecordReceipt("1"), ALD)
    engine.handle("duo", cmd.AcknowledgeInject("1"), ALD)
    snapshot = engine.state("duo")
    engine.handle("duo", cmd.RecordReceipt("1"), BRN)
    log = engine.log("duo", upto=snapshot.seq)
    assert snapshot == fold("duo", engine.package("duo"), log)


def test_the_sequence_number_without_some_events_stays_while_only_they_arrive() -> None:
    clock = lambda: datetime(2027, 3, 4, 9, 0, tzinfo=UTC)  # noqa: E731
    engine = Engine(MemoryRecorder(clock=clock), clock=clock)
    engine.create_run(two_parties(), run_id="duo")
    engine.handle("duo", cmd.StartRun(), FACILITATOR)
    released = engine.handle("duo", cmd.ReleaseInject("1"), FACILITATOR).events[-1].seq
    private = {"inject-received", "inject-acknowledged"}
    engine.handle("duo", cmd.RecordReceipt("1"), ALD)
    engine.handle("duo", cmd.AcknowledgeInject("1"), BRN)
    state = engine.state("duo")
    assert state.seq == released + 2
    assert state.seq_without(private) == released
    engine.handle("duo", cmd.SubmitResponse("inject", "1", "Noted."), ALD)
    assert engine.state("duo").seq_without(private) == released + 3
