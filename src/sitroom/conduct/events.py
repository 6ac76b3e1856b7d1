"""Events: what happened in a run, past tense, each with a stable kebab-case wire name.

Events carry references (inject numbers, poll ids) and what participants typed — never a copy
of package content, so the visibility gate decides per viewer what a reference shows.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from sitroom.conduct.eventbase import Event as Event
from sitroom.conduct.gameevents import GAME_EVENTS
from sitroom.conduct.threadevents import ThreadForwarded as ThreadForwarded
from sitroom.conduct.threadevents import ThreadMessagePosted as ThreadMessagePosted
from sitroom.conduct.threadevents import ThreadOpened as ThreadOpened
from sitroom.conduct.threadevents import ThreadRead as ThreadRead

# --- lifecycle -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RunStarted(Event):
    TYPE: ClassVar[str] = "run-started"
    compression: float = 1.0


@dataclass(frozen=True, slots=True)
class RunPaused(Event):
    TYPE: ClassVar[str] = "run-paused"


@dataclass(frozen=True, slots=True)
class RunResumed(Event):
    TYPE: ClassVar[str] = "run-resumed"


@dataclass(frozen=True, slots=True)
class RunEnded(Event):
    """ENDEX."""

    TYPE: ClassVar[str] = "run-ended"


@dataclass(frozen=True, slots=True)
class ModuleOpened(Event):
    TYPE: ClassVar[str] = "module-opened"
    module: str


# --- injects and updates ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InjectReleased(Event):
    TYPE: ClassVar[str] = "inject-released"
    number: str
    module: str
    how: str = "manual"  # manual | now | scheduled | contingency


@dataclass(frozen=True, slots=True)
class InjectCorrected(Event):
    TYPE: ClassVar[str] = "inject-corrected"
    number: str
    content: dict[str, str]
    reason: str = ""


@dataclass(frozen=True, slots=True)
class InjectRetracted(Event):
    TYPE: ClassVar[str] = "inject-retracted"
    number: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class UpdateBroadcast(Event):
    TYPE: ClassVar[str] = "update-broadcast"
    id: str
    text: dict[str, str]
    teams: tuple[str, ...] = ()
    parties: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class InjectReceived(Event):
    """A delivery receipt: the inject reached this principal's screen."""

    TYPE: ClassVar[str] = "inject-received"
    number: str
    principal: str
    team: str | None = None


@dataclass(frozen=True, slots=True)
class InjectAcknowledged(Event):
    TYPE: ClassVar[str] = "inject-acknowledged"
    number: str
    principal: str
    team: str | None = None


@dataclass(frozen=True, slots=True)
class InjectMailed(Event):
    """An inject went out by e-mail to one participant (``recipient``: their principal id);
    the SMTP server accepted it on ``attempt``. Control's record, like a receipt."""

    TYPE: ClassVar[str] = "inject-mailed"
    number: str
    recipient: str
    message_id: str
    attempt: int = 1


@dataclass(frozen=True, slots=True)
class MailFailed(Event):
    """An attempt to e-mail an inject failed with ``error`` (the SMTP answer or network
    error); ``bounced`` when the server refused it (5xx); ``final`` when it is given up."""

    TYPE: ClassVar[str] = "mail-failed"
    number: str
    recipient: str
    message_id: str
    attempt: int
    error: str
    bounced: bool = False
    final: bool = False


# --- participants --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ResponseSubmitted(Event):
    TYPE: ClassVar[str] = "response-submitted"
    id: str
    target: str  # "inject" | "question"
    ref: str
    team: str
    party: str | None
    author: str
    text: str


@dataclass(frozen=True, slots=True)
class DecisionProposed(Event):
    TYPE: ClassVar[str] = "decision-proposed"
    id: str
    team: str
    party: str | None
    author: str
    title: str
    text: str
    joint_with: tuple[str, ...] = ()
    clauses: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DecisionConcurred(Event):
    TYPE: ClassVar[str] = "decision-concurred"
    decision: str
    party: str
    team: str
    author: str
    reasons: str = ""
    clauses: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DecisionNonConcurred(Event):
    TYPE: ClassVar[str] = "decision-non-concurred"
    decision: str
    party: str
    team: str
    author: str
    reasons: str = ""
    clauses: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PollOpened(Event):
    TYPE: ClassVar[str] = "poll-opened"
    poll: str


@dataclass(frozen=True, slots=True)
class PollClosed(Event):
    TYPE: ClassVar[str] = "poll-closed"
    poll: str
    results: dict[str, int] = field(default_factory=dict)
    votes: int = 0
    mean_confidence: float | None = None


@dataclass(frozen=True, slots=True)
class PollVoteCast(Event):
    TYPE: ClassVar[str] = "poll-vote-cast"
    poll: str
    voter: str
    team: str | None
    party: str | None
    options: tuple[str, ...]
    confidence: int | None = None


@dataclass(frozen=True, slots=True)
class TeamNoteAdded(Event):
    TYPE: ClassVar[str] = "team-note-added"
    id: str
    team: str
    author: str
    text: str


@dataclass(frozen=True, slots=True)
class ObservationRecorded(Event):
    TYPE: ClassVar[str] = "observation-recorded"
    id: str
    author: str
    text: str
    objective: str | None = None
    task: str | None = None
    inject: str | None = None
    team: str | None = None
    rating: str | None = None  # P | S | M | U


# --- evaluation ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TargetRated(Event):
    """An evaluator's rating of a capability target; the latest per evaluator counts."""

    TYPE: ClassVar[str] = "target-rated"
    id: str
    author: str
    objective: str
    target: str
    rating: str  # P | S | M | U
    notes: str = ""
    evidence: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class CapabilityRated(Event):
    """An evaluator's rating of a core capability under an objective."""

    TYPE: ClassVar[str] = "capability-rated"
    id: str
    author: str
    objective: str
    capability: str
    rating: str
    notes: str = ""
    evidence: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class ClauseRecorded(Event):
    """Discussed / not discussed, for one guideline clause."""

    TYPE: ClassVar[str] = "clause-recorded"
    id: str
    author: str
    clause: str
    discussed: bool
    notes: str = ""
    evidence: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class HotWashItemAdded(Event):
    """A strength or area for improvement said aloud in the hot wash."""

    TYPE: ClassVar[str] = "hot-wash-item-added"
    id: str
    author: str
    kind: str  # strength | improvement
    text: str
    team: str | None = None
    party: str | None = None


@dataclass(frozen=True, slots=True)
class FeedbackSubmitted(Event):
    """A Participant Feedback Form.

    When ``anonymous`` the payload names nobody (``respondent`` is None, no name) and the
    log's actor is a pseudonym (``Engine.pseudonym``: a keyed hash of run and principal), so
    the record itself names nobody while a second form of the same person still replaces the
    first. ``party`` is kept: it decides whose AAR may quote the form.
    """

    TYPE: ClassVar[str] = "feedback-submitted"
    id: str
    respondent: str | None
    anonymous: bool = False
    name: str = ""
    organisation: str = ""
    role: str = ""
    strengths: tuple[str, ...] = ()
    improvements: tuple[str, ...] = ()
    missed: str = ""
    corrective_actions: tuple[dict[str, str], ...] = ()  # action, priority, responsible
    ratings: dict[str, int] = field(default_factory=dict)
    party: str | None = None  # the submitter's party: whose AAR may quote the form


# --- the after-action report -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FindingSaved(Event):
    """A finding of the AAR as an evaluator wrote it (new, or an edit of a drafted one).

    ``rel_to`` narrows the parties whose AAR may carry it (empty: every party the evidence
    allows); ``corrective_actions`` are the Improvement Plan rows of an area for improvement.
    """

    TYPE: ClassVar[str] = "finding-saved"
    id: str
    author: str
    kind: str  # strength | improvement
    title: str
    analysis: str = ""
    capability: str | None = None
    objective: str | None = None
    evidence: tuple[int, ...] = ()
    rel_to: tuple[str, ...] = ()
    corrective_actions: tuple[dict[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class FindingRemoved(Event):
    """A finding (drafted or saved) taken out of the AAR."""

    TYPE: ClassVar[str] = "finding-removed"
    id: str
    author: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ReportFinalised(Event):
    """An AAR/IP declared final: built from the log up to ``upto``, its model hashed.

    ``parties`` names the AAR: empty for the complete (exercise staff) report, one party for
    that party's AAR, several for a joint AAR.
    """

    TYPE: ClassVar[str] = "report-finalised"
    id: str
    author: str
    parties: tuple[str, ...]
    upto: int
    hash: str


# --- simulated cells (control's record; see conduct/handlers/cells.py) -----------------------


@dataclass(frozen=True, slots=True)
class CellActed(Event):
    """What a cell did (``action``: the command's wire name, or "none") and how it chose it."""

    TYPE: ClassVar[str] = "cell-acted"
    cell: str
    team: str
    action: str
    trace: dict[str, Any] = field(default_factory=dict)
    held: str = ""  # the held action this releases, if any
    note: str = ""


@dataclass(frozen=True, slots=True)
class CellActionHeld(Event):
    """A cell action waiting for control: ``reason`` is "approval" or "escalation"."""

    TYPE: ClassVar[str] = "cell-action-held"
    id: str
    cell: str
    team: str
    party: str | None
    action: str
    command: dict[str, Any]
    trace: dict[str, Any] = field(default_factory=dict)
    reason: str = "approval"
    note: str = ""


@dataclass(frozen=True, slots=True)
class CellActionReleased(Event):
    TYPE: ClassVar[str] = "cell-action-released"
    id: str
    author: str
    edited: bool = False


@dataclass(frozen=True, slots=True)
class CellActionDiscarded(Event):
    TYPE: ClassVar[str] = "cell-action-discarded"
    id: str
    author: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class CellModeSet(Event):
    TYPE: ClassVar[str] = "cell-mode-set"
    team: str
    mode: str
    author: str


# --- branches: triggers, milestones, choices ----------------------------------------------


@dataclass(frozen=True, slots=True)
class TriggerMet(Event):
    """A trigger's condition became true: it acts now (``fires``) or waits for control.

    ``since_seq``/``since_at`` say when the condition first became true (``since_seq`` is
    None when time made it true, as in "not answered within 30 minutes").
    """

    TYPE: ClassVar[str] = "trigger-met"
    trigger: str  # inject:<number> | module:<id> | milestone:<id>
    condition: str
    mode: str  # fires | proposes
    since_at: str
    since_seq: int | None = None


@dataclass(frozen=True, slots=True)
class TriggerAccepted(Event):
    """Control released what a proposing trigger offered."""

    TYPE: ClassVar[str] = "trigger-accepted"
    trigger: str
    author: str


@dataclass(frozen=True, slots=True)
class TriggerDismissed(Event):
    """Control dismissed what a proposing trigger offered."""

    TYPE: ClassVar[str] = "trigger-dismissed"
    trigger: str
    author: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class MilestoneReached(Event):
    """A named fact of the run, set by control or by a trigger (``trigger`` names it)."""

    TYPE: ClassVar[str] = "milestone-reached"
    milestone: str
    author: str
    trigger: str | None = None


@dataclass(frozen=True, slots=True)
class ChoiceMade(Event):
    """A team's pick among the options an inject offers (a party's, for a joint choice)."""

    TYPE: ClassVar[str] = "choice-made"
    inject: str
    option: str
    team: str
    party: str | None
    author: str


# --- assistants: proposals a person accepts, edits or discards (conduct/handlers/assist.py) ---


@dataclass(frozen=True, slots=True)
class AssistProposed(Event):
    """What an assistant proposed to ``requested_by`` (``assistant``: evaluator, facilitator or
    report), with its trace (provider, model, prompt hash, latency, tokens). ``items`` empty is
    a recorded "no proposal" (``note`` says why); ``dropped`` counts what the checks removed."""

    TYPE: ClassVar[str] = "assist-proposed"
    id: str
    assistant: str
    requested_by: str
    items: tuple[dict[str, Any], ...] = ()
    trace: dict[str, Any] = field(default_factory=dict)
    about: str = ""
    dropped: int = 0
    note: str = ""


@dataclass(frozen=True, slots=True)
class AssistAnswered(Event):
    """A person's answer to one proposed item: accepted, edited (then accepted) or discarded."""

    TYPE: ClassVar[str] = "assist-answered"
    id: str
    item: str
    assistant: str
    requested_by: str
    author: str
    outcome: str  # accepted | edited | discarded
    reason: str = ""


EVENT_TYPES: dict[str, type[Event]] = {
    cls.TYPE: cls
    for cls in (
        RunStarted,
        RunPaused,
        RunResumed,
        RunEnded,
        ModuleOpened,
        InjectReleased,
        InjectCorrected,
        InjectRetracted,
        UpdateBroadcast,
        InjectReceived,
        InjectAcknowledged,
        InjectMailed,
        MailFailed,
        ResponseSubmitted,
        DecisionProposed,
        DecisionConcurred,
        DecisionNonConcurred,
        PollOpened,
        PollClosed,
        PollVoteCast,
        TeamNoteAdded,
        ObservationRecorded,
        TargetRated,
        CapabilityRated,
        ClauseRecorded,
        HotWashItemAdded,
        FeedbackSubmitted,
        FindingSaved,
        FindingRemoved,
        ReportFinalised,
        CellActed,
        CellActionHeld,
        CellActionReleased,
        CellActionDiscarded,
        CellModeSet,
        TriggerMet,
        TriggerAccepted,
        TriggerDismissed,
        MilestoneReached,
        ChoiceMade,
        AssistProposed,
        AssistAnswered,
        ThreadOpened,
        ThreadMessagePosted,
        ThreadForwarded,
        ThreadRead,
    )
}
EVENT_TYPES.update({cls.TYPE: cls for cls in GAME_EVENTS})  # a matrix game's: gameevents.py


class UnknownEvent(ValueError):
    """A stored event type this version of sitroom does not know."""


def from_wire(type_: str, payload: dict[str, Any]) -> Event:
    """Rebuild an event from its wire name and payload (tuples restored from lists)."""
    cls = EVENT_TYPES.get(type_)
    if cls is None:
        raise UnknownEvent(type_)
    return rebuild(cls, payload)


E = TypeVar("E", bound=Event)


def rebuild(cls: type[E], payload: dict[str, Any]) -> E:
    """An event of ``cls`` from its JSON payload: lists (and lists in lists) become tuples,
    fields the payload lacks take their defaults (events recorded by an older version)."""
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name not in payload:
            continue
        value = payload[f.name]
        if isinstance(value, list):
            value = tuple(tuple(v) if isinstance(v, list) else v for v in value)
        kwargs[f.name] = value
    return cls(**kwargs)
