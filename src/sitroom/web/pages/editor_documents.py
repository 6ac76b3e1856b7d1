"""The documents of a draft (the package's ``documents/`` folder: briefings, maps, statements
that injects attach): listed with the injects that attach each, uploaded, replaced, removed.
Each change is a version of the draft, like an edit of the YAML."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from sitroom.package.load import MAX_FILE_BYTES
from sitroom.services.editor import Conflict, EditorError
from sitroom.web.forms import posted, text
from sitroom.web.limits import accepts_upload
from sitroom.web.pages.design_access import Planner, Svc, planner, render
from sitroom.web.pages.editor_access import as_shown, opened, with_saved
from sitroom.web.pages.home import PageError
from sitroom.web.render import N_

router = APIRouter(include_in_schema=False)


def _attached(document: Any) -> dict[str, list[str]]:
    """Which injects attach each document path (by their number)."""
    found: dict[str, list[str]] = {}
    modules = document.get("modules") if isinstance(document, dict) else None
    for module in modules if isinstance(modules, list) else []:
        for inject in (module or {}).get("injects") or []:
            for attachment in (inject or {}).get("attachments") or []:
                if isinstance(attachment, dict) and attachment.get("path"):
                    found.setdefault(str(attachment["path"]), []).append(str(inject.get("number")))
    return found


@router.get("/editor/{draft_id}/documents")
async def documents(draft_id: str, request: Request, who: Planner, svc: Svc) -> Response:
    """The draft's documents, and the form to add one."""
    current = await opened(svc, draft_id)
    return _page(request, who, current)


def _page(
    request: Request, who: Any, current: Any, status_code: int = 200, error: str | None = None
) -> Response:
    files = getattr(current.version, "documents", {}) or {}
    attached = _attached(current.document)
    sizes = getattr(files, "sizes", None)  # known without reading the files, where kept
    size: dict[str, int] = (
        dict(sizes()) if callable(sizes) else {path: len(files[path]) for path in files}
    )
    rows = [(path, size.get(path, 0), attached.get(path, [])) for path in sorted(files)]
    missing = sorted(p for p in attached if p not in files)
    return render(
        request,
        who,
        "editor/documents.html",
        status_code,
        current=current,
        rows=rows,
        missing=missing,
        error=error,
        saved=request.query_params.get("saved"),
    )


@router.post("/editor/{draft_id}/documents")
@accepts_upload
async def change_documents(draft_id: str, request: Request, svc: Svc) -> Response:
    """Upload a document (added, or replacing the one at its path) or remove one."""
    await planner(request)
    who, form = await posted(request)
    try:
        raw_base = text(form, "base", 20)
        if not raw_base.isdigit():
            raise PageError(422, N_("This form has no version to save on. Reload the page."))
        current = await opened(svc, draft_id, int(raw_base))
        remove = text(form, "remove", 300)
        changes: dict[str, bytes | None]
        if remove:
            changes = {remove: None}
            summary = f"remove document {remove}"
        else:
            upload = form.get("file")
            if not isinstance(upload, UploadFile) or not upload.filename:
                return _page(request, who, current, 422, N_("Choose a file to upload."))
            raw = await upload.read(MAX_FILE_BYTES + 1)
            if len(raw) > MAX_FILE_BYTES:
                return _page(request, who, current, 413, N_("The file is too large."))
            path = text(form, "path", 300).strip() or PurePosixPath(upload.filename).name
            changes = {path: raw}
            summary = f"document {path}"
    finally:
        await form.close()
    author = who.principal.name or who.principal.id
    try:
        saved = await run_in_threadpool(
            lambda: svc.drafts.save(
                draft_id, current.number, [], author=author, summary=summary, documents=changes
            )
        )
    except Conflict:
        return _page(
            request,
            who,
            await opened(svc, draft_id),
            409,
            N_("Someone changed this document meanwhile: look at the list again and retry."),
        )
    except EditorError as error:
        return _page(request, who, current, 422, as_shown(error))
    back = with_saved(f"/editor/{draft_id}/documents", saved.version)
    return RedirectResponse(back, status_code=303)
