"""The table of command handlers: every command has exactly one, and nothing else is accepted."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from sitroom.conduct import commands as cmd
from sitroom.conduct import events as ev
from sitroom.conduct import gamecommands as gcmd
from sitroom.conduct.principal import Principal, Role
from sitroom.conduct.run import HANDLERS, Context, Rejected, decide
from sitroom.conduct.state import RunState
from tests.support.packages import two_parties

FAC = Principal("account:fac", Role.FACILITATOR, "Fac")
CTX = Context(datetime(2027, 3, 4, 9, 0, tzinfo=UTC), "id-1")


def _command_classes() -> set[type[cmd.Command]]:
    """Every concrete command defined in ``conduct/commands.py`` and ``gamecommands.py``
    (the base class excluded)."""
    return {
        value
        for module in (cmd, gcmd)
        for _, value in inspect.getmembers(module, inspect.isclass)
        if issubclass(value, cmd.Command)
        and value is not cmd.Command
        and value.__module__ == module.__name__
    }


def test_every_command_has_exactly_one_handler() -> None:
    commands = _command_classes()
    assert len(commands) >= 27  # guards the discovery itself against finding nothing
    assert set(HANDLERS) == commands
    # One function per command: no handler serves two commands by branching on the type.
    handlers = list(HANDLERS.values())
    assert len(set(handlers)) == len(handlers)


def test_each_handler_is_a_plain_function_named_for_its_command() -> None:
    for command, handler in HANDLERS.items():
        assert inspect.isfunction(handler), command
        assert handler.__module__.startswith("sitroom.conduct.handlers."), handler
        words = [c.lower() for c in _split_camel(command.__name__)]
        assert handler.__name__ == "_".join(words), (command.__name__, handler.__name__)


def _split_camel(name: str) -> list[str]:
    parts: list[str] = []
    for char in name:
        if char.isupper() or not parts:
            parts.append(char)
        else:
            parts[-1] += char
    return parts


@dataclass(frozen=True, slots=True)
class ReticulateSplines(cmd.Command):
    """A command no handler knows."""

    count: int = 3


def test_decide_rejects_a_command_it_has_no_handler_for() -> None:
    state = RunState.initial("r", two_parties())
    with pytest.raises(Rejected) as caught:
        decide(state, ReticulateSplines(), FAC, CTX)
    assert caught.value.status == 400
    assert "ReticulateSplines" in caught.value.message


def test_decide_rejects_the_bare_command_base_class() -> None:
    state = RunState.initial("r", two_parties())
    with pytest.raises(Rejected, match="unknown command Command"):
        decide(state, cmd.Command(), FAC, CTX)


def test_decide_goes_through_the_table() -> None:
    state = RunState.initial("r", two_parties())
    events = decide(state, cmd.StartRun(compression=2.0), FAC, CTX)
    assert events[0] == ev.RunStarted(compression=2.0)
    assert all(isinstance(e, ev.Event) for e in events)
