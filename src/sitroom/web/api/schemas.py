"""Request bodies of the JSON API: strict models, so bad input is a 422 naming the field.

What pydantic checks here, it checks; what the run checks (known ids, dates, elements), the
schema says with ``fields.Checked`` so that the OpenAPI document promises no more and no less
than the server accepts.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sitroom.conduct.feedback import STATEMENT_IDS
from sitroom.conduct.handlers.checks import CAPABILITY_ELEMENTS, FINDING_ID, HASH
from sitroom.services.identity import LANGUAGES
from sitroom.web.api.fields import DAY, MAX_SEQ, between, matching, one_of


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


Text = Field(min_length=1, max_length=20_000)
Rating = Annotated[Literal["P", "S", "M", "U"], Field(description="P, S, M or U (HSEEP).")]
Day = Annotated[str, matching(DAY, "YYYY-MM-DD, or empty")]
Short = Field(default="", max_length=200)
"""A one-line text the run keeps to 200 characters."""
LangText = dict[str, str]


class LoginBody(Body):
    username: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1000)


JOIN_CODE = "^[A-HJKMNP-Za-hjkmnp-z2-9]{4}-?[A-HJKMNP-Za-hjkmnp-z2-9]{4}$"
"""A join code as people type it: eight of the letters and digits no one misreads."""


class JoinBody(Body):
    code: Annotated[str, matching(JOIN_CODE)] = Field(
        min_length=1, max_length=40, description="Join code, e.g. ABCD-EFGH (any case)."
    )


class StartBody(Body):
    compression: float = Field(default=1.0, ge=0.1, le=100)


class ReleaseBody(Body):
    how: Literal["manual", "now"] = "manual"


class CorrectBody(Body):
    content: LangText = Field(min_length=1)
    reason: str = Field(default="", max_length=2000)


class RetractBody(Body):
    reason: str = Field(default="", max_length=2000)


class BroadcastBody(Body):
    text: LangText = Field(min_length=1)
    teams: list[str] = Field(default_factory=list, max_length=200)
    parties: list[str] = Field(default_factory=list, max_length=50)


class ReceiptsBody(Body):
    numbers: list[Annotated[str, Field(min_length=1, max_length=80)]] = Field(
        min_length=1, max_length=200
    )
    """The numbers of the injects that reached the screen (200 at most)."""


class ResponseBody(Body):
    target: Literal["inject", "question"]
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
    rating: Rating | None = None


class InvitationBody(Body):
    name: str = Field(
        default="",
        max_length=200,
        description="Whom it invites; left blank, the invitation is named by its role, team and"
        " party (e.g. 'Player · Aldoria National Security Staff (Republic of Aldoria)').",
    )
    role: Literal["facilitator", "player", "evaluator", "observer", "display"]
    team: str | None = Field(default=None, max_length=80)
    party: str | None = Field(default=None, max_length=80)
    language: Annotated[str, one_of(LANGUAGES)] = Field(default="en", max_length=10)
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
    email: str | None = Field(
        default=None,
        max_length=254,
        description="E-mail the link to this address (needs SITROOM_SMTP_HOST); its delivery"
        " state is listed with the invitation.",
    )
    idp_email: str | None = Field(
        default=None,
        max_length=254,
        description="Bind the invitation to whoever signs in at the single sign-on provider"
        " with this verified e-mail address; the link alone signs nobody in.",
    )
    idp_subject: str | None = Field(
        default=None,
        max_length=255,
        description="Bind the invitation to this subject ('sub') at the single sign-on provider.",
    )


class RunCreateBody(Body):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"anyOf": [{"required": ["package_yaml"]}, {"required": ["example"]}]},
    )
    package_yaml: str | None = Field(default=None, min_length=1, max_length=20_000_000)
    example: str | None = Field(default=None, max_length=80, description="A bundled example.")
    run_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,79}$")


Seq = Annotated[int, between(1)]
Evidence: Any = Field(
    default_factory=list, max_length=200, description="Log sequence numbers of this run."
)


class TargetRatingBody(Body):
    target: str = Field(min_length=1, max_length=80)
    rating: Rating
    notes: str = Field(default="", max_length=20_000)
    evidence: list[Seq] = Evidence


class CapabilityRatingBody(Body):
    objective: str = Field(min_length=1, max_length=80)
    capability: str = Field(min_length=1, max_length=80)
    rating: Rating
    notes: str = Field(default="", max_length=20_000)
    evidence: list[Seq] = Evidence


class ClauseRecordBody(Body):
    clause: str = Field(min_length=1, max_length=200, description="reference-id/clause-id")
    discussed: bool
    notes: str = Field(default="", max_length=20_000)
    evidence: list[Seq] = Evidence


class HotWashBody(Body):
    kind: Literal["strength", "improvement"]
    text: str = Text
    team: str | None = Field(default=None, max_length=80)
    party: str | None = Field(default=None, max_length=80)


class SuggestedActionBody(Body):
    action: str = Field(min_length=1, max_length=2000)
    priority: Literal["High", "Medium", "Low"] = "Medium"
    responsible: str = Short


class FeedbackBody(Body):
    anonymous: bool = False
    name: str = Field(default="", max_length=200)
    organisation: str = Field(default="", max_length=200)
    role: str = Field(default="", max_length=200)
    strengths: list[str] = Field(default_factory=list, max_length=10)
    improvements: list[str] = Field(default_factory=list, max_length=10)
    missed: str = Field(default="", max_length=20_000)
    corrective_actions: list[SuggestedActionBody] = Field(default_factory=list, max_length=20)
    ratings: dict[Annotated[str, one_of(sorted(STATEMENT_IDS))], Annotated[int, between(1, 5)]] = (
        Field(default_factory=dict, description="statement id → 1..5")
    )


OPTIONAL_ID = "^$|" + FINDING_ID.pattern
"""A finding's or a corrective action's id as the run checks it; empty: the run makes one."""


class CorrectiveActionBody(Body):
    """One Improvement Plan row; the dates and the element are checked by the run."""

    action: str = Field(min_length=1, max_length=20_000)
    element: Annotated[str, one_of(CAPABILITY_ELEMENTS, empty=True)] = Field(
        default="", max_length=40, description="An HSEEP capability element, or empty."
    )
    organisation: str = Short
    poc: str = Short
    start: Day = Field(default="", max_length=40)
    completion: Day = Field(default="", max_length=40)
    id: Annotated[str, matching(OPTIONAL_ID)] = Field(
        default="", max_length=100, description="Kept when editing a row."
    )


class FindingBody(Body):
    """A strength or area for improvement: new (no id) or an edit of a drafted or saved one."""

    kind: Literal["strength", "improvement"]
    title: str = Field(min_length=1, max_length=200)
    analysis: str = Field(default="", max_length=20_000)
    capability: str | None = Field(default=None, max_length=80)
    objective: str | None = Field(default=None, max_length=80)
    evidence: list[Seq] = Evidence
    rel_to: list[str] = Field(default_factory=list, max_length=50)
    corrective_actions: list[CorrectiveActionBody] = Field(default_factory=list, max_length=50)
    id: Annotated[str, matching(OPTIONAL_ID)] = Field(
        default="", max_length=100, description="Empty: a new finding."
    )


class RemoveFindingBody(Body):
    reason: str = Short


class FinaliseBody(Body):
    parties: list[str] = Field(default_factory=list, max_length=50)
    upto: int = Field(ge=0, le=MAX_SEQ, description="The last event of the report reviewed.")
    hash: Annotated[str, matching(HASH.pattern)] = Field(
        min_length=1, max_length=100, description="The hash of the report reviewed."
    )
