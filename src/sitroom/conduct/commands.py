"""Commands: what someone asks a run to do, in the imperative."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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
class RecordReceipts(Command):
    """Several injects reached one screen: a page's receipts sent together."""

    numbers: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AcknowledgeInject(Command):
    number: str


@dataclass(frozen=True, slots=True)
class RecordMailDelivery(Command):
    """The outcome of one attempt to e-mail a released inject (the ``mail`` follower's)."""

    number: str
    recipient: str
    message_id: str
    attempt: int
    error: str = ""  # "" : accepted by the SMTP server
    bounced: bool = False
    final: bool = False


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


# --- evaluation ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RateTarget(Command):
    """An evaluator's P/S/M/U rating of a capability target, citing log events as evidence."""

    target: str
    rating: str  # P | S | M | U
    notes: str = ""
    evidence: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class RateCapability(Command):
    """An evaluator's P/S/M/U rating of a core capability under one objective."""

    objective: str
    capability: str
    rating: str
    notes: str = ""
    evidence: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class RecordClause(Command):
    """Whether a guideline clause ("reference-id/clause-id") was discussed."""

    clause: str
    discussed: bool
    notes: str = ""
    evidence: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class AddHotWashItem(Command):
    """A strength or area for improvement said in the hot wash."""

    kind: str  # strength | improvement
    text: str
    team: str | None = None
    party: str | None = None


@dataclass(frozen=True, slots=True)
class SuggestedAction:
    """A corrective action a participant suggests on the feedback form."""

    action: str
    priority: str = "Medium"  # High | Medium | Low
    responsible: str = ""


@dataclass(frozen=True, slots=True)
class SubmitFeedback(Command):
    """The Participant Feedback Form, after ENDEX; a second submission replaces the first."""

    anonymous: bool = False
    name: str = ""
    organisation: str = ""
    role: str = ""
    strengths: tuple[str, ...] = ()
    improvements: tuple[str, ...] = ()
    missed: str = ""
    corrective_actions: tuple[SuggestedAction, ...] = ()
    ratings: dict[str, int] = field(default_factory=dict)  # statement id -> 1..5


# --- the after-action report -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CorrectiveAction:
    """One row of the Improvement Plan (HSEEP AAR/IP Appendix A)."""

    action: str
    element: str = ""  # Planning | Organization | Equipment | Training | Exercise
    organisation: str = ""  # primary responsible organization
    poc: str = ""  # organization point of contact
    start: str = ""  # ISO date
    completion: str = ""  # ISO date
    id: str = ""  # stable id; given when empty


@dataclass(frozen=True, slots=True)
class SaveFinding(Command):
    """Write a finding: a new one (empty ``id``) or an edit of a drafted or saved one."""

    kind: str  # strength | improvement
    title: str
    analysis: str = ""
    capability: str | None = None
    objective: str | None = None
    evidence: tuple[int, ...] = ()
    rel_to: tuple[str, ...] = ()
    corrective_actions: tuple[CorrectiveAction, ...] = ()
    id: str = ""


@dataclass(frozen=True, slots=True)
class RemoveFinding(Command):
    id: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class FinaliseReport(Command):
    """Declare an AAR final; ``upto`` and ``hash`` are those of the report the user reviewed."""

    parties: tuple[str, ...]
    upto: int
    hash: str


# --- simulated cells -------------------------------------------------------------------------


CELL_MODES = ("autonomous", "approval", "paused", "manual")
"""How control lets a cell act: alone, after release, not at all, or a person plays the team."""


@dataclass(frozen=True, slots=True)
class CellAct(Command):
    """A simulated cell's action: ``command`` (None: it chose, or fell back to, no action) and
    the trace of how it was chosen (provider, model, prompt hash, temperature, seed, latency,
    tokens). The run records it, holds it for control's release, or refuses it."""

    command: Command | None
    trace: dict[str, object] = field(default_factory=dict)
    note: str = ""


@dataclass(frozen=True, slots=True)
class SetCellMode(Command):
    """Control sets a cell autonomous or approval, pauses it, or takes it over (manual)."""

    team: str
    mode: str


@dataclass(frozen=True, slots=True)
class ReleaseCellAction(Command):
    """Control releases a held cell action, with its text edited when ``text`` is given."""

    id: str
    text: str | None = None


@dataclass(frozen=True, slots=True)
class DiscardCellAction(Command):
    id: str
    reason: str = ""


# --- branches --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MeetTrigger(Command):
    """Say a trigger's condition holds (the triggers follower sends it); refused if it does not."""

    trigger: str


@dataclass(frozen=True, slots=True)
class AnswerTrigger(Command):
    """Control's answer to a proposing trigger: release (accept) or dismiss."""

    trigger: str
    accept: bool
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ReachMilestone(Command):
    """Control marks a milestone of the package as reached."""

    milestone: str


@dataclass(frozen=True, slots=True)
class MakeChoice(Command):
    """A player picks one of the options an inject offers."""

    inject: str
    option: str


# --- assistants (proposals a person decides) ---------------------------------------------------


ASSISTANTS = ("evaluator", "facilitator", "report")


@dataclass(frozen=True, slots=True)
class RecordProposal(Command):
    """An assistant's proposal, sent for the person who asked for it (``services.assist``):
    checked items (none: "no proposal"), the trace, and how many items the checks dropped."""

    assistant: str
    items: tuple[dict[str, Any], ...]
    trace: dict[str, Any] = field(default_factory=dict)
    about: str = ""
    dropped: int = 0
    note: str = ""


# --- the SimCell inbox -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WriteToOrganisation(Command):
    """A player writes to a simulated organisation: a new thread of the team's."""

    organisation: str
    subject: str
    body: str


@dataclass(frozen=True, slots=True)
class PostInThread(Command):
    """A reply in a thread: by its team, or by control staff as the organisation (marked)."""

    thread: str
    body: str
    classification: str | None = None
    tlp: str | None = None
    attachments: tuple[str, ...] = ()  # the package's document paths (organisation's answers)


@dataclass(frozen=True, slots=True)
class ForwardThread(Command):
    """Control shows a thread to more teams or parties (they read it, they do not reply)."""

    thread: str
    teams: tuple[str, ...] = ()
    parties: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True, slots=True)
class AnswerProposal(Command):
    """Accept (with ``edit`` applied: the fields the person changed) or discard one item."""

    id: str
    item: str
    accept: bool
    edit: dict[str, Any] | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class MarkThreadRead(Command):
    """A player has read a thread (or an inject from an organisation: ``inject:<number>``)."""

    thread: str
