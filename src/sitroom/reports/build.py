"""Build the AAR/IP model from a run's log and its package.

One AAR per party: the log is first cut to what is releasable to the parties the AAR names
(``conduct.visibility.releasable_log`` — the one gate), then folded; every table, chart and
finding comes from that cut. A finalised AAR is rebuilt from the log up to the event it was
finalised at, so later events never change it, and its hash is checked against the frozen one.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from sitroom.conduct import events as ev
from sitroom.conduct.releasability import Releasability, releasable_log
from sitroom.conduct.state import Recorded, RunState, fold
from sitroom.evaluation.findings import Draft, draft_findings
from sitroom.package.capabilities import load_library
from sitroom.package.marking import Label, highest, package_label, render_banner
from sitroom.package.model import Capability, Marking, Package
from sitroom.reports.answertimes import answer_times
from sitroom.reports.draft_text import drafting_languages, word_draft
from sitroom.reports.gamerows import game_turns
from sitroom.reports.model import (
    ActionRow,
    CapabilityResult,
    EvidenceItem,
    FindingItem,
    HotWashRow,
    MilestoneRow,
    Overview,
    RatingItem,
    Report,
    ReportModel,
    RetestRow,
    TargetResult,
    TaskItem,
    Text,
    report_hash,
)
from sitroom.reports.tables import RecordTables

MAX_SUMMARY = 500
SEVERITY = {"P": 0, "S": 1, "M": 2, "U": 3}


class ReportError(ValueError):
    """A report that cannot be built as asked: which field and why."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def scope_of(package: Package, parties: Sequence[str]) -> tuple[str, ...]:
    """The AAR's parties, checked and sorted (empty: the complete report)."""
    known = [p.id for p in package.parties]
    for party in parties:
        if party not in known:
            raise ReportError(
                f"unknown party '{party}'; parties: {', '.join(known) or 'none'}", field="party"
            )
    return tuple(sorted(set(parties)))


def build_report(
    package: Package, log: Sequence[Recorded], *, run_id: str, parties: Sequence[str] = ()
) -> Report:
    """The AAR/IP of a run for ``parties`` (empty: complete); final if it was finalised."""
    scope = scope_of(package, parties)
    final = next(
        (
            r
            for r in log
            if isinstance(r.event, ev.ReportFinalised) and tuple(sorted(r.event.parties)) == scope
        ),
        None,
    )
    upto = (
        final.event.upto
        if final is not None and isinstance(final.event, ev.ReportFinalised)
        else None
    )
    prefix = [r for r in log if upto is None or r.seq <= upto]
    builder = _builder(package, prefix, run_id=run_id, parties=scope)
    model = builder.model(run_id, prefix[-1].seq if prefix else 0)
    computed = report_hash(model)
    # The label is beside the model, not in it: the report's hash stays what it was.
    if final is not None and isinstance(final.event, ev.ReportFinalised):
        return Report(
            model,
            computed,
            final=True,
            finalised_at=final.at.isoformat(),
            frozen_hash=final.event.hash,
            label=builder.label(),
        )
    return Report(model, computed, label=builder.label())


def _builder(
    package: Package, log: Sequence[Recorded], *, run_id: str, parties: tuple[str, ...] = ()
) -> _Builder:
    touched = {r.event.id for r in log if isinstance(r.event, ev.FindingSaved | ev.FindingRemoved)}
    scoped, releasability = releasable_log(package, log, parties)
    state = fold(run_id, package, scoped)
    return _Builder(package, state, scoped, releasability, parties, touched)


def build_model(
    package: Package, log: Sequence[Recorded], *, run_id: str, parties: tuple[str, ...] = ()
) -> ReportModel:
    """The model of the AAR for ``parties`` from ``log`` (every event it should reflect)."""
    builder = _builder(package, log, run_id=run_id, parties=parties)
    return builder.model(run_id, log[-1].seq if log else 0)


def consensus(ratings: Sequence[str]) -> str | None:
    """The rating most evaluators gave; a tie goes to the more severe one."""
    if not ratings:
        return None
    counts = Counter(ratings)
    return max(counts, key=lambda r: (counts[r], SEVERITY.get(r, 0)))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _short(text: str) -> str:
    text = text.strip()
    return text if len(text) <= MAX_SUMMARY else text[: MAX_SUMMARY - 1].rstrip() + "…"


class _Builder:
    def __init__(
        self,
        package: Package,
        state: RunState,
        scoped: list[Recorded],
        releasability: Releasability,
        parties: tuple[str, ...],
        touched: set[str],
    ) -> None:
        self.package = package
        self.state = state
        self.by_seq = {r.seq: r for r in scoped}
        self.scoped = scoped
        self.releasability = releasability
        self.parties = parties
        self.touched = touched
        self.team_party = {t.id: t.party for t in package.teams}
        self.library: dict[str, Capability] = {}
        if package.exercise.capability_library:
            with contextlib.suppress(KeyError):
                self.library.update(load_library(package.exercise.capability_library))
        self.library.update({c.id: c for c in package.capabilities})
        self.tables = RecordTables(package, state, scoped)

    # -- helpers -----------------------------------------------------------------------------

    def capability_name(self, capability: str | None) -> Text | None:
        if capability is None:
            return None
        found = self.library.get(capability)
        return dict(found.name) if found else {"en": capability}

    def evidence_item(self, seq: int) -> EvidenceItem | None:
        recorded = self.by_seq.get(seq)
        if recorded is None:
            return None
        at = recorded.at.isoformat()
        event = recorded.event
        team: str | None = None
        summary = ""
        inject: str | None = None
        rating: str | None = None
        kind = "other"
        match event:
            case (
                ev.InjectReleased(number=n)
                | ev.InjectCorrected(number=n)
                | ev.InjectRetracted(number=n)
            ):
                kind, inject = "inject", n
            case ev.ResponseSubmitted():
                kind, summary, team = "response", event.text, event.team
                inject = event.ref if event.target == "inject" else None
            case ev.TeamNoteAdded():
                kind, summary, team = "note", event.text, event.team
            case ev.DecisionProposed():
                kind, team = "decision", event.team
                summary = f"{event.title}: {event.text}" if event.text else event.title
            case ev.DecisionConcurred() | ev.DecisionNonConcurred():
                kind = (
                    "concurrence" if isinstance(event, ev.DecisionConcurred) else "non-concurrence"
                )
                summary, team = event.reasons, event.team
            case ev.PollVoteCast():
                kind, team, summary = "vote", event.team, ", ".join(event.options)
            case ev.ObservationRecorded():
                kind, summary, team = "observation", event.text, event.team
                inject, rating = event.inject, event.rating
            case ev.TargetRated() | ev.CapabilityRated():
                kind, summary, rating = "rating", event.notes, event.rating
            case ev.ClauseRecorded():
                kind = "clause-record"
                summary = f"{event.clause}: {event.notes}" if event.notes else event.clause
            case ev.HotWashItemAdded():
                kind, summary, team = "hot-wash", event.text, event.team
            case ev.FeedbackSubmitted():
                kind = "feedback"
                summary = " · ".join((*event.strengths, *event.improvements))
            case ev.UpdateBroadcast():
                kind = "broadcast"
                summary = next(iter(event.text.values()), "")
            case ev.ModuleOpened():
                kind = "module"
            case ev.PollOpened() | ev.PollClosed():
                kind = "poll"
        found = self.package.inject(inject) if inject else None
        party = self.team_party.get(team) if team else getattr(event, "party", None)
        return EvidenceItem(
            seq=seq,
            at=at,
            kind=kind,
            summary=_short(summary),
            team=team,
            party=party if isinstance(party, str) else None,
            inject=inject if found else None,
            inject_title=dict(found.title) if found else None,
            rating=rating,
        )

    def evidence(self, seqs: Sequence[int]) -> tuple[EvidenceItem, ...]:
        items = (self.evidence_item(seq) for seq in seqs)
        return tuple(item for item in items if item is not None)

    def rel_to(self, evidence: Sequence[int], narrowed: Sequence[str] = ()) -> tuple[str, ...]:
        allowed = self.releasability.evidence(evidence)
        if narrowed:
            allowed = allowed & frozenset(narrowed)
        return tuple(sorted(allowed))

    def actions(
        self, finding: str, title: str, capability: str | None, rows: Sequence[dict[str, str]]
    ) -> tuple[ActionRow, ...]:
        return tuple(
            ActionRow(
                id=row.get("id", ""),
                finding=finding,
                capability=capability,
                capability_name=self.capability_name(capability),
                issue=title,
                action=row.get("action", ""),
                element=row.get("element", ""),
                organisation=row.get("organisation", ""),
                poc=row.get("poc", ""),
                start=row.get("start", ""),
                completion=row.get("completion", ""),
                priority=row.get("priority", ""),
            )
            for row in rows
        )

    # -- findings ----------------------------------------------------------------------------

    def findings(self) -> list[FindingItem]:
        items: list[FindingItem] = []
        for saved in sorted(self.state.findings.values(), key=lambda f: f.seq):
            items.append(
                FindingItem(
                    id=saved.id,
                    kind=saved.kind,
                    title=saved.title,
                    analysis=saved.analysis,
                    capability=saved.capability,
                    objective=saved.objective,
                    evidence=self.evidence(saved.evidence),
                    corrective_actions=self.actions(
                        saved.id, saved.title, saved.capability, saved.corrective_actions
                    ),
                    drafted=False,
                    rel_to=self.rel_to(saved.evidence, saved.rel_to),
                )
            )
        drafts: tuple[Draft, ...] = draft_findings(self.state, skip=self.touched)
        languages = drafting_languages(tuple(self.package.exercise.languages))
        for draft in drafts:
            worded = word_draft(draft, self.package, self.capability_name, languages)
            title, analysis = worded[languages[0]]
            items.append(
                FindingItem(
                    id=draft.id,
                    kind=draft.kind,
                    title=title,
                    analysis=analysis,
                    capability=draft.capability,
                    objective=draft.objective,
                    evidence=self.evidence(draft.evidence),
                    corrective_actions=self.actions(
                        draft.id, title, draft.capability, draft.corrective_actions
                    ),
                    drafted=True,
                    rel_to=self.rel_to(draft.evidence),
                    translations=worded,
                )
            )
        return items

    def capability_results(
        self, findings: list[FindingItem]
    ) -> tuple[tuple[CapabilityResult, ...], tuple[FindingItem, ...]]:
        package, state = self.package, self.state
        pairs: list[tuple[int, str, str]] = []
        for number, objective in enumerate(package.objectives, start=1):
            for capability in dict.fromkeys(
                (*objective.capabilities, *(t.capability for t in objective.targets))
            ):
                pairs.append((number, objective.id, capability))
        placed: dict[tuple[str, str], list[FindingItem]] = {}
        general: list[FindingItem] = []
        for finding in findings:
            home = next(
                (
                    (o, c)
                    for _, o, c in pairs
                    if c == finding.capability and (finding.objective in (None, o))
                ),
                None,
            ) or next(((o, c) for _, o, c in pairs if c == finding.capability), None)
            if home is None:
                general.append(finding)
            else:
                placed.setdefault(home, []).append(finding)
        target_ratings = state.latest_target_ratings()
        capability_ratings = state.latest_capability_ratings()
        results: list[CapabilityResult] = []
        objectives = {o.id: o for o in package.objectives}
        for number, objective_id, capability in pairs:
            objective = objectives[objective_id]
            mine = [
                r
                for (o, c, _), r in sorted(capability_ratings.items(), key=lambda kv: kv[1].seq)
                if o == objective_id and c == capability
            ]
            targets: list[TargetResult] = []
            for target in (t for t in objective.targets if t.capability == capability):
                rated = sorted(
                    (r for (t, _), r in target_ratings.items() if t == target.id),
                    key=lambda r: r.seq,
                )
                targets.append(
                    TargetResult(
                        id=target.id,
                        text=dict(target.text),
                        rating=consensus([r.rating for r in rated]),
                        ratings=tuple(RatingItem(r.rating, r.notes, r.evidence) for r in rated),
                        tasks=tuple(
                            TaskItem(task.id, dict(task.text), task.source) for task in target.tasks
                        ),
                    )
                )
            overall = [r.rating for r in mine] or [t.rating for t in targets if t.rating]
            found = placed.get((objective_id, capability), [])
            results.append(
                CapabilityResult(
                    objective=objective_id,
                    objective_number=number,
                    objective_text=dict(objective.text),
                    capability=capability,
                    name=self.capability_name(capability) or {"en": capability},
                    rating=consensus(overall),
                    ratings=tuple(RatingItem(r.rating, r.notes, r.evidence) for r in mine),
                    targets=tuple(targets),
                    strengths=tuple(f for f in found if f.kind == "strength"),
                    improvements=tuple(f for f in found if f.kind == "improvement"),
                )
            )
        return tuple(results), tuple(general)

    # -- the rest of the record --------------------------------------------------------------

    def report_marking(self) -> Marking:
        """The highest marking of what the report draws on, releasable to its parties."""
        package = self.package
        default = package.exercise.default_marking
        markings = [default]
        for recorded in self.scoped:
            if isinstance(recorded.event, ev.InjectReleased):
                inject = package.inject(recorded.event.number)
                if inject is not None and inject.marking is not None:
                    markings.append(inject.marking)
        top = highest(markings, package.exercise.marking_scheme)
        caveat = top.caveat
        rel: tuple[str, ...] = self.parties
        if not self.parties and len(package.parties) > 1:
            caveat = "EXERCISE STAFF ONLY"
        elif not self.parties:
            rel = default.releasable_to
        return Marking(
            classification=top.classification, tlp=top.tlp, releasable_to=rel, caveat=caveat
        )

    def label(self) -> Label:
        """The report's confidentiality label (exercise traffic)."""
        return package_label(self.report_marking(), self.package)

    def marking(self) -> str:
        return render_banner(package_label(self.report_marking(), self.package, exercise=False))

    def overview(self) -> Overview:
        package, state = self.package, self.state
        exercise = package.exercise
        end = state.ended_at or (self.scoped[-1].at if self.scoped else None)
        capabilities = dict.fromkeys(
            c
            for o in package.objectives
            for c in (*o.capabilities, *(t.capability for t in o.targets))
        )
        return Overview(
            name=dict(exercise.title),
            exercise_type=str(exercise.type),
            dates=(
                (exercise.dates.start.isoformat(), _iso_date(exercise.dates.end))
                if exercise.dates
                else None
            ),
            venue=dict(exercise.venue) if exercise.venue else None,
            scope=dict(exercise.scope) if exercise.scope else None,
            mission_areas=tuple(str(m) for m in exercise.mission_areas),
            capabilities=tuple(self.capability_name(c) or {"en": c} for c in capabilities),
            objectives=tuple((o.id, dict(o.text)) for o in package.objectives),
            threat_or_hazard=dict(exercise.threat_or_hazard) if exercise.threat_or_hazard else None,
            scenario=dict(exercise.scenario) if exercise.scenario else None,
            sponsor=dict(exercise.sponsor) if exercise.sponsor else None,
            organisations=tuple(exercise.participating_organizations),
            points_of_contact=tuple(
                {
                    "name": dict(p.name),
                    "organization": dict(p.organization) if p.organization else None,
                    "role": dict(p.role) if p.role else None,
                    "email": p.email,
                    "phone": p.phone,
                }
                for p in exercise.points_of_contact
            ),
            series=(
                f"{exercise.series.id} ({exercise.series.edition})" if exercise.series else None
            ),
            modules=tuple((m.id, dict(m.title)) for m in package.modules),
            acronyms=tuple(
                sorted(
                    ((a.term, dict(a.expansion)) for a in package.acronyms),
                    key=lambda entry: entry[0].casefold(),
                )
            ),
            started_at=_iso(state.started_at),
            ended_at=_iso(state.ended_at),
            active_seconds=(
                state.run_clock(end).total_seconds() if end and state.started_at else 0.0
            ),
        )

    def model(self, run_id: str, upto: int) -> ReportModel:
        package = self.package
        findings = self.findings()
        capabilities, general = self.capability_results(findings)
        plan = tuple(
            action
            for finding in (
                *(f for c in capabilities for f in c.improvements),
                *(f for f in general if f.kind == "improvement"),
            )
            for action in finding.corrective_actions
        )
        tables = self.tables
        objective_rows, clause_rows, cells = tables.coverage()
        return ReportModel(
            run_id=run_id,
            package_hash=package.content_hash(),
            upto=upto,
            parties=self.parties,
            party_names=tuple(dict(p.name) for p in package.parties if p.id in self.parties),
            languages=tuple(package.exercise.languages),
            marking=self.marking(),
            overview=self.overview(),
            capabilities=capabilities,
            general=general,
            improvement_plan=plan,
            objective_coverage=objective_rows,
            clause_coverage=clause_rows,
            coverage_cells=cells,
            # Milestones and branches are control material: the complete report only.
            timeline=tuple(
                i
                for i in tables.timeline()
                if not self.parties or i.kind not in ("milestone", "branch")
            ),
            latencies=tables.latencies(),
            concurrence=tables.concurrence(),
            participation=tables.participation(),
            polls=tables.polls(),
            rating_counts=tables.rating_counts(),
            hot_wash=tuple(
                HotWashRow(i.seq, i.kind, i.text, i.team, i.party) for i in self.state.hot_wash
            ),
            feedback=tables.feedback(),
            participants=tables.participants(),
            teams={t.id: dict(t.name) for t in package.teams},
            observations=len(self.state.observations),
            retests=self.retests(capabilities),
            milestones=self.milestones() if not self.parties else (),
            answer_times=answer_times(self.state) if not self.parties else (),
            game_turns=game_turns(self.state) if not self.parties else (),
        )

    def milestones(self) -> tuple[MilestoneRow, ...]:
        """Each milestone of the package, with when it was reached (control material)."""
        rows = []
        for milestone in self.package.milestones:
            reached = self.state.branches.milestones.get(milestone.id)
            rows.append(
                MilestoneRow(
                    milestone.id,
                    dict(milestone.name),
                    milestone.objectives,
                    milestone.tasks,
                    reached.seq if reached else None,
                    reached.at.isoformat() if reached else None,
                    self.tables.clock(reached.at) if reached else None,
                    reached.trigger if reached else None,
                )
            )
        return tuple(rows)

    def retests(self, capabilities: tuple[CapabilityResult, ...]) -> tuple[RetestRow, ...]:
        """Each carried corrective action: verified when every rated capability of its
        objective was performed (P or S), not verified when one was not (M or U), not
        exercised when nobody rated it."""
        rows: list[RetestRow] = []
        for number, objective in enumerate(self.package.objectives, start=1):
            if not objective.retests:
                continue
            rated = [c.rating for c in capabilities if c.objective == objective.id and c.rating]
            worst = max(rated, key=lambda r: SEVERITY.get(r, 0)) if rated else None
            if worst is None:
                outcome = "not-exercised"
            else:
                outcome = "verified" if worst in ("P", "S") else "not-verified"
            rows.extend(
                RetestRow(action, objective.id, number, dict(objective.text), worst, outcome)
                for action in objective.retests
            )
        return tuple(rows)


def _iso_date(value: object) -> str | None:
    return value.isoformat() if value is not None and hasattr(value, "isoformat") else None
