"""The variables of the AAR/IP Word template: a ``Report`` turned into plain data in one
language (strings, lists of dicts, chart images).

The variable names are a stable interface for agency templates, documented in
``docs/aar-template.md``; ``docx.py`` only opens the template and renders it with them.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from docxtpl import DocxTemplate, InlineImage

from sitroom.reports import i18n
from sitroom.reports.docx_text import (
    clean_all,
    duration,
    inline_block,
    markdown_blocks,
    minute_of,
    plain,
)
from sitroom.reports.docx_words import ELEMENTS_KO, LABELS, Words
from sitroom.reports.model import (
    IP_COLUMNS,
    ActionRow,
    EvidenceItem,
    FindingItem,
    Report,
    ReportModel,
)

MAX_EVIDENCE = 20
"""Evidence items listed under one finding; the rest are counted ("and N more")."""
MAX_SUMMARY_FINDINGS = 5
"""Strengths and areas for improvement named in the executive summary."""
CHART_WIDTH_MM = 165
EXERCISE_MARK = "EXERCISE EXERCISE EXERCISE"


def _labels(words: Words) -> dict[str, str]:
    return {key: words(message) for key, message in LABELS.items()}


def _evidence_line(item: EvidenceItem, words: Words, model: ReportModel) -> str:
    kind = words(i18n.EVIDENCE_KINDS.get(item.kind, item.kind))
    who = words.pick(model.teams.get(item.team)) if item.team else (item.party or "").upper()
    inject = f"{item.inject} {plain(words.pick(item.inject_title))}".strip() if item.inject else ""
    head = " · ".join(
        part for part in (f"#{item.seq}", minute_of(item.at), kind, who, inject) if part
    )
    rating = f" [{item.rating}]" if item.rating else ""
    return f"{head}{rating}: {item.summary}" if item.summary else head + rating


def _action(row: ActionRow, words: Words) -> dict[str, str]:
    element = row.element
    if words.korean:
        element = ELEMENTS_KO.get(element, element)
    capability = words.pick(row.capability_name) if row.capability_name else ""
    values = {
        "id": row.id,
        "finding": row.finding,
        "capability": capability,
        "issue": row.issue,
        "action": row.action,
        "element": element,
        "organisation": row.organisation,
        "poc": row.poc,
        "start": row.start,
        "completion": row.completion,
        "priority": row.priority,
    }
    details = ", ".join(v for v in (element, row.organisation, row.poc, row.completion) if v)
    values["summary"] = f"{row.action} ({details})" if details else row.action
    return values


def _finding(finding: FindingItem, words: Words, model: ReportModel) -> dict[str, Any]:
    title, analysis = finding.text_in(words.lang)
    shown = finding.evidence[:MAX_EVIDENCE]
    hidden = len(finding.evidence) - len(shown)
    return {
        "id": finding.id,
        "kind": finding.kind,
        "kind_label": words(i18n.FINDING_KINDS.get(finding.kind, finding.kind)),
        "title": plain(title),
        "reference": "",
        "analysis": markdown_blocks(analysis),
        "evidence": [
            {"seq": item.seq, "text": _evidence_line(item, words, model)} for item in shown
        ],
        "evidence_more": words("… and {n} more").format(n=hidden) if hidden else "",
        "drafted": finding.drafted,
        "actions": [_action(row, words) for row in finding.corrective_actions],
        "rel_to": list(finding.rel_to),
    }


def _rating_text(rating: str | None, words: Words) -> str:
    if rating is None:
        return words(LABELS["not_rated"])
    return f"{rating} — {words(i18n.RATING_NAMES[rating])}"


def _overview_rows(model: ReportModel, words: Words) -> list[dict[str, Any]]:
    overview = model.overview

    dates = ""
    if overview.dates:
        start, end = overview.dates
        dates = f"{start} – {end}" if end and end != start else start
    conduct = ""
    if overview.started_at:
        conduct = f"STARTEX {minute_of(overview.started_at)}"
        if overview.ended_at:
            conduct += f" · ENDEX {minute_of(overview.ended_at)}"
        conduct += f" · {duration(overview.active_seconds)}"
    contacts = [
        ", ".join(
            words.pick(v) if isinstance(v, Mapping) else str(v) for v in contact.values() if v
        )
        for contact in overview.points_of_contact
    ]
    rows: list[tuple[str, list[str]]] = [
        ("exercise_name", [words.pick(overview.name)]),
        ("exercise_dates", [dates]),
        ("exercise_type", [words(i18n.EXERCISE_TYPES.get(overview.exercise_type, ""))]),
        ("venue", [words.pick(overview.venue)]),
        ("scope", [words.pick(overview.scope)]),
        ("series", [overview.series or ""]),
        (
            "mission_areas",
            [", ".join(words(i18n.MISSION_AREAS.get(m, m)) for m in overview.mission_areas)],
        ),
        ("core_capabilities", [words.pick(c) for c in overview.capabilities]),
        (
            "objectives",
            [f"{n}. {words.pick(text)}" for n, (_, text) in enumerate(overview.objectives, 1)],
        ),
        ("threat_or_hazard", [words.pick(overview.threat_or_hazard)]),
        ("scenario", [words.pick(overview.scenario)]),
        ("modules", [words.pick(title) for _, title in overview.modules]),
        ("sponsor", [words.pick(overview.sponsor)]),
        ("participating_organizations", list(overview.organisations)),
        ("point_of_contact", contacts),
        ("conduct", [conduct]),
    ]
    result = []
    for key, values in rows:
        if not any(values):
            continue
        if key in _MARKDOWN_ROWS:  # paragraphs of Markdown, as the package writes them
            blocks = [block for value in values for block in markdown_blocks(value)]
        else:  # one line per value; inline Markdown only
            blocks = [inline_block(value) for value in values if value]
        result.append(
            {
                "key": key,
                "label": words(LABELS[key]),
                "lines": [block["text"] for block in blocks] or ["—"],
                "blocks": blocks,
            }
        )
    return result


_MARKDOWN_ROWS = frozenset({"scope", "threat_or_hazard", "scenario"})
"""Overview rows whose text is Markdown paragraphs (the others are lists of one-line values)."""


def _capabilities(model: ReportModel, words: Words) -> list[dict[str, Any]]:
    sections = []
    for result in model.capabilities:
        name = words.pick(result.name)
        sections.append(
            {
                "objective": result.objective,
                "objective_number": result.objective_number,
                "objective_text": plain(words.pick(result.objective_text)),
                "capability": result.capability,
                "name": name,
                "heading": f"{words(LABELS['objective'])} {result.objective_number}: {name}",
                "rating": result.rating or "",
                "rating_text": _rating_text(result.rating, words),
                "targets": [
                    {
                        "id": target.id,
                        "text": plain(words.pick(target.text)),
                        "rating": target.rating or "",
                        "rating_text": _rating_text(target.rating, words),
                        "tasks": [
                            f"{plain(words.pick(task.text))} ({task.source})"
                            if task.source
                            else plain(words.pick(task.text))
                            for task in target.tasks
                        ],
                    }
                    for target in result.targets
                ],
                "strengths": [_finding(f, words, model) for f in result.strengths],
                "improvements": [_finding(f, words, model) for f in result.improvements],
            }
        )
    return sections


def _clauses(model: ReportModel, words: Words, discussed: bool) -> list[dict[str, Any]]:
    rows = []
    for row in model.clause_coverage:
        # An evaluator's record decides; without one, evidence in the log counts as discussed.
        was = row.discussed if row.discussed is not None else bool(row.evidence)
        if was is discussed:
            rows.append(
                {
                    "id": row.id,
                    "title": plain(words.pick(row.title)),
                    "text": plain(words.pick(row.label)),
                    "evidence": len(row.evidence),
                    "recorded": row.discussed is not None,
                }
            )
    return rows


def _analytics(model: ReportModel, words: Words) -> dict[str, Any]:
    def team(team_id: str | None) -> str:
        return words.pick(model.teams.get(team_id)) if team_id else ""

    return {
        "latency_rows": [
            {
                "inject": f"{row.inject} {words.pick(row.inject_title)}".strip(),
                "team": words.pick(row.team_name),
                "party": row.party or "",
                "response": duration(row.response_seconds),
                "decision": duration(row.decision_seconds),
            }
            for row in model.latencies
        ],
        "concurrence_rows": [
            {
                "title": row.title,
                "team": team(row.team),
                "parties": ", ".join(p.upper() for p in row.parties),
                "status": words(i18n.CONCURRENCE_STATUS.get(row.status, row.status)),
                "time": duration(row.seconds),
            }
            for row in model.concurrence
        ],
        "participation_rows": [
            {
                "name": words.pick(row.name),
                "party": row.party or "",
                "is_party": row.team is None,
                "responses": row.responses,
                "decisions": row.decisions,
                "answers": row.answers,
                "notes": row.notes,
                "votes": row.votes,
                "total": row.total,
                "share": f"{row.share:.0%}",
            }
            for row in model.participation
        ],
        "answer_time_rows": [
            {
                "name": words.pick(row.name),
                "threads": row.threads,
                "answered": row.answered,
                "median": "—" if row.median_minutes is None else row.median_minutes,
                "longest": "—" if row.max_minutes is None else row.max_minutes,
            }
            for row in model.answer_times
        ],
        "milestone_rows": [
            {
                "name": words.pick(row.name),
                "links": ", ".join((*row.objectives, *row.tasks)),
                "clock": duration(row.clock) if row.seq is not None else words("Not reached"),
                "time": datetime.fromisoformat(row.at).strftime("%H:%M:%S") if row.at else "",
                "by": (words("a trigger") if row.trigger else words("control"))
                if row.seq is not None
                else "",
            }
            for row in model.milestones
        ],
        "poll_rows": [
            {
                "question": words.pick(row.question),
                "voters": row.voters,
                "top_option": next(
                    (
                        words.pick(text)
                        for option, text, _ in row.counts
                        if option == row.top_option
                    ),
                    "",
                ),
                "alignment": "" if row.alignment is None else f"{row.alignment:.0%}",
            }
            for row in model.polls
        ],
    }


def _feedback(model: ReportModel, words: Words) -> dict[str, Any]:
    summary = model.feedback
    suggested = []
    for action in summary.suggested_actions:
        details = ", ".join(str(v) for k, v in action.items() if k not in ("action", "text") and v)
        text = str(action.get("action") or action.get("text") or "")
        suggested.append(f"{text} ({details})" if details else text)
    return {
        "forms": summary.forms,
        "anonymous": summary.anonymous,
        "line": words("{n} forms ({anonymous} anonymous)").format(
            n=summary.forms, anonymous=summary.anonymous
        ),
        "statements": [
            {
                "text": words.pick(row.text),
                "mean": "—" if row.mean is None else f"{row.mean:.1f}",
                "answers": row.answers,
            }
            for row in summary.statements
            if row.answers
        ],
        "strengths": list(summary.strengths),
        "improvements": list(summary.improvements),
        "missed": list(summary.missed),
        "suggested_actions": suggested,
    }


def _participants(model: ReportModel, words: Words) -> list[dict[str, Any]]:
    return [
        {
            "party": f"{words.pick(party.name)} ({party.code})" if party.code else "",
            "party_id": party.id,
            "team": words.pick(team.name),
            "kind": team.kind,
            "people": team.participants,
        }
        for party in model.participants
        for team in party.teams
    ]


def _charts(model: ReportModel, lang: str, template: DocxTemplate | None) -> list[dict[str, Any]]:
    """The charts as inline images (none without a template to place them in)."""
    if template is None:
        return []
    from docx.shared import Mm

    from sitroom.reports.charts import chart_title, render_charts

    images = render_charts(model, lang, fmt="png")
    return [
        {
            "name": name,
            "title": chart_title(name, lang),
            "image": InlineImage(template, io.BytesIO(data), width=Mm(CHART_WIDTH_MM)),
        }
        for name, data in images.items()
    ]


def report_context(
    report: Report, lang: str, *, template: DocxTemplate | None = None
) -> dict[str, Any]:
    """The template's variables for ``report`` in ``lang`` (see ``docs/aar-template.md``).

    Charts are included as images only when ``template`` (the docxtpl document they will be
    placed in) is given.
    """
    model = report.model
    words = Words(lang, model.languages)
    labels = _labels(words)
    title = plain(words.pick(model.overview.name))
    status = labels["final"] if report.final else labels["draft"]
    status_line = f"{labels['status']}: {status}"
    if report.final and report.finalised_at:
        status_line += f" ({labels['finalised']} {minute_of(report.finalised_at)})"
    dates = model.overview.dates
    dates_line = ""
    if dates:
        dates_line = f"{dates[0]} – {dates[1]}" if dates[1] and dates[1] != dates[0] else dates[0]
    if model.parties:
        names = ", ".join(words.pick(name) for name in model.party_names) or ", ".join(
            model.parties
        )
        scope_line = f"{labels['party_scope']}: {names}"
    else:
        scope_line = labels["complete_scope"]
    capabilities = _capabilities(model, words)
    strengths = [f for c in capabilities for f in c["strengths"]]
    improvements = [f for c in capabilities for f in c["improvements"]]
    general_strengths = [_finding(f, words, model) for f in model.general if f.kind == "strength"]
    general_improvements = [
        _finding(f, words, model) for f in model.general if f.kind != "strength"
    ]
    plan: list[dict[str, Any]] = [dict(_action(row, words)) for row in model.improvement_plan]
    for row in plan:
        row["cells"] = [
            row[key]
            for key in (
                "capability",
                "issue",
                "action",
                "element",
                "organisation",
                "poc",
                "start",
                "completion",
            )
        ]
    summary_line = words(
        "{strengths} strengths and {improvements} areas for improvement across "
        "{capabilities} objective and core capability pairs; {actions} corrective actions."
    ).format(
        strengths=len(strengths) + len(general_strengths),
        improvements=len(improvements) + len(general_improvements),
        capabilities=len(capabilities),
        actions=len(plan),
    )
    analytics_line = words(
        "{events} events in the record, {observations} observations; active time {active}."
    ).format(
        events=model.upto,
        observations=model.observations,
        active=duration(model.overview.active_seconds),
    )
    context: dict[str, Any] = {
        "lang": lang,
        "labels": labels,
        "title": title,
        "report_title": labels["report_title"],
        "marking": model.marking,
        "exercise_mark": EXERCISE_MARK,
        "draft": not report.final,
        "draft_mark": "" if report.final else labels["draft"],
        "status": report.status,
        "status_line": status_line,
        "scope_line": scope_line,
        "parties": list(model.parties),
        "dates_line": dates_line,
        "run_id": model.run_id,
        "upto": model.upto,
        "package_hash": model.package_hash,
        "report_hash": report.hash,
        "frozen_hash": report.frozen_hash or "",
        "finalised_at": report.finalised_at or "",
        "integrity_warning": "" if report.intact else labels["integrity_warning"],
        "overview_rows": _overview_rows(model, words),
        "summary_line": summary_line,
        "major_strengths": [_headline(f, c) for c in capabilities for f in c["strengths"]][
            :MAX_SUMMARY_FINDINGS
        ]
        or [f["title"] for f in general_strengths][:MAX_SUMMARY_FINDINGS],
        "primary_improvements": [_headline(f, c) for c in capabilities for f in c["improvements"]][
            :MAX_SUMMARY_FINDINGS
        ]
        or [f["title"] for f in general_improvements][:MAX_SUMMARY_FINDINGS],
        "ratings": [
            {
                "code": code,
                "name": words(i18n.RATING_NAMES[code]),
                "definition": words(i18n.RATING_DEFINITIONS[code]),
            }
            for code in i18n.RATINGS
        ],
        "capability_table": [
            {
                "objective": f"{c['objective_number']}. {c['objective_text']}",
                "capability": c["name"],
                "rating": c["rating"],
                **{code: "X" if c["rating"] == code else "" for code in i18n.RATINGS},
            }
            for c in capabilities
        ],
        "capabilities": capabilities,
        "general_strengths": general_strengths,
        "general_improvements": general_improvements,
        "clauses_discussed": _clauses(model, words, True),
        "clauses_not_discussed": _clauses(model, words, False),
        "analytics_line": analytics_line,
        "charts": _charts(model, lang, template),
        **_analytics(model, words),
        "hot_wash_strengths": [r.text for r in model.hot_wash if r.kind == "strength"],
        "hot_wash_improvements": [r.text for r in model.hot_wash if r.kind != "strength"],
        "feedback": _feedback(model, words),
        "ip_columns": [words(column) for column in IP_COLUMNS],
        "improvement_plan": plan,
        "participants": _participants(model, words),
        "acronyms": [
            {"term": term, "expansion": words.pick(expansion)}
            for term, expansion in model.overview.acronyms
        ],
    }
    cleaned: dict[str, Any] = clean_all(context)
    return cleaned


def _headline(finding: Mapping[str, Any], capability: Mapping[str, Any]) -> str:
    return f"{capability['name']}: {finding['title']}"
