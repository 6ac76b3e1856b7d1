"""Commands: what someone asks a run to do, in the imperative."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Command:
    """Base of all commands."""


@dataclass(frozen=True, slots=True)
class StartRun(Command):
    compression: float = 1.0


@dataclass(frozen=True, slots=True)
class PauseRun(Command):
    pass


@dataclass(frozen=True, slots=True)
class ResumeRun(Command):
    pass


@dataclass(frozen=True, slots=True)
class EndRun(Command):
    pass


@dataclass(frozen=True, slots=True)
class OpenModule(Command):
    module: str


@dataclass(frozen=True, slots=True)
class ReleaseInject(Command):
    number: str
    how: str = "manual"  # manual | now | scheduled


@dataclass(frozen=True, slots=True)
class CorrectInject(Command):
    number: str
    content: dict[str, str]
    reason: str = ""


@dataclass(frozen=True, slots=True)
class RetractInject(Command):
    number: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class BroadcastUpdate(Command):
    text: dict[str, str]
    teams: tuple[str, ...] = ()
    parties: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RecordReceipt(Command):
    number: str


@dataclass(frozen=True, slots=True)
class AcknowledgeInject(Command):
    number: str


@dataclass(frozen=True, slots=True)
class SubmitResponse(Command):
    target: str  # "inject" | "question"
    ref: str
    text: str


@dataclass(frozen=True, slots=True)
class ProposeDecision(Command):
    title: str
    text: str
    joint_with: tuple[str, ...] = ()
    clauses: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AnswerDecision(Command):
    decision: str
    concur: bool
    reasons: str = ""
    clauses: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class OpenPoll(Command):
    poll: str


@dataclass(frozen=True, slots=True)
class ClosePoll(Command):
    poll: str


@dataclass(frozen=True, slots=True)
class CastVote(Command):
    poll: str
    options: tuple[str, ...]
    confidence: int | None = None


@dataclass(frozen=True, slots=True)
class AddTeamNote(Command):
    text: str


@dataclass(frozen=True, slots=True)
class RecordObservation(Command):
    text: str
    objective: str | None = None
    task: str | None = None
    inject: str | None = None
    team: str | None = None
    rating: str | None = None
