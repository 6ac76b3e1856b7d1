"""Injects and control's updates: release, correct, retract, broadcast; a player's receipt
and acknowledgement of what reached them.

A player can only touch an inject the gate lets them see, and an unseen inject is answered
as if it did not exist (404), so its number gives nothing away.
"""

from __future__ import annotations

from sitroom.conduct import commands as cmd
from sitroom.conduct import events as ev
from sitroom.conduct.handlers.checks import (
    Context,
    Rejected,
    check_control,
    check_live,
    check_player,
    clean_text,
)
from sitroom.conduct.principal import Principal
from sitroom.conduct.state import InjectStatus, RunState, RunStatus
from sitroom.conduct.visibility import can_see_inject
from sitroom.conduct.wording import lazy
from sitroom.package.model import InjectType


def release_inject(
    state: RunState, command: cmd.ReleaseInject, principal: Principal, ctx: Context
) -> list[ev.Event]:
    """Release a planned inject: by hand, now, or by the schedule of its open module."""
    check_control(principal)
    check_live(state)
    package, number, how = state.package, command.number, command.how
    inject = package.inject(number)
    if inject is None:
        raise Rejected(
            lazy("no inject number '%(number)s' in the MSEL", number=number), field="number"
        )
    if how not in ("manual", "now", "scheduled"):
        raise Rejected(lazy("how must be manual, now or scheduled"), field="how")
    if state.injects[number].status != InjectStatus.PLANNED:
        raise Rejected(lazy("inject %(number)s was already released", number=number), status=409)
    home = package.module_of(number)
    assert home is not None
    if how == "scheduled" and (state.status != RunStatus.RUNNING or home.id != state.module):
        raise Rejected(
            lazy("a scheduled inject fires only in its module while running"), status=409
        )
    if inject.type == InjectType.CONTINGENCY and how != "scheduled":
        how = "contingency"
    return [ev.InjectReleased(number=number, module=home.id, how=how)]


def correct_inject(
    state: RunState, command: cmd.CorrectInject, principal: Principal, ctx: Context
) -> list[ev.Event]:
    """Replace the text of a released inject, with the reason."""
    check_control(principal)
    check_live(state)
    number = command.number
    if state.package.inject(number) is None:
        raise Rejected(
            lazy("no inject number '%(number)s' in the MSEL", number=number), field="number"
        )
    status = state.injects[number].status
    if status not in (InjectStatus.RELEASED, InjectStatus.CORRECTED):
        raise Rejected(
            lazy(
                "inject %(number)s is %(status)s; only a released inject can be corrected",
                number=number,
                status=status,
            ),
            status=409,
        )
    cleaned = {lang: clean_text(text, f"content.{lang}") for lang, text in command.content.items()}
    if not cleaned:
        raise Rejected(lazy("the correction has no text"), field="content")
    return [
        ev.InjectCorrected(
            number=number,
            content=cleaned,
            reason=clean_text(command.reason, "reason", required=False),
        )
    ]


def retract_inject(
    state: RunState, command: cmd.RetractInject, principal: Principal, ctx: Context
) -> list[ev.Event]:
    """Withdraw a released inject, with the reason."""
    check_control(principal)
    check_live(state)
    number = command.number
    if state.package.inject(number) is None:
        raise Rejected(
            lazy("no inject number '%(number)s' in the MSEL", number=number), field="number"
        )
    if state.injects[number].status in (InjectStatus.PLANNED, InjectStatus.RETRACTED):
        raise Rejected(
            lazy(
                "inject %(number)s is %(value)s; only a released inject can be retracted",
                number=number,
                value=state.injects[number].status,
            ),
            status=409,
        )
    return [
        ev.InjectRetracted(
            number=number, reason=clean_text(command.reason, "reason", required=False)
        )
    ]


def broadcast_update(
    state: RunState, command: cmd.BroadcastUpdate, principal: Principal, ctx: Context
) -> list[ev.Event]:
    """A message from control to everyone, or to some teams or parties."""
    check_control(principal)
    check_live(state)
    package = state.package
    cleaned = {lang: clean_text(t, f"text.{lang}") for lang, t in command.text.items()}
    if not cleaned:
        raise Rejected(lazy("the update has no text"), field="text")
    for team in command.teams:
        if package.team(team) is None:
            raise Rejected(lazy("unknown team '%(team)s'", team=team), field="teams")
    for party in command.parties:
        if package.party(party) is None:
            raise Rejected(lazy("unknown party '%(party)s'", party=party), field="parties")
    return [
        ev.UpdateBroadcast(
            id=ctx.new_id,
            text=cleaned,
            teams=tuple(command.teams),
            parties=tuple(command.parties),
        )
    ]


def _check_seen(state: RunState, number: str, principal: Principal) -> None:
    """A released inject that ``principal`` may see; any other number is 404."""
    package = state.package
    inject = package.inject(number)
    seen = state.injects[number].status if number in state.injects else None
    if inject is None or seen == InjectStatus.PLANNED or seen is None:
        raise Rejected(
            lazy("no released inject '%(number)s'", number=number), field="number", status=404
        )
    if not can_see_inject(principal, package, inject):
        raise Rejected(
            lazy("no released inject '%(number)s'", number=number), field="number", status=404
        )


def record_receipt(
    state: RunState, command: cmd.RecordReceipt, principal: Principal, ctx: Context
) -> list[ev.Event]:
    """An inject reached someone's screen; recorded once per person."""
    number = command.number
    _check_seen(state, number, principal)
    if principal.id in state.injects[number].receipts:
        return []
    return [ev.InjectReceived(number=number, principal=principal.id, team=principal.team)]


MAX_RECEIPTS = 200
"""Receipts in one request at most (a page holds far fewer injects)."""


def record_receipts(
    state: RunState, command: cmd.RecordReceipts, principal: Principal, ctx: Context
) -> list[ev.Event]:
    """Injects that reached one screen, sent together: each recorded once per person, as
    `record_receipt` would. All or none: a number the person may not see refuses the batch,
    naming its place in the list (``numbers.2``)."""
    if not command.numbers:
        raise Rejected(lazy("no inject numbers"), field="numbers")
    if len(command.numbers) > MAX_RECEIPTS:
        raise Rejected(lazy("at most %(n)s receipts at once", n=MAX_RECEIPTS), field="numbers")
    events: list[ev.Event] = []
    done: set[str] = set()
    for index, number in enumerate(command.numbers):
        try:
            _check_seen(state, number, principal)
        except Rejected as exc:
            raise Rejected(exc.message, field=f"numbers.{index}", status=exc.status) from None
        if number in done or principal.id in state.injects[number].receipts:
            continue
        done.add(number)
        events.append(ev.InjectReceived(number=number, principal=principal.id, team=principal.team))
    return events


def acknowledge_inject(
    state: RunState, command: cmd.AcknowledgeInject, principal: Principal, ctx: Context
) -> list[ev.Event]:
    """A player says they have read an inject; recorded once per player."""
    number = command.number
    _check_seen(state, number, principal)
    check_player(principal)
    if principal.id in state.injects[number].acknowledged:
        return []
    return [ev.InjectAcknowledged(number=number, principal=principal.id, team=principal.team)]
