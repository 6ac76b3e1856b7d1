"""Commands of a matrix game's turns (``conduct.run.HANDLERS`` lists their handlers)."""

from __future__ import annotations

from dataclasses import dataclass

from sitroom.conduct.commands import Command


@dataclass(frozen=True, slots=True)
class OpenTurn(Command):
    """Control opens turn ``turn`` (the one before, if open, is closed first)."""

    turn: int


@dataclass(frozen=True, slots=True)
class CloseTurn(Command):
    turn: int


@dataclass(frozen=True, slots=True)
class SubmitArgument(Command):
    """A player states their actor's argument in the open turn."""

    action: str
    result: str
    reasons: str
    actor: str | None = None  # needed only when the team plays several actors
    audience: tuple[str, ...] = ()  # actor ids; empty = every actor
    secret: bool = False


@dataclass(frozen=True, slots=True)
class CounterArgue(Command):
    """Reasons against an argument the speaker may see (a player of another actor, or control)."""

    argument: str
    reasons: str


@dataclass(frozen=True, slots=True)
class GiveEstimate(Command):
    """An estimate, in percent, that an argument succeeds (players and control)."""

    argument: str
    probability: int


@dataclass(frozen=True, slots=True)
class Adjudicate(Command):
    """Control adjudicates an argument. ``method``: auto-success, estimative (the median of the
    estimates, then a seeded roll) or umpire (``success`` and ``ruling`` say the umpire's word)."""

    argument: str
    method: str
    success: bool | None = None
    ruling: str = ""


@dataclass(frozen=True, slots=True)
class ReleaseOutcome(Command):
    """Control tells the actors in ``audience`` (empty: all) what came of a turn or argument."""

    turn: int
    text: str
    argument: str | None = None
    audience: tuple[str, ...] | None = None  # None: the argument's audience (all if none)


@dataclass(frozen=True, slots=True)
class RevealArgument(Command):
    argument: str
