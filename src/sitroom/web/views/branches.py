"""What control sees of a run's branches: triggers proposed (release or dismiss), milestones
(mark reached), and which branch each trigger took.

Milestones and triggers are control material: only the console and the evaluation pages,
whose viewers the gate lets see them, build these rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sitroom.conduct.branching import TriggerStatus
from sitroom.conduct.conditions import became
from sitroom.conduct.handlers.branches import target_done
from sitroom.conduct.state import RunState
from sitroom.package.conditions import format_condition
from sitroom.package.model import Package
from sitroom.web.render import N_


class ConsoleView(Protocol):
    """What these rows need of the console's read model (``web.views.console.ConsoleView``)."""

    @property
    def state(self) -> RunState: ...
    @property
    def package(self) -> Package: ...
    @property
    def now(self) -> datetime: ...
    @property
    def gettext(self) -> Callable[[str], str]: ...
    def t(self, value: dict[str, str] | None) -> str: ...
    def name(self, principal_id: str | None) -> str: ...
    def team_name(self, team_id: str | None) -> str: ...
    def at(self, moment: datetime | None) -> str: ...
    def inject_label(self, number: str) -> str: ...


BRANCH_EVENTS = (
    "run-started",
    "run-ended",
    "module-opened",
    "inject-released",
    "trigger-met",
    "trigger-accepted",
    "trigger-dismissed",
    "milestone-reached",
    "choice-made",
)
"""Run events that change the branches panel."""

BRANCH_EVENT_LABELS = {
    "trigger-met": N_("Condition met"),
    "trigger-accepted": N_("Proposal released"),
    "trigger-dismissed": N_("Proposal dismissed"),
    "milestone-reached": N_("Milestone reached"),
    "choice-made": N_("Choice made"),
}
TRIGGER_LABELS = {
    "waiting": N_("Waiting for its condition"),
    "due": N_("Condition holds"),
    "fired": N_("Fired"),
    "proposed": N_("Proposed to control"),
    "accepted": N_("Released on proposal"),
    "dismissed": N_("Dismissed"),
    "done": N_("Done another way"),
}


@dataclass(frozen=True)
class ProposalRow:
    trigger: str
    action: str  # "Release #2.6 Wire service reports…", "Open module …", "Reach milestone …"
    condition: str
    since: str
    done: bool  # released by hand meanwhile: only dismissing makes sense


@dataclass(frozen=True)
class MilestoneRow:
    id: str
    name: str
    reached: bool
    at: str
    by: str
    how: str  # the trigger's condition, or empty when control marks it
    links: str


@dataclass(frozen=True)
class BranchRow:
    trigger: str
    action: str
    condition: str
    status: str
    at: str


@dataclass(frozen=True)
class BranchesView:
    proposals: list[ProposalRow]
    milestones: list[MilestoneRow]
    branches: list[BranchRow]


def action_label(cv: ConsoleView, trigger: str) -> str:
    """What a trigger does, in words: the inject it releases, the module or milestone."""
    kind, _, ref = trigger.partition(":")
    if kind == "inject":
        return cv.gettext("Release %(inject)s") % {"inject": cv.inject_label(ref)}
    if kind == "module":
        module = next((m for m in cv.package.modules if m.id == ref), None)
        return cv.gettext("Open module %(module)s") % {
            "module": cv.t(module.title) if module else ref
        }
    milestone = cv.package.milestone(ref)
    name = cv.t(milestone.name) if milestone else ref
    return cv.gettext("Reach milestone %(milestone)s") % {"milestone": name}


def branches_view(cv: ConsoleView) -> BranchesView:
    """The branches panel of the console for ``cv``'s (control) viewer."""
    state, branches = cv.state, cv.state.branches
    proposals = [
        ProposalRow(
            t.trigger,
            action_label(cv, t.trigger),
            t.condition,
            cv.at(datetime.fromisoformat(t.since_at)),
            target_done(state, t.trigger),
        )
        for t in branches.proposals()
    ]
    milestones = []
    for milestone in cv.package.milestones:
        reached = branches.milestones.get(milestone.id)
        milestones.append(
            MilestoneRow(
                milestone.id,
                cv.t(milestone.name),
                reached is not None,
                cv.at(reached.at) if reached else "",
                cv.name(reached.author) if reached else "",
                format_condition(milestone.trigger.when) if milestone.trigger else "",
                ", ".join((*milestone.objectives, *milestone.tasks)),
            )
        )
    rows = []
    for trigger_id, trigger in cv.package.triggers().items():
        record = branches.triggers.get(trigger_id)
        if record is not None:
            status, at = str(record.status), cv.at(record.at)
        elif target_done(state, trigger_id):
            status, at = "done", ""
        elif state.is_live() and became(trigger.when, state, cv.now) is not None:
            status, at = "due", ""
        else:
            status, at = "waiting", ""
        rows.append(
            BranchRow(
                trigger_id, action_label(cv, trigger_id), format_condition(trigger.when), status, at
            )
        )
    order = {"proposed": 0, "due": 1, "fired": 2, "accepted": 2, "waiting": 3}
    rows.sort(key=lambda r: order.get(r.status, 4))
    return BranchesView(proposals, milestones, rows)


def describe_branch_event(cv: ConsoleView, kind: str, data: dict[str, Any]) -> str:
    """One timeline line about a branch event (the console's ``describe`` for these kinds)."""
    if kind in ("trigger-met", "trigger-accepted", "trigger-dismissed"):
        text = action_label(cv, str(data.get("trigger", "")))
        if kind == "trigger-met":
            mode = TriggerStatus.FIRED if data.get("mode") == "fires" else TriggerStatus.PROPOSED
            return f"{text} · {data.get('condition', '')} · {cv.gettext(TRIGGER_LABELS[mode])}"
        return text
    if kind == "milestone-reached":
        milestone = cv.package.milestone(str(data.get("milestone")))
        return cv.t(milestone.name) if milestone else str(data.get("milestone", ""))
    if kind == "choice-made":
        inject = cv.package.inject(str(data.get("inject")))
        options = (
            {o.id: cv.t(o.text) for o in inject.choice.options} if inject and inject.choice else {}
        )
        option = str(data.get("option", ""))
        label = cv.inject_label(str(data.get("inject")))
        return f"{label} · {cv.team_name(data.get('team'))}: {options.get(option, option)}"
    return ""
