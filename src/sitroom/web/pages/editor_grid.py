"""The MSEL grid of the editor: a module's injects as rows with the columns planners know
(number, scenario time, offset, title in each language, from, to, delivery, marking, links).

A row is edited in place and saved on its own; rows move by drag and drop or by their up and
down buttons (keyboard); a row is duplicated with a fresh number; rows picked with their
checkboxes get addressees, a marking or another module at once. A search and filters narrow
the rows shown (the positions stay those of the module, so moves stay right).
"""

from __future__ import annotations

import copy
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from sitroom.package.model import TLP, DeliveryMethod, Inject, InjectType
from sitroom.services.editor import Edit
from sitroom.web.forms import posted, text
from sitroom.web.pages.design_access import Planner, Svc, planner, render
from sitroom.web.pages.editor_access import Opened, opened, place_map, save
from sitroom.web.pages.home import PageError
from sitroom.web.render import N_
from sitroom.web.views.editor_fields import (
    HELPERS,
    FormInvalid,
    changes,
    choices_of,
    fields_of,
    short,
    texts_in,
)

router = APIRouter(include_in_schema=False)

ROW_FIELDS = ("number", "scenario_time", "offset", "title", "from", "delivery", "type")
"""The columns a row edits in place; the rest (content, links, …) in the inject's form."""


def _modules(document: Any) -> list[dict[str, Any]]:
    found = document.get("modules") if isinstance(document, dict) else None
    return [m if isinstance(m, dict) else {} for m in found] if isinstance(found, list) else []


def _module_index(current: Opened, raw: str | None) -> int:
    modules = _modules(current.document)
    if not modules:
        raise PageError(404, N_("The package has no modules yet: add one first."))
    index = int(raw) if raw and raw.isdigit() else 0
    if not 0 <= index < len(modules):
        raise PageError(404, N_("There is no such module."))
    return index


def _injects(current: Opened, module: int) -> list[dict[str, Any]]:
    found = _modules(current.document)[module].get("injects")
    return [i if isinstance(i, dict) else {} for i in found] if isinstance(found, list) else []


def _matches(inject: dict[str, Any], q: str, team: str, kind: str) -> bool:
    if team and team not in (inject.get("to") or []) and inject.get("to"):
        return False
    if kind and str(inject.get("type") or "standard") != kind:
        return False
    if not q:
        return True
    haystack = " ".join(
        [str(inject.get("number") or "")]
        + [short(inject.get(k), 10_000) for k in ("title", "content", "from", "notes")]
    ).lower()
    return all(word in haystack for word in q.lower().split())


def _row_paths(module: int, index: int) -> tuple[str | int, ...]:
    return ("modules", module, "injects", index)


@router.get("/editor/{draft_id}/grid")
async def grid(draft_id: str, request: Request, who: Planner, svc: Svc) -> Response:
    """The injects of one module (``?module=0``) as an MSEL grid."""
    current = await opened(svc, draft_id)
    module = _module_index(current, request.query_params.get("module"))
    q = request.query_params.get("q", "")[:200]
    team = request.query_params.get("team", "")[:80]
    kind = request.query_params.get("type", "")[:20]
    injects = _injects(current, module)
    rows = [
        (index, inject, _row_problems(current.version, module, index))
        for index, inject in enumerate(injects)
        if _matches(inject, q, team, kind)
    ]
    choices = choices_of(current.document)
    return render(
        request,
        who,
        "editor/grid.html",
        current=current,
        module=module,
        modules=_modules(current.document),
        rows=rows,
        count=len(injects),
        q=q,
        team=team,
        kind=kind,
        teams=choices["teams"],
        deliveries=[d.value for d in DeliveryMethod],
        types=[t.value for t in InjectType],
        tlps=[t.value for t in TLP],
        saved=request.query_params.get("saved"),
        short=short,
        texts_in=texts_in,
        **{k: v for k, v in HELPERS.items() if k != "texts_in"},
    )


def _row_problems(version: Any, module: int, index: int) -> list[Any]:
    """The problems placed in one row (of a saved version, or of a check's result)."""
    places = place_map(version)
    prefix = _row_paths(module, index)
    return [
        p
        for p in getattr(version, "problems", ()) or ()
        if isinstance(places.get(p), tuple | list) and tuple(places[p][:4]) == prefix
    ]


def _back(draft_id: str, module: int, form: Any) -> str:
    query = text(form, "query", 300)
    query = "".join(c for c in query if c.isalnum() or c in "=&-_.%+")
    return f"/editor/{draft_id}/grid?module={module}" + (f"&{query}" if query else "")


async def _posted_grid(request: Request, svc: Any, draft_id: str) -> tuple[Any, Any, Opened, int]:
    await planner(request)
    who, form = await posted(request)
    raw = text(form, "base", 20)
    if not raw.isdigit():
        raise PageError(422, N_("This form has no version to save on. Reload the page."))
    current = await opened(svc, draft_id, int(raw))
    module = _module_index(current, text(form, "module", 10))
    return who, form, current, module


def _row_edits(form: Any, current: Opened, module: int) -> tuple[int, list[Edit]]:
    """The row a grid form is for and the edits of the columns that changed."""
    injects = _injects(current, module)
    raw = text(form, "row", 10)
    if not raw.isdigit() or int(raw) >= len(injects):
        raise PageError(422, N_("There is no such inject in the module."))
    index = int(raw)
    fields = [
        f
        for f in fields_of(Inject, injects[index], choices_of(current.document))
        if f.key in ROW_FIELDS
    ]
    try:
        found = changes(fields, form, current.languages)
    except FormInvalid:
        raise PageError(422, N_("A value of the row cannot be read.")) from None
    path = _row_paths(module, index)
    edits = [
        Edit("set", (*path, *key), value) if op == "set" else Edit("remove", (*path, *key))
        for op, key, value in found
    ]
    return index, edits


@router.post("/editor/{draft_id}/grid/row")
async def save_row(draft_id: str, request: Request, svc: Svc) -> Response:
    """Save the columns of one row that changed."""
    who, form, current, module = await _posted_grid(request, svc, draft_id)
    index, edits = _row_edits(form, current, module)
    back = _back(draft_id, module, form) + f"#row-{index}"
    return await save(request, who, svc, current, edits, back)


@router.post("/editor/{draft_id}/grid/row/check")
async def check_row(draft_id: str, request: Request, svc: Svc) -> Response:
    """The problems one row would have with its pending values (nothing is saved): the row's
    form posts here as the planner types (htmx), and the list next to the row is replaced."""
    who, form, current, module = await _posted_grid(request, svc, draft_id)
    index, edits = _row_edits(form, current, module)
    result = await run_in_threadpool(
        lambda: svc.drafts.check(current.draft_id, current.number, edits)
    )
    return render(
        request,
        who,
        "editor/_row_problems.html",
        index=index,
        problems=_row_problems(result, module, index),
    )


@router.post("/editor/{draft_id}/grid/act")
async def act(draft_id: str, request: Request, svc: Svc) -> Response:
    """Move a row up or down, to another position (drag and drop), or duplicate it."""
    who, form, current, module = await _posted_grid(request, svc, draft_id)
    injects = _injects(current, module)
    action, _, raw = text(form, "do", 40).partition(":")
    if text(form, "to", 10):  # drag and drop names the target position
        action, raw = "move", text(form, "index", 10)
    index = int(raw) if raw.isdigit() else -1
    if not 0 <= index < len(injects):
        raise PageError(422, N_("There is no such inject in the module."))
    path = _row_paths(module, index)
    edits: list[Edit] = []
    target = index
    if action == "up" and index > 0:
        target = index - 1
        edits = [Edit("move", path, to=target)]
    elif action == "down" and index < len(injects) - 1:
        target = index + 1
        edits = [Edit("move", path, to=target)]
    elif action == "move":
        to_raw = text(form, "to", 10)
        target = int(to_raw) if to_raw.isdigit() else -1
        if not 0 <= target < len(injects):
            raise PageError(422, N_("There is no such inject in the module."))
        edits = [Edit("move", path, to=target)] if target != index else []
    elif action == "duplicate":
        twin = copy.deepcopy(injects[index])
        twin["number"] = _fresh_number(current.document, str(twin.get("number") or index + 1))
        target = index + 1
        edits = [Edit("insert", _row_paths(module, target), twin)]
    elif action not in ("up", "down"):
        raise PageError(422, N_("That is not something a row can do."))
    back = _back(draft_id, module, form) + f"#row-{target}"
    return await save(request, who, svc, current, edits, back)


def _fresh_number(document: Any, number: str) -> str:
    """A number no inject of the package has: ``12`` → ``12.1`` (or ``12.2``, …)."""
    taken = {
        str(i.get("number"))
        for m in _modules(document)
        for i in (m.get("injects") or [])
        if isinstance(i, dict)
    }
    n = 1
    while f"{number}.{n}" in taken:
        n += 1
    return f"{number}.{n}"


@router.post("/editor/{draft_id}/grid/bulk")
async def bulk(draft_id: str, request: Request, svc: Svc) -> Response:
    """Give the picked rows addressees, a marking or another module, in one version."""
    who, form, current, module = await _posted_grid(request, svc, draft_id)
    injects = _injects(current, module)
    picked = sorted(
        {int(r) for r in form.getlist("rows") if isinstance(r, str) and r.isdigit()}
        & set(range(len(injects)))
    )
    if not picked:
        raise PageError(422, N_("Pick one or more rows first."))
    edits: list[Edit] = []
    if text(form, "set_to", 5):
        teams = [str(t) for t in form.getlist("to") if isinstance(t, str) and t]
        for index in picked:
            if teams:
                edits.append(Edit("set", (*_row_paths(module, index), "to"), teams))
            elif "to" in injects[index]:
                edits.append(Edit("remove", (*_row_paths(module, index), "to")))
    tlp = text(form, "tlp", 20)
    classification = text(form, "classification", 80).strip()
    if tlp or classification:
        for index in picked:
            old = injects[index].get("marking")
            marking = dict(old) if isinstance(old, dict) else {}
            if tlp == "-":
                marking.pop("tlp", None)
            elif tlp:
                marking["tlp"] = tlp
            if classification:
                marking["classification"] = classification
            path = (*_row_paths(module, index), "marking")
            edits.append(Edit("set", path, marking) if marking else Edit("remove", path))
    target_raw = text(form, "move_to", 10)
    if target_raw.isdigit() and int(target_raw) != module:
        target = int(target_raw)
        modules = _modules(current.document)
        if not 0 <= target < len(modules):
            raise PageError(422, N_("There is no such module."))
        # Each row is moved with its edits above; inserts first (another module's list),
        # then removals from the last row up, so the positions stay right.
        rows = [copy.deepcopy(injects[i]) for i in picked]
        for edit in [e for e in edits if e.path[3] in picked]:
            row = rows[picked.index(int(edit.path[3]))]
            if edit.op == "set":
                row[str(edit.path[4])] = edit.value
            else:
                row.pop(str(edit.path[4]), None)
        present = len(modules[target].get("injects") or [])
        if not isinstance(modules[target].get("injects"), list):
            edits = [Edit("set", ("modules", target, "injects"), rows)]
        else:
            edits = [
                Edit("insert", ("modules", target, "injects", present + k), row)
                for k, row in enumerate(rows)
            ]
        edits += [Edit("remove", _row_paths(module, i)) for i in reversed(picked)]
    if not edits:
        raise PageError(422, N_("Choose what to change for the picked rows."))
    summary = f"bulk edit of {len(picked)} injects in module {module + 1}"
    return await save(request, who, svc, current, edits, _back(draft_id, module, form), summary)
