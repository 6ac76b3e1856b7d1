"""The After-Action Report / Improvement Plan: its JSON API and its page, for staff.

The API (``/api/runs/{id}/report``, ``/findings``, ``/report/finalise``) returns the AAR as
data or as a file (HTML, DOCX, PDF) and takes the findings evaluators write. The page
``/runs/{id}/report`` shows one AAR (complete, a party's, or the joint one), lets evaluators
edit its findings and Improvement Plan and finalise it; its forms post and redirect back
(POST-redirect-GET), or come back with what was typed and the reason when refused.
Evaluators and control staff only: an AAR cites what every team said.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from sitroom import audit
from sitroom.bootstrap import Services
from sitroom.conduct import commands as cmd
from sitroom.conduct.run import CAPABILITY_ELEMENTS, Rejected
from sitroom.conduct.state import RunStatus
from sitroom.conduct.visibility import STAFF_ROLES, is_staff
from sitroom.package.marking import EXERCISE_MARK
from sitroom.package.model import Package
from sitroom.reports.build import ReportError, build_model
from sitroom.reports.model import FindingItem, Report, ReportModel, model_data
from sitroom.reports.pdf import preload_engine
from sitroom.web.api import schemas as s
from sitroom.web.api.errors import STAFF_READ, WRITE_WITH_BODY
from sitroom.web.api.fields import one_of
from sitroom.web.api.handling import handle as _handle
from sitroom.web.api.runs import IdempotencyKey, InRun, Svc
from sitroom.web.deps import ApiError, Viewer, services
from sitroom.web.forms import FormState, key_of, posted, run_command, text
from sitroom.web.pages.home import PageError, RunPage, run_page, shared_page
from sitroom.web.render import N_, UI_LANGUAGES, html, local, respond, translator
from sitroom.web.views.console import STATUS_LABELS
from sitroom.web.views.report import (
    ELEMENTS,
    EVIDENCE_KINDS,
    KINDS,
    NOTICES,
    FindingForm,
    ReportView,
    finding_command,
    form_field,
    parse_scope,
    posted_form,
    scope_value,
)

router = APIRouter()

NOT_STAFF = "the AAR is for evaluators and control staff"
FORMATS = ("json", "html", "docx", "pdf")


def _staff(who: Viewer) -> None:
    if not is_staff(who.principal):
        raise ApiError(403, NOT_STAFF)


def _report(svc: Services, run_id: str, parties: tuple[str, ...]) -> Report:
    try:
        return svc.engine.report(run_id, parties)
    except ReportError as exc:
        raise ApiError(422, exc.message, field=exc.field or "party") from None


def _languages(report: Report) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*report.model.languages, *UI_LANGUAGES)))


def report_data(report: Report) -> dict[str, Any]:
    """The AAR as JSON: its status, hashes and the whole model."""
    return {
        "status": report.status,
        "final": report.final,
        "hash": report.hash,
        "frozen_hash": report.frozen_hash,
        "finalised_at": report.finalised_at,
        "intact": report.intact,
        "upto": report.model.upto,
        "parties": list(report.model.parties),
        "label": report.label,
        "model": model_data(report.model),
    }


def finding_data(item: FindingItem) -> dict[str, Any]:
    """A finding as JSON: evidence as log sequence numbers, corrective actions as rows."""
    return {
        "id": item.id,
        "kind": item.kind,
        "capability": item.capability,
        "objective": item.objective,
        "title": item.title,
        "analysis": item.analysis,
        "evidence": [e.seq for e in item.evidence],
        "rel_to": list(item.rel_to),
        "corrective_actions": [
            {
                "id": a.id,
                "action": a.action,
                "element": a.element,
                "organisation": a.organisation,
                "poc": a.poc,
                "start": a.start,
                "completion": a.completion,
            }
            for a in item.corrective_actions
        ],
        "drafted": item.drafted,
    }


def check_reviewed(report: Report, upto: int, hash_: str) -> None:
    """Refuse to finalise an AAR other than the one reviewed (the run checks ``upto``)."""
    if not report.final and upto == report.model.upto and hash_ != report.hash:
        raise Rejected(
            "this is not the hash of the report as it stands: review the report again",
            field="hash",
            status=409,
        )


# --- the API ------------------------------------------------------------------------------

Parties = Annotated[
    list[str] | None,
    Query(alias="party", description="A party id; several: a joint AAR; none: complete."),
]


@router.get(
    "/api/runs/{run_id}/report",
    summary="The AAR/IP as JSON, or as an HTML, DOCX or PDF file (evaluators, control)",
    responses=STAFF_READ,
)
async def report_api(
    run_id: str,
    svc: Svc,
    who: InRun,
    party: Parties = None,
    lang: Annotated[str | None, Query(max_length=10)] = None,
    fmt: Annotated[str, Query(alias="format", max_length=10), one_of(FORMATS)] = "json",
) -> Response:
    _staff(who)
    if fmt not in FORMATS:
        raise ApiError(422, f"format is one of {', '.join(FORMATS)}", field="format")
    parties = tuple(p[:80] for p in (party or [])[:50])
    report = await run_in_threadpool(_report, svc, run_id, parties)
    if fmt == "json":
        return Response(_json(report_data(report)), media_type="application/json")
    languages = _languages(report)
    chosen = lang or (who.language if who.language in languages else languages[0])
    if chosen not in languages:
        raise ApiError(422, f"lang is one of {', '.join(languages)}", field="lang")
    from sitroom.reports.render import render_stored

    rendered = await run_in_threadpool(render_stored, report, fmt, chosen)
    audit.record(
        "report-exported",
        actor=who,
        run_id=run_id,
        format=fmt,
        parties=list(report.model.parties),
        report_hash=report.hash,
        status=report.status,
    )
    headers = {
        "Content-Disposition": f'attachment; filename="{rendered.filename}"',
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }
    if report.label is not None:  # the machine-readable marking of what is downloaded
        headers["X-Sitroom-Label"] = json.dumps(report.label, ensure_ascii=True, sort_keys=True)
    if fmt == "html":  # if opened in place, it runs nothing and loads nothing from elsewhere
        headers["Content-Security-Policy"] = (
            "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox"
        )
    return Response(rendered.content, media_type=rendered.media_type, headers=headers)


def _json(data: Any) -> bytes:
    import json

    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@router.get(
    "/api/runs/{run_id}/findings",
    summary="The AAR's findings, drafted and saved, with their corrective actions",
    responses=STAFF_READ,
)
async def findings_api(
    run_id: str, svc: Svc, who: InRun, party: Parties = None
) -> list[dict[str, Any]]:
    _staff(who)
    parties = tuple(p[:80] for p in (party or [])[:50])
    report = await run_in_threadpool(_report, svc, run_id, parties)
    view = ReportView(report, report_package(svc, run_id))
    return [finding_data(f) for f in view.findings()]


def report_package(svc: Services, run_id: str) -> Package:
    """The run's package (for labels)."""
    return svc.engine.package(run_id)


def _save_command(body: s.FindingBody) -> cmd.SaveFinding:
    return cmd.SaveFinding(
        kind=body.kind,
        title=body.title,
        analysis=body.analysis,
        capability=body.capability,
        objective=body.objective,
        evidence=tuple(body.evidence),
        rel_to=tuple(body.rel_to),
        corrective_actions=tuple(
            cmd.CorrectiveAction(
                a.action, a.element, a.organisation, a.poc, a.start, a.completion, a.id
            )
            for a in body.corrective_actions
        ),
        id=body.id,
    )


@router.post(
    "/api/runs/{run_id}/findings",
    summary="Save a finding: a new one (no id) or an edit of a drafted or saved one",
    responses=WRITE_WITH_BODY,
)
async def save_finding_api(
    run_id: str, body: s.FindingBody, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    return await _handle(svc, run_id, who, _save_command(body), key)


@router.post(
    "/api/runs/{run_id}/findings/{finding_id}/remove",
    summary="Remove a finding from the AAR (drafted or saved), with the reason",
    responses=WRITE_WITH_BODY,
)
async def remove_finding_api(
    run_id: str,
    finding_id: str,
    body: s.RemoveFindingBody,
    svc: Svc,
    who: InRun,
    key: IdempotencyKey = None,
) -> dict[str, Any]:
    return await _handle(svc, run_id, who, cmd.RemoveFinding(finding_id, body.reason), key)


@router.post(
    "/api/runs/{run_id}/report/finalise",
    summary="Finalise an AAR after ENDEX: upto and hash of the report reviewed",
    responses=WRITE_WITH_BODY,
)
async def finalise_api(
    run_id: str, body: s.FinaliseBody, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    _staff(who)
    report = await run_in_threadpool(_report, svc, run_id, tuple(body.parties))
    check_reviewed(report, body.upto, body.hash)
    command = cmd.FinaliseReport(tuple(body.parties), body.upto, body.hash)
    return await _handle(svc, run_id, who, command, key)


# --- the page -----------------------------------------------------------------------------


@dataclasses.dataclass
class PageForms:
    """What the page's forms show after a refused post."""

    findings: dict[str, FindingForm] = dataclasses.field(default_factory=dict)
    removal: dict[str, FormState] = dataclasses.field(default_factory=dict)
    finalise: FormState | None = None


async def _render(
    request: Request,
    ctx: RunPage,
    parties: tuple[str, ...],
    rlang: str,
    forms: PageForms | None = None,
    status: int = 200,
    notice: str | None = None,
) -> Response:
    text = await run_in_threadpool(_html, request, ctx, parties, rlang, forms, notice)
    return respond(text, status)


EVIDENCE_SHOWN = 200
"""Evidence items listed under a finding on the page; the rest are counted. A drafted finding
of a three-day run gathers thousands (2,671 under one, 1.8 MB of page in all), every one an
observation the evaluator page lists (the AAR itself lists 50)."""


def _html(
    request: Request,
    ctx: RunPage,
    parties: tuple[str, ...],
    rlang: str,
    forms: PageForms | None,
    notice: str | None,
) -> str:
    """The AAR page (in the calling thread: it may build the AAR)."""
    svc = services(request)
    try:
        report, complete = _reports(svc, ctx.run_id, parties)
    except ReportError:
        raise PageError(404, N_("There is no such AAR here.")) from None
    forms = forms or PageForms()
    view = ReportView(report, ctx.package, forms.findings, complete)
    languages = _languages(report)
    if rlang not in languages:
        rlang = ctx.lang if ctx.lang in languages else languages[0]
    query = [("party", p) for p in parties] + [("lang", rlang)]
    content_languages = ctx.package.exercise.languages
    context = ctx.context(
        view=view,
        report=report,
        rlang=rlang,
        languages=languages,
        rt=lambda value: local(value, rlang, content_languages),
        downloads={
            f: f"/api/runs/{ctx.run_id}/report?" + urlencode([*query, ("format", f)])
            for f in ("html", "docx", "pdf")
        },
        kinds=KINDS,
        elements=ELEMENTS,
        evidence_kinds=EVIDENCE_KINDS,
        evidence_shown=EVIDENCE_SHOWN,
        element_ids=CAPABILITY_ELEMENTS,
        removal=forms.removal,
        finalise=forms.finalise or FormState(),
        notice=notice,
        status_labels=STATUS_LABELS,
        account=ctx.viewer.run_id is None,
        tr=translator(ctx.lang),
    )
    context["banner"] = f"{EXERCISE_MARK} · {report.model.marking}"
    context["marking_label"] = report.label
    return html(request, "report/page.html", ctx.lang, **context)


def _reports(
    svc: Services, run_id: str, parties: tuple[str, ...]
) -> tuple[Report, ReportModel | None]:
    """The AAR shown and, for a party's draft, the complete model of the whole log that the
    edit forms start from (they hold every finding's whole evidence). Both are built once per
    sequence number (``Engine.report``)."""
    report = svc.engine.report(run_id, parties)
    if not parties or report.final:
        return report, None
    complete = svc.engine.report(run_id, ())
    if not complete.final:
        return report, complete.model
    package, log = svc.engine.package(run_id), svc.engine.log(run_id)
    return report, build_model(package, log, run_id=run_id)


def _back(run_id: str, parties: tuple[str, ...], rlang: str, done: str, anchor: str) -> str:
    query = urlencode([("scope", scope_value(parties)), ("lang", rlang), ("done", done)])
    return f"/runs/{run_id}/report?{query}#{anchor}"


@router.get("/runs/{run_id}/report", include_in_schema=False)
async def report_page(
    run_id: str, request: Request, scope: str = "", lang: str = "", done: str = ""
) -> Response:
    """The After-Action Report page: one AAR, its findings, downloads and finalising."""
    ctx = await run_page(request, run_id, *STAFF_ROLES)
    parties, rlang, notice = parse_scope(scope), lang[:10], NOTICES.get(done[:20])
    if ctx.state.status == RunStatus.ENDED:
        # The PDF link is on this page: its first download need not load the engine. Not
        # while the run is played: loading takes the process about a second of its time.
        preload_engine()

    def render(shared_ctx: RunPage) -> str:
        return _html(request, shared_ctx, parties, rlang, None, notice)

    return await shared_page(request, ctx, ctx.slot("report", parties, rlang, notice), render)


@router.post("/runs/{run_id}/report/findings", include_in_schema=False)
async def save_finding(run_id: str, request: Request) -> Response:
    """Save a finding from its form; ``op=add-row`` only shows the form with one more row."""
    who, form = await posted(request)
    ctx = await run_page(request, run_id, *STAFF_ROLES)
    parties, rlang = parse_scope(text(form, "scope", 400)), text(form, "lang", 10)
    add_row = text(form, "op", 20) == "add-row"
    state = posted_form(form, "new", add_row=add_row)
    if add_row:
        return await _render(request, ctx, parties, rlang, PageForms(findings={state.id: state}))
    key = key_of(form)
    used: list[int] = []
    try:
        command, used = finding_command(state)
    except Rejected as exc:
        rejected: Rejected | None = exc
        state.translate = True
    else:
        rejected = await run_command(services(request), run_id, who.principal, command, key)
    if rejected is None:
        anchor = f"finding-{state.id}" if state.id else "findings"
        return RedirectResponse(_back(run_id, parties, rlang, "saved", anchor), status_code=303)
    state.error, state.error_field = rejected.message, form_field(rejected.field, used)
    state.key = key
    ctx.state = await run_in_threadpool(services(request).engine.state, run_id)
    forms = PageForms(findings={state.id: state})
    return await _render(request, ctx, parties, rlang, forms, rejected.status)


@router.post("/runs/{run_id}/report/remove", include_in_schema=False)
async def remove_finding(run_id: str, request: Request) -> Response:
    """Remove a finding from the AAR, with the reason."""
    who, form = await posted(request)
    ctx = await run_page(request, run_id, *STAFF_ROLES)
    parties, rlang = parse_scope(text(form, "scope", 400)), text(form, "lang", 10)
    finding_id, reason = text(form, "id", 100), text(form, "reason", 1000)
    key = key_of(form)
    command = cmd.RemoveFinding(finding_id, reason)
    rejected = await run_command(services(request), run_id, who.principal, command, key)
    if rejected is None:
        return RedirectResponse(_back(run_id, parties, rlang, "removed", "findings"), 303)
    state = FormState({"reason": reason}, rejected.message, rejected.field or "reason", key=key)
    return await _render(
        request, ctx, parties, rlang, PageForms(removal={finding_id: state}), rejected.status
    )


@router.post("/runs/{run_id}/report/finalise", include_in_schema=False)
async def finalise(run_id: str, request: Request) -> Response:
    """Finalise the AAR shown, once its reviewer ticked that they reviewed it."""
    who, form = await posted(request)
    ctx = await run_page(request, run_id, *STAFF_ROLES)
    parties, rlang = parse_scope(text(form, "scope", 400)), text(form, "lang", 10)
    key = key_of(form)
    rejected: Rejected | None = None
    try:
        if text(form, "reviewed", 10) != "yes":
            raise Rejected(N_("Tick “I have reviewed this report” first."), field="reviewed")
        upto_text = text(form, "upto", 20)
        if not (upto_text.isascii() and upto_text.isdigit()):
            raise Rejected(N_("The form is incomplete. Reload the page."), field="upto")
        upto, hash_ = int(upto_text), text(form, "hash", 100)
        report = await run_in_threadpool(services(request).engine.report, run_id, parties)
        check_reviewed(report, upto, hash_)
    except (Rejected, ReportError) as exc:
        rejected = exc if isinstance(exc, Rejected) else Rejected(exc.message, field="parties")
        translate = True
    else:
        command = cmd.FinaliseReport(parties, upto, hash_)
        rejected = await run_command(services(request), run_id, who.principal, command, key)
        translate = False
    if rejected is None:
        return RedirectResponse(_back(run_id, parties, rlang, "finalised", "h-status"), 303)
    state = FormState({}, rejected.message, rejected.field, key=key, translate=translate)
    ctx.state = await run_in_threadpool(services(request).engine.state, run_id)
    return await _render(request, ctx, parties, rlang, PageForms(finalise=state), rejected.status)
