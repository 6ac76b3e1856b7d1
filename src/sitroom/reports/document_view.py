"""What the document templates receive: the Situation Manual or C/E Handbook as plain,
already-translated view objects.

Kept apart from the builder so the templates' interface (every field a template may use) can
be read in one place, and so the web's evaluation page can reuse the same views.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from markupsafe import Markup

from sitroom.reports.document_cells import CellView, RankingView
from sitroom.reports.document_game import GameView


class DocumentKind(StrEnum):
    """The documents that can be rendered from a package."""

    SITMAN = "sitman"
    HANDBOOK = "handbook"


@dataclass(frozen=True)
class OverviewRow:
    """One row of the Exercise Overview table: plain text, a list, or rendered Markdown."""

    label: str
    text: str = ""
    items: tuple[str, ...] = ()
    html: Markup | None = None
    ordered: bool = False


@dataclass(frozen=True)
class ObjectiveView:
    """An exercise objective with the names of its core capabilities."""

    number: int
    text: str
    capabilities: tuple[str, ...]


@dataclass(frozen=True)
class RoleView:
    """A participant role (players, observers, …) and the teams that fill it."""

    name: str
    description: str
    teams: tuple[str, ...]


@dataclass(frozen=True)
class QuestionGroup:
    """Discussion questions for one audience: everyone, or some teams or parties."""

    audience: str
    questions: tuple[QuestionView, ...]


@dataclass(frozen=True)
class QuestionView:
    """A discussion question and the clauses and critical tasks it asks about."""

    text: str
    cites: tuple[str, ...] = ()


@dataclass(frozen=True)
class InjectView:
    """One MSEL row (handbook only)."""

    number: str
    anchor: str
    banner: str
    scenario_time: str
    offset: str
    sender: str
    recipients: str
    delivery: str
    type: str
    contingency: bool
    contingency_for: str
    backs_up_subject: str
    subject: str
    content: Markup
    attachments: tuple[str, ...]
    expected_actions: tuple[str, ...]
    objectives: tuple[str, ...]
    tasks: tuple[str, ...]
    clauses: tuple[str, ...]
    controller: str
    notes: Markup
    trigger: str = ""
    choice: tuple[str, ...] = ()
    label: str = ""
    """The row's confidentiality label as JSON (``package.marking``), beside its banner."""


@dataclass(frozen=True)
class PollView:
    """A poll asked during a module (handbook only)."""

    question: str
    options: tuple[str, ...]
    multiple: bool


@dataclass(frozen=True)
class ModuleView:
    """One module: its scenario segment, issues, questions and, for control, its MSEL."""

    number: int
    anchor: str
    title: str
    span: str
    duration: str
    starts_at: str
    narrative: Markup
    key_issues: tuple[str, ...]
    question_groups: tuple[QuestionGroup, ...]
    facilitator_notes: Markup
    injects: tuple[InjectView, ...]
    contingencies: tuple[InjectView, ...]
    polls: tuple[PollView, ...]
    trigger: str = ""


@dataclass(frozen=True)
class TaskView:
    """A critical task with the text of the clause it comes from."""

    id: str
    text: str
    source: str
    source_text: str


@dataclass(frozen=True)
class TargetView:
    """A capability target and its critical tasks."""

    capability: str
    text: str
    tasks: tuple[TaskView, ...]


@dataclass(frozen=True)
class EvaluationObjective:
    """One objective of the Exercise Evaluation Guide outline."""

    number: int
    text: str
    capabilities: tuple[str, ...]
    targets: tuple[TargetView, ...]


@dataclass(frozen=True)
class ClauseView:
    """A clause of a reference document."""

    id: str
    title: str
    text: str


@dataclass(frozen=True)
class ReferenceView:
    """A reference document (guidelines, plan, procedure) with its clauses."""

    title: str
    short_title: str
    clauses: tuple[ClauseView, ...]


@dataclass(frozen=True)
class PartyView:
    """A participating party and its code."""

    code: str
    name: str


@dataclass(frozen=True)
class TeamView:
    """A team or cell, its role and its party."""

    name: str
    kind: str
    party: str


@dataclass(frozen=True)
class SimulatedOrganisation:
    """A simulated organisation (handbook only): whom the SimCell plays, and who plays it."""

    name: str
    kind: str
    description: str
    played_by: tuple[str, ...]


@dataclass(frozen=True)
class MilestoneView:
    """A milestone of the run (handbook only): its name, links and how it is reached."""

    id: str
    name: str
    objectives: tuple[str, ...]
    tasks: tuple[str, ...]
    trigger: str


@dataclass(frozen=True)
class DocumentView:
    """Everything a document template shows, already in the chosen language."""

    kind: DocumentKind
    lang: str
    document_title: str
    exercise_title: str
    series: str
    exercise_type: str
    dates: str
    venue: str
    sponsor: str
    banner: str
    exercise_mark: str
    notice: str
    overview: tuple[OverviewRow, ...]
    objectives: tuple[ObjectiveView, ...]
    roles: tuple[RoleView, ...]
    modules: tuple[ModuleView, ...]
    assumptions: tuple[str, ...]
    artificialities: tuple[str, ...]
    parties: tuple[PartyView, ...]
    teams: tuple[TeamView, ...]
    references: tuple[ReferenceView, ...]
    evaluation: tuple[EvaluationObjective, ...] = field(default=())
    acronyms: tuple[tuple[str, str], ...] = field(default=())
    """(acronym, what it stands for) in the document's language, sorted by acronym."""

    @property
    def acronyms_appendix(self) -> str:
        """The letter of the acronyms' appendix: after the references when there are some."""
        return "D" if self.references else "C"

    milestones: tuple[MilestoneView, ...] = field(default=())
    cells: tuple[CellView, ...] = field(default=())
    escalation: tuple[RankingView, ...] = field(default=())
    organisations: tuple[SimulatedOrganisation, ...] = field(default=())
    game: GameView | None = None
    label: str = ""
    """The document's confidentiality label as JSON (``package.marking``), beside its banner."""

    @property
    def handbook(self) -> bool:
        """True for the Controller/Evaluator Handbook."""
        return self.kind == DocumentKind.HANDBOOK
