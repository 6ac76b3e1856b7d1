"""The AAR/IP as data: what every renderer (HTML, DOCX, PDF) shows, built from log + package.

The model is language-independent: text from the package stays a ``LocalText`` mapping
(``{"en": …, "ko": …}``) for the renderer to pick from; what people typed is plain text.
Its hash (``report_hash``) is what finalising freezes. Durations are seconds, times ISO 8601.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sitroom.reports.gamerows import GameTurnRow

OMIT_IF_DEFAULT = {"omit_if_default": True}
"""A field added later: left out of the hashed data while it has its default, so a report
finalised before the field existed keeps its hash."""

Text = Mapping[str, str]
"""Package text in one or several languages."""

IP_COLUMNS = (
    "Core Capability",
    "Issue/Area for Improvement",
    "Corrective Action",
    "Capability Element",
    "Primary Responsible Organization",
    "Organization POC",
    "Start Date",
    "Completion Date",
)
"""The Improvement Plan matrix (HSEEP AAR/IP Appendix A), column by column."""


@dataclass(frozen=True, slots=True)
class EvidenceItem:
    """One log event cited as evidence, as the AAR's readers may see it."""

    seq: int
    at: str
    kind: str  # inject | response | note | decision | answer | vote | observation | rating |
    # clause-record | hot-wash | feedback | broadcast | module | poll | other
    summary: str  # what was typed (shortened), or empty
    team: str | None = None
    party: str | None = None
    inject: str | None = None  # the inject number it concerns
    inject_title: Text | None = None
    rating: str | None = None


@dataclass(frozen=True, slots=True)
class ActionRow:
    """A row of the Improvement Plan."""

    id: str
    finding: str
    capability: str | None
    capability_name: Text | None
    issue: str
    action: str
    element: str
    organisation: str
    poc: str
    start: str
    completion: str
    priority: str = ""


@dataclass(frozen=True, slots=True)
class FindingItem:
    """A strength or area for improvement with its analysis and evidence."""

    id: str
    kind: str  # strength | improvement
    title: str
    analysis: str  # Markdown
    capability: str | None
    objective: str | None
    evidence: tuple[EvidenceItem, ...]
    corrective_actions: tuple[ActionRow, ...]
    drafted: bool  # True: drafted from the evidence, not yet edited by an evaluator
    rel_to: tuple[str, ...]  # the parties this finding may be released to (sorted)
    translations: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    """A drafted finding's (title, analysis) in each language it was drafted in; ``title`` and
    ``analysis`` are those of the exercise's first language. Empty for a saved finding."""

    def text_in(self, lang: str) -> tuple[str, str]:
        """(title, analysis) in ``lang`` (or its base language) when drafted in it, else as
        written."""
        base = lang.replace("_", "-").split("-", 1)[0]
        return (
            self.translations.get(lang)
            or self.translations.get(base)
            or (
                self.title,
                self.analysis,
            )
        )


@dataclass(frozen=True, slots=True)
class RatingItem:
    rating: str
    notes: str
    evidence: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class TaskItem:
    id: str
    text: Text
    source: str | None


@dataclass(frozen=True, slots=True)
class TargetResult:
    id: str
    text: Text
    rating: str | None  # the consensus of the evaluators' latest ratings
    ratings: tuple[RatingItem, ...]
    tasks: tuple[TaskItem, ...]


@dataclass(frozen=True, slots=True)
class CapabilityResult:
    """One objective × core capability: its rating, targets, strengths and improvements."""

    objective: str
    objective_number: int
    objective_text: Text
    capability: str
    name: Text
    rating: str | None
    ratings: tuple[RatingItem, ...]
    targets: tuple[TargetResult, ...]
    strengths: tuple[FindingItem, ...]
    improvements: tuple[FindingItem, ...]


@dataclass(frozen=True, slots=True)
class Overview:
    """The exercise overview table."""

    name: Text
    exercise_type: str
    dates: tuple[str, str | None] | None
    venue: Text | None
    scope: Text | None
    mission_areas: tuple[str, ...]
    capabilities: tuple[Text, ...]
    objectives: tuple[tuple[str, Text], ...]
    threat_or_hazard: Text | None
    scenario: Text | None
    sponsor: Text | None
    organisations: tuple[str, ...]
    points_of_contact: tuple[Mapping[str, Text | str | None], ...]
    """name, organization and role are texts by language; email and phone plain strings."""
    series: str | None
    modules: tuple[tuple[str, Text], ...]
    started_at: str | None
    ended_at: str | None
    active_seconds: float
    acronyms: tuple[tuple[str, Text], ...] = ()
    """(acronym, what it stands for by language), sorted by acronym."""


@dataclass(frozen=True, slots=True)
class TimelineItem:
    seq: int
    at: str
    clock: float  # active seconds since STARTEX
    kind: str  # startex | pause | resume | endex | module | inject | decision | concurred |
    # non-concurred | poll
    ref: str | None
    label: Text | None  # package text (module, inject, poll)
    text: str = ""  # typed text (decision title)
    team: str | None = None
    party: str | None = None
    cell: bool = field(default=False, metadata=OMIT_IF_DEFAULT)  # done by a simulated cell


@dataclass(frozen=True, slots=True)
class MilestoneRow:
    """A milestone of the run: reached when (``seq`` None: not reached), and how."""

    id: str
    name: Text
    objectives: tuple[str, ...]
    tasks: tuple[str, ...]
    seq: int | None
    at: str | None
    clock: float | None  # active seconds since STARTEX
    trigger: str | None  # the trigger that reached it; None: control marked it


@dataclass(frozen=True, slots=True)
class AnswerTimeRow:
    """A simulated organisation: threads teams opened with it, how many it answered, and the
    median and longest time to its first answer (minutes; None when it answered none)."""

    organisation: str
    name: Text
    threads: int
    answered: int
    median_minutes: float | None
    max_minutes: float | None


@dataclass(frozen=True, slots=True)
class LatencyRow:
    inject: str
    inject_title: Text
    team: str
    team_name: Text
    party: str | None
    response_seconds: float | None  # active time to the team's first response
    decision_seconds: float | None  # active time to its first decision


@dataclass(frozen=True, slots=True)
class ConcurrenceRow:
    decision: str
    title: str
    team: str
    parties: tuple[str, ...]
    status: str
    seconds: float | None  # active time from proposal to the last concurrence
    cell: bool = field(default=False, metadata=OMIT_IF_DEFAULT)  # proposed by a simulated cell


@dataclass(frozen=True, slots=True)
class ParticipationRow:
    party: str | None
    team: str | None  # None: the whole party
    name: Text
    responses: int
    decisions: int
    answers: int
    notes: int
    votes: int
    total: int
    share: float


@dataclass(frozen=True, slots=True)
class CoverageRow:
    kind: str  # objective | clause
    id: str
    label: Text
    title: Text | None
    evidence: tuple[int, ...]
    discussed: bool | None  # clauses: the latest evaluator record


@dataclass(frozen=True, slots=True)
class CoverageCell:
    """How often one objective was exercised in one module (the heat map)."""

    objective: str
    module: str
    count: int


@dataclass(frozen=True, slots=True)
class PollRow:
    poll: str
    question: Text
    voters: int
    counts: tuple[tuple[str, Text, int], ...]  # option id, text, votes
    top_option: str | None
    alignment: float | None
    mean_confidence: float | None


@dataclass(frozen=True, slots=True)
class StatementRow:
    id: str
    text: Text
    mean: float | None
    answers: int


@dataclass(frozen=True, slots=True)
class FeedbackSummary:
    forms: int
    anonymous: int
    statements: tuple[StatementRow, ...]
    strengths: tuple[str, ...]
    improvements: tuple[str, ...]
    missed: tuple[str, ...]
    suggested_actions: tuple[Mapping[str, str], ...]


@dataclass(frozen=True, slots=True)
class HotWashRow:
    seq: int
    kind: str
    text: str
    team: str | None
    party: str | None


@dataclass(frozen=True, slots=True)
class TeamRow:
    id: str
    name: Text
    kind: str
    participants: int  # people who wrote, decided or voted in the record


@dataclass(frozen=True, slots=True)
class PartyRow:
    id: str
    name: Text
    code: str
    teams: tuple[TeamRow, ...]


@dataclass(frozen=True, slots=True)
class RetestRow:
    """A corrective action of an earlier edition that this exercise re-tested."""

    action: str  # the corrective action's id
    objective: str
    objective_number: int
    objective_text: Text
    rating: str | None  # the worst consensus rating of the objective's capabilities
    outcome: str  # verified | not-verified | not-exercised


RETEST_OUTCOMES = ("verified", "not-verified", "not-exercised")


@dataclass(frozen=True, slots=True)
class ReportModel:
    """Everything an AAR/IP shows; ``parties`` names whose AAR it is (empty: the complete
    report for exercise staff)."""

    run_id: str
    package_hash: str
    upto: int  # the last log event it reflects
    parties: tuple[str, ...]
    party_names: tuple[Text, ...]
    languages: tuple[str, ...]
    marking: str  # the banner for every page
    overview: Overview
    capabilities: tuple[CapabilityResult, ...]
    general: tuple[FindingItem, ...]  # findings tied to no capability
    improvement_plan: tuple[ActionRow, ...]
    objective_coverage: tuple[CoverageRow, ...]
    clause_coverage: tuple[CoverageRow, ...]
    coverage_cells: tuple[CoverageCell, ...]
    timeline: tuple[TimelineItem, ...]
    latencies: tuple[LatencyRow, ...]
    concurrence: tuple[ConcurrenceRow, ...]
    participation: tuple[ParticipationRow, ...]
    polls: tuple[PollRow, ...]
    rating_counts: Mapping[str, Mapping[str, int]]  # targets|capabilities|observations -> P/S/M/U
    hot_wash: tuple[HotWashRow, ...]
    feedback: FeedbackSummary
    participants: tuple[PartyRow, ...]
    teams: Mapping[str, Text]  # team id -> name, for labels
    observations: int
    retests: tuple[RetestRow, ...] = ()  # corrective actions carried from earlier editions
    milestones: tuple[MilestoneRow, ...] = ()  # the complete report only
    answer_times: tuple[AnswerTimeRow, ...] = ()  # the complete report only (SimCell)
    game_turns: tuple[GameTurnRow, ...] = ()  # a matrix game's turns: the complete report only


@dataclass(frozen=True, slots=True)
class Report:
    """A report model with its status: a draft, or final with the hash frozen at finalising."""

    model: ReportModel
    hash: str
    final: bool = False
    finalised_at: str | None = None
    frozen_hash: str | None = None  # the hash recorded when it was finalised
    label: Mapping[str, Any] | None = None
    """Its confidentiality label (``package.marking.label``); the banner is rendered from it."""

    @property
    def status(self) -> str:
        return "final" if self.final else "draft"

    @property
    def intact(self) -> bool:
        """A final report rebuilt from the log still has the hash it was finalised with."""
        return not self.final or self.hash == self.frozen_hash


_SCALARS = (str, int, float, bool, type(None))


_FIELDS: dict[type, tuple[tuple[str, bool, Any], ...] | None] = {}


def _fields(cls: type) -> tuple[tuple[str, bool, Any], ...] | None:
    """A dataclass's fields as (name, omitted when default, default); None for other types.
    Looked up once per class: a long run's model holds tens of thousands of dataclasses."""
    if cls not in _FIELDS:
        _FIELDS[cls] = (
            tuple(
                (f.name, bool(f.metadata.get("omit_if_default")), f.default)
                for f in dataclasses.fields(cls)
            )
            if dataclasses.is_dataclass(cls)
            else None
        )
    return _FIELDS[cls]


def _plain(value: Any) -> Any:
    if isinstance(value, _SCALARS):
        return value
    fields = _fields(type(value))
    if fields is not None:
        data = {}
        for name, omit, default in fields:
            item = getattr(value, name)
            if not (omit and item == default):
                data[name] = _plain(item)
        return data
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def model_data(model: ReportModel) -> dict[str, Any]:
    """The model as JSON-ready data (what the API returns and the hash covers)."""
    data: dict[str, Any] = _plain(model)
    if not data["milestones"]:
        del data["milestones"]  # a package without milestones hashes as it did before them
    if not data["answer_times"]:
        del data["answer_times"]  # nor one without simulated organisations
    if not data["game_turns"]:
        del data["game_turns"]  # nor one without a matrix game
    return data


def report_hash(model: ReportModel) -> str:
    """SHA-256 of the model's canonical JSON: the same model gives the same hash, anywhere."""
    text = json.dumps(model_data(model), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
