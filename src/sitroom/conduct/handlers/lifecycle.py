"""The run's lifecycle: STARTEX, pause and resume, ENDEX, and moving to the next module.

Only control may do any of it; the run's status decides which step is possible.
"""

from __future__ import annotations

from sitroom.conduct import commands as cmd
from sitroom.conduct import events as ev
from sitroom.conduct.handlers.checks import Context, Rejected, check_control, check_live
from sitroom.conduct.principal import Principal
from sitroom.conduct.state import RunState, RunStatus
from sitroom.conduct.wording import lazy


def start_run(
    state: RunState, command: cmd.StartRun, principal: Principal, ctx: Context
) -> list[ev.Event]:
    """STARTEX, opening the first module."""
    check_control(principal)
    if state.status != RunStatus.PLANNED:
        raise Rejected(lazy("the run is already %(status)s", status=state.status), status=409)
    if not 0.1 <= command.compression <= 100:
        raise Rejected(lazy("compression must be between 0.1 and 100"), field="compression")
    events: list[ev.Event] = [ev.RunStarted(compression=command.compression)]
    if state.package.modules:
        events.append(ev.ModuleOpened(module=state.package.modules[0].id))
    return events


def pause_run(
    state: RunState, command: cmd.PauseRun, principal: Principal, ctx: Context
) -> list[ev.Event]:
    """Stop the clock of a running run."""
    check_control(principal)
    if state.status != RunStatus.RUNNING:
        raise Rejected(
            lazy("only a running run can be paused (it is %(status)s)", status=state.status),
            status=409,
        )
    return [ev.RunPaused()]


def resume_run(
    state: RunState, command: cmd.ResumeRun, principal: Principal, ctx: Context
) -> list[ev.Event]:
    """Start the clock of a paused run again."""
    check_control(principal)
    if state.status != RunStatus.PAUSED:
        raise Rejected(
            lazy("only a paused run can be resumed (it is %(status)s)", status=state.status),
            status=409,
        )
    return [ev.RunResumed()]


def end_run(
    state: RunState, command: cmd.EndRun, principal: Principal, ctx: Context
) -> list[ev.Event]:
    """ENDEX."""
    check_control(principal)
    check_live(state)
    return [ev.RunEnded()]


def open_module(
    state: RunState, command: cmd.OpenModule, principal: Principal, ctx: Context
) -> list[ev.Event]:
    """Move the discussion to one of the package's modules."""
    check_control(principal)
    check_live(state)
    modules = state.package.modules
    if not any(m.id == command.module for m in modules):
        known = ", ".join(m.id for m in modules)
        raise Rejected(
            lazy(
                "unknown module '%(module)s'; modules: %(known)s",
                module=command.module,
                known=known,
            ),
            field="module",
        )
    return [ev.ModuleOpened(module=command.module)]
