"""What the editor pages share: the drafts service, a draft version read with its document,
paths in the address, and saving edits (a conflicting save answers with what changed).

The rules (versions, conflicts, validation, the round-trip YAML) are the editor service's
(``services.editor``); the pages parse the request, hand edits over and render the result.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from sitroom import audit
from sitroom.bootstrap import Services
from sitroom.services.editor import Conflict, Edit, EditorError
from sitroom.web.deps import Viewer
from sitroom.web.pages.design_access import render
from sitroom.web.pages.home import PageError
from sitroom.web.render import N_
from sitroom.web.views.editor_fields import Path, as_yaml, label_of, value_at
from sitroom.web.views.editor_labels import FIELD_LABELS, field_label

MAX_EDITS = 5_000


@dataclass
class Opened:
    """A draft version as the pages show it: the version, its document as plain data, and
    the exercise languages (texts get one box per language)."""

    version: Any
    document: Any
    languages: tuple[str, ...]

    @property
    def draft_id(self) -> str:
        return str(self.version.draft_id)

    @property
    def number(self) -> int:
        return int(self.version.version)


def parse_document(text: str) -> Any:
    """The YAML text as plain data (an unreadable text is an empty document: its problems
    are listed by the service's check)."""
    from sitroom.package.load import parse_yaml

    data, _, _ = parse_yaml(text, "exercise.yaml")
    return data if isinstance(data, dict) else {}


def languages_of(document: Any) -> tuple[str, ...]:
    exercise = document.get("exercise") if isinstance(document, dict) else None
    found = exercise.get("languages") if isinstance(exercise, dict) else None
    if isinstance(found, list) and found and all(isinstance(x, str) for x in found):
        return tuple(found)
    return ("en",)


_PARSED: OrderedDict[tuple[str, int], Any] = OrderedDict()
_PARSED_LOCK = threading.Lock()
PARSED_KEPT = 8
"""Versions never change, so the document of one is read once per process and kept (a few):
a 2,000-inject YAML takes about a second to read, and every page of a draft needs it."""


def _read_by_the_service(svc: Services, key: tuple[str, int]) -> Any:
    """The document as the drafts service read it, when it still holds that version (it has
    just saved it, or shown it): the same data ``parse_yaml`` gives, without reading again.

    An adapter until the service hands the data out itself; None when it does not hold it."""
    cache = getattr(svc.drafts, "_cache", None)
    checked = cache.get(key) if isinstance(cache, dict) else None
    doc = getattr(checked, "doc", None)
    data = getattr(doc, "data", None)
    return data if isinstance(data, dict) else None


def _document(svc: Services, found: Any) -> Any:
    key = (str(found.draft_id), int(found.version))
    with _PARSED_LOCK:
        if key in _PARSED:
            _PARSED.move_to_end(key)
            return _PARSED[key]
    document = _read_by_the_service(svc, key)
    if document is None:
        document = parse_document(found.text)
    with _PARSED_LOCK:
        _PARSED[key] = document
        while len(_PARSED) > PARSED_KEPT:
            _PARSED.popitem(last=False)
    return document


def _open(svc: Services, draft_id: str, version: int | None) -> Opened:
    found = svc.drafts.get(draft_id, version)
    document = _document(svc, found)
    return Opened(found, document, languages_of(document))


async def opened(svc: Services, draft_id: str, version: int | None = None) -> Opened:
    """The draft's version (the head when ``version`` is None); 404 when there is none."""
    try:
        return await run_in_threadpool(_open, svc, draft_id, version)
    except (EditorError, KeyError, LookupError):
        raise PageError(404, N_("There is no such draft here.")) from None


def audit_upload(who: Viewer, source: tuple[Any, ...], draft_id: str | None) -> None:
    """A file brought into the editor is a package upload for the audit trail (as on the
    design page): who, which file, and whether it became a draft."""
    if source[0] not in ("yaml", "zip", "msel"):
        return
    audit.record(
        "msel-imported" if source[0] == "msel" else "package-uploaded",
        actor=who,
        outcome="success" if draft_id else "failure",
        file=str(source[2])[:200],
        draft_id=draft_id,
    )


def as_shown(error: Exception) -> str:
    """A refusal of the service for a page that passes messages through the UI catalog
    (``_(message)`` formats with ``%``): its own ``%`` kept as written."""
    return str(error).replace("%", "%%")


def parse_path(raw: str) -> Path:
    """``modules.0.injects.3`` as a path; empty for the whole document."""
    parts: list[str | int] = []
    for piece in (raw or "").split("."):
        if not piece:
            continue
        if len(piece) > 80:
            raise PageError(400, N_("There is no such part of the package."))
        parts.append(int(piece) if piece.isdigit() else piece)
    if len(parts) > 12:
        raise PageError(400, N_("There is no such part of the package."))
    return tuple(parts)


def path_text(path: Path) -> str:
    return ".".join(str(p) for p in path)


def crumbs(document: Any, path: Path) -> list[tuple[str, str, bool]]:
    """The way down to ``path``: (label, path text, whether the label is a field's UI string
    to translate where shown) for each part above it."""
    out: list[tuple[str, str, bool]] = []
    for end in range(1, len(path) + 1):
        key = path[end - 1]
        if isinstance(key, int):
            item = label_of(value_at(document, path[:end]), key)
            out.append((item, path_text(path[:end]), False))
        else:
            out.append((field_label(key), path_text(path[:end]), key in FIELD_LABELS))
    return out


def edits_json(edits: list[Edit]) -> str:
    """Edits for a hidden field (the merge form re-applies them on the latest version)."""
    return json.dumps(
        [{"op": e.op, "path": list(e.path), "value": e.value, "to": e.to} for e in edits],
        default=str,
        ensure_ascii=False,
    )


def edits_from_json(raw: str) -> list[Edit]:
    """Edits from a hidden field or an API body; 422 naming what is accepted."""
    try:
        items = json.loads(raw or "[]")
    except ValueError:
        raise PageError(422, N_("The changes to re-apply could not be read.")) from None
    return edits_from_items(items)


def edits_from_items(items: Any) -> list[Edit]:
    if not isinstance(items, list) or len(items) > MAX_EDITS:
        raise PageError(422, N_("The changes to re-apply could not be read."))
    edits = []
    for item in items:
        if (
            not isinstance(item, dict)
            or item.get("op") not in ("set", "insert", "remove", "move")
            or not isinstance(item.get("path"), list)
            or not all(isinstance(p, str | int) for p in item["path"])
        ):
            raise PageError(422, N_("The changes to re-apply could not be read."))
        to = item.get("to")
        edits.append(
            Edit(item["op"], tuple(item["path"]), item.get("value"), None if to is None else to)
        )
    return edits


def summary_of(edits: list[Edit], document: Any) -> str:
    """A short summary for the history: which parts were changed."""
    touched: list[str] = []
    for edit in edits:
        where = path_text(edit.path[:-1] if edit.op == "set" else edit.path)
        if where not in touched:
            touched.append(where)
    verb = {"set": "edit", "insert": "add", "remove": "remove", "move": "move"}[edits[0].op]
    head = ", ".join(touched[:3]) + (f" (+{len(touched) - 3})" if len(touched) > 3 else "")
    return f"{verb} {head or 'exercise'}"[:200]


async def save(
    request: Request,
    who: Viewer,
    svc: Services,
    current: Opened,
    edits: list[Edit],
    back: str,
    summary: str = "",
) -> Response:
    """Save ``edits`` on ``current``'s version and go ``back``; a conflict answers with the
    conflict page (what changed, and a button that re-applies these edits on the head)."""
    if not edits:
        return RedirectResponse(back, status_code=303)
    summary = summary or summary_of(edits, current.document)
    author = who.principal.name or who.principal.id
    try:
        saved = await run_in_threadpool(
            lambda: svc.drafts.save(
                current.draft_id, current.number, edits, author=author, summary=summary
            )
        )
    except Conflict as conflict:
        return render(
            request,
            who,
            "editor/conflict.html",
            409,
            draft_id=current.draft_id,
            base=current.number,
            head=conflict.head_version,
            theirs=list(conflict.theirs),
            as_yaml=as_yaml,
            edits=edits_json(edits),
            mine=[(e.op, path_text(e.path), e.value) for e in edits],
            back=back,
            summary=summary,
        )
    except EditorError as error:
        return render(
            request,
            who,
            "editor/refused.html",
            422,
            draft_id=current.draft_id,
            message=str(error),
            back=back,
        )
    return RedirectResponse(with_saved(back, getattr(saved, "version", None)), status_code=303)


def with_saved(back: str, number: Any) -> str:
    """``back`` with ``saved=<version>`` in its query (before any ``#fragment``)."""
    if number is None:
        return back
    address, hash_, fragment = back.partition("#")
    joiner = "&" if "?" in address else "?"
    return f"{address}{joiner}saved={number}{hash_}{fragment}"


def problems_of(version: Any, under: Path = ()) -> list[Any]:
    """The problems of a version; those whose place lies under ``under`` first."""
    problems = list(getattr(version, "problems", ()) or ())
    if not under:
        return problems
    places = place_map(version)
    inside = [p for p in problems if _under(places.get(p), under)]
    return inside + [p for p in problems if not _under(places.get(p), under)]


def place_map(version: Any) -> dict[Any, Any]:
    """Each problem's place in the document (a path), where the service could tell it."""
    found = getattr(version, "problem_paths", None)
    return found if isinstance(found, dict) else {}


def _under(at: Any, under: Path) -> bool:
    return isinstance(at, tuple | list) and tuple(at[: len(under)]) == under


def download_name(opened_: Opened, suffix: str) -> str:
    exercise = opened_.document.get("exercise") if isinstance(opened_.document, dict) else None
    stem = str((exercise or {}).get("id") or opened_.draft_id)
    safe = "".join(c for c in stem if c.isalnum() or c in "-_.")[:60] or "exercise"
    return f"{safe}-v{opened_.number}{suffix}"
