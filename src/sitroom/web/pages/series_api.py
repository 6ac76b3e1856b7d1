"""The JSON API of exercise series (``/api/series``): series, their corrective actions, the
evidence and the action workbook. The rules are the ``SeriesService``'s; a route parses,
hands over and returns what it recorded.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from sitroom.bootstrap import Services
from sitroom.conduct.run import CAPABILITY_ELEMENTS, Rejected
from sitroom.improvement import commands as ic
from sitroom.improvement.state import STATUSES
from sitroom.improvement.trends import due_soon, overdue, trends
from sitroom.improvement.xlsx import UnreadableWorkbook
from sitroom.services.runs import RunNotFound
from sitroom.services.series import MAX_EVIDENCE_BYTES
from sitroom.web.api.errors import STAFF_READ, WRITE_WITH_BODY, errors
from sitroom.web.api.fields import DAY, PRINTABLE, matching, one_of
from sitroom.web.api.runs import IdempotencyKey
from sitroom.web.deps import ApiError, Viewer
from sitroom.web.limits import accepts_upload, multipart_body
from sitroom.web.pages.series_access import (
    CONTROL,
    MAX_XLSX_BYTES,
    XLSX,
    Staff,
    Svc,
    form_file,
    form_text,
    handle_series,
    outcome,
    printable,
    read_file,
    series_state,
    today_utc,
)
from sitroom.web.views import series as view

router = APIRouter()

# --- request bodies ---------------------------------------------------------------------------

Text = Annotated[str, AfterValidator(printable), matching(PRINTABLE)]
MaybeText = Annotated[str, AfterValidator(printable), matching(PRINTABLE)] | None
# What the series checks (in any capitalisation, for the element), as the schema says it:
Element = Annotated[str, one_of(CAPABILITY_ELEMENTS, empty=True), AfterValidator(printable)]
Day = Annotated[str, matching(DAY, "YYYY-MM-DD, or empty"), AfterValidator(printable)]
Status = Annotated[str, one_of(STATUSES), AfterValidator(printable)]
SeriesId = Annotated[str, AfterValidator(printable)]  # its own pattern says printable


class SeriesCreateBody(BaseModel):
    """A new series."""

    model_config = ConfigDict(extra="forbid")
    id: SeriesId = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    title: Text = Field(min_length=1, max_length=200)


class ImportBody(BaseModel):
    """The finalised AAR of a run to take in as an edition."""

    model_config = ConfigDict(extra="forbid")
    run: Text = Field(min_length=1, max_length=80)
    parties: list[Text] = Field(default_factory=list, max_length=20)


class ActionBody(BaseModel):
    """A corrective action added by hand."""

    model_config = ConfigDict(extra="forbid")
    issue: Text = Field(min_length=1, max_length=5000)
    action: Text = Field(min_length=1, max_length=5000)
    capability: Text = Field("", max_length=200)
    capability_name: Text = Field("", max_length=200)
    element: Element = Field("", max_length=40)
    organisation: Text = Field("", max_length=200)
    poc: Text = Field("", max_length=200)
    start: Day = Field("", max_length=10)
    due: Day = Field("", max_length=10)
    edition: Text = Field("", max_length=40)


class ActionEditBody(BaseModel):
    """Fields to change; a field left out stays as it is."""

    model_config = ConfigDict(extra="forbid")
    action: MaybeText = Field(None, min_length=1, max_length=5000)
    issue: MaybeText = Field(None, min_length=1, max_length=5000)
    element: Element | None = Field(None, max_length=40)
    organisation: MaybeText = Field(None, max_length=200)
    poc: MaybeText = Field(None, max_length=200)
    start: Day | None = Field(None, max_length=10)
    due: Day | None = Field(None, max_length=10)


class StatusBody(BaseModel):
    """A status move, with a note saying why."""

    model_config = ConfigDict(extra="forbid")
    status: Status = Field(max_length=20, description="verified and cancelled: admin only")
    note: Text = Field("", max_length=5000)


class VerifyBody(BaseModel):
    """Verifying by hand (admin only), with a note saying how it was checked."""

    model_config = ConfigDict(extra="forbid")
    note: Text = Field("", max_length=5000)


# --- JSON API -----------------------------------------------------------------------------------


@router.get(
    "/api/series",
    summary="Series with counts of their actions",
    tags=["series"],
    responses=errors(401, 403),
)
async def api_list(svc: Svc, who: Staff) -> list[dict[str, Any]]:
    states = await run_in_threadpool(svc.series.list_series, who.principal)
    today = today_utc()
    return [view.series_summary(s, today) for s in states if s.created]


@router.post(
    "/api/series",
    status_code=201,
    summary="Create a series",
    tags=["series"],
    responses=errors(400, 401, 403, 409, 413, 422),
)
async def api_create(
    body: SeriesCreateBody, svc: Svc, who: Staff, key: IdempotencyKey = None
) -> dict[str, Any]:
    state = await run_in_threadpool(
        svc.series.create_series, body.id, body.title, who.principal, key
    )
    return view.series_summary(state, today_utc())


@router.get(
    "/api/series/{series_id}",
    summary="A series: editions, actions, trends",
    tags=["series"],
    responses=STAFF_READ,
)
async def api_series(series_id: str, svc: Svc, who: Staff) -> dict[str, Any]:
    state = await series_state(svc, series_id, who)
    return view.series_detail(state, today_utc(), trends(state))


@router.get(
    "/api/series/{series_id}/trends",
    summary="Trends of a series",
    tags=["series"],
    responses=STAFF_READ,
)
async def api_trends(series_id: str, svc: Svc, who: Staff) -> dict[str, Any]:
    return view.trends_dict(trends(await series_state(svc, series_id, who)))


@router.get(
    "/api/series/{series_id}/actions",
    summary="Actions, filtered",
    tags=["series"],
    responses=STAFF_READ,
)
async def api_actions(
    series_id: str,
    svc: Svc,
    who: Staff,
    status: Annotated[list[Status] | None, Query(max_length=5)] = None,
    is_overdue: Annotated[bool, Query(alias="overdue")] = False,
    is_due_soon: Annotated[bool, Query(alias="due_soon")] = False,
) -> list[dict[str, Any]]:
    state = await series_state(svc, series_id, who)
    today = today_utc()
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
    responses=WRITE_WITH_BODY,
)
async def api_add(
    series_id: str, body: ActionBody, svc: Svc, who: Staff, key: IdempotencyKey = None
) -> dict[str, Any]:
    command = ic.AddAction(**body.model_dump())
    applied = await run_in_threadpool(svc.series.handle, series_id, command, who.principal, key)
    state = await series_state(svc, series_id, who)
    opened = [e for e in applied.events if e.type == "action-opened"]
    action_id = str(opened[0].payload["id"]) if opened else None
    found = state.actions.get(action_id or "")
    return {
        **outcome(applied.events, applied.duplicate),
        "action": view.action_detail(found, today_utc()) if found else None,
    }


@router.get(
    "/api/series/{series_id}/actions/{action_id}",
    summary="One action: history, evidence, re-tests",
    tags=["series"],
    responses=STAFF_READ,
)
async def api_action(series_id: str, action_id: str, svc: Svc, who: Staff) -> dict[str, Any]:
    state = await series_state(svc, series_id, who)
    action = state.actions.get(action_id)
    if action is None:
        raise ApiError(404, f"series {series_id} has no action '{action_id}'", field="id")
    return view.action_detail(action, today_utc())


@router.patch(
    "/api/series/{series_id}/actions/{action_id}",
    summary="Edit an action",
    tags=["series"],
    responses=WRITE_WITH_BODY,
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
    return await handle_series(svc, series_id, command, who, key)


@router.post(
    "/api/series/{series_id}/actions/{action_id}/status",
    summary="Move an action's status, with a note",
    tags=["series"],
    responses=WRITE_WITH_BODY,
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
    return await handle_series(svc, series_id, command, who, key)


@router.post(
    "/api/series/{series_id}/actions/{action_id}/verify",
    summary="Verify an action by hand (admin)",
    tags=["series"],
    responses=WRITE_WITH_BODY,
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
    return await handle_series(svc, series_id, command, who, key)


EVIDENCE_FORM = multipart_body(
    {
        "file": {
            "type": "string",
            "format": "binary",
            "description": f"The evidence file, at most {MAX_EVIDENCE_BYTES // 1024 // 1024} MB",
        },
        "note": {"type": "string", "maxLength": 5000, "default": ""},
    },
    required=("file",),
)


@router.post(
    "/api/series/{series_id}/actions/{action_id}/evidence",
    status_code=201,
    summary="Attach an evidence file (multipart: file, note)",
    tags=["series"],
    responses=WRITE_WITH_BODY,
    openapi_extra=EVIDENCE_FORM,
)
@accepts_upload
async def api_attach(
    series_id: str, action_id: str, request: Request, svc: Svc, who: Staff
) -> dict[str, Any]:
    # The form is read here, after ``Staff`` let the caller in: nobody else's file is spooled.
    form = await request.form(max_files=1, max_fields=20)
    try:
        upload = form_file(form, "file")
        note = form_text(form, "note", 5000)
        data, name, media = await read_file(upload, MAX_EVIDENCE_BYTES)
    finally:
        await form.close()
    if CONTROL.search(note):
        raise ApiError(422, "note contains control characters; remove them", field="note")
    applied = await run_in_threadpool(
        svc.series.attach, series_id, action_id, name, data, media, note, who.principal
    )
    return {**outcome(applied.events, applied.duplicate), "sha256": _sha_of(applied.events)}


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
    responses=STAFF_READ,
)
async def api_evidence(
    series_id: str, action_id: str, sha256: str, svc: Svc, who: Staff
) -> Response:
    state = await series_state(svc, series_id, who)
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
    responses=WRITE_WITH_BODY,
)
async def api_import(
    series_id: str, body: ImportBody, svc: Svc, who: Staff, key: IdempotencyKey = None
) -> dict[str, Any]:
    applied = await import_aar(svc, series_id, body.run, tuple(body.parties), who, key)
    return outcome(applied.events, applied.duplicate)


async def import_aar(
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
    responses=STAFF_READ,
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


XLSX_FORM = multipart_body(
    {
        "file": {
            "type": "string",
            "format": "binary",
            "description": "An .xlsx workbook as the export writes it",
        }
    },
    required=("file",),
)


@router.post(
    "/api/series/{series_id}/import.xlsx",
    summary="Apply a spreadsheet of actions (all or nothing)",
    tags=["series"],
    responses=WRITE_WITH_BODY,
    openapi_extra=XLSX_FORM,
)
@accepts_upload
async def api_import_xlsx(series_id: str, request: Request, svc: Svc, who: Staff) -> Response:
    from fastapi.responses import JSONResponse

    form = await request.form(max_files=1, max_fields=20)
    try:
        data = await form_file(form, "file").read(MAX_XLSX_BYTES + 1)
    finally:
        await form.close()
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
