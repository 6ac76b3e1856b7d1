"""Request bodies of the JSON API: strict models, so bad input is a 422 naming the field."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


Text = Field(min_length=1, max_length=20_000)
LangText = dict[str, str]


class LoginBody(Body):
    username: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1000)


class JoinBody(Body):
    code: str = Field(min_length=1, max_length=40, description="Join code, e.g. ABCD-EFGH.")


class StartBody(Body):
    compression: float = Field(default=1.0, ge=0.1, le=100)


class ReleaseBody(Body):
    how: str = Field(default="manual", pattern="^(manual|now)$")


class CorrectBody(Body):
    content: LangText = Field(min_length=1)
    reason: str = Field(default="", max_length=2000)


class RetractBody(Body):
    reason: str = Field(default="", max_length=2000)


class BroadcastBody(Body):
    text: LangText = Field(min_length=1)
    teams: list[str] = Field(default_factory=list, max_length=200)
    parties: list[str] = Field(default_factory=list, max_length=50)


class ResponseBody(Body):
    target: str = Field(pattern="^(inject|question)$")
    ref: str = Field(min_length=1, max_length=80)
    text: str = Text


class DecisionBody(Body):
    title: str = Field(min_length=1, max_length=300)
    text: str = Field(default="", max_length=20_000)
    joint_with: list[str] = Field(default_factory=list, max_length=20)
    clauses: list[str] = Field(default_factory=list, max_length=50)


class AnswerBody(Body):
    concur: bool
    reasons: str = Field(default="", max_length=20_000)
    clauses: list[str] = Field(default_factory=list, max_length=50)


class VoteBody(Body):
    options: list[str] = Field(min_length=1, max_length=50)
    confidence: int | None = Field(default=None, ge=1, le=5)


class NoteBody(Body):
    text: str = Text


class ObservationBody(Body):
    text: str = Text
    objective: str | None = Field(default=None, max_length=80)
    task: str | None = Field(default=None, max_length=80)
    inject: str | None = Field(default=None, max_length=80)
    team: str | None = Field(default=None, max_length=80)
    rating: str | None = Field(default=None, pattern="^[PSMU]$")


class InvitationBody(Body):
    name: str = Field(min_length=1, max_length=200)
    role: str = Field(pattern="^(facilitator|player|evaluator|observer|display)$")
    team: str | None = Field(default=None, max_length=80)
    party: str | None = Field(default=None, max_length=80)
    language: str = Field(default="en", max_length=10)
    single_use: bool | None = Field(
        default=None,
        description="After the first use the link and code sign nobody in"
        " (default: true for players, false for other roles).",
    )
    bind_device: bool = Field(
        default=False,
        description="Bind the invitation to the first browser that uses it;"
        " other browsers are refused.",
    )


class RunCreateBody(Body):
    package_yaml: str | None = Field(default=None, min_length=1, max_length=20_000_000)
    example: str | None = Field(default=None, max_length=80, description="A bundled example.")
    run_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,79}$")


Rating = Field(pattern="^[PSMU]$", description="P, S, M or U (HSEEP).")
Evidence: Any = Field(default_factory=list, max_length=200, description="Log sequence numbers.")


class TargetRatingBody(Body):
    target: str = Field(min_length=1, max_length=80)
    rating: str = Rating
    notes: str = Field(default="", max_length=20_000)
    evidence: list[int] = Evidence


class CapabilityRatingBody(Body):
    objective: str = Field(min_length=1, max_length=80)
    capability: str = Field(min_length=1, max_length=80)
    rating: str = Rating
    notes: str = Field(default="", max_length=20_000)
    evidence: list[int] = Evidence


class ClauseRecordBody(Body):
    clause: str = Field(min_length=1, max_length=200, description="reference-id/clause-id")
    discussed: bool
    notes: str = Field(default="", max_length=20_000)
    evidence: list[int] = Evidence


class HotWashBody(Body):
    kind: str = Field(pattern="^(strength|improvement)$")
    text: str = Text
    team: str | None = Field(default=None, max_length=80)
    party: str | None = Field(default=None, max_length=80)


class SuggestedActionBody(Body):
    action: str = Field(min_length=1, max_length=2000)
    priority: str = Field(default="Medium", pattern="^(High|Medium|Low)$")
    responsible: str = Field(default="", max_length=300)


class FeedbackBody(Body):
    anonymous: bool = False
    name: str = Field(default="", max_length=200)
    organisation: str = Field(default="", max_length=200)
    role: str = Field(default="", max_length=200)
    strengths: list[str] = Field(default_factory=list, max_length=10)
    improvements: list[str] = Field(default_factory=list, max_length=10)
    missed: str = Field(default="", max_length=20_000)
    corrective_actions: list[SuggestedActionBody] = Field(default_factory=list, max_length=20)
    ratings: dict[str, int] = Field(default_factory=dict, description="statement id → 1..5")


class CorrectiveActionBody(Body):
    """One Improvement Plan row; the dates and the element are checked by the run."""

    action: str = Field(min_length=1, max_length=20_000)
    element: str = Field(
        default="", max_length=40, description="Planning, Organization, Equipment, ..."
    )
    organisation: str = Field(default="", max_length=1000)
    poc: str = Field(default="", max_length=1000)
    start: str = Field(default="", max_length=40, description="YYYY-MM-DD")
    completion: str = Field(default="", max_length=40, description="YYYY-MM-DD")
    id: str = Field(default="", max_length=100, description="Kept when editing a row.")


class FindingBody(Body):
    """A strength or area for improvement: new (no id) or an edit of a drafted or saved one."""

    kind: str = Field(pattern="^(strength|improvement)$")
    title: str = Field(min_length=1, max_length=1000)
    analysis: str = Field(default="", max_length=20_000)
    capability: str | None = Field(default=None, max_length=80)
    objective: str | None = Field(default=None, max_length=80)
    evidence: list[int] = Evidence
    rel_to: list[str] = Field(default_factory=list, max_length=50)
    corrective_actions: list[CorrectiveActionBody] = Field(default_factory=list, max_length=50)
    id: str = Field(default="", max_length=100, description="Empty: a new finding.")


class RemoveFindingBody(Body):
    reason: str = Field(default="", max_length=1000)


class FinaliseBody(Body):
    parties: list[str] = Field(default_factory=list, max_length=50)
    upto: int = Field(ge=0, le=2**62, description="The last event of the report reviewed.")
    hash: str = Field(min_length=1, max_length=100, description="The hash of the report reviewed.")
