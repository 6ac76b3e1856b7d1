"""The package editor for planners (admin and facilitator accounts): start a draft from a
bundled example, the starter, an uploaded YAML/zip or an MSEL workbook, then edit every part
of it in forms the package model drives, with the same problems ``sitroom validate`` lists.

Each save is a version of the draft (``services.editor``); the MSEL grid, history, previews
and downloads are in ``editor_grid`` and ``editor_versions``, served by this router too.
"""

from __future__ import annotations

from pathlib import Path as FilePath
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from sitroom.package.examples import example_names
from sitroom.package.load import MAX_FILE_BYTES
from sitroom.services.editor import Edit, EditorError
from sitroom.web.forms import posted, text
from sitroom.web.limits import accepts_upload
from sitroom.web.pages import editor_documents, editor_grid, editor_versions
from sitroom.web.pages.design_access import Planner, Svc, planner, render
from sitroom.web.pages.editor_access import (
    as_shown,
    audit_upload,
    crumbs,
    edits_from_json,
    opened,
    parse_path,
    path_text,
    place_map,
    problems_of,
    save,
)
from sitroom.web.pages.home import PageError
from sitroom.web.render import N_
from sitroom.web.views.editor_fields import (
    HELPERS,
    FormInvalid,
    changes,
    choices_of,
    fields_of,
    label_of,
    model_at,
    short,
    skeleton,
    value_at,
)
from sitroom.web.views.editor_labels import PART_LABELS, field_label

router = APIRouter(include_in_schema=False)

SOURCES = {".yaml": "yaml", ".yml": "yaml", ".zip": "zip", ".xlsx": "msel", ".csv": "msel"}


# --- the start page -------------------------------------------------------------------------


@router.get("/editor")
async def start(request: Request, who: Planner, svc: Svc) -> Response:
    """Start a draft (example, starter, upload) and the drafts there are."""
    return await _start(request, who, svc)


async def _start(
    request: Request, who: Any, svc: Any, status_code: int = 200, error: str | None = None
) -> Response:
    drafts = await run_in_threadpool(svc.drafts.list)
    return render(
        request,
        who,
        "editor/start.html",
        status_code,
        drafts=drafts,
        examples=example_names(),
        error=error,
    )


@router.post("/editor/drafts")
@accepts_upload
async def create(request: Request, svc: Svc) -> Response:
    """A new draft from what the start page's form chose."""
    await planner(request)
    who, form = await posted(request)
    try:
        start_from = text(form, "from", 20)
        name = text(form, "name", 200).strip() or None
        source: tuple[Any, ...]
        if start_from == "example":
            example = text(form, "example", 80)
            if example not in example_names():
                return await _start(request, who, svc, 422, N_("Choose a bundled example."))
            source = ("example", example)
        elif start_from == "starter":
            source = ("starter", None)
        elif start_from == "upload":
            upload = form.get("file")
            if not isinstance(upload, UploadFile) or not upload.filename:
                return await _start(request, who, svc, 422, N_("Choose a file to upload."))
            raw = await upload.read(MAX_FILE_BYTES + 1)
            file_name = FilePath(upload.filename).name[:200] or "upload"
            kind = SOURCES.get(FilePath(file_name).suffix.lower())
            if kind is None:
                return await _start(
                    request,
                    who,
                    svc,
                    415,
                    N_("Upload a package (.yaml, .yml, .zip) or an MSEL workbook (.xlsx, .csv)."),
                )
            if len(raw) > MAX_FILE_BYTES:
                return await _start(request, who, svc, 413, N_("The file is too large."))
            source = (kind, raw, file_name)
        else:
            return await _start(request, who, svc, 422, N_("Choose where the draft starts from."))
    finally:
        await form.close()
    author = who.principal.name or who.principal.id
    try:
        made = await run_in_threadpool(lambda: svc.drafts.create(source, author=author, name=name))
    except EditorError as error:
        audit_upload(who, source, None)
        return await _start(request, who, svc, 422, as_shown(error))
    draft_id = made.draft_id
    audit_upload(who, source, draft_id)
    return RedirectResponse(f"/editor/{draft_id}", status_code=303)


# --- a draft: its parts and problems ----------------------------------------------------------


@router.get("/editor/{draft_id}")
async def overview(draft_id: str, request: Request, who: Planner, svc: Svc) -> Response:
    """The parts of the draft, its problems, and the missing translations."""
    current = await opened(svc, draft_id)
    return render(
        request,
        who,
        "editor/draft.html",
        current=current,
        title=short(value_at(current.document, ("exercise", "title")), 200),
        problems=problems_of(current.version),
        sections=_sections(current.document),
        missing=_missing(current.version),
        saved=request.query_params.get("saved"),
    )


def _sections(document: Any) -> list[tuple[str, str, int | None]]:
    """The top-level parts of a package: (key, label to translate where shown, how many
    items for a list)."""
    from sitroom.package.model import Package

    out = []
    for name, info in Package.model_fields.items():
        key = info.alias or name
        if key == "format":
            continue
        value = document.get(key) if isinstance(document, dict) else None
        count = len(value) if isinstance(value, list) else None
        out.append((key, PART_LABELS.get(key) or field_label(key), count))
    return out


def part_of(path: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """The deepest part of the package (one with a form) that holds ``path``."""
    for end in range(len(path), 0, -1):
        if model_at(path[:end]) is not None:
            return path[:end]
    return ()


def _missing(version: Any) -> list[tuple[Any, str]]:
    """The texts that lack a language (the validator's ``missing-translation`` warnings), with
    the part to fix each in where the service knows it."""
    places = place_map(version)
    found = []
    for problem in getattr(version, "problems", ()) or ():
        at = places.get(problem)
        if problem.code == "missing-translation":
            where = path_text(part_of(tuple(at))) if isinstance(at, tuple | list) else ""
            found.append((problem, where))
    return found


# --- a part: its form --------------------------------------------------------------------------


@router.get("/editor/{draft_id}/part")
async def part(draft_id: str, request: Request, who: Planner, svc: Svc) -> Response:
    """The form of one part of the package (``?at=modules.0.injects.3``)."""
    current = await opened(svc, draft_id)
    path = parse_path(request.query_params.get("at", ""))
    holder_model = model_at(path[:-1]) if path and isinstance(path[-1], str) else None
    keys = {f.alias or n for n, f in holder_model.model_fields.items()} if holder_model else set()
    if model_at(path) is None and path and path[-1] in keys:  # a list: in the part holding it
        holder = path_text(path[:-1])
        saved = request.query_params.get("saved")
        query = f"&saved={saved}" if saved and saved.isdigit() else ""
        return RedirectResponse(
            f"/editor/{draft_id}/part?at={holder}{query}#h-{path[-1]}", status_code=303
        )
    return _part_page(request, who, current, path, saved=request.query_params.get("saved"))


def _part_page(
    request: Request,
    who: Any,
    current: Any,
    path: tuple[str | int, ...],
    status_code: int = 200,
    error: FormInvalid | None = None,
    saved: str | None = None,
) -> Response:
    model = model_at(path)
    data = value_at(current.document, path) if path else current.document
    if model is None or not isinstance(data, dict):
        raise PageError(404, N_("There is no such part of the package."))
    fields = fields_of(model, data, choices_of(current.document)) if model else []
    return render(
        request,
        who,
        "editor/part.html",
        status_code,
        current=current,
        path=path,
        at=path_text(path),
        crumbs=crumbs(current.document, path),
        fields=fields,
        model_name=model.__name__,
        problems=problems_of(current.version, path),
        error=error,
        saved=saved,
        label_of=label_of,
        **HELPERS,
    )


def _base(form: Any) -> int:
    raw = text(form, "base", 20)
    if not raw.isdigit():
        raise PageError(422, N_("This form has no version to save on. Reload the page."))
    return int(raw)


async def _posted_edits(request: Request, svc: Any, draft_id: str) -> tuple[Any, Any, Any, Any]:
    """The viewer, the version the form was made on, the path and the edits a part form means."""
    await planner(request)
    who, form = await posted(request)
    current = await opened(svc, draft_id, _base(form))
    path = parse_path(text(form, "at", 400))
    model = model_at(path)
    if model is None:
        raise PageError(404, N_("There is no such part of the package."))
    data = value_at(current.document, path)
    fields = fields_of(model, data, choices_of(current.document))
    try:
        found = changes(fields, form, current.languages)
    except FormInvalid as error:
        return who, current, path, error
    edits = [
        Edit("set", (*path, *key), value) if op == "set" else Edit("remove", (*path, *key))
        for op, key, value in found
    ]
    return who, current, path, edits


@router.post("/editor/{draft_id}/part")
async def save_part(draft_id: str, request: Request, svc: Svc) -> Response:
    """Save what a part form changed (only the fields that differ)."""
    who, current, path, edits = await _posted_edits(request, svc, draft_id)
    if isinstance(edits, FormInvalid):
        return _part_page(request, who, current, path, 422, error=edits)
    back = f"/editor/{draft_id}/part?at={path_text(path)}"
    return await save(request, who, svc, current, edits, back)


@router.post("/editor/{draft_id}/check")
async def check_part(draft_id: str, request: Request, svc: Svc) -> Response:
    """The problems the package would have with a part form's changes (nothing is saved):
    the form posts here as the planner types (htmx), and the list under it is replaced."""
    who, current, _path, edits = await _posted_edits(request, svc, draft_id)
    if isinstance(edits, FormInvalid):
        return render(request, who, "editor/_problems.html", 200, problems=[], error=edits)
    result = await run_in_threadpool(
        lambda: svc.drafts.check(current.draft_id, current.number, edits)
    )
    return render(
        request,
        who,
        "editor/_problems.html",
        problems=list(getattr(result, "problems", ()) or ()),
        error=None,
        checked=True,
    )


@router.post("/editor/{draft_id}/list")
async def change_list(draft_id: str, request: Request, svc: Svc) -> Response:
    """Add, remove, duplicate or move one part of a list (``at`` is the list's path)."""
    await planner(request)
    who, form = await posted(request)
    current = await opened(svc, draft_id, _base(form))
    path = parse_path(text(form, "at", 400))
    items = value_at(current.document, path)
    items = items if isinstance(items, list) else []
    action = text(form, "action", 20)
    index_raw = text(form, "index", 10)
    index = int(index_raw) if index_raw.isdigit() else -1
    back = text(form, "back", 400)
    if not back.startswith(f"/editor/{draft_id}"):
        back = f"/editor/{draft_id}/part?at={path_text(path[:-1])}"
    to_raw = text(form, "to", 10)
    to = int(to_raw) if to_raw.isdigit() else -1
    if action == "part":
        model = model_at(path)
        if model is None or value_at(current.document, path) is not None:
            raise PageError(422, N_("There is no such part of the package."))
        edits: list[Edit] | None = [Edit("set", path, skeleton(model, current.languages, []))]
    else:
        edits = _list_edits(action, path, items, index, current.languages, to)
    if edits is None:
        raise PageError(422, N_("There is no such item in the list."))
    return await save(request, who, svc, current, edits, back)


def _list_edits(
    action: str,
    path: tuple[str | int, ...],
    items: list[Any],
    index: int,
    languages: Any,
    to: int = -1,
) -> list[Edit] | None:
    import copy

    if action == "add":
        model = model_at((*path, len(items)))
        if model is None:
            return [Edit("insert", (*path, len(items)), "")]
        return [Edit("insert", (*path, len(items)), skeleton(model, languages, items))]
    if not 0 <= index < len(items):
        return None
    if action == "remove":
        return [Edit("remove", (*path, index))]
    if action == "up" and index > 0:
        return [Edit("move", (*path, index), to=index - 1)]
    if action == "down" and index < len(items) - 1:
        return [Edit("move", (*path, index), to=index + 1)]
    if action == "duplicate":
        twin = copy.deepcopy(items[index])
        if isinstance(twin, dict):
            for key in ("id", "number"):
                if key in twin:
                    taken = {str(i.get(key)) for i in items if isinstance(i, dict)}
                    candidate, n = f"{twin[key]}-copy", 2
                    while candidate in taken:
                        candidate, n = f"{twin[key]}-copy{n}", n + 1
                    twin[key] = candidate
        return [Edit("insert", (*path, index + 1), twin)]
    if action == "move" and 0 <= to < len(items):
        return [Edit("move", (*path, index), to=to)] if to != index else []
    return [] if action in ("up", "down") else None


@router.post("/editor/{draft_id}/apply")
async def apply_again(draft_id: str, request: Request, svc: Svc) -> Response:
    """After a conflict: re-apply the planner's edits on the latest version."""
    await planner(request)
    who, form = await posted(request)
    current = await opened(svc, draft_id, _base(form))
    edits = edits_from_json(text(form, "edits", 2_000_000))
    back = text(form, "back", 400)
    if not back.startswith(f"/editor/{draft_id}"):
        back = f"/editor/{draft_id}"
    return await save(request, who, svc, current, edits, back, text(form, "summary", 200))


router.include_router(editor_grid.router)
router.include_router(editor_versions.router)
router.include_router(editor_documents.router)
