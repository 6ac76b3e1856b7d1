"""A draft's versions and what comes out of it: history (who, when, what), the diff of two
versions, restoring one; the previews (SitMan, handbook, a team's view of a module); the
downloads (YAML, zip, MSEL workbook) and a run made of a version.

A team's view is shown before any run exists, from the package alone, through the same gate
the run pages use (``conduct.visibility``: ``module_view``, ``can_see_inject``,
``inject_view`` for a stand-in player of the team): the module's narrative, key issues and
the questions and polls the team gets, then every inject of the module addressed and
releasable to the team, as it reads once released. A throwaway run would also show the
panels' chrome, but it would write a run into the database for a look; the gate is what
decides what a team sees, and it is the same here.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from sitroom.conduct.visibility import can_see_inject, inject_view, module_view, team_principal
from sitroom.package.basics import text_in
from sitroom.reports.documents import DocumentKind, render_document
from sitroom.services.editor import EditorError
from sitroom.web.forms import posted, text
from sitroom.web.pages.design_access import Planner, Svc, planner, render
from sitroom.web.pages.editor_access import as_shown, download_name, opened
from sitroom.web.pages.home import PageError
from sitroom.web.render import N_, ui_language

router = APIRouter(include_in_schema=False)

DOWNLOADS = {
    "yaml": ("download_yaml", "application/yaml; charset=utf-8", ".yaml"),
    "zip": ("download_zip", "application/zip", ".zip"),
    "xlsx": (
        "download_msel",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "-msel.xlsx",
    ),
}


def _version(request: Request) -> int | None:
    raw = request.query_params.get("version", "")
    return int(raw) if raw.isdigit() else None


# --- history ------------------------------------------------------------------------------------


@router.get("/editor/{draft_id}/history")
async def history(draft_id: str, request: Request, who: Planner, svc: Svc) -> Response:
    """Every version: who saved it, when, and what it changed; pick two to compare."""
    current = await opened(svc, draft_id)
    versions = await run_in_threadpool(svc.drafts.history, draft_id)
    return render(
        request,
        who,
        "editor/history.html",
        current=current,
        versions=list(versions),
        restored=request.query_params.get("saved"),
    )


@router.get("/editor/{draft_id}/diff")
async def diff(draft_id: str, request: Request, who: Planner, svc: Svc) -> Response:
    """The YAML lines that differ between versions ``a`` and ``b``."""
    current = await opened(svc, draft_id)
    a_raw, b_raw = request.query_params.get("a", ""), request.query_params.get("b", "")
    if not (a_raw.isdigit() and b_raw.isdigit()):
        raise PageError(422, N_("Choose two versions to compare."))
    a, b = sorted((int(a_raw), int(b_raw)))
    try:
        found = await run_in_threadpool(svc.drafts.diff, draft_id, a, b)
    except (EditorError, LookupError):
        raise PageError(404, N_("There is no such version of the draft.")) from None
    return render(
        request,
        who,
        "editor/diff.html",
        current=current,
        a=a,
        b=b,
        lines=found.text.splitlines(),
        changes=found.changes,
    )


@router.post("/editor/{draft_id}/restore")
async def restore(draft_id: str, request: Request, svc: Svc) -> Response:
    """Make an old version the newest again (a new version; nothing is lost)."""
    await planner(request)
    who, form = await posted(request)
    raw = text(form, "version", 10)
    if not raw.isdigit():
        raise PageError(422, N_("Choose a version to restore."))
    author = who.principal.name or who.principal.id
    try:
        made = await run_in_threadpool(
            lambda: svc.drafts.restore(draft_id, int(raw), author=author)
        )
    except (EditorError, LookupError):
        raise PageError(404, N_("There is no such version of the draft.")) from None
    number = getattr(made, "version", "")
    return RedirectResponse(f"/editor/{draft_id}/history?saved={number}", status_code=303)


# --- previews -----------------------------------------------------------------------------------


def _package(current: Any) -> Any:
    package = getattr(current.version, "package", None)
    if package is None:
        raise PageError(
            409,
            N_("The draft has errors, so it cannot be previewed yet: fix the problems first."),
        )
    return package


@router.get("/editor/{draft_id}/preview")
async def preview(draft_id: str, request: Request, who: Planner, svc: Svc) -> Response:
    """The previews: SitMan, handbook, and a team's view of a module (``?team=&module=``)."""
    current = await opened(svc, draft_id, _version(request))
    package = getattr(current.version, "package", None)
    view: dict[str, Any] | None = None
    team_id = request.query_params.get("team", "")
    module_id = request.query_params.get("module", "")
    lang = request.query_params.get("lang") or ui_language(request, who.language)
    if package is not None and lang not in package.exercise.languages:
        lang = package.exercise.languages[0]
    if package is not None and team_id:
        view = await run_in_threadpool(_team_view, package, team_id, module_id, lang)
    return render(
        request,
        who,
        "editor/preview.html",
        current=current,
        package=package,
        view=view,
        pv_team=team_id,
        pv_module=module_id,
        doc_lang=lang,
    )


def _team_view(package: Any, team_id: str, module_id: str, lang: str) -> dict[str, Any]:
    """What a player of the team reads in the module, through the gate."""
    team = next((t for t in package.player_teams() if t.id == team_id), None)
    if team is None:
        raise PageError(404, N_("There is no such player team in the package."))
    module = next((m for m in package.modules if m.id == module_id), None) or (
        package.modules[0] if package.modules else None
    )
    if module is None:
        raise PageError(404, N_("The package has no modules yet."))
    who = team_principal(team)
    shown = module_view(who, package, module.id) or {}
    fallbacks = package.exercise.languages

    def t(value: Any) -> str:
        return text_in(value, lang, fallbacks) if isinstance(value, dict) else str(value or "")

    injects = [
        inject_view(who, package, inject, lang)
        for inject in module.injects
        if can_see_inject(who, package, inject)
    ]
    return {
        "team": team,
        "team_name": t(team.name),
        "module": module,
        "title": t(shown.get("title")),
        "narrative": t(shown.get("narrative")),
        "key_issues": [t(x) for x in shown.get("key_issues", [])],
        "questions": [t(q.get("text")) for q in shown.get("questions", [])],
        "polls": [
            (t(p.get("question")), [t(o.get("text")) for o in p.get("options", [])])
            for p in shown.get("polls", [])
        ],
        "injects": injects,
        "hidden": len(module.injects) - len(injects),
    }


@router.get("/editor/{draft_id}/preview/{kind}")
async def document(draft_id: str, kind: str, request: Request, who: Planner, svc: Svc) -> Response:
    """The SitMan or the C/E Handbook of a version, as a standalone page to print."""
    if kind not in (DocumentKind.SITMAN, DocumentKind.HANDBOOK):
        raise PageError(404, N_("There is no such document."))
    current = await opened(svc, draft_id, _version(request))
    package = _package(current)
    lang = request.query_params.get("lang") or ui_language(request, who.language)
    if lang not in package.exercise.languages:
        lang = package.exercise.languages[0]
    html = await run_in_threadpool(lambda: render_document(package, DocumentKind(kind), lang=lang))
    response = HTMLResponse(html)
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


# --- downloads and runs -------------------------------------------------------------------------


@router.get("/editor/{draft_id}/download")
async def downloads(draft_id: str, request: Request, who: Planner, svc: Svc) -> Response:
    """The download links and the form that makes a run of a version."""
    current = await opened(svc, draft_id, _version(request))
    return render(
        request,
        who,
        "editor/download.html",
        current=current,
        error=None,
        run_id="",
    )


@router.get("/editor/{draft_id}/download/{fmt}")
async def download(draft_id: str, fmt: str, request: Request, who: Planner, svc: Svc) -> Response:
    """The version as YAML, a zip (YAML and documents) or an MSEL workbook."""
    if fmt not in DOWNLOADS:
        raise PageError(404, N_("There is no such download."))
    current = await opened(svc, draft_id, _version(request))
    method, media_type, suffix = DOWNLOADS[fmt]
    try:
        body = await run_in_threadpool(getattr(svc.drafts, method), draft_id, current.number)
    except EditorError as error:
        raise PageError(409, as_shown(error)) from None
    name = download_name(current, suffix)
    return Response(
        body,
        media_type=media_type,
        headers={
            "Content-Disposition": (
                f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}"
            ),
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.post("/editor/{draft_id}/runs")
async def create_run(draft_id: str, request: Request, svc: Svc) -> Response:
    """Make a run of a version (the design pages' run, with its invitations page)."""
    from sitroom.web.pages.design import _valid_run_id

    await planner(request)
    who, form = await posted(request)
    raw = text(form, "version", 10)
    current = await opened(svc, draft_id, int(raw) if raw.isdigit() else None)
    run_id = text(form, "run_id", 80).strip()
    error = None
    if run_id and not _valid_run_id(run_id):
        error = N_(
            "A run id uses letters, digits, '-', '_' and '.', and starts with a letter or digit."
        )
    elif run_id and await run_in_threadpool(svc.engine.recorder.get_run, run_id) is not None:
        error = N_("A run with this id exists already; choose another.")
    package = None
    if error is None:
        try:
            package = await run_in_threadpool(svc.drafts.package_for_run, draft_id, current.number)
        except EditorError as refused:
            error = as_shown(refused)
    if error is not None or package is None:
        return render(
            request,
            who,
            "editor/download.html",
            422,
            current=current,
            error=error or N_("The draft has errors: fix the problems first."),
            run_id=run_id,
        )
    record = await run_in_threadpool(svc.engine.create_run, package, run_id or None)
    # Its players get the version's documents (the store keeps them; later saves change nothing).
    await run_in_threadpool(svc.drafts.store.record_run, record.id, draft_id, current.number)
    return RedirectResponse(f"/design/runs/{record.id}/invitations?created=1", status_code=303)
