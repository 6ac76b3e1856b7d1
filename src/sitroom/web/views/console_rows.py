"""The rows and panels of the facilitator console: plain read models the templates lay out.

``ConsoleView`` (in ``views.console``) fills them from the run state through the gate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sitroom.conduct.state import InjectStatus
from sitroom.web.render import N_


@dataclass
class Person:
    """A principal as the console names them."""

    id: str
    name: str


@dataclass
class MailRow:
    """One e-mail of an inject to one participant: sent, failed, refused or given up."""

    name: str
    state: str
    attempts: int
    error: str


@dataclass
class InjectRow:
    """One MSEL row."""

    number: str
    title: str
    scenario_time: str
    offset: str
    to: list[str]
    contingency: bool
    contingency_for: str
    status: str
    how: str
    released_at: str
    corrections: int
    received: list[Person]
    waiting: list[Person]
    acknowledged: list[Person]
    expected: int
    module_is_current: bool
    mailed: list[MailRow] = field(default_factory=list)

    @property
    def planned(self) -> bool:
        return self.status == InjectStatus.PLANNED

    @property
    def live(self) -> bool:
        return self.status in (InjectStatus.RELEASED, InjectStatus.CORRECTED)


@dataclass
class MselModule:
    """The MSEL of one module."""

    id: str
    title: str
    current: bool
    rows: list[InjectRow]


@dataclass
class ResponseRow:
    seq: int
    at: str
    team: str
    author: str
    target: str
    text: str


@dataclass
class OverviewRow:
    label: str
    cells: list[int | None]
    """Responses per team; None where the inject or question did not go to that team."""


@dataclass
class PollRow:
    id: str
    module: str
    current: bool
    question: str
    open: bool
    closed: bool
    votes: int
    results: list[tuple[str, int]]
    mean_confidence: float | None


@dataclass
class ClauseRef:
    ref: str
    text: str


@dataclass
class AnswerRow:
    party: str
    team: str
    author: str
    concur: bool
    reasons: str
    clauses: list[ClauseRef]
    at: str


@dataclass
class DecisionRow:
    id: str
    title: str
    text: str
    team: str
    party: str
    author: str
    at: str
    status: str
    joint_with: list[str]
    clauses: list[ClauseRef]
    answers: list[AnswerRow]
    waiting_for: list[str]


@dataclass
class BroadcastRow:
    at: str
    author: str
    text: str
    audience: list[str]


@dataclass
class HotWashRow:
    at: str
    author: str
    text: str


@dataclass
class HotWashGroup:
    """The hot-wash items of one kind about one team or party (or the whole exercise)."""

    about: str
    items: list[HotWashRow]


HOT_WASH_KINDS = {"strength": N_("Strengths"), "improvement": N_("Areas for improvement")}
"""The hot wash's kinds, as its lists are headed."""


@dataclass
class TimelineRow:
    seq: int
    at: str
    type: str
    actor: str
    detail: str


@dataclass
class ModulePanel:
    """The module navigator: every module, and the current one's content for control."""

    modules: list[tuple[str, str, bool]]  # id, title, current
    current: dict[str, Any] | None
    status: str


@dataclass
class StatusPanel:
    status: str
    run_clock: str
    module_clock: str
    scenario_time: str
    compression: float
    module: str
    started_at: str
    live: bool
