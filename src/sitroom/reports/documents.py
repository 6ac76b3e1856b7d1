"""Exercise documents rendered as standalone HTML: the Situation Manual and the C/E Handbook.

The Situation Manual (SitMan) is for every participant, so it is built only from
``player_safe(package)``: controller-only fields and contingency injects are gone before any
rendering starts, and no template choice can bring them back. The Controller/Evaluator
Handbook adds, from the full package, the facilitator notes, the MSEL of each module, the
contingency injects and the Exercise Evaluation Guide outline.

Package texts are shown in the requested language, falling back to the exercise's other
languages. The documents' own words (headings, labels, guidance) go through gettext, with
catalogs read from ``sitroom/locale/<lang>/LC_MESSAGES/messages.mo`` (or ``.po``).

This module builds the view and renders it; the view objects the templates receive are in
``document_view``, the catalog loading in ``catalogs`` and the time formats in ``times``
(all still importable from here).
"""

from __future__ import annotations

import contextlib
import re
from datetime import timedelta
from functools import cache
from typing import Any

import jinja2
from markupsafe import Markup

from sitroom.package.capabilities import load_library
from sitroom.package.conditions import format_condition
from sitroom.package.markdown import render_markdown
from sitroom.package.marking import EXERCISE_MARK, exercise_banner, label_json, package_label
from sitroom.package.model import (
    Capability,
    Inject,
    InjectType,
    Module,
    Objective,
    Package,
    Team,
    TeamKind,
    Trigger,
    TriggerMode,
    text_in,
)
from sitroom.package.redact import player_safe
from sitroom.reports.catalogs import (
    DOMAIN,
    LOCALE_DIR,
    babel_locale,
    load_domain,
    load_translations,
)
from sitroom.reports.document_cells import cell_views
from sitroom.reports.document_game import game_view
from sitroom.reports.document_view import (
    ClauseView,
    DocumentKind,
    DocumentView,
    EvaluationObjective,
    InjectView,
    MilestoneView,
    ModuleView,
    ObjectiveView,
    OverviewRow,
    PartyView,
    PollView,
    QuestionGroup,
    QuestionView,
    ReferenceView,
    RoleView,
    SimulatedOrganisation,
    TargetView,
    TaskView,
    TeamView,
)
from sitroom.reports.document_words import (
    DELIVERY_METHODS,
    DOCUMENT_TITLES,
    EXERCISE_TYPES,
    HANDBOOK_NOTICE,
    INJECT_TYPES,
    MISSION_AREAS,
    TEAM_KINDS,
)
from sitroom.reports.times import (
    format_dates,
    format_duration,
    format_offset,
    format_scenario_time,
    format_span,
)

__all__ = [
    "DOMAIN",
    "LOCALE_DIR",
    "ClauseView",
    "DocumentKind",
    "DocumentView",
    "EvaluationObjective",
    "InjectView",
    "ModuleView",
    "ObjectiveView",
    "OverviewRow",
    "PartyView",
    "PollView",
    "QuestionGroup",
    "ReferenceView",
    "RoleView",
    "TargetView",
    "TaskView",
    "TeamView",
    "build_view",
    "css_string",
    "document_language",
    "format_dates",
    "format_duration",
    "format_offset",
    "format_scenario_time",
    "format_span",
    "load_domain",
    "load_translations",
    "render_document",
]

LANGUAGE_CODE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*")
# Markdown under a module's <h2> and its <h3> subsections starts at <h4>.
MARKDOWN_HEADING_OFFSET = 3


# -- building the view -------------------------------------------------------------------


class _Builder:
    """Turn a package into a ``DocumentView`` in one language."""

    def __init__(self, package: Package, kind: DocumentKind, lang: str) -> None:
        self.package = package
        self.kind = kind
        self.lang = lang
        self.fallbacks = tuple(c for c in package.exercise.languages if c != lang)
        self.translations = load_translations(lang)
        self.locale = babel_locale(lang)
        self.capabilities = self._capability_library()
        self.objective_numbers = {o.id: n for n, o in enumerate(package.objectives, start=1)}
        self.team_names = {t.id: self.t(t.name) or t.id for t in package.teams}
        self.party_names = {p.id: self.t(p.name) or p.id for p in package.parties}

    # helpers

    def _(self, message: str) -> str:
        return self.translations.gettext(message)

    def t(self, text: dict[str, str] | None) -> str:
        return text_in(text, self.lang, self.fallbacks)

    def md(self, text: dict[str, str] | None, offset: int = MARKDOWN_HEADING_OFFSET) -> Markup:
        return Markup(render_markdown(self.t(text), heading_offset=offset))

    def _capability_library(self) -> dict[str, Capability]:
        library: dict[str, Capability] = {}
        name = self.package.exercise.capability_library
        if name:
            with contextlib.suppress(KeyError):  # unknown library: validation reports it
                library.update(load_library(name))
        library.update({c.id: c for c in self.package.capabilities})
        return library

    def capability_name(self, capability_id: str) -> str:
        capability = self.capabilities.get(capability_id)
        return self.t(capability.name) if capability else capability_id

    def objective_capabilities(self, objective: Objective) -> tuple[str, ...]:
        """Names of an objective's capabilities: those listed, then those of its targets."""
        ids = [*objective.capabilities, *(t.capability for t in objective.targets)]
        return tuple(self.capability_name(c) for c in dict.fromkeys(ids))

    def objective_label(self, objective_id: str) -> str:
        number = self.objective_numbers.get(objective_id)
        if number is None:
            return objective_id
        return self._("Objective %(number)s") % {"number": number}

    def clause_label(self, ref: str) -> str:
        reference_id, _sep, clause_id = ref.partition("/")
        reference = next((r for r in self.package.references if r.id == reference_id), None)
        if reference is None:
            return ref
        return f"{reference.short_title or self.t(reference.title)} {clause_id}".strip()

    # sections

    def build(self) -> DocumentView:
        package, exercise = self.package, self.package.exercise
        dates = (
            format_dates(exercise.dates.start, exercise.dates.end, self.locale)
            if exercise.dates
            else ""
        )
        handbook = self.kind == DocumentKind.HANDBOOK
        return DocumentView(
            kind=self.kind,
            lang=self.lang,
            document_title=self._(DOCUMENT_TITLES[self.kind]),
            exercise_title=self.t(exercise.title) or exercise.id,
            series=(f"{exercise.series.id} {exercise.series.edition}" if exercise.series else ""),
            exercise_type=self._(EXERCISE_TYPES[exercise.type]),
            dates=dates,
            venue=self.t(exercise.venue),
            sponsor=self.t(exercise.sponsor),
            banner=exercise_banner(exercise.default_marking, package),
            label=label_json(package_label(exercise.default_marking, package)),
            exercise_mark=EXERCISE_MARK,
            notice=self._(HANDBOOK_NOTICE) if handbook else "",
            overview=self._overview(dates),
            objectives=self._objectives(),
            roles=self._roles(),
            modules=self._modules(),
            assumptions=tuple(self.t(a) for a in package.assumptions),
            artificialities=tuple(self.t(a) for a in package.artificialities),
            parties=tuple(PartyView(p.code, self.party_names[p.id]) for p in package.parties),
            teams=tuple(self._team(t) for t in package.teams),
            references=self._references(),
            evaluation=self._evaluation() if handbook else (),
            acronyms=tuple(
                sorted(((a.term, self.t(a.expansion)) for a in package.acronyms), key=_casefold)
            ),
            milestones=self._milestones() if handbook else (),
            **self._cells(handbook),
            organisations=self._organisations() if handbook else (),
            game=game_view(package, self.lang, self._, handbook=handbook),
        )

    def trigger_text(self, trigger: Trigger | None) -> str:
        """A trigger as the handbook states it: its condition and whether it acts by itself."""
        if trigger is None:
            return ""
        mode = self._("fires") if trigger.mode == TriggerMode.FIRES else self._("proposes")
        return f"{format_condition(trigger.when)} ({mode})"

    def _organisations(self) -> tuple[SimulatedOrganisation, ...]:
        return tuple(
            SimulatedOrganisation(
                self.t(o.name),
                str(o.kind),
                self.t(o.description) if o.description else "",
                tuple(o.played_by),
            )
            for o in self.package.organisations
        )

    def _cells(self, handbook: bool) -> dict[str, Any]:
        if not handbook:
            return {}
        cells, escalation = cell_views(self.package, self.lang, self._)
        return {"cells": cells, "escalation": escalation}

    def _milestones(self) -> tuple[MilestoneView, ...]:
        return tuple(
            MilestoneView(
                id=m.id,
                name=self.t(m.name),
                objectives=tuple(self.objective_label(o) for o in m.objectives),
                tasks=m.tasks,
                trigger=self.trigger_text(m.trigger) or self._("marked by control"),
            )
            for m in self.package.milestones
        )

    def _used_capabilities(self) -> list[str]:
        seen: dict[str, None] = {}
        for objective in self.package.objectives:
            for capability_id in objective.capabilities:
                seen.setdefault(capability_id)
            for target in objective.targets:
                seen.setdefault(target.capability)
        return list(seen)

    def _overview(self, dates: str) -> tuple[OverviewRow, ...]:
        exercise, _ = self.package.exercise, self._
        contacts = tuple(
            ", ".join(
                part
                for part in (
                    self.t(poc.name),
                    self.t(poc.role),
                    self.t(poc.organization),
                    poc.email,
                    poc.phone,
                )
                if part
            )
            for poc in exercise.points_of_contact
        )
        organizations = exercise.participating_organizations or tuple(
            self.party_names[p.id] for p in self.package.parties
        )
        scenario = self.md(exercise.scenario, offset=2)  # in a table under an <h2>
        return (
            OverviewRow(_("Exercise Name"), text=self.t(exercise.title) or exercise.id),
            OverviewRow(_("Exercise Dates"), text=dates),
            OverviewRow(_("Scope"), text=self.t(exercise.scope)),
            OverviewRow(
                _("Mission Area(s)"),
                items=tuple(_(MISSION_AREAS[m]) for m in exercise.mission_areas),
            ),
            OverviewRow(
                _("Core Capabilities"),
                items=tuple(self.capability_name(c) for c in self._used_capabilities()),
            ),
            OverviewRow(
                _("Objectives"),
                items=tuple(self.t(o.text) for o in self.package.objectives),
                ordered=True,
            ),
            OverviewRow(_("Threat or Hazard"), text=self.t(exercise.threat_or_hazard)),
            OverviewRow(_("Scenario"), html=scenario or None),
            OverviewRow(_("Sponsor"), text=self.t(exercise.sponsor)),
            OverviewRow(_("Participating Organizations"), items=tuple(organizations)),
            OverviewRow(_("Point of Contact"), items=contacts),
        )

    def _objectives(self) -> tuple[ObjectiveView, ...]:
        return tuple(
            ObjectiveView(number, self.t(o.text), self.objective_capabilities(o))
            for number, o in enumerate(self.package.objectives, start=1)
        )

    def _roles(self) -> tuple[RoleView, ...]:
        _ = self._

        def teams(*kinds: TeamKind) -> tuple[str, ...]:
            return tuple(self.team_label(t) for t in self.package.teams if t.kind in kinds)

        return (
            RoleView(
                _("Players"),
                _(
                    "Players take part in the discussion from the standpoint of their real "
                    "roles and responsibilities, and decide how their organization would act "
                    "in the scenario."
                ),
                teams(TeamKind.PLAYERS),
            ),
            RoleView(
                _("Observers"),
                _(
                    "Observers follow the discussion without taking part in it. They may "
                    "support their organization's players, but they do not join the decisions."
                ),
                teams(TeamKind.OBSERVERS),
            ),
            RoleView(
                _("Facilitators"),
                _(
                    "Facilitators lead the discussion: they present the scenario and its "
                    "updates, keep the exercise on time, and help players raise and settle "
                    "issues. Exercise control and simulation staff support them."
                ),
                teams(TeamKind.CONTROL, TeamKind.SIMULATION),
            ),
            RoleView(
                _("Evaluators"),
                _(
                    "Evaluators watch and record the discussion against the exercise "
                    "objectives and the evaluation guide. They do not take part in play."
                ),
                teams(TeamKind.EVALUATORS),
            ),
        )

    def team_label(self, team: Team) -> str:
        name = self.team_names[team.id]
        if team.party and team.party in self.party_names:
            party = self.package.party(team.party)
            code = party.code if party else team.party
            return f"{name} ({code})"
        return name

    def _team(self, team: Team) -> TeamView:
        party = self.party_names.get(team.party, team.party) if team.party else ""
        return TeamView(self.team_names[team.id], self._(TEAM_KINDS[team.kind]), party or "")

    def _modules(self) -> tuple[ModuleView, ...]:
        views = []
        elapsed = timedelta(0)
        known_durations = True
        for number, module in enumerate(self.package.modules, start=1):
            starts_at = format_offset(elapsed) if known_durations else ""
            views.append(self._module(number, module, starts_at))
            if module.duration is None:
                known_durations = False
            else:
                elapsed += module.duration
        return tuple(views)

    def _module(self, number: int, module: Module, starts_at: str) -> ModuleView:
        handbook = self.kind == DocumentKind.HANDBOOK
        injects = tuple(self._inject(i) for i in module.injects) if handbook else ()
        return ModuleView(
            number=number,
            anchor=f"module-{number}",
            title=self.t(module.title),
            span=format_span(module.start, module.end),
            duration=format_duration(module.duration, self.translations),
            starts_at=starts_at,
            narrative=self.md(module.narrative),
            key_issues=tuple(self.t(k) for k in module.key_issues),
            question_groups=self._question_groups(module),
            facilitator_notes=self.md(module.facilitator_notes) if handbook else Markup(""),
            injects=injects,
            contingencies=tuple(i for i in injects if i.contingency),
            polls=tuple(
                PollView(self.t(p.question), tuple(self.t(o.text) for o in p.options), p.multiple)
                for p in module.polls
            )
            if handbook
            else (),
            trigger=self.trigger_text(module.trigger) if handbook else "",
        )

    def _question_groups(self, module: Module) -> tuple[QuestionGroup, ...]:
        groups: dict[tuple[tuple[str, ...], tuple[str, ...]], list[QuestionView]] = {((), ()): []}
        tasks = {t.id: t for t in self.package.tasks()}
        for question in module.questions:
            cites = [self.clause_label(ref) for ref in question.clauses]
            cites += [
                f"{task_id} — {self.t(tasks[task_id].text)}" if task_id in tasks else task_id
                for task_id in question.tasks
            ]
            groups.setdefault((question.teams, question.parties), []).append(
                QuestionView(self.t(question.text), tuple(cites))
            )
        result = []
        for (teams, parties), questions in groups.items():
            if not questions:
                continue
            if not teams and not parties:
                audience = self._("All participants")
            else:
                names = [self.team_names.get(t, t) for t in teams]
                names += [self.party_names.get(p, p) for p in parties]
                audience = ", ".join(names)
            result.append(QuestionGroup(audience, tuple(questions)))
        return tuple(result)

    def _inject(self, inject: Inject) -> InjectView:
        package = self.package
        if inject.to:
            recipients = ", ".join(self.team_names.get(t, t) for t in inject.to)
        else:
            recipients = self._("All player teams")
        backed_up = package.inject(inject.contingency_for) if inject.contingency_for else None
        return InjectView(
            number=inject.number,
            anchor=f"inject-{inject.number}",
            banner=exercise_banner(package.marking_of(inject), package),
            label=label_json(package_label(package.marking_of(inject), package)),
            scenario_time=format_scenario_time(inject.scenario_time),
            offset=format_offset(inject.offset),
            sender=self.t(inject.from_),
            recipients=recipients,
            delivery=self._(DELIVERY_METHODS[inject.delivery]),
            type=self._(INJECT_TYPES[inject.type]),
            contingency=inject.type == InjectType.CONTINGENCY,
            contingency_for=inject.contingency_for or "",
            backs_up_subject=self.t(backed_up.title) if backed_up else "",
            subject=self.t(inject.title),
            content=self.md(inject.content),
            attachments=tuple(self.t(a.title) or a.path for a in inject.attachments),
            expected_actions=tuple(self.t(a) for a in inject.expected_actions),
            objectives=tuple(self.objective_label(o) for o in inject.objectives),
            tasks=inject.tasks,
            clauses=tuple(self.clause_label(c) for c in inject.clauses),
            controller=inject.controller or "",
            notes=self.md(inject.notes),
            trigger=self.trigger_text(inject.trigger),
            choice=tuple(self.t(o.text) for o in inject.choice.options) if inject.choice else (),
        )

    def _references(self) -> tuple[ReferenceView, ...]:
        return tuple(
            ReferenceView(
                title=self.t(r.title),
                short_title=r.short_title or "",
                clauses=tuple(ClauseView(c.id, self.t(c.title), self.t(c.text)) for c in r.clauses),
            )
            for r in self.package.references
        )

    def _evaluation(self) -> tuple[EvaluationObjective, ...]:
        views = []
        for number, objective in enumerate(self.package.objectives, start=1):
            targets = []
            for target in objective.targets:
                tasks = []
                for task in target.tasks:
                    clause = self.package.clause(task.source) if task.source else None
                    source = self.clause_label(task.source) if task.source else ""
                    if clause and clause.title:
                        source = f"{source} — {self.t(clause.title)}"
                    tasks.append(
                        TaskView(
                            task.id,
                            self.t(task.text),
                            source,
                            self.t(clause.text) if clause else "",
                        )
                    )
                targets.append(
                    TargetView(
                        self.capability_name(target.capability), self.t(target.text), tuple(tasks)
                    )
                )
            views.append(
                EvaluationObjective(
                    number=number,
                    text=self.t(objective.text),
                    capabilities=self.objective_capabilities(objective),
                    targets=tuple(targets),
                )
            )
        return tuple(views)


# -- rendering ---------------------------------------------------------------------------


def css_string(value: str) -> Markup:
    """``value`` as a quoted CSS string, every character but letters, digits and spaces escaped.

    Banners go into ``@page`` margin boxes inside ``<style>``, where HTML escaping does not
    apply; hex escapes keep any text (``</style>``, quotes, backslashes) inert there.
    """
    # A space after a hex escape ends it and is consumed, so the next character is safe.
    escaped = "".join(
        char if (char.isascii() and char.isalnum()) or char == " " else f"\\{ord(char):06x} "
        for char in value
    )
    return Markup(f'"{escaped}"')


def _casefold(entry: tuple[str, str]) -> str:
    return entry[0].casefold()


@cache
def _environment(lang: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("sitroom.reports", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    translations = load_translations(lang)
    env.install_gettext_callables(  # type: ignore[attr-defined]
        translations.gettext,
        translations.ngettext,
        newstyle=True,
        pgettext=translations.pgettext,
        npgettext=translations.npgettext,
    )
    env.filters["css_string"] = css_string
    return env


def document_language(package: Package, lang: str | None) -> str:
    """The language to render in: ``lang`` if given, else the exercise's first language.

    Raises ``ValueError`` if ``lang`` is not a language code such as ``ko`` or ``fr-CA``.
    """
    if lang is None:
        return package.exercise.languages[0]
    if not LANGUAGE_CODE.fullmatch(lang):
        raise ValueError(f"'{lang}' is not a language code; use e.g. 'en', 'ko', 'fr-CA'")
    return lang


def build_view(package: Package, kind: DocumentKind, *, lang: str | None = None) -> DocumentView:
    """What a document shows, in one language. The SitMan view sees only the player-safe package."""
    source = player_safe(package) if kind == DocumentKind.SITMAN else package
    return _Builder(source, kind, document_language(package, lang)).build()


def render_document(package: Package, kind: DocumentKind, *, lang: str | None = None) -> str:
    """The Situation Manual or the C/E Handbook of ``package`` as one standalone HTML page."""
    view = build_view(package, kind, lang=lang)
    template = _environment(view.lang).get_template("document.html")
    return template.render(doc=view)
