"""Exercise series: the corrective actions of finalised AAR/IPs, tracked across editions.

JSON routes under ``/api/series`` and their pages under ``/series`` (program dashboard, one
series, one action). Staff accounts only: admin and facilitator accounts read and manage;
people who joined a run by invitation get 403 everywhere here, whatever their role, because a
series spans runs they were never invited to. The rules (who may move which status, what an
import needs) are the ``SeriesService``'s; a route parses, hands over and renders.
"""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse, RedirectResponse, Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.datastructures import UploadFile as StarletteUpload

from sitroom.bootstrap import Services
from sitroom.conduct.run import Rejected
from sitroom.conduct.visibility import can_plan
from sitroom.improvement import commands as ic
from sitroom.improvement.state import STATUSES, SeriesState
from sitroom.improvement.trends import due_soon, overdue, trends
from sitroom.improvement.xlsx import UnreadableWorkbook
from sitroom.services.runs import RunNotFound
from sitroom.services.series import MAX_EVIDENCE_BYTES, SeriesService
from sitroom.web.api.runs import IdempotencyKey
from sitroom.web.deps import ApiError, Viewer, optional_viewer, services, viewer
from sitroom.web.forms import FormState, key_of, posted, text, viewer_page
from sitroom.web.pages.home import NotSignedIn, PageError
from sitroom.web.render import N_, ui_language, ui_translations
from sitroom.web.views import series as view

router = APIRouter()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_XLSX_BYTES = 10 * 1024 * 1024
STAFF_ONLY = "series and corrective actions are for admin and facilitator accounts"


# --- who may come in --------------------------------------------------------------------------


def _staff(who: Viewer) -> bool:
    return can_plan(who.principal, invited=who.run_id is not None)


async def api_staff(request: Request) -> Viewer:
    """The signed-in admin or facilitator account (CSRF checked on cookie writes), else 403."""
    who = await viewer(request)
    if not _staff(who):
        raise ApiError(403, STAFF_ONLY)
    return who


async def page_staff(request: Request) -> Viewer:
    """The signed-in admin or facilitator account for a page; others see the 403 page."""
    who = await optional_viewer(request)
    if who is None:
        raise NotSignedIn
    if not _staff(who):
        raise PageError(403, N_("This page is for administrator and facilitator accounts."))
    return who


Staff = Annotated[Viewer, Depends(api_staff)]
PageStaff = Annotated[Viewer, Depends(page_staff)]
Svc = Annotated[Services, Depends(services)]


def _today() -> date:
    return datetime.now(UTC).date()


async def _state(svc: Services, series_id: str, who: Viewer) -> SeriesState:
    return await run_in_threadpool(svc.series.state, series_id, who.principal)


async def _handle(
    svc: Services, series_id: str, command: ic.Command, who: Viewer, key: str | None
) -> dict[str, Any]:
    applied = await run_in_threadpool(svc.series.handle, series_id, command, who.principal, key)
    return _outcome(applied.events, applied.duplicate)


def _outcome(events: list[Any], duplicate: bool) -> dict[str, Any]:
    return {
        "recorded": [{"seq": e.seq, "type": e.type} for e in events],
        "duplicate": duplicate,
    }


# --- request bodies ---------------------------------------------------------------------------

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
"""Control characters (tab and line breaks aside): no one types them, and a spreadsheet
export cannot hold them, so they are refused where text comes in."""


def _printable(value: str | None) -> str | None:
    if value is not None and CONTROL.search(value):
        raise ValueError("contains control characters; remove them")
    return value


Text = Annotated[str, AfterValidator(_printable)]
MaybeText = Annotated[str | None, AfterValidator(_printable)]


def _clean(value: str) -> str:
    """A form field without control characters (a browser never sends them)."""
    return CONTROL.sub("", value)


class SeriesCreateBody(BaseModel):
    """A new series."""

    model_config = ConfigDict(extra="forbid")
    id: Text = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    title: Text = Field(min_length=1, max_length=200)


class ImportBody(BaseModel):
    """The finalised AAR of a run to take in as an edition."""

    model_config = ConfigDict(extra="forbid")
    run: Text = Field(min_length=1, max_length=80)
    parties: list[Text] = Field(default_factory=list, max_length=20)


class ActionBody(BaseModel):
    """A corrective action added by hand."""

    model_config = ConfigDict(extra="forbid")
    issue: Text = Field(max_length=5000)
    action: Text = Field(max_length=5000)
    capability: Text = Field("", max_length=200)
    capability_name: Text = Field("", max_length=200)
    element: Text = Field("", max_length=40)
    organisation: Text = Field("", max_length=200)
    poc: Text = Field("", max_length=200)
    start: Text = Field("", max_length=10)
    due: Text = Field("", max_length=10)
    edition: Text = Field("", max_length=40)


class ActionEditBody(BaseModel):
    """Fields to change; a field left out stays as it is."""

    model_config = ConfigDict(extra="forbid")
    action: MaybeText = Field(None, max_length=5000)
    issue: MaybeText = Field(None, max_length=5000)
    element: MaybeText = Field(None, max_length=40)
    organisation: MaybeText = Field(None, max_length=200)
    poc: MaybeText = Field(None, max_length=200)
    start: MaybeText = Field(None, max_length=10)
    due: MaybeText = Field(None, max_length=10)


class StatusBody(BaseModel):
    """A status move, with a note saying why."""

    model_config = ConfigDict(extra="forbid")
    status: Text = Field(max_length=20, description="open, in-progress, done or cancelled")
    note: Text = Field("", max_length=5000)


class VerifyBody(BaseModel):
    """Verifying by hand (admin only), with a note saying how it was checked."""

    model_config = ConfigDict(extra="forbid")
    note: Text = Field("", max_length=5000)


# --- JSON API -----------------------------------------------------------------------------------


@router.get("/api/series", summary="Series with counts of their actions", tags=["series"])
async def api_list(svc: Svc, who: Staff) -> list[dict[str, Any]]:
    states = await run_in_threadpool(svc.series.list_series, who.principal)
    today = _today()
    return [view.series_summary(s, today) for s in states if s.created]


@router.post("/api/series", status_code=201, summary="Create a series", tags=["series"])
async def api_create(
    body: SeriesCreateBody, svc: Svc, who: Staff, key: IdempotencyKey = None
) -> dict[str, Any]:
    state = await run_in_threadpool(
        svc.series.create_series, body.id, body.title, who.principal, key
    )
    return view.series_summary(state, _today())


@router.get(
    "/api/series/{series_id}", summary="A series: editions, actions, trends", tags=["series"]
)
async def api_series(series_id: str, svc: Svc, who: Staff) -> dict[str, Any]:
    state = await _state(svc, series_id, who)
    return view.series_detail(state, _today(), trends(state))


@router.get("/api/series/{series_id}/trends", summary="Trends of a series", tags=["series"])
async def api_trends(series_id: str, svc: Svc, who: Staff) -> dict[str, Any]:
    return view.trends_dict(trends(await _state(svc, series_id, who)))


@router.get("/api/series/{series_id}/actions", summary="Actions, filtered", tags=["series"])
async def api_actions(
    series_id: str,
    svc: Svc,
    who: Staff,
    status: Annotated[list[str] | None, Query(max_length=5)] = None,
    is_overdue: Annotated[bool, Query(alias="overdue")] = False,
    is_due_soon: Annotated[bool, Query(alias="due_soon")] = False,
) -> list[dict[str, Any]]:
    state = await _state(svc, series_id, who)
    today = _today()
    for wanted in status or ():
        if wanted not in STATUSES:
            raise ApiError(422, f"'{wanted}' is not one of {', '.join(STATUSES)}", field="status")
    if is_overdue or is_due_soon:
        chosen = (overdue(state, today) if is_overdue else []) + (
            due_soon(state, today) if is_due_soon else []
        )
    else:
        chosen = list(state.actions.values())
    return [view.action_summary(a, today) for a in chosen if not status or a.status.value in status]


@router.post(
    "/api/series/{series_id}/actions",
    status_code=201,
    summary="Add a corrective action by hand",
    tags=["series"],
)
async def api_add(
    series_id: str, body: ActionBody, svc: Svc, who: Staff, key: IdempotencyKey = None
) -> dict[str, Any]:
    command = ic.AddAction(**body.model_dump())
    applied = await run_in_threadpool(svc.series.handle, series_id, command, who.principal, key)
    state = await _state(svc, series_id, who)
    opened = [e for e in applied.events if e.type == "action-opened"]
    action_id = str(opened[0].payload["id"]) if opened else None
    found = state.actions.get(action_id or "")
    return {
        **_outcome(applied.events, applied.duplicate),
        "action": view.action_detail(found, _today()) if found else None,
    }


@router.get(
    "/api/series/{series_id}/actions/{action_id}",
    summary="One action: history, evidence, re-tests",
    tags=["series"],
)
async def api_action(series_id: str, action_id: str, svc: Svc, who: Staff) -> dict[str, Any]:
    state = await _state(svc, series_id, who)
    action = state.actions.get(action_id)
    if action is None:
        raise ApiError(404, f"series {series_id} has no action '{action_id}'", field="id")
    return view.action_detail(action, _today())


@router.patch(
    "/api/series/{series_id}/actions/{action_id}", summary="Edit an action", tags=["series"]
)
async def api_edit(
    series_id: str,
    action_id: str,
    body: ActionEditBody,
    svc: Svc,
    who: Staff,
    key: IdempotencyKey = None,
) -> dict[str, Any]:
    command = ic.EditAction(action_id, **body.model_dump())
    return await _handle(svc, series_id, command, who, key)


@router.post(
    "/api/series/{series_id}/actions/{action_id}/status",
    summary="Move an action's status, with a note",
    tags=["series"],
)
async def api_status(
    series_id: str,
    action_id: str,
    body: StatusBody,
    svc: Svc,
    who: Staff,
    key: IdempotencyKey = None,
) -> dict[str, Any]:
    command = ic.ChangeStatus(action_id, body.status, body.note)
    return await _handle(svc, series_id, command, who, key)


@router.post(
    "/api/series/{series_id}/actions/{action_id}/verify",
    summary="Verify an action by hand (admin)",
    tags=["series"],
)
async def api_verify(
    series_id: str,
    action_id: str,
    body: VerifyBody,
    svc: Svc,
    who: Staff,
    key: IdempotencyKey = None,
) -> dict[str, Any]:
    command = ic.VerifyAction(action_id, body.note)
    return await _handle(svc, series_id, command, who, key)


async def _read_file(upload: StarletteUpload, limit: int) -> tuple[bytes, str, str]:
    data = await upload.read(limit + 1)
    name = Path(upload.filename or "evidence").name[:200] or "evidence"
    media = upload.content_type or ""
    if not media or media == "application/octet-stream":
        media = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return data, name, media


@router.post(
    "/api/series/{series_id}/actions/{action_id}/evidence",
    status_code=201,
    summary="Attach an evidence file (multipart: file, note)",
    tags=["series"],
)
async def api_attach(
    series_id: str,
    action_id: str,
    svc: Svc,
    who: Staff,
    file: Annotated[UploadFile, File(description="The evidence file, at most 20 MB")],
    note: Annotated[str, Form(max_length=5000)] = "",
) -> dict[str, Any]:
    if CONTROL.search(note):
        raise ApiError(422, "note contains control characters; remove them", field="note")
    data, name, media = await _read_file(file, MAX_EVIDENCE_BYTES)
    applied = await run_in_threadpool(
        svc.series.attach, series_id, action_id, name, data, media, note, who.principal
    )
    return {**_outcome(applied.events, applied.duplicate), "sha256": _sha_of(applied.events)}


def _sha_of(events: list[Any]) -> str | None:
    for event in events:
        if event.type == "evidence-attached":
            return str(event.payload["sha256"])
    return None


@router.get(
    "/api/series/{series_id}/actions/{action_id}/evidence/{sha256}",
    summary="Download an evidence file",
    tags=["series"],
    response_class=FileResponse,
)
async def api_evidence(
    series_id: str, action_id: str, sha256: str, svc: Svc, who: Staff
) -> Response:
    state = await _state(svc, series_id, who)
    action = state.actions.get(action_id)
    found = next((e for e in action.evidence if e.sha256 == sha256), None) if action else None
    path = svc.series.evidence_path(sha256) if found else None
    if found is None or path is None:
        raise ApiError(404, f"action {action_id} has no evidence file {sha256}", field="sha256")
    return FileResponse(
        path,
        media_type=found.media_type,
        filename=found.name,
        content_disposition_type="attachment",
        headers={
            # Served as a download only: never sniffed, never run as a page of this site.
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, no-store",
        },
    )


@router.post(
    "/api/series/{series_id}/imports",
    status_code=201,
    summary="Import the finalised AAR/IP of a run as an edition",
    tags=["series"],
)
async def api_import(
    series_id: str, body: ImportBody, svc: Svc, who: Staff, key: IdempotencyKey = None
) -> dict[str, Any]:
    applied = await _import(svc, series_id, body.run, tuple(body.parties), who, key)
    return _outcome(applied.events, applied.duplicate)


async def _import(
    svc: Services,
    series_id: str,
    run_id: str,
    parties: tuple[str, ...],
    who: Viewer,
    key: str | None,
) -> Any:
    try:
        return await run_in_threadpool(
            svc.series.import_report, series_id, svc.engine, run_id, who.principal, parties, key
        )
    except RunNotFound:
        raise Rejected(f"no run '{run_id}'", field="run", status=404) from None


@router.get(
    "/api/series/{series_id}/export.xlsx",
    summary="The actions as a spreadsheet",
    tags=["series"],
    response_class=Response,
)
async def api_export(series_id: str, svc: Svc, who: Staff) -> Response:
    data = await run_in_threadpool(svc.series.export_xlsx, series_id, who.principal)
    name = f"{series_id}-corrective-actions.xlsx"
    return Response(
        data,
        media_type=XLSX,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.post(
    "/api/series/{series_id}/import.xlsx",
    summary="Apply a spreadsheet of actions (all or nothing)",
    tags=["series"],
)
async def api_import_xlsx(
    series_id: str,
    svc: Svc,
    who: Staff,
    file: Annotated[UploadFile, File(description="An .xlsx workbook as the export writes it")],
) -> Response:
    from fastapi.responses import JSONResponse

    data = await file.read(MAX_XLSX_BYTES + 1)
    if len(data) > MAX_XLSX_BYTES:
        raise ApiError(413, "the workbook is larger than 10 MB", field="file")
    try:
        result = await run_in_threadpool(svc.series.import_xlsx, series_id, data, who.principal)
    except UnreadableWorkbook as error:
        raise ApiError(422, str(error), field="file") from None
    if result.problems:
        return JSONResponse(
            {
                "errors": [{"field": "file", "message": p} for p in result.problems],
                "problems": list(result.problems),
            },
            status_code=422,
        )
    return JSONResponse({"rows": result.rows, "events": result.events})


# --- pages ----------------------------------------------------------------------------------


def _account_names(svc: Services) -> dict[str, str]:
    return {
        f"account:{a.id}": a.display_name or a.username
        for a in svc.identity.auth.accounts.list_accounts()
    } | {"cli:admin": "Command line"}


def _render(
    request: Request, who: Viewer, template: str, status_code: int = 200, **context: Any
) -> Response:
    return viewer_page(
        request,
        who,
        template,
        status_code,
        status_labels=view.STATUS_LABELS,
        rating_labels=view.RATING_LABELS,
        elements=view.ELEMENTS,
        **context,
    )


def _refusal(error: Rejected) -> FormState:
    return FormState(error=error.message, error_field=error.field)


@router.get("/series", include_in_schema=False)
async def dashboard(request: Request, who: PageStaff, svc: Svc) -> Response:
    """The program dashboard: what is overdue or due soon first, then every series."""
    return await _dashboard(request, who, svc)


async def _dashboard(
    request: Request,
    who: Viewer,
    svc: Services,
    form: FormState | None = None,
    status_code: int = 200,
) -> Response:
    states = [
        s for s in await run_in_threadpool(svc.series.list_series, who.principal) if s.created
    ]
    today = _today()
    attention = [
        (s, a, kind)
        for s in states
        for kind, found in (("overdue", overdue(s, today)), ("due-soon", due_soon(s, today)))
        for a in found
    ]
    # Most overdue first across every series, then what falls due soonest.
    attention.sort(key=lambda row: (row[2] != "overdue", row[1].due, row[0].id, row[1].id))
    return _render(
        request,
        who,
        "series/dashboard.html",
        status_code,
        series=[(s, view.counts(s, today)) for s in states],
        attention=[(s, a, kind, view.days_overdue(a, today)) for s, a, kind in attention],
        form=form or FormState(),
        statuses=STATUSES,
    )


@router.post("/series", include_in_schema=False)
async def create_page(request: Request, svc: Svc) -> Response:
    """Create a series from the dashboard form."""
    await page_staff(request)
    who, form = await posted(request)
    values = {
        "id": _clean(text(form, "id", 80)).strip(),
        "title": _clean(text(form, "title", 200)).strip(),
    }
    try:
        await run_in_threadpool(
            svc.series.create_series, values["id"], values["title"], who.principal, key_of(form)
        )
    except Rejected as error:
        state = _refusal(error)
        state.values = values
        state.error_field = state.error_field or ("title" if values["id"] else "id")
        return await _dashboard(request, who, svc, state, error.status)
    return RedirectResponse(f"/series/{quote(values['id'], safe='')}", status_code=303)


@dataclass
class SeriesForms:
    """The forms of the series page, each with what was typed and its error."""

    imports: FormState
    add: FormState
    xlsx: FormState


async def _importable(svc: Services, state: SeriesState) -> list[tuple[str, str, str]]:
    """Runs whose package names this series and that were not imported yet: (id, title, ed)."""

    def find() -> list[tuple[str, str, str]]:
        done = state.runs()
        found = []
        for record in svc.engine.runs():
            if record.id in done:
                continue
            try:
                named = svc.engine.package(record.id).exercise.series
            except RunNotFound:
                continue
            if named is not None and named.id == state.id:
                found.append((record.id, record.title, named.edition))
        return found

    return await run_in_threadpool(find)


async def _series_page(
    request: Request,
    who: Viewer,
    svc: Services,
    series_id: str,
    forms: SeriesForms | None = None,
    status_code: int = 200,
    notice: str | None = None,
    problems: tuple[str, ...] = (),
) -> Response:
    try:
        state = await _state(svc, series_id, who)
    except Rejected as error:
        if error.status == 404:
            raise PageError(404, N_("There is no such series here.")) from None
        raise
    today = _today()
    wanted = request.query_params.get("status", "")
    wanted = wanted if wanted in STATUSES else ""
    found = trends(state)
    lang = ui_language(request, who.language)
    actions = [a for a in state.actions.values() if not wanted or a.status.value == wanted]
    return _render(
        request,
        who,
        "series/series.html",
        status_code,
        state=state,
        counts=view.counts(state, today),
        actions=[(a, view.days_overdue(a, today)) for a in actions],
        overdue=[(a, view.days_overdue(a, today)) for a in overdue(state, today)],
        due_soon=due_soon(state, today),
        trends=found,
        chart=view.ratings_chart(
            found, ui_translations(lang).gettext("Worst rating by edition, per capability")
        ),
        wanted=wanted,
        statuses=STATUSES,
        importable=await _importable(svc, state),
        forms=forms or SeriesForms(FormState(), FormState(), FormState()),
        notice=notice,
        problems=problems,
    )


NOTICES = {
    "imported": N_("The AAR was imported; its corrective actions are listed below."),
    "added": N_("The action was added."),
    "xlsx": N_("The spreadsheet was applied."),
    "unchanged": N_("The spreadsheet changed nothing."),
    "created": N_("The series was created. Import the finalised AAR of its first edition."),
}


@router.get("/series/{series_id}", include_in_schema=False)
async def series_page(series_id: str, request: Request, who: PageStaff, svc: Svc) -> Response:
    """One series: editions, actions, what is overdue, trends, and its forms."""
    notice = NOTICES.get(request.query_params.get("done", ""))
    return await _series_page(request, who, svc, series_id, notice=notice)


def _empty_forms() -> SeriesForms:
    return SeriesForms(FormState(), FormState(), FormState())


@router.post("/series/{series_id}/import-aar", include_in_schema=False)
async def import_page(series_id: str, request: Request, svc: Svc) -> Response:
    """Import a run's finalised AAR from the series page."""
    await page_staff(request)
    who, form = await posted(request)
    run_id = text(form, "run", 80)
    try:
        await _import(svc, series_id, run_id, (), who, key_of(form))
    except Rejected as error:
        forms = _empty_forms()
        forms.imports = _refusal(error)
        forms.imports.values = {"run": run_id}
        forms.imports.error_field = "run"
        return await _series_page(request, who, svc, series_id, forms, error.status)
    return RedirectResponse(f"/series/{quote(series_id, safe='')}?done=imported", status_code=303)


ACTION_FIELDS = ("issue", "action", "element", "organisation", "poc", "start", "due", "edition")


@router.post("/series/{series_id}/actions", include_in_schema=False)
async def add_page(series_id: str, request: Request, svc: Svc) -> Response:
    """Add an action by hand from the series page."""
    await page_staff(request)
    who, form = await posted(request)
    values = {name: _clean(text(form, name, 5000)).strip() for name in ACTION_FIELDS}
    try:
        applied = await run_in_threadpool(
            svc.series.handle, series_id, ic.AddAction(**values), who.principal, key_of(form)
        )
    except Rejected as error:
        forms = _empty_forms()
        forms.add = _refusal(error)
        forms.add.values = values
        return await _series_page(request, who, svc, series_id, forms, error.status)
    opened = [e for e in applied.events if e.type == "action-opened"]
    if opened:
        target = _action_url(series_id, str(opened[0].payload["id"]))
        return RedirectResponse(target + "?done=added", status_code=303)
    return RedirectResponse(f"/series/{quote(series_id, safe='')}?done=added", status_code=303)


async def _upload(form: FormData, limit: int) -> tuple[bytes, str, str] | None:
    upload = form.get("file")
    if not isinstance(upload, StarletteUpload) or not upload.filename:
        return None
    return await _read_file(upload, limit)


@router.post("/series/{series_id}/import.xlsx", include_in_schema=False)
async def import_xlsx_page(series_id: str, request: Request, svc: Svc) -> Response:
    """Apply a spreadsheet; its problems are listed with sheet, row and column."""
    await page_staff(request)
    who, form = await posted(request)
    try:
        found = await _upload(form, MAX_XLSX_BYTES)
    finally:
        await form.close()
    forms = _empty_forms()
    if found is None:
        forms.xlsx = FormState(error=N_("Choose a file to upload."), translate=True)
        return await _series_page(request, who, svc, series_id, forms, 422)
    data = found[0]
    if len(data) > MAX_XLSX_BYTES:
        forms.xlsx = FormState(error=N_("The workbook is larger than 10 MB."), translate=True)
        return await _series_page(request, who, svc, series_id, forms, 413)
    try:
        result = await run_in_threadpool(svc.series.import_xlsx, series_id, data, who.principal)
    except UnreadableWorkbook as error:
        forms.xlsx = FormState(error=str(error))
        return await _series_page(request, who, svc, series_id, forms, 422)
    except Rejected as error:
        forms.xlsx = _refusal(error)
        return await _series_page(request, who, svc, series_id, forms, error.status)
    if result.problems:
        forms.xlsx = FormState(
            error=N_("Nothing was applied. Fix these problems and upload the file again."),
            translate=True,
        )
        return await _series_page(
            request, who, svc, series_id, forms, 422, problems=result.problems
        )
    done = "xlsx" if result.events else "unchanged"
    return RedirectResponse(f"/series/{quote(series_id, safe='')}?done={done}", status_code=303)


def _action_url(series_id: str, action_id: str) -> str:
    return f"/series/{quote(series_id, safe='')}/actions/{quote(action_id, safe='')}"


@dataclass
class ActionForms:
    """The forms of the action page."""

    edit: FormState
    status: FormState
    evidence: FormState


ACTION_NOTICES = {
    "added": N_("The action was added."),
    "edited": N_("The changes were saved."),
    "unchanged": N_("Nothing was changed."),
    "status": N_("The status was changed."),
    "evidence": N_("The evidence was attached."),
}


async def _action_page(
    request: Request,
    who: Viewer,
    svc: Services,
    series_id: str,
    action_id: str,
    forms: ActionForms | None = None,
    status_code: int = 200,
    notice: str | None = None,
) -> Response:
    try:
        state = await _state(svc, series_id, who)
    except Rejected as error:
        if error.status == 404:
            raise PageError(404, N_("There is no such series here.")) from None
        raise
    action = state.actions.get(action_id)
    if action is None:
        raise PageError(404, N_("There is no such action here."))
    names = await run_in_threadpool(_account_names, svc)
    return _render(
        request,
        who,
        "series/action.html",
        status_code,
        state=state,
        action=action,
        detail=view.action_detail(action, _today(), names),
        moves=view.moves(action, who.principal),
        forms=forms or ActionForms(FormState(), FormState(), FormState()),
        notice=notice,
        max_mb=MAX_EVIDENCE_BYTES // 1024 // 1024,
    )


@router.get("/series/{series_id}/actions/{action_id}", include_in_schema=False)
async def action_page(
    series_id: str, action_id: str, request: Request, who: PageStaff, svc: Svc
) -> Response:
    """One action: details, history, evidence, edit and status forms."""
    notice = ACTION_NOTICES.get(request.query_params.get("done", ""))
    return await _action_page(request, who, svc, series_id, action_id, notice=notice)


EDIT_FIELDS = ("action", "issue", "element", "organisation", "poc", "start", "due")


@router.post("/series/{series_id}/actions/{action_id}/edit", include_in_schema=False)
async def edit_page(series_id: str, action_id: str, request: Request, svc: Svc) -> Response:
    """Save the edit form; fields that did not change record nothing."""
    await page_staff(request)
    who, form = await posted(request)
    values = {name: _clean(text(form, name, 5000)).strip() for name in EDIT_FIELDS}
    try:
        applied = await run_in_threadpool(
            svc.series.handle,
            series_id,
            ic.EditAction(action_id, **values),
            who.principal,
            key_of(form),
        )
    except Rejected as error:
        forms = ActionForms(_refusal(error), FormState(), FormState())
        forms.edit.values = values
        return await _action_page(request, who, svc, series_id, action_id, forms, error.status)
    done = "edited" if applied.events else "unchanged"
    return RedirectResponse(_action_url(series_id, action_id) + f"?done={done}", status_code=303)


@router.post("/series/{series_id}/actions/{action_id}/status", include_in_schema=False)
async def status_page(series_id: str, action_id: str, request: Request, svc: Svc) -> Response:
    """A status button: the status it names, with the note typed above the buttons."""
    await page_staff(request)
    who, form = await posted(request)
    status, note = text(form, "status", 20), _clean(text(form, "note", 5000)).strip()
    command: ic.Command = (
        ic.VerifyAction(action_id, note)
        if status == "verified"
        else ic.ChangeStatus(action_id, status, note)
    )
    try:
        await run_in_threadpool(svc.series.handle, series_id, command, who.principal, key_of(form))
    except Rejected as error:
        forms = ActionForms(FormState(), _refusal(error), FormState())
        forms.status.values = {"note": note}
        return await _action_page(request, who, svc, series_id, action_id, forms, error.status)
    return RedirectResponse(_action_url(series_id, action_id) + "?done=status", status_code=303)


@router.post("/series/{series_id}/actions/{action_id}/evidence", include_in_schema=False)
async def evidence_page(series_id: str, action_id: str, request: Request, svc: Svc) -> Response:
    """Attach an evidence file from the action page."""
    who = await page_staff(request)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_EVIDENCE_BYTES + 1_000_000:
        # Refuse before the body is read and spooled to disk.
        forms = ActionForms(FormState(), FormState(), _too_large())
        return await _action_page(request, who, svc, series_id, action_id, forms, 413)
    who, form = await posted(request)
    note = _clean(text(form, "note", 5000)).strip()
    try:
        found = await _upload(form, MAX_EVIDENCE_BYTES)
    finally:
        await form.close()
    if found is None:
        forms = ActionForms(
            FormState(), FormState(), FormState(error=N_("Choose a file to upload."))
        )
        forms.evidence.translate = True
        forms.evidence.values = {"note": note}
        return await _action_page(request, who, svc, series_id, action_id, forms, 422)
    data, name, media = found
    try:
        await run_in_threadpool(
            svc.series.attach, series_id, action_id, name, data, media, note, who.principal
        )
    except Rejected as error:
        forms = ActionForms(FormState(), FormState(), _refusal(error))
        forms.evidence.values = {"note": note}
        return await _action_page(request, who, svc, series_id, action_id, forms, error.status)
    return RedirectResponse(_action_url(series_id, action_id) + "?done=evidence", status_code=303)


def _too_large() -> FormState:
    return FormState(error=N_("An evidence file may be at most 20 MB."), translate=True)


def retest_package_for(
    service: SeriesService, package: Any, who: Viewer
) -> tuple[SeriesState, list[Any]] | None:
    """The series a package names and its actions to re-test, or None (no such series)."""
    named = package.exercise.series
    if named is None or not _staff(who):
        return None
    try:
        state = service.state(named.id, who.principal)
    except Rejected:
        return None
    from sitroom.improvement.state import CARRIED

    return state, [a for a in state.actions.values() if a.status in CARRIED]
