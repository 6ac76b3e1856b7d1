"""The package's simulated cells: teams played by software, their personas and scripts, and
the rankings the escalation guard reads (``package.model`` holds them in ``Package``)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, model_validator

from sitroom.package.basics import Id, InjectNumber, Model


class CellMode(StrEnum):
    """How a simulated cell acts: on its own, or each action waiting for control's release."""

    AUTONOMOUS = "autonomous"
    APPROVAL = "approval"


class Persona(Model):
    """A simulated cell's government as the planner describes it (fictional, policy level)."""

    positions: tuple[str, ...] = Field(default=(), description="Its stated positions.")
    red_lines: tuple[str, ...] = Field(default=(), description="What it will not agree to.")
    style: str | None = Field(default=None, description="How it writes and negotiates.")


class ScriptedDecision(Model):
    """A decision a scripted cell proposes once an inject reaches it."""

    after: InjectNumber = Field(description="Propose it when this inject is released.")
    title: str = Field(min_length=1, max_length=200)
    text: str = ""
    joint_with: tuple[Id, ...] = Field(default=(), description="Parties asked to concur.")
    clauses: tuple[str, ...] = Field(default=(), description="'reference-id/clause-id' each.")


class ScriptedArgument(Model):
    """The argument a scripted cell states when a matrix game's turn opens."""

    turn: int = Field(ge=1, description="The turn it is stated in.")
    action: str = Field(min_length=1, max_length=2000)
    result: str = Field(min_length=1, max_length=2000)
    reasons: str = Field(min_length=1, max_length=2000)
    audience: tuple[Id, ...] = Field(default=(), description="Actor ids; empty: every actor.")
    secret: bool = False


class CellScript(Model):
    """Canned answers and positions: what a cell does with no language model (deterministic)."""

    responses: dict[str, str] = Field(
        default_factory=dict, description="Inject number or question id -> the answer given."
    )
    decisions: tuple[ScriptedDecision, ...] = ()
    concur: bool = Field(default=True, description="How it answers joint decisions.")
    reasons: str = Field(default="", description="Its reasons (required when not concurring).")
    clauses: tuple[str, ...] = Field(default=(), description="Clauses its answers cite.")
    votes: dict[str, tuple[str, ...]] = Field(
        default_factory=dict, description="Poll id -> the option ids it votes for."
    )
    arguments: tuple[ScriptedArgument, ...] = Field(
        default=(), description="Its matrix-game arguments, by turn (docs/matrix-games.md)."
    )


class CellProvider(Model):
    """Per-cell overrides of the language-model settings (SITROOM_LLM_*)."""

    base_url: str | None = None
    model: str | None = None
    temperature: float = Field(default=0.2, ge=0, le=2)


class Cell(Model):
    """A team, or every player team of a party, played by software: its persona, its script
    and how control oversees it. A party cell plays each team of the party as that team."""

    team: Id | None = Field(default=None, description="The player team it plays.")
    party: Id | None = Field(default=None, description="Or the party whose teams it plays.")
    mode: CellMode = CellMode.AUTONOMOUS
    persona: Persona = Persona()
    script: CellScript = CellScript()
    provider: CellProvider = CellProvider()

    @model_validator(mode="after")
    def _team_or_party(self) -> Cell:
        if (self.team is None) == (self.party is None):
            raise ValueError(
                "a cell plays either one team or a whole party: give exactly one of "
                "'team' (a player team id) or 'party' (a party id)"
            )
        return self


class Ranking(Model):
    """Options of a poll ranked from the least to the most escalatory (the escalation guard)."""

    poll: Id
    order: tuple[Id, ...] = Field(min_length=2, description="Option ids, least escalatory first.")
    ceiling: Id | None = Field(default=None, description="The highest a cell may go alone.")
    steps: int = Field(
        default=1, ge=0, description="How far a cell may go above the human-played baseline."
    )
