"""What the facilitator console shows, built from the run state through the visibility gate.

Each panel of the console is a small read model made here from ``RunState`` (and, for the
timeline, from the log as the control viewer sees it). Templates only lay them out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sitroom.conduct.principal import Principal, Role
from sitroom.conduct.state import DecisionStatus, InjectStatus, RunState, RunStatus
from sitroom.conduct.visibility import (
    can_see_inject,
    can_see_question,
    module_view,
    team_principal,
    visible_hot_wash,
    visible_mail,
)
from sitroom.package.model import Inject, InjectType, Package, Team, text_in
from sitroom.reports.documents import format_offset, format_scenario_time
from sitroom.web.forms import clock_text, wall_time, zone
from sitroom.web.render import N_
from sitroom.web.views.assist import ASSIST_EVENT_LABELS
from sitroom.web.views.branches import (
    BRANCH_EVENT_LABELS,
    BRANCH_EVENTS,
    BranchesView,
    branches_view,
    describe_branch_event,
)
from sitroom.web.views.console_cells import CELL_EVENTS
from sitroom.web.views.console_rows import (
    HOT_WASH_KINDS,
    AnswerRow,
    BroadcastRow,
    ClauseRef,
    DecisionRow,
    HotWashGroup,
    HotWashRow,
    InjectRow,
    MailRow,
    ModulePanel,
    MselModule,
    OverviewRow,
    Person,
    PollRow,
    ResponseRow,
    StatusPanel,
    TimelineRow,
)

STATUS_LABELS = {
    "planned": N_("Planned"),
    "running": N_("Running"),
    "paused": N_("Paused"),
    "ended": N_("Ended (ENDEX)"),
    "released": N_("Released"),
    "corrected": N_("Corrected"),
    "retracted": N_("Retracted"),
    "proposed": N_("Team decision"),
    "awaiting-concurrence": N_("Awaiting concurrence"),
    "concurred": N_("Concurred"),
    "non-concurred": N_("Non-concurred"),
}
HOW_LABELS = {
    "manual": N_("by control"),
    "now": N_("released now"),
    "scheduled": N_("on schedule"),
    "contingency": N_("contingency"),
    "trigger": N_("by a trigger"),
}
MAIL_LABELS = {
    "sent": N_("e-mailed"),
    "failed": N_("e-mail failed, will retry"),
    "bounced": N_("e-mail refused, will retry"),
    "dead": N_("e-mail given up"),
}
EVENT_LABELS = {
    "run-started": N_("STARTEX"),
    "run-paused": N_("Paused"),
    "run-resumed": N_("Resumed"),
    "run-ended": N_("ENDEX"),
    "module-opened": N_("Module opened"),
    "inject-released": N_("Inject released"),
    "inject-corrected": N_("Inject corrected"),
    "inject-retracted": N_("Inject retracted"),
    "update-broadcast": N_("Update broadcast"),
    "inject-received": N_("Inject received"),
    "inject-acknowledged": N_("Inject acknowledged"),
    "inject-mailed": N_("Inject e-mailed"),
    "mail-failed": N_("E-mail failed"),
    "response-submitted": N_("Response"),
    "decision-proposed": N_("Decision proposed"),
    "decision-concurred": N_("Concurred"),
    "decision-non-concurred": N_("Non-concurred"),
    "poll-opened": N_("Poll opened"),
    "poll-closed": N_("Poll closed"),
    "poll-vote-cast": N_("Vote cast"),
    "team-note-added": N_("Team note"),
    "observation-recorded": N_("Observation"),
    "cell-acted": N_("Cell acted"),
    "cell-action-held": N_("Cell action held"),
    "cell-action-released": N_("Cell action released"),
    "cell-action-discarded": N_("Cell action discarded"),
    "cell-mode-set": N_("Cell mode set"),
    **BRANCH_EVENT_LABELS,
    **ASSIST_EVENT_LABELS,
}
ALL_EVENTS = tuple(EVENT_LABELS)

PANEL_EVENTS: dict[str, tuple[str, ...]] = {
    "clock": ("run-started", "run-paused", "run-resumed", "run-ended", "module-opened"),
    "controls": ("run-started", "run-paused", "run-resumed", "run-ended"),
    "modules": ("run-started", "run-ended", "module-opened"),
    "msel": (
        "run-started",
        "run-ended",
        "module-opened",
        "inject-released",
        "inject-corrected",
        "inject-retracted",
        "inject-received",
        "inject-acknowledged",
        "inject-mailed",
        "mail-failed",
    ),
    "responses": ("response-submitted",),
    "overview": ("response-submitted", "inject-released", "inject-retracted", "module-opened"),
    "polls": ("run-started", "run-ended", "module-opened", "poll-opened", "poll-closed")
    + ("poll-vote-cast",),
    "decisions": ("decision-proposed", "decision-concurred", "decision-non-concurred"),
    "broadcasts": ("update-broadcast",),
    "hotwash-items": ("hot-wash-item-added",),
    "cells": CELL_EVENTS,
    "branches": BRANCH_EVENTS,
    "timeline": ALL_EVENTS,
}
"""Which run events make each live panel of the console re-render."""

TIMELINE_LIMIT = 300
EXCERPT = 160


def excerpt(value: str, limit: int = EXCERPT) -> str:
    """The first ``limit`` characters of ``value`` on one line."""
    flat = " ".join(value.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def active_players(
    invitations: Iterable[Mapping[str, Any]], now: datetime
) -> list[tuple[Principal, str]]:
    """Players of the invitations that are neither revoked nor expired at ``now``, as
    principals, with their names: who the MSEL waits for."""
    found = []
    for invitation in invitations:
        if invitation.get("revoked_at") or invitation["role"] != Role.PLAYER:
            continue
        expires = invitation.get("expires_at")
        if expires and datetime.fromisoformat(expires) <= now:
            continue
        stand_in = Principal(
            id=str(invitation["principal"]),
            role=Role.PLAYER,
            team=invitation.get("team"),
            party=invitation.get("party"),
        )
        found.append((stand_in, str(invitation["name"])))
    return found


DECISION_ORDER = (
    DecisionStatus.AWAITING_CONCURRENCE,
    DecisionStatus.NON_CONCURRED,
    DecisionStatus.CONCURRED,
    DecisionStatus.PROPOSED,
)
"""The console's groups of decisions, in the order the page shows them."""
SETTLED = frozenset(
    {DecisionStatus.CONCURRED, DecisionStatus.NON_CONCURRED, DecisionStatus.PROPOSED}
)
"""The statuses in which nothing more is awaited of a decision (a team decision asks no ally)."""


@dataclass
class ConsoleView:
    """Every panel of the console for one control viewer, in one language."""

    state: RunState
    principal: Principal
    lang: str
    names: dict[str, str]
    invitations: Sequence[Mapping[str, Any]]
    now: datetime
    log: list[dict[str, Any]] = field(default_factory=list)
    gettext: Callable[[str], str] = str

    def __post_init__(self) -> None:
        self.package: Package = self.state.package
        self.tz = zone(self.package.exercise.time_zone)
        self.fallbacks = self.package.exercise.languages
        self._player_cache: list[tuple[Principal, str]] | None = None

    # -- helpers ---------------------------------------------------------------------------

    def t(self, value: dict[str, str] | None) -> str:
        return text_in(value, self.lang, self.fallbacks)

    def name(self, principal_id: str | None) -> str:
        if not principal_id:
            return ""
        return self.names.get(principal_id, principal_id)

    def team_name(self, team_id: str | None) -> str:
        team = self.package.team(team_id) if team_id else None
        return self.t(team.name) if team else (team_id or "")

    def party_name(self, party_id: str | None) -> str:
        party = self.package.party(party_id) if party_id else None
        return f"{self.t(party.name)} ({party.code})" if party else (party_id or "")

    def at(self, moment: datetime | None) -> str:
        return wall_time(moment, self.tz)

    def clauses(self, refs: Iterable[str]) -> list[ClauseRef]:
        out = []
        for ref in refs:
            clause = self.package.clause(ref)
            out.append(ClauseRef(ref, self.t(clause.text) if clause else ""))
        return out

    def inject_label(self, number: str) -> str:
        inject = self.package.inject(number)
        return f"#{number} {self.t(inject.title)}" if inject else f"#{number}"

    def target_label(self, target: str | None, ref: str | None) -> str:
        if target == "inject" and ref:
            return self.inject_label(ref)
        question = next((q for m in self.package.modules for q in m.questions if q.id == ref), None)
        if question is None:
            return ref or ""
        return f"{ref}: {excerpt(self.t(question.text), 60)}"

    # -- status ----------------------------------------------------------------------------

    def status(self) -> StatusPanel:
        state, now = self.state, self.now
        scenario = state.scenario_time(now)
        module = state.current_module()
        return StatusPanel(
            status=str(state.status),
            run_clock=clock_text(state.run_clock(now)),
            module_clock=clock_text(state.module_clock(now)) if module else "",
            scenario_time=format_scenario_time(scenario) if scenario else "",
            compression=state.compression,
            module=self.t(module.title) if module else "",
            started_at=self.at(state.started_at),
            live=state.is_live(),
        )

    # -- modules ---------------------------------------------------------------------------

    def modules(self) -> ModulePanel:
        current_id = self.state.module
        shown = current_id or (self.package.modules[0].id if self.package.modules else None)
        return ModulePanel(
            modules=[(m.id, self.t(m.title), m.id == current_id) for m in self.package.modules],
            current=module_view(self.principal, self.package, shown) if shown else None,
            status=str(self.state.status),
        )

    # -- the MSEL --------------------------------------------------------------------------

    def _players(self) -> list[tuple[Principal, str]]:
        """Players of active invitations, as principals, with their names (computed once)."""
        if self._player_cache is None:
            self._player_cache = active_players(self.invitations, self.now)
        return self._player_cache

    def _audience(self, inject: Inject) -> list[tuple[Principal, str]]:
        """Players of active invitations who are meant to receive ``inject``."""
        return [(p, name) for p, name in self._players() if can_see_inject(p, self.package, inject)]

    def _row(self, inject: Inject, current: bool) -> InjectRow:
        status = self.state.injects[inject.number]
        audience = [] if status.status == InjectStatus.PLANNED else self._audience(inject)
        received = [Person(p, self.name(p)) for p in sorted(status.receipts)]
        waiting = [Person(p.id, name) for p, name in audience if p.id not in status.receipts]
        to = [self.team_name(t.id) for t in self.package.recipients(inject)]
        return InjectRow(
            number=inject.number,
            title=self.t(inject.title),
            scenario_time=format_scenario_time(inject.scenario_time),
            offset=format_offset(inject.offset),
            to=to if inject.to else [],
            contingency=inject.type == InjectType.CONTINGENCY,
            contingency_for=inject.contingency_for or "",
            status=str(status.status),
            how=status.how or "",
            released_at=self.at(status.released_at),
            corrections=status.corrections,
            received=received,
            waiting=waiting,
            acknowledged=[Person(p, self.name(p)) for p in sorted(status.acknowledged)],
            expected=len(audience),
            module_is_current=current,
            mailed=[
                MailRow(self.name(r.recipient), r.state, r.attempts, r.error)
                for r in visible_mail(self.principal, self.state, inject.number)
            ],
        )

    def msel(self) -> list[MselModule]:
        return [
            MselModule(
                m.id,
                self.t(m.title),
                m.id == self.state.module,
                [self._row(i, m.id == self.state.module) for i in m.injects],
            )
            for m in self.package.modules
        ]

    @property
    def live(self) -> bool:
        return self.state.is_live()

    @property
    def planned(self) -> bool:
        return self.state.status == RunStatus.PLANNED

    # -- responses -------------------------------------------------------------------------

    def responses(self, limit: int = 100) -> list[ResponseRow]:
        rows = [
            ResponseRow(
                e.seq,
                self.at(e.at),
                self.team_name(e.team),
                self.name(e.author),
                self.target_label(e.target, e.ref),
                e.text,
            )
            for e in self.state.responses
        ]
        return rows[::-1][:limit]

    def player_teams(self) -> list[Team]:
        return self.package.player_teams()

    def overview(self) -> list[OverviewRow]:
        """Responses per team for each released inject and each question asked so far."""
        teams = self.player_teams()
        counts: dict[tuple[str, str], dict[str, int]] = {}
        for entry in self.state.responses:
            key = (entry.target or "", entry.ref or "")
            per_team = counts.setdefault(key, {})
            per_team[entry.team or ""] = per_team.get(entry.team or "", 0) + 1
        rows: list[OverviewRow] = []
        for inject in self.package.injects():
            key = ("inject", inject.number)
            if (
                self.state.injects[inject.number].status == InjectStatus.PLANNED
                and key not in counts
            ):
                continue
            cells: list[int | None] = [
                counts.get(key, {}).get(t.id, 0)
                if can_see_inject(team_principal(t), self.package, inject)
                else None
                for t in teams
            ]
            rows.append(OverviewRow(self.inject_label(inject.number), cells))
        opened = {self.state.module} if self.state.module else set()
        for module in self.package.modules:
            for question in module.questions:
                key = ("question", question.id)
                if module.id not in opened and key not in counts:
                    continue
                cells = [
                    counts.get(key, {}).get(t.id, 0)
                    if can_see_question(team_principal(t), self.package, question)
                    else None
                    for t in teams
                ]
                rows.append(OverviewRow(self.target_label("question", question.id), cells))
        return rows

    # -- polls -----------------------------------------------------------------------------

    def polls(self) -> list[PollRow]:
        rows = []
        for module in self.package.modules:
            for poll in module.polls:
                ps = self.state.polls[poll.id]
                results = ps.results()
                rows.append(
                    PollRow(
                        id=poll.id,
                        module=self.t(module.title),
                        current=module.id == self.state.module,
                        question=self.t(poll.question),
                        open=ps.open,
                        closed=ps.closed_seq is not None,
                        votes=len(ps.votes),
                        results=[(self.t(o.text), results.get(o.id, 0)) for o in poll.options],
                        mean_confidence=ps.mean_confidence(),
                    )
                )
        rows.sort(key=lambda r: not r.current)
        return rows

    # -- decisions -------------------------------------------------------------------------

    def decision_counts(self) -> dict[str, int]:
        """How many decisions stand in each status."""
        counts = dict.fromkeys(map(str, DECISION_ORDER), 0)
        for d in self.state.decisions.values():
            counts[str(d.status)] += 1
        return counts

    def decisions(self, settled: int | None = None) -> dict[str, list[DecisionRow]]:
        """The decisions by status, newest first; of the settled ones (concurred or not, and
        team decisions) only the newest ``settled`` of each status when given (the page counts
        the rest)."""
        groups: dict[str, list[DecisionRow]] = {status: [] for status in DECISION_ORDER}
        for d in sorted(self.state.decisions.values(), key=lambda d: -d.seq):
            if settled is not None and d.status in SETTLED and len(groups[d.status]) >= settled:
                continue
            groups[d.status].append(
                DecisionRow(
                    id=d.id,
                    title=d.title,
                    text=d.text,
                    team=self.team_name(d.team),
                    party=self.party_name(d.party),
                    author=self.name(d.author),
                    at=self.at(d.at),
                    status=str(d.status),
                    joint_with=[self.party_name(p) for p in d.joint_with],
                    clauses=self.clauses(d.clauses),
                    answers=[
                        AnswerRow(
                            self.party_name(a.party),
                            self.team_name(a.team),
                            self.name(a.author),
                            a.concur,
                            a.reasons,
                            self.clauses(a.clauses),
                            self.at(a.at),
                        )
                        for a in d.answers.values()
                    ],
                    waiting_for=[self.party_name(p) for p in d.joint_with if p not in d.answers],
                )
            )
        return {str(k): v for k, v in groups.items()}

    # -- broadcasts ------------------------------------------------------------------------

    def audience(self, teams: Iterable[str], parties: Iterable[str]) -> list[str]:
        return [self.team_name(t) for t in teams] + [self.party_name(p) for p in parties]

    def broadcasts(self) -> list[BroadcastRow]:
        return [
            BroadcastRow(
                self.at(b.at),
                self.name(b.author),
                self.t(b.text),
                self.audience(b.teams, b.parties),
            )
            for b in reversed(self.state.broadcasts)
        ]

    # -- the hot wash ----------------------------------------------------------------------

    def hot_wash(self) -> list[tuple[str, str, list[HotWashGroup]]]:
        """Each kind (id, heading) with its items grouped by team or party, in order said."""
        out = []
        for kind, heading in HOT_WASH_KINDS.items():
            groups: dict[str, list[HotWashRow]] = {}
            for item in visible_hot_wash(self.principal, self.state):
                if item.kind != kind:
                    continue
                about = ", ".join(
                    self.audience(
                        [item.team] if item.team else [], [item.party] if item.party else []
                    )
                )
                groups.setdefault(about, []).append(
                    HotWashRow(self.at(item.at), self.name(item.author), item.text)
                )
            general = groups.pop("", None)
            ordered = [HotWashGroup("", general)] if general else []
            ordered += [HotWashGroup(about, rows) for about, rows in sorted(groups.items())]
            out.append((kind, heading, ordered))
        return out

    # -- the timeline ----------------------------------------------------------------------

    def branches(self) -> BranchesView:
        """Proposals waiting for control, milestones, and the branch each trigger took."""
        return branches_view(self)

    def timeline(self) -> list[TimelineRow]:
        rows = []
        for view in reversed(self.log):
            data: dict[str, Any] = view["data"]
            at = datetime.fromisoformat(view["at"])
            rows.append(
                TimelineRow(
                    seq=view["seq"],
                    at=self.at(at),
                    type=view["type"],
                    actor=self.name(data.get("actor")),
                    detail=self.describe(view["type"], data),
                )
            )
        return rows

    def describe(self, kind: str, data: dict[str, Any]) -> str:
        """One line about an event, from what the gate let the viewer see of it."""
        number = data.get("number")
        if kind == "run-started":
            return f"×{data.get('compression', 1)}"
        if kind == "module-opened":
            module = next((m for m in self.package.modules if m.id == data.get("module")), None)
            return self.t(module.title) if module else str(data.get("module", ""))
        if kind == "inject-released":
            how = str(data.get("how", ""))
            return f"{self.inject_label(str(number))} · {self.gettext(HOW_LABELS.get(how, how))}"
        if kind in ("inject-corrected", "inject-retracted"):
            reason = data.get("reason") or ""
            return f"{self.inject_label(str(number))}" + (f" · {excerpt(reason)}" if reason else "")
        if kind in ("inject-received", "inject-acknowledged"):
            return f"{self.inject_label(str(number))} · {self.name(data.get('principal'))}"
        if kind == "update-broadcast":
            audience = self.audience(data.get("teams", ()), data.get("parties", ()))
            text = excerpt(self.t(data.get("text")))
            return text + (f" → {', '.join(audience)}" if audience else "")
        if kind == "response-submitted":
            target = self.target_label(data.get("target"), data.get("ref"))
            return f"{self.team_name(data.get('team'))} · {target}: {excerpt(data.get('text', ''))}"
        if kind == "decision-proposed":
            joint = ", ".join(self.party_name(p) for p in data.get("joint_with", ()))
            return f"{self.team_name(data.get('team'))}: {excerpt(data.get('title', ''))}" + (
                f" → {joint}" if joint else ""
            )
        if kind in ("decision-concurred", "decision-non-concurred"):
            decision = self.state.decisions.get(str(data.get("decision")))
            title = decision.title if decision else str(data.get("decision", ""))
            reasons = data.get("reasons") or ""
            return f"{self.party_name(data.get('party'))} · {excerpt(title, 80)}" + (
                f": {excerpt(reasons)}" if reasons else ""
            )
        if kind in ("poll-opened", "poll-closed", "poll-vote-cast"):
            poll = next(
                (p for m in self.package.modules for p in m.polls if p.id == data.get("poll")),
                None,
            )
            label = excerpt(self.t(poll.question), 80) if poll else str(data.get("poll", ""))
            if kind == "poll-vote-cast":
                texts = {o.id: self.t(o.text) for o in poll.options} if poll else {}
                chosen = ", ".join(texts.get(o, o) for o in data.get("options", ()))
                return f"{label} · {self.team_name(data.get('team'))}: {chosen}"
            if kind == "poll-closed":
                return f"{label} · {data.get('votes', 0)}"
            return label
        if kind == "team-note-added":
            return f"{self.team_name(data.get('team'))}: {excerpt(data.get('text', ''))}"
        if kind == "observation-recorded":
            rating = data.get("rating")
            return excerpt(data.get("text", "")) + (f" [{rating}]" if rating else "")
        return describe_branch_event(self, kind, data)
