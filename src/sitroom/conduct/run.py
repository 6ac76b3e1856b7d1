"""Deciding: ``decide(state, command, principal, context) -> events``. Pure; raises ``Rejected``.

Every rule about who may do what, and when, lives in the handlers (``conduct/handlers/``, one
plain function per command); ``HANDLERS`` below is the one table that lists them, so what a
run accepts can be read in one place. The web layer only translates a ``Rejected`` into an
HTTP status and an error body naming the field.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sitroom.conduct import commands as cmd
from sitroom.conduct import events as ev
from sitroom.conduct import gamecommands as gcmd
from sitroom.conduct.handlers import (
    assist,
    branches,
    cells,
    decisions,
    discussion,
    evaluation,
    game,
    injects,
    lifecycle,
    mail,
    polls,
    report,
    threads,
)
from sitroom.conduct.handlers.branches import due_triggers
from sitroom.conduct.handlers.checks import (
    CAPABILITY_ELEMENTS,
    FINDING_KINDS,
    HOT_WASH_KINDS,
    MAX_ACTIONS,
    MAX_EVIDENCE,
    MAX_SHORT,
    MAX_TEXT,
    RATINGS,
    Context,
    Rejected,
    iso_date,
)
from sitroom.conduct.principal import Principal
from sitroom.conduct.state import InjectStatus, RunState, RunStatus
from sitroom.conduct.wording import lazy
from sitroom.package.model import InjectType

__all__ = [
    "CAPABILITY_ELEMENTS",
    "FINDING_KINDS",
    "HANDLERS",
    "HOT_WASH_KINDS",
    "MAX_ACTIONS",
    "MAX_EVIDENCE",
    "MAX_SHORT",
    "MAX_TEXT",
    "RATINGS",
    "Context",
    "Handler",
    "Rejected",
    "decide",
    "due_injects",
    "due_triggers",
    "iso_date",
]

# The command is typed ``Any`` here because each handler takes its own command class; the
# table's key is what guarantees the handler receives the class it was written for.
Handler = Callable[[RunState, Any, Principal, Context], list[ev.Event]]
"""A command handler: ``(state, command, principal, ctx) -> events``; raises ``Rejected``."""

HANDLERS: dict[type[cmd.Command], Handler] = {
    # the run's lifecycle
    cmd.StartRun: lifecycle.start_run,
    cmd.PauseRun: lifecycle.pause_run,
    cmd.ResumeRun: lifecycle.resume_run,
    cmd.EndRun: lifecycle.end_run,
    cmd.OpenModule: lifecycle.open_module,
    # injects
    cmd.ReleaseInject: injects.release_inject,
    cmd.CorrectInject: injects.correct_inject,
    cmd.RetractInject: injects.retract_inject,
    cmd.BroadcastUpdate: injects.broadcast_update,
    cmd.RecordReceipt: injects.record_receipt,
    cmd.RecordReceipts: injects.record_receipts,
    cmd.AcknowledgeInject: injects.acknowledge_inject,
    cmd.RecordMailDelivery: mail.record_mail_delivery,
    # participants
    cmd.SubmitResponse: discussion.submit_response,
    cmd.AddTeamNote: discussion.add_team_note,
    cmd.ProposeDecision: decisions.propose_decision,
    cmd.AnswerDecision: decisions.answer_decision,
    cmd.OpenPoll: polls.open_poll,
    cmd.ClosePoll: polls.close_poll,
    cmd.CastVote: polls.cast_vote,
    # evaluation
    cmd.RecordObservation: evaluation.record_observation,
    cmd.RateTarget: evaluation.rate_target,
    cmd.RateCapability: evaluation.rate_capability,
    cmd.RecordClause: evaluation.record_clause,
    cmd.AddHotWashItem: evaluation.add_hot_wash_item,
    cmd.SubmitFeedback: evaluation.submit_feedback,
    # the after-action report
    cmd.SaveFinding: report.save_finding,
    cmd.RemoveFinding: report.remove_finding,
    cmd.FinaliseReport: report.finalise_report,
    # simulated cells
    cmd.CellAct: cells.cell_act,
    cmd.SetCellMode: cells.set_cell_mode,
    cmd.ReleaseCellAction: cells.release_cell_action,
    cmd.DiscardCellAction: cells.discard_cell_action,
    # branches
    cmd.MeetTrigger: branches.meet_trigger,
    cmd.AnswerTrigger: branches.answer_trigger,
    cmd.ReachMilestone: branches.reach_milestone,
    cmd.MakeChoice: branches.make_choice,
    # assistants: proposals a person accepts, edits or discards
    cmd.RecordProposal: assist.record_proposal,
    cmd.AnswerProposal: assist.answer_proposal,
    # the SimCell inbox
    cmd.WriteToOrganisation: threads.write_to_organisation,
    cmd.PostInThread: threads.post_in_thread,
    cmd.ForwardThread: threads.forward_thread,
    cmd.MarkThreadRead: threads.mark_thread_read,
    # a matrix game's turns
    gcmd.OpenTurn: game.open_turn,
    gcmd.CloseTurn: game.close_turn,
    gcmd.SubmitArgument: game.submit_argument,
    gcmd.CounterArgue: game.counter_argue,
    gcmd.GiveEstimate: game.give_estimate,
    gcmd.Adjudicate: game.adjudicate,
    gcmd.ReleaseOutcome: game.release_outcome,
    gcmd.RevealArgument: game.reveal_argument,
}
"""Every command a run accepts, and the one function that decides it."""


def decide(
    state: RunState, command: cmd.Command, principal: Principal, ctx: Context
) -> list[ev.Event]:
    """The events that ``command`` by ``principal`` produces in ``state``; raise Rejected.

    A command class with no handler is rejected (400) naming the class, rather than ignored.
    """
    handler = HANDLERS.get(type(command))
    if handler is None:
        raise Rejected(
            lazy("unknown command %(command)s", command=type(command).__name__), status=400
        )
    return handler(state, command, principal, ctx)


def due_injects(state: RunState, now: datetime) -> list[str]:
    """Standard injects of the open module whose planned offset has passed (while running).

    Contingency injects and injects with a trigger wait for control or for their condition.
    """
    if state.status != RunStatus.RUNNING or state.module is None:
        return []
    module = state.current_module()
    if module is None:
        return []
    elapsed = state.module_clock(now)
    return [
        inject.number
        for inject in module.injects
        if inject.offset is not None
        and inject.type != InjectType.CONTINGENCY
        and inject.trigger is None
        and state.injects[inject.number].status == InjectStatus.PLANNED
        and inject.offset <= elapsed
    ]
