"""The exercise package: what a planning team writes before the exercise.

A package is parsed from YAML (see ``load.py``) into these frozen pydantic models. Every
model forbids unknown keys, so a typo in a field name is reported rather than ignored.

Fields that only control staff may see (expected actions, controller notes, the controller
responsible, contingency injects' triggers) carry ``json_schema_extra={"audience": "control"}``;
``redact.player_safe`` drops them by reading that mark, so no renderer has to remember which
fields are secret.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    BeforeValidator,
    Field,
    InstanceOf,
    PlainSerializer,
    SerializerFunctionWrapHandler,
    WithJsonSchema,
    field_validator,
    model_serializer,
)

from sitroom.package.basics import CONTROL as CONTROL
from sitroom.package.basics import FORMAT_VERSION as FORMAT_VERSION
from sitroom.package.basics import ID_PATTERN as ID_PATTERN
from sitroom.package.basics import UNDETERMINED as UNDETERMINED
from sitroom.package.basics import Duration as Duration
from sitroom.package.basics import Id as Id
from sitroom.package.basics import InjectNumber as InjectNumber
from sitroom.package.basics import LocalText as LocalText
from sitroom.package.basics import Model as Model
from sitroom.package.basics import ScenarioTime as ScenarioTime
from sitroom.package.basics import _coerce_str as _coerce_str
from sitroom.package.basics import text_in as text_in
from sitroom.package.cellmodel import Cell as Cell
from sitroom.package.cellmodel import CellMode as CellMode
from sitroom.package.cellmodel import Ranking as Ranking
from sitroom.package.conditions import Condition, condition_from, format_condition
from sitroom.package.gamemodel import Game
from sitroom.package.orgmodel import Organisation as Organisation


class ExerciseType(StrEnum):
    TABLETOP = "tabletop"
    SEMINAR = "seminar"
    WORKSHOP = "workshop"
    GAME = "game"


class MissionArea(StrEnum):
    PREVENTION = "prevention"
    PROTECTION = "protection"
    MITIGATION = "mitigation"
    RESPONSE = "response"
    RECOVERY = "recovery"


class TLP(StrEnum):
    """Traffic Light Protocol 2.0 labels."""

    CLEAR = "CLEAR"
    GREEN = "GREEN"
    AMBER = "AMBER"
    AMBER_STRICT = "AMBER+STRICT"
    RED = "RED"


class TeamKind(StrEnum):
    PLAYERS = "players"
    CONTROL = "control"
    SIMULATION = "simulation"
    EVALUATORS = "evaluators"
    OBSERVERS = "observers"


class InjectType(StrEnum):
    STANDARD = "standard"
    CONTINGENCY = "contingency"
    ADAPTIVE = "adaptive"


class DeliveryMethod(StrEnum):
    SITROOM = "sitroom"
    EMAIL = "email"
    PHONE = "phone"
    RADIO = "radio"
    VIDEO = "video"
    DOCUMENT = "document"
    BRIEFING = "briefing"
    IN_PERSON = "in-person"
    MEDIA = "media"
    SOCIAL_MEDIA = "social-media"
    OTHER = "other"


class Marking(Model):
    """A classification or TLP label, plus releasability (REL TO parties)."""

    classification: str | None = Field(
        default=None,
        max_length=60,
        description="Classification label, e.g. UNCLASSIFIED, RESTRICTED, SECRET.",
    )
    tlp: TLP | None = Field(default=None, description="Traffic Light Protocol 2.0 label.")
    releasable_to: tuple[Id, ...] = Field(
        default=(),
        description="Ids of the parties this material may be released to; empty means all.",
    )
    caveat: str | None = Field(default=None, max_length=80)


class Series(Model):
    id: Id
    edition: str = Field(description="Edition of the series, e.g. '2025'.")

    @field_validator("edition", mode="before")
    @classmethod
    def _edition_as_text(cls, value: Any) -> Any:
        return _coerce_str(value)


class DateSpan(Model):
    start: date
    end: date | None = None


class PointOfContact(Model):
    """Whom to ask about the exercise; name, organisation and role in one language or several."""

    name: LocalText
    organization: LocalText | None = None
    role: LocalText | None = None
    email: str | None = None
    phone: str | None = None


class Exercise(Model):
    id: Id
    title: LocalText
    series: Series | None = None
    type: ExerciseType = ExerciseType.TABLETOP
    dates: DateSpan | None = None
    venue: LocalText | None = None
    scope: LocalText | None = None
    mission_areas: tuple[MissionArea, ...] = ()
    threat_or_hazard: LocalText | None = None
    scenario: LocalText | None = Field(default=None, description="Scenario summary (Markdown).")
    sponsor: LocalText | None = None
    participating_organizations: tuple[str, ...] = ()
    points_of_contact: tuple[PointOfContact, ...] = ()
    languages: tuple[str, ...] = Field(default=("en",), min_length=1)
    default_marking: Marking = Marking(classification="UNCLASSIFIED")
    time_zone: str = "UTC"
    capability_library: str | None = Field(
        default="fema-core",
        description="Bundled capability library to draw capabilities from, or null for none.",
    )
    marking_scheme: str = Field(
        default="generic",
        max_length=40,
        description="The marking scheme banners and labels are drawn from (schemes.yaml): "
        "generic, nato, aldoria, tlp, or one an agency added.",
    )

    @model_serializer(mode="wrap")
    def _without_default_scheme(self, handler: SerializerFunctionWrapHandler) -> Any:
        # Left out when it is the default, so packages written before it existed keep
        # their canonical JSON and content hash.
        data = handler(self)
        if isinstance(data, dict) and data.get("marking_scheme") == "generic":
            del data["marking_scheme"]
        return data

    @field_validator("languages")
    @classmethod
    def _language_codes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for code in value:
            if not re.fullmatch(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*", code):
                raise ValueError(f"'{code}' is not a language code; use e.g. 'en', 'ko', 'fr-CA'")
        if len(set(value)) != len(value):
            raise ValueError("a language is listed twice")
        return value


class Party(Model):
    """A nation or organisation taking part."""

    id: Id
    name: LocalText
    code: str = Field(
        pattern=r"^[A-Z0-9]{2,6}$", description="Short code, e.g. a country trigraph."
    )
    default_language: str | None = None


class Team(Model):
    """A team or cell. Control, simulation and evaluator cells may belong to no party."""

    id: Id
    name: LocalText
    kind: TeamKind = TeamKind.PLAYERS
    party: Id | None = None


class Capability(Model):
    id: Id
    name: LocalText
    mission_areas: tuple[MissionArea, ...] = ()
    description: LocalText | None = None


class CriticalTask(Model):
    id: Id
    text: LocalText
    source: str | None = Field(
        default=None,
        description="The clause this task comes from, as 'reference-id/clause-id'.",
    )


class CapabilityTarget(Model):
    id: Id
    capability: Id
    text: LocalText
    tasks: tuple[CriticalTask, ...] = ()


class Objective(Model):
    id: Id
    text: LocalText = Field(description="The SMART objective.")
    capabilities: tuple[Id, ...] = ()
    targets: tuple[CapabilityTarget, ...] = ()
    retests: tuple[str, ...] = Field(
        default=(),
        description="Ids of corrective actions from earlier editions of the series that this"
        " objective re-tests; the AAR states whether the exercise verified each.",
    )


class Clause(Model):
    id: Id
    title: LocalText | None = None
    text: LocalText


class Reference(Model):
    """A document the exercise checks against: guidelines, a plan, a procedure."""

    id: Id
    title: LocalText
    short_title: str | None = None
    clauses: tuple[Clause, ...] = ()


class Attachment(Model):
    path: str = Field(description="Path under the package's documents/ folder.")
    title: LocalText | None = None
    media_type: str | None = None
    files: dict[str, str] = Field(
        default_factory=dict,
        description="The same document in other languages: language → path under documents/"
        " (e.g. {ko: sitrep.ko.pdf}); a viewer gets the file in their language, else 'path'.",
    )

    def path_for(self, lang: str | None) -> str:
        """The file for a viewer reading ``lang``: their language's, else the default ``path``."""
        return self.files.get(lang or "", self.path)

    def paths(self) -> list[tuple[str | None, str]]:
        """Every file of the attachment: (None, path) first, then (language, path)."""
        return [(None, self.path), *self.files.items()]


class DiscussionQuestion(Model):
    id: Id
    text: LocalText
    objectives: tuple[Id, ...] = Field(default=(), description="Objectives it exercises.")
    tasks: tuple[Id, ...] = Field(default=(), description="Critical tasks it asks about.")
    clauses: tuple[str, ...] = Field(
        default=(), description="Guideline clauses it asks about: 'reference-id/clause-id' each."
    )
    teams: tuple[Id, ...] = Field(default=(), description="Only for these teams; empty = all.")
    parties: tuple[Id, ...] = Field(default=(), description="Only for these parties; empty = all.")


class PollOption(Model):
    id: Id
    text: LocalText


class Poll(Model):
    id: Id
    question: LocalText
    objectives: tuple[Id, ...] = ()
    options: tuple[PollOption, ...] = Field(min_length=2)
    multiple: bool = False
    ask_confidence: bool = False
    teams: tuple[Id, ...] = ()
    parties: tuple[Id, ...] = ()


class Acronym(Model):
    """One entry of the exercise's list of acronyms (SitMan, handbook and AAR)."""

    term: str = Field(min_length=1, max_length=40, description="The acronym, e.g. 'ACC'.")
    expansion: LocalText = Field(description="What it stands for, in one language or several.")


ConditionText = Annotated[
    InstanceOf[Condition],
    BeforeValidator(condition_from),
    PlainSerializer(format_condition, return_type=str),
    WithJsonSchema({"type": "string", "description": "A condition (docs/package-format.md)."}),
]
"""A condition in the compact text syntax of ``sitroom.package.conditions``."""


class TriggerMode(StrEnum):
    PROPOSES = "proposes"  # a card in the console: release or dismiss
    FIRES = "fires"  # acts by itself


def _to_trigger(value: Any) -> Any:
    return {"when": value} if isinstance(value, str) else value


class Trigger(Model):
    """When a condition over the run's log first becomes true: propose (default) or act."""

    when: ConditionText
    mode: TriggerMode = TriggerMode.PROPOSES


TriggerField = Annotated[Trigger | None, BeforeValidator(_to_trigger)]


class ChoiceOption(Model):
    id: Id
    text: LocalText


class Choice(Model):
    """Options an inject offers its teams; the option chosen selects a branch.

    A joint choice settles only when every party the inject went to picked the same option.
    """

    prompt: LocalText | None = None
    options: tuple[ChoiceOption, ...] = Field(min_length=2)
    joint: bool = False


class Milestone(Model):
    """A named fact of the run ("joint statement agreed"), for control and evaluators."""

    id: Id
    name: LocalText
    objectives: tuple[Id, ...] = ()
    tasks: tuple[Id, ...] = ()
    trigger: TriggerField = Field(
        default=None, description="Reached by itself (fires) or proposed to control."
    )


class Inject(Model):
    number: InjectNumber = Field(description="The MSEL number; unique in the package.")
    title: LocalText
    scenario_time: ScenarioTime | None = None
    offset: Duration | None = Field(
        default=None,
        description="Planned release, measured from the start of its module "
        "(e.g. '30m', '1h15m', 'PT45M'; a bare number is minutes).",
    )
    from_: LocalText | None = Field(
        default=None,
        alias="from",
        description="Simulated sender, e.g. 'Meridian Press Agency (played by the White Cell)';"
        " in one language or several.",
    )
    to: tuple[Id, ...] = Field(default=(), description="Team ids; empty = every player team.")
    delivery: DeliveryMethod = DeliveryMethod.SITROOM
    from_organisation: Id | None = Field(
        default=None,
        description="Delivered as an e-mail from this simulated organisation: it also shows in"
        " the addressed teams' inboxes.",
    )
    type: InjectType = InjectType.STANDARD
    content: LocalText
    attachments: tuple[Attachment, ...] = ()
    objectives: tuple[Id, ...] = ()
    tasks: tuple[Id, ...] = ()
    clauses: tuple[str, ...] = Field(default=(), description="'reference-id/clause-id' each.")
    marking: Marking | None = None
    expected_actions: tuple[LocalText, ...] = Field(default=(), json_schema_extra=CONTROL)
    controller: str | None = Field(default=None, json_schema_extra=CONTROL)
    contingency_for: InjectNumber | None = Field(
        default=None,
        json_schema_extra=CONTROL,
        description="For a contingency inject: the inject whose expected action it backs up.",
    )
    notes: LocalText | None = Field(default=None, json_schema_extra=CONTROL)
    choice: Choice | None = Field(default=None, description="Options offered to the teams.")
    trigger: TriggerField = Field(
        default=None,
        json_schema_extra=CONTROL,
        description="Release when a condition is met (a branch), instead of by hand or offset.",
    )


class Module(Model):
    id: Id
    title: LocalText
    start: ScenarioTime | None = Field(default=None, description="Scenario time span start.")
    end: ScenarioTime | None = None
    duration: Duration | None = Field(default=None, description="Planned length in the room.")
    narrative: LocalText | None = None
    key_issues: tuple[LocalText, ...] = ()
    questions: tuple[DiscussionQuestion, ...] = ()
    injects: tuple[Inject, ...] = ()
    polls: tuple[Poll, ...] = ()
    facilitator_notes: LocalText | None = Field(default=None, json_schema_extra=CONTROL)
    trigger: TriggerField = Field(
        default=None, json_schema_extra=CONTROL, description="Open when a condition is met."
    )


class Package(Model):
    """A whole exercise package."""

    format: int = Field(default=FORMAT_VERSION, description="Package format version.")
    exercise: Exercise
    parties: tuple[Party, ...] = ()
    teams: tuple[Team, ...] = ()
    capabilities: tuple[Capability, ...] = Field(
        default=(), description="Custom capabilities, added to the bundled library."
    )
    objectives: tuple[Objective, ...] = ()
    references: tuple[Reference, ...] = ()
    modules: tuple[Module, ...] = ()
    assumptions: tuple[LocalText, ...] = ()
    artificialities: tuple[LocalText, ...] = ()
    acronyms: tuple[Acronym, ...] = Field(
        default=(), description="Acronyms used in the exercise, with what each stands for."
    )
    cells: tuple[Cell, ...] = Field(
        default=(),
        json_schema_extra=CONTROL,
        description="Teams (or every team of a party) played by software.",
    )
    escalation: tuple[Ranking, ...] = Field(default=(), json_schema_extra=CONTROL)
    milestones: tuple[Milestone, ...] = Field(default=(), json_schema_extra=CONTROL)
    organisations: tuple[Organisation, ...] = Field(
        default=(), description="Simulated organisations the SimCell plays (docs/simcell.md)."
    )
    game: Game | None = Field(
        default=None, description="Matrix-game turns (exercise type 'game'; docs/matrix-games.md)."
    )

    @field_validator("format")
    @classmethod
    def _known_format(cls, value: int) -> int:
        if value != FORMAT_VERSION:
            raise ValueError(f"format {value} is not supported; this sitroom reads format 1")
        return value

    # -- lookups ---------------------------------------------------------------------------

    def injects(self) -> list[Inject]:
        """Every inject, in module order."""
        return [inject for module in self.modules for inject in module.injects]

    def inject(self, number: str) -> Inject | None:
        return next((i for i in self.injects() if i.number == number), None)

    def module_of(self, number: str) -> Module | None:
        return next((m for m in self.modules if any(i.number == number for i in m.injects)), None)

    def milestone(self, milestone_id: str) -> Milestone | None:
        return next((m for m in self.milestones if m.id == milestone_id), None)

    def triggers(self) -> dict[str, Trigger]:
        """Every trigger by its id: ``inject:<number>``, ``module:<id>``, ``milestone:<id>``."""
        found: dict[str, Trigger] = {}
        for module in self.modules:
            if module.trigger is not None:
                found[f"module:{module.id}"] = module.trigger
            for inject in module.injects:
                if inject.trigger is not None:
                    found[f"inject:{inject.number}"] = inject.trigger
        for milestone in self.milestones:
            if milestone.trigger is not None:
                found[f"milestone:{milestone.id}"] = milestone.trigger
        return found

    def team(self, team_id: str) -> Team | None:
        return next((t for t in self.teams if t.id == team_id), None)

    def party(self, party_id: str) -> Party | None:
        return next((p for p in self.parties if p.id == party_id), None)

    def tasks(self) -> list[CriticalTask]:
        return [t for o in self.objectives for tg in o.targets for t in tg.tasks]

    def targets(self) -> list[CapabilityTarget]:
        return [tg for o in self.objectives for tg in o.targets]

    def clause(self, ref: str) -> Clause | None:
        reference_id, _, clause_id = ref.partition("/")
        for reference in self.references:
            if reference.id == reference_id:
                return next((c for c in reference.clauses if c.id == clause_id), None)
        return None

    def organisation(self, organisation_id: str) -> Organisation | None:
        return next((o for o in self.organisations if o.id == organisation_id), None)

    def cell(self, team_id: str) -> Cell | None:
        """The cell that plays a team: its own, or else its party's (a party cell)."""
        own = next((c for c in self.cells if c.team == team_id), None)
        if own is not None:
            return own
        team = self.team(team_id)
        if team is None or team.kind != TeamKind.PLAYERS or team.party is None:
            return None
        return next((c for c in self.cells if c.party and c.party == team.party), None)

    def cell_teams(self) -> list[str]:
        """The player teams played by a cell, each once (a party cell: each of its teams)."""
        teams: list[str] = []
        for cell in self.cells:
            if cell.team is not None:
                teams.append(cell.team)
            else:
                teams.extend(t.id for t in self.player_teams() if t.party == cell.party)
        return list(dict.fromkeys(teams))

    def poll(self, poll_id: str) -> Poll | None:
        return next((p for m in self.modules for p in m.polls if p.id == poll_id), None)

    def player_teams(self) -> list[Team]:
        return [t for t in self.teams if t.kind == TeamKind.PLAYERS]

    def marking_of(self, inject: Inject) -> Marking:
        """The inject's own marking, or the exercise default."""
        return inject.marking or self.exercise.default_marking

    def recipients(self, inject: Inject) -> list[Team]:
        """The teams an inject goes to: its ``to`` list, or every player team."""
        if inject.to:
            return [t for t in self.teams if t.id in inject.to]
        return self.player_teams()

    def content_hash(self) -> str:
        """SHA-256 of the canonical JSON form: the same for any key order or YAML layout."""
        return content_hash(self)


def canonical_json(package: Package) -> str:
    """The package as JSON with sorted keys and no whitespace (the hashed form)."""
    data = package.model_dump(mode="json", by_alias=True)
    # a package without them hashes as it always did
    for optional in ("cells", "escalation", "organisations", "game"):
        if not data[optional]:
            del data[optional]
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(package: Package) -> str:
    return "sha256:" + hashlib.sha256(canonical_json(package).encode("utf-8")).hexdigest()
