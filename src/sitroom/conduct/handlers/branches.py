"""Branches: triggers met (by the triggers follower), control's answer to a proposing trigger,
milestones marked by control, and the choices players make among an inject's options.

A trigger is met once: ``MeetTrigger`` is refused when its condition does not hold, when it
was met before, or when what it would do is already done (the inject released by hand), so
however often the follower sends it, the log says it once, with the moment the condition
first became true.
"""

from __future__ import annotations

from datetime import datetime

from sitroom.conduct import commands as cmd
from sitroom.conduct import events as ev
from sitroom.conduct.branching import TriggerStatus, choice_parties
from sitroom.conduct.conditions import became
from sitroom.conduct.handlers.checks import (
    Context,
    Rejected,
    check_control,
    check_live,
    check_player,
)
from sitroom.conduct.principal import Principal
from sitroom.conduct.state import InjectStatus, RunState
from sitroom.conduct.visibility import can_see_inject
from sitroom.package.conditions import format_condition


def target_done(state: RunState, trigger: str) -> bool:
    """Whether what ``trigger`` would do is done already (released, opened, reached)."""
    kind, _, ref = trigger.partition(":")
    if kind == "inject":
        inject = state.injects.get(ref)
        return inject is None or inject.status != InjectStatus.PLANNED
    if kind == "module":
        return ref in state.modules_opened
    return ref in state.branches.milestones


def due_triggers(state: RunState, now: datetime) -> list[str]:
    """Triggers not yet met whose condition holds at ``now`` and whose work is still to do."""
    if not state.is_live():
        return []
    return [
        trigger_id
        for trigger_id, trigger in state.package.triggers().items()
        if trigger_id not in state.branches.triggers
        and not target_done(state, trigger_id)
        and became(trigger.when, state, now) is not None
    ]


def _act(state: RunState, trigger: str, principal: Principal) -> list[ev.Event]:
    kind, _, ref = trigger.partition(":")
    if kind == "inject":
        home = state.package.module_of(ref)
        assert home is not None
        return [ev.InjectReleased(number=ref, module=home.id, how="trigger")]
    if kind == "module":
        return [ev.ModuleOpened(module=ref)]
    return [ev.MilestoneReached(milestone=ref, author=principal.id, trigger=trigger)]


def meet_trigger(
    state: RunState, command: cmd.MeetTrigger, principal: Principal, ctx: Context
) -> list[ev.Event]:
    """A trigger's condition holds: act (``fires``) or propose it to control (``proposes``)."""
    check_control(principal)
    check_live(state)
    trigger = state.package.triggers().get(command.trigger)
    if trigger is None:
        raise Rejected(f"no trigger '{command.trigger}'", field="trigger", status=404)
    if command.trigger in state.branches.triggers:
        raise Rejected(f"trigger '{command.trigger}' was met already", status=409)
    if target_done(state, command.trigger):
        raise Rejected(f"what trigger '{command.trigger}' would do is done already", status=409)
    moment = became(trigger.when, state, ctx.now)
    if moment is None:
        raise Rejected(f"the condition of '{command.trigger}' does not hold", status=409)
    met = ev.TriggerMet(
        trigger=command.trigger,
        condition=format_condition(trigger.when),
        mode=str(trigger.mode),
        since_at=moment.at.isoformat(),
        since_seq=moment.event_seq,
    )
    if trigger.mode == "fires":
        return [met, *_act(state, command.trigger, principal)]
    return [met]


def answer_trigger(
    state: RunState, command: cmd.AnswerTrigger, principal: Principal, ctx: Context
) -> list[ev.Event]:
    """Control releases or dismisses what a proposing trigger offers."""
    check_control(principal)
    check_live(state)
    record = state.branches.triggers.get(command.trigger)
    if record is None or record.status != TriggerStatus.PROPOSED:
        raise Rejected(f"no proposal '{command.trigger}' waits for an answer", status=409)
    if not command.accept:
        reason = command.reason.strip()[:2000]
        return [ev.TriggerDismissed(trigger=command.trigger, author=principal.id, reason=reason)]
    if target_done(state, command.trigger):
        raise Rejected(f"what '{command.trigger}' proposes is done already", status=409)
    accepted = ev.TriggerAccepted(trigger=command.trigger, author=principal.id)
    return [accepted, *_act(state, command.trigger, principal)]


def reach_milestone(
    state: RunState, command: cmd.ReachMilestone, principal: Principal, ctx: Context
) -> list[ev.Event]:
    """Control marks a milestone reached (once)."""
    check_control(principal)
    check_live(state)
    if state.package.milestone(command.milestone) is None:
        raise Rejected(f"no milestone '{command.milestone}'", field="milestone", status=404)
    if command.milestone in state.branches.milestones:
        raise Rejected(f"milestone '{command.milestone}' was reached already", status=409)
    return [ev.MilestoneReached(milestone=command.milestone, author=principal.id)]


def make_choice(
    state: RunState, command: cmd.MakeChoice, principal: Principal, ctx: Context
) -> list[ev.Event]:
    """A player picks an option of a released inject's choice, for their team (or party)."""
    team = check_player(principal)
    check_live(state)
    inject = state.package.inject(command.inject)
    seen = state.injects.get(command.inject)
    if (
        inject is None
        or seen is None
        or seen.status == InjectStatus.PLANNED
        or not can_see_inject(principal, state.package, inject)
    ):
        raise Rejected(f"no released inject '{command.inject}'", field="inject", status=404)
    if inject.choice is None:
        raise Rejected(f"inject {command.inject} offers no choice", field="inject")
    options = [o.id for o in inject.choice.options]
    if command.option not in options:
        raise Rejected(
            f"no option '{command.option}'; options: {', '.join(options)}", field="option"
        )
    record = state.branches.choices.get(command.inject)
    if record is not None and record.settled is not None:
        raise Rejected(f"the choice of inject {command.inject} is settled", status=409)
    if inject.choice.joint and principal.party not in choice_parties(state.package, inject.number):
        raise Rejected("your party does not take part in this joint choice", status=403)
    return [
        ev.ChoiceMade(
            inject=command.inject,
            option=command.option,
            team=team,
            party=principal.party,
            author=principal.id,
        )
    ]
