"""The rules of the improvement loop: the status machine, who may do what, field errors.

Pure: states are folded from events made here, decisions are checked without any storage.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sitroom.conduct.principal import Principal, Role
from sitroom.conduct.run import Rejected
from sitroom.improvement import commands as ic
from sitroom.improvement import events as ev
from sitroom.improvement.rules import can_read, decide, similar
from sitroom.improvement.state import Recorded, SeriesState, Status, apply, fold

NOW = datetime(2025, 5, 1, 9, tzinfo=UTC)
ADMIN = Principal("account:admin", Role.ADMIN, "Admin")
FACILITATOR = Principal("account:fac", Role.FACILITATOR, "Facilitator")
OTHERS = [
    Principal("invite:player", Role.PLAYER, "Player", "north-staff", "northland"),
    Principal("invite:evaluator", Role.EVALUATOR, "Evaluator"),
    Principal("invite:observer", Role.OBSERVER, "Observer"),
    Principal("display:wall", Role.DISPLAY, "Wall"),
]
EVERYONE = [ADMIN, FACILITATOR, *OTHERS]


def series(*statuses: Status) -> SeriesState:
    """A series with one action per status given, ids CA-001, CA-002, …"""
    state = fold("s", [Recorded(1, NOW, ev.SeriesCreated("s", "Series"), ADMIN.id)])
    for status in statuses:
        record(state, ic.AddAction("Slow notification", "Write a checklist", due="2025-06-30"))
        action_id = list(state.actions)[-1]
        for step in {
            Status.OPEN: (),
            Status.IN_PROGRESS: ("in-progress",),
            Status.DONE: ("in-progress", "done"),
            Status.VERIFIED: ("in-progress", "done", "verified"),
            Status.CANCELLED: ("cancelled",),
        }[status]:
            record(state, ic.ChangeStatus(action_id, step))
    return state


def record(state: SeriesState, command: ic.Command, who: Principal = ADMIN) -> SeriesState:
    for event in decide(state, command, who, NOW):
        apply(state, Recorded(state.seq + 1, NOW, event, who.id))
    return state


def refused(state: SeriesState, command: ic.Command, who: Principal = ADMIN) -> Rejected:
    with pytest.raises(Rejected) as caught:
        decide(state, command, who, NOW)
    return caught.value


# --- the status machine ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "target", "allowed"),
    [
        (Status.OPEN, "in-progress", True),
        (Status.OPEN, "done", False),
        (Status.OPEN, "verified", False),
        (Status.OPEN, "cancelled", True),
        (Status.IN_PROGRESS, "done", True),
        (Status.IN_PROGRESS, "open", False),
        (Status.IN_PROGRESS, "cancelled", True),
        (Status.DONE, "verified", True),
        (Status.DONE, "in-progress", True),
        (Status.DONE, "cancelled", True),
        (Status.VERIFIED, "cancelled", False),
        (Status.VERIFIED, "in-progress", False),
        (Status.CANCELLED, "open", False),
        (Status.CANCELLED, "in-progress", False),
    ],
)
def test_status_machine(start: Status, target: str, allowed: bool) -> None:
    state = series(start)
    command = ic.ChangeStatus("CA-001", target, "why")
    if allowed:
        record(state, command)
        assert state.actions["CA-001"].status == Status(target)
        assert state.actions["CA-001"].history[-1].what == f"status: {start} → {target} (why)"
    else:
        error = refused(state, command)
        assert error.status == 409 and error.field == "status"
        assert f"is {start}" in error.message


def test_an_unknown_status_names_the_accepted_ones() -> None:
    error = refused(series(Status.OPEN), ic.ChangeStatus("CA-001", "finished"))
    assert error.message == "'finished' is not one of open, in-progress, done, verified, cancelled"
    assert error.status == 422


def test_reopening_clears_the_close_time_and_done_sets_it() -> None:
    state = series(Status.DONE)
    assert state.actions["CA-001"].closed_at == NOW
    record(state, ic.ChangeStatus("CA-001", "in-progress", "not finished"))
    assert state.actions["CA-001"].closed_at is None


# --- permissions -------------------------------------------------------------------------


@pytest.mark.parametrize("who", EVERYONE, ids=lambda p: p.role.value)
def test_who_may_create_a_series(who: Principal) -> None:
    command = ic.CreateSeries("allied", "Allied annual")
    if who.role in (Role.ADMIN, Role.FACILITATOR):
        assert decide(SeriesState.initial("allied"), command, who, NOW) == [
            ev.SeriesCreated("allied", "Allied annual")
        ]
    else:
        assert refused(SeriesState.initial("allied"), command, who).status == 403


@pytest.mark.parametrize("who", EVERYONE, ids=lambda p: p.role.value)
def test_who_may_add_and_edit_an_action(who: Principal) -> None:
    state = series(Status.OPEN)
    add = ic.AddAction("Press lines late", "Agree a template", organisation="Northland MFA")
    edit = ic.EditAction("CA-001", poc="Park Soyun", due="2025-07-31")
    if who.role in (Role.ADMIN, Role.FACILITATOR):
        record(state, add, who)
        record(state, edit, who)
        assert state.actions["CA-002"].organisation == "Northland MFA"
        assert (state.actions["CA-001"].poc, state.actions["CA-001"].due) == (
            "Park Soyun",
            "2025-07-31",
        )
        assert state.actions["CA-001"].updated_by == who.id
    else:
        assert refused(state, add, who).status == 403
        assert refused(state, edit, who).status == 403


@pytest.mark.parametrize("who", EVERYONE, ids=lambda p: p.role.value)
def test_who_may_move_an_action_to_done(who: Principal) -> None:
    state = series(Status.OPEN)
    if who.role in (Role.ADMIN, Role.FACILITATOR):
        record(state, ic.ChangeStatus("CA-001", "in-progress"), who)
        record(state, ic.ChangeStatus("CA-001", "done"), who)
        assert state.actions["CA-001"].status == Status.DONE
    else:
        assert refused(state, ic.ChangeStatus("CA-001", "in-progress"), who).status == 403


@pytest.mark.parametrize("who", EVERYONE, ids=lambda p: p.role.value)
def test_only_an_admin_may_cancel_or_verify(who: Principal) -> None:
    state = series(Status.DONE, Status.OPEN)
    verify = ic.VerifyAction("CA-001", "seen working in the drill")
    verify_by_status = ic.ChangeStatus("CA-001", "verified")
    cancel = ic.ChangeStatus("CA-002", "cancelled", "superseded")
    if who.role == Role.ADMIN:
        record(state, verify, who)
        record(state, cancel, who)
        assert state.actions["CA-001"].status == Status.VERIFIED
        assert state.actions["CA-002"].status == Status.CANCELLED
    else:
        for command in (verify, verify_by_status, cancel):
            assert refused(state, command, who).status == 403


@pytest.mark.parametrize("who", EVERYONE, ids=lambda p: p.role.value)
def test_who_may_import_an_aar(who: Principal) -> None:
    command = ic.ImportReport(
        "2025",
        "run-1",
        "sha256:" + "0" * 64,
        final=True,
        actions=(ic.ImportedAction("f-1", "f", "planning", "Planning", "Issue", "Act"),),
    )
    state = series()
    if who.role in (Role.ADMIN, Role.FACILITATOR):
        record(state, command, who)
        assert list(state.actions) == ["CA-2025-001"]
        assert refused(state, command, who).status == 409, "the same run twice"
    else:
        assert refused(state, command, who).status == 403


@pytest.mark.parametrize("who", EVERYONE, ids=lambda p: p.role.value)
def test_who_may_read(who: Principal) -> None:
    assert can_read(who) is (who.role in (Role.ADMIN, Role.FACILITATOR))


@pytest.mark.parametrize("who", EVERYONE, ids=lambda p: p.role.value)
def test_who_may_attach_evidence(who: Principal) -> None:
    command = ic.AttachEvidence("CA-001", "minutes.pdf", "application/pdf", 10, "a" * 64)
    state = series(Status.OPEN)
    if who.role in (Role.ADMIN, Role.FACILITATOR):
        record(state, command, who)
        assert [e.name for e in state.actions["CA-001"].evidence] == ["minutes.pdf"]
    else:
        assert refused(state, command, who).status == 403


# --- fields ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "field", "message"),
    [
        (ic.EditAction("CA-001", due="30/06/2025"), "due", "'30/06/2025' is not a date"),
        (ic.EditAction("CA-001", start="2025-07-01"), "due", "before the start date"),
        (ic.EditAction("CA-001", element="Logistics"), "element", "Planning, Organization"),
        (ic.EditAction("CA-001", action="  "), "action", "action is empty"),
        (ic.AddAction("", "Do it"), "issue", "issue is empty"),
        (ic.EditAction("CA-404", poc="x"), "id", "has no action 'CA-404'"),
        (ic.AttachEvidence("CA-001", "a", "b", 1, "nothex"), "sha256", "64 lowercase hex"),
    ],
)
def test_field_errors_name_the_field(command: ic.Command, field: str, message: str) -> None:
    error = refused(series(Status.OPEN), command)
    assert error.field == field
    assert message in error.message


def test_an_element_is_accepted_in_any_case_and_stored_canonically() -> None:
    state = record(series(Status.OPEN), ic.EditAction("CA-001", element="training"))
    assert state.actions["CA-001"].element == "Training"


def test_an_edit_that_changes_nothing_records_nothing() -> None:
    state = series(Status.OPEN)
    assert decide(state, ic.EditAction("CA-001", due="2025-06-30"), ADMIN, NOW) == []


def test_a_closed_action_cannot_be_edited() -> None:
    error = refused(series(Status.VERIFIED), ic.EditAction("CA-001", poc="x"))
    assert error.status == 409


def test_a_series_cannot_be_created_twice_or_with_a_bad_id() -> None:
    assert refused(series(), ic.CreateSeries("s", "Again")).status == 409
    assert refused(SeriesState.initial("a b"), ic.CreateSeries("a b", "T")).field == "id"


def test_commands_on_an_unknown_series_are_404() -> None:
    assert refused(SeriesState.initial("x"), ic.AddAction("a", "b")).status == 404


def test_a_draft_aar_is_refused() -> None:
    command = ic.ImportReport("2025", "run-1", "sha256:" + "0" * 64, final=False)
    assert "finalise the AAR first" in refused(series(), command).message


def test_hand_added_actions_get_sequential_ids_per_edition() -> None:
    state = series()
    for edition in ("2025", "2025", "", "2026"):
        record(state, ic.AddAction("Issue", "Action", edition=edition))
    assert list(state.actions) == ["CA-2025-001", "CA-2025-002", "CA-001", "CA-2026-001"]


def test_similar_issues_are_found_after_normalising() -> None:
    assert similar("Notification to the ally was LATE.", "notification of the ally was late")
    assert not similar("Notification to the ally was late", "Press lines were not agreed")
    assert not similar("", "")


def test_a_new_action_repeating_an_open_one_of_an_earlier_edition_is_recurring() -> None:
    state = series()
    record(state, ic.AddAction("Press lines were late", "Template", edition="2025"))
    record(state, ic.AddAction("Glossary", "Publish", capability="planning", edition="2025"))
    record(state, ic.AddAction("Other", "Drill", capability="planning", edition="2025"))
    record(state, ic.ChangeStatus("CA-2025-003", "cancelled"))
    record(state, ic.AddAction("The press lines were late", "x", edition="2026"))
    record(state, ic.AddAction("Something else", "y", capability="planning", edition="2026"))
    record(state, ic.AddAction("Press lines were late too", "z", edition="2025"))
    assert state.actions["CA-2026-001"].recurring_of == ("CA-2025-001",)
    assert state.actions["CA-2026-002"].recurring_of == ("CA-2025-002",), "cancelled ones not"
    assert state.actions["CA-2025-004"].recurring_of == (), "only earlier editions count"


def test_events_round_trip_through_the_wire() -> None:
    event = ev.ReportImported("2025", "r", "sha256:x", (("o", "c", "P"), ("o", "d", None)))
    assert ev.from_wire(event.TYPE, event.payload()) == event
    opened = ev.ActionOpened("CA-1", "i", "a", recurring_of=("CA-0",))
    assert ev.from_wire(opened.TYPE, opened.payload()) == opened
