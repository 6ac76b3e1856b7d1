"""Exercise series: the corrective actions of finalised AAR/IPs, tracked across editions.

Pages under ``/series`` (program dashboard, one series, one action) here; the JSON routes under
``/api/series`` in ``series_api`` and who may come in in ``series_access``, all served through
this module's ``router``. Staff accounts only: admin and facilitator accounts read and manage;
people who joined a run by invitation get 403 everywhere here, whatever their role, because a
series spans runs they were never invited to. The rules (who may move which status, what an
import needs) are the ``SeriesService``'s; a route parses, hands over and renders.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.datastructures import UploadFile as StarletteUpload

from sitroom.bootstrap import Services
from sitroom.conduct.run import Rejected
from sitroom.improvement import commands as ic
from sitroom.improvement.state import STATUSES, SeriesState
from sitroom.improvement.trends import due_soon, overdue, trends
from sitroom.improvement.xlsx import UnreadableWorkbook
from sitroom.services.runs import RunNotFound
from sitroom.services.series import MAX_EVIDENCE_BYTES, SeriesService
from sitroom.web.deps import Viewer
from sitroom.web.forms import FormState, key_of, posted, text, viewer_page
from sitroom.web.limits import accepts_upload
from sitroom.web.pages import series_api
from sitroom.web.pages.home import PageError
from sitroom.web.pages.series_access import (
    MAX_XLSX_BYTES,
    PageStaff,
    Svc,
    clean,
    page_staff,
    read_file,
    series_state,
    staff_account,
    today_utc,
)
from sitroom.web.pages.series_live import series_version
from sitroom.web.render import N_, ui_language, ui_translations
from sitroom.web.views import series as view

router = APIRouter()
# The JSON API of series (``series_api``) is served by this module's router, ahead of the pages.
router.include_router(series_api.router)

# --- pages ----------------------------------------------------------------------------------


def _account_names(svc: Services) -> dict[str, str]:
    return {
        f"account:{a.id}": a.display_name or a.username
        for a in svc.identity.auth.accounts.list_accounts()
    } | {"cli:admin": "Command line"}


def _run_titles(svc: Services) -> dict[str, str]:
    """Run id → its title: the series pages name runs by title (the id stays in links)."""
    return {record.id: record.title for record in svc.engine.runs()}


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
    today = today_utc()
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
        "id": clean(text(form, "id", 80)).strip(),
        "title": clean(text(form, "title", 200)).strip(),
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
        # The version first: a change after it makes the page's stream send 'changed' at once.
        version = await run_in_threadpool(series_version, svc, series_id, who.principal)
        state = await series_state(svc, series_id, who)
    except Rejected as error:
        if error.status == 404:
            raise PageError(404, N_("There is no such series here.")) from None
        raise
    today = today_utc()
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
        run_titles=await run_in_threadpool(_run_titles, svc),
        version=version,
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
        await series_api.import_aar(svc, series_id, run_id, (), who, key_of(form))
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
    values = {name: clean(text(form, name, 5000)).strip() for name in ACTION_FIELDS}
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
    return await read_file(upload, limit)


@router.post("/series/{series_id}/import.xlsx", include_in_schema=False)
@accepts_upload
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
        version = await run_in_threadpool(series_version, svc, series_id, who.principal)
        state = await series_state(svc, series_id, who)
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
        detail=view.action_detail(action, today_utc(), names),
        run_titles=await run_in_threadpool(_run_titles, svc),
        version=version,
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
    values = {name: clean(text(form, name, 5000)).strip() for name in EDIT_FIELDS}
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
    status, note = text(form, "status", 20), clean(text(form, "note", 5000)).strip()
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
@accepts_upload
async def evidence_page(series_id: str, action_id: str, request: Request, svc: Svc) -> Response:
    """Attach an evidence file from the action page."""
    who = await page_staff(request)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_EVIDENCE_BYTES + 1_000_000:
        # Refuse before the body is read and spooled to disk.
        forms = ActionForms(FormState(), FormState(), _too_large())
        return await _action_page(request, who, svc, series_id, action_id, forms, 413)
    who, form = await posted(request)
    note = clean(text(form, "note", 5000)).strip()
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
    if named is None or not staff_account(who):
        return None
    try:
        state = service.state(named.id, who.principal)
    except Rejected:
        return None
    from sitroom.improvement.state import CARRIED

    return state, [a for a in state.actions.values() if a.status in CARRIED]
