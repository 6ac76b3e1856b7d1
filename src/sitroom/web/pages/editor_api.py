"""The JSON twin of the editor pages (``/api/drafts``): start a draft, read a version with its
problems, check and save edits (a conflicting save is a 409 with what changed since), the
history, a diff, restoring a version and the downloads. Admin and facilitator accounts only.
"""

from __future__ import annotations

import base64
from typing import Annotated, Any, Literal

from fastapi import Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from sitroom.package.examples import example_names
from sitroom.package.load import MAX_FILE_BYTES
from sitroom.services.editor import Conflict, Edit, EditorError
from sitroom.web.api.errors import STAFF_READ, WRITE_WITH_BODY, errors
from sitroom.web.deps import ApiError, json_body
from sitroom.web.limits import accepts_upload, json_schema_body
from sitroom.web.pages.editor_access import audit_upload
from sitroom.web.pages.editor_versions import DOWNLOADS
from sitroom.web.pages.series_access import Staff, Svc
from sitroom.web.routing import PrefixRouter

router = PrefixRouter(prefix="/api/drafts", tags=["drafts"])

MAX_UPLOAD_CHARS = MAX_FILE_BYTES * 4 // 3 + 4
"""A package file as base64 (the design page's upload limit)."""


class EditBody(BaseModel):
    """One edit: ``set`` a value, ``insert`` a list item, ``remove`` a value, ``move`` an item."""

    model_config = ConfigDict(extra="forbid")
    op: Literal["set", "insert", "remove", "move"]
    path: list[Annotated[str, Field(max_length=200)] | int] = Field(min_length=1, max_length=20)
    value: Any = None
    to: int | None = Field(default=None, ge=0)


class NewDraft(BaseModel):
    """Where a draft starts: a bundled example, the starter, or a file (base64)."""

    model_config = ConfigDict(extra="forbid")
    start_from: Literal["example", "starter", "yaml", "zip", "msel"] = Field(alias="from")
    name: str | None = Field(default=None, max_length=200)
    example: str | None = Field(default=None, max_length=80)
    file_name: str | None = Field(default=None, max_length=200)
    content_base64: str | None = Field(default=None, max_length=MAX_UPLOAD_CHARS)


class Edits(BaseModel):
    """Edits on the version they were made on."""

    model_config = ConfigDict(extra="forbid")
    base_version: int = Field(ge=1)
    edits: list[EditBody] = Field(max_length=5_000)
    summary: str = Field(default="", max_length=200)


class Restore(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int = Field(ge=1)


def _edits(body: Edits) -> list[Edit]:
    return [Edit(e.op, tuple(e.path), e.value, e.to) for e in body.edits]


def _problem(p: Any, places: Any = None) -> dict[str, Any]:
    out: dict[str, Any] = dict(p.as_dict())
    at = (places or {}).get(p)
    out["path"] = list(at) if at is not None else None
    return out


def _version(found: Any, *, text: bool = True) -> dict[str, Any]:
    out = {
        "draft_id": found.draft_id,
        "version": found.version,
        "author": found.author,
        "at": str(found.at),
        "summary": found.summary,
        "problems": [_problem(p, found.problem_paths) for p in found.problems],
    }
    if text:
        out["text"] = found.text
    return out


async def _call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return await run_in_threadpool(lambda: fn(*args, **kwargs))
    except Conflict as conflict:
        found = conflict.as_dict()
        raise ApiError(
            409,
            f"the draft changed since version {conflict.base_version}: version "
            f"{conflict.head_version} is the newest, and it changed places your edits touch; "
            "save them again with base_version set to it to apply them on top",
            field="base_version",
            head_version=conflict.head_version,
            theirs=_jsonable(found["theirs"]),
        ) from None
    except (KeyError, LookupError):
        raise ApiError(404, f"no draft or version '{args[0]}'", field="draft_id") from None
    except EditorError as error:
        raise ApiError(422, str(error)) from None


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return {k: _jsonable(getattr(value, k)) for k in value.__dataclass_fields__}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


@router.get("", summary="The drafts", responses=STAFF_READ)
async def list_drafts(who: Staff, svc: Svc) -> list[dict[str, Any]]:
    found = await run_in_threadpool(svc.drafts.list)
    return [_jsonable(d) for d in found]


@router.post(
    "",
    summary="Start a draft (a file may be megabytes: the body is read once you may)",
    responses=WRITE_WITH_BODY,
    status_code=201,
    openapi_extra=json_schema_body(NewDraft),
)
@accepts_upload
async def create_draft(request: Request, who: Staff, svc: Svc) -> dict[str, Any]:
    body = await json_body(request, NewDraft)
    source: tuple[Any, ...]
    if body.start_from == "example":
        if body.example not in example_names():
            raise ApiError(
                422,
                f"no bundled example {body.example!r}; one of {', '.join(example_names())}",
                field="example",
            )
        source = ("example", body.example)
    elif body.start_from == "starter":
        source = ("starter", None)
    else:
        if not body.content_base64 or not body.file_name:
            raise ApiError(422, "a file needs file_name and content_base64", field="content_base64")
        try:
            raw = base64.b64decode(body.content_base64, validate=True)
        except ValueError:
            raise ApiError(422, "content_base64 is not base64", field="content_base64") from None
        source = (body.start_from, raw, body.file_name)
    author = who.principal.name or who.principal.id
    try:
        made = await run_in_threadpool(
            lambda: svc.drafts.create(source, author=author, name=body.name)
        )
    except EditorError as error:
        audit_upload(who, source, None)
        raise ApiError(422, str(error)) from None
    audit_upload(who, source, made.draft_id)
    return _version(made)


@router.get("/{draft_id}", summary="A version of a draft, with its problems", responses=STAFF_READ)
async def get_draft(
    draft_id: str, who: Staff, svc: Svc, version: Annotated[int | None, Query(ge=1)] = None
) -> dict[str, Any]:
    return _version(await _call(svc.drafts.get, draft_id, version))


@router.post(
    "/{draft_id}/check",
    summary="The problems edits would make (not saved)",
    responses=WRITE_WITH_BODY,
)
async def check(draft_id: str, body: Edits, who: Staff, svc: Svc) -> dict[str, Any]:
    result = await _call(svc.drafts.check, draft_id, body.base_version, _edits(body))
    return {"problems": [_problem(p, result.problem_paths) for p in result.problems]}


@router.post(
    "/{draft_id}/save",
    summary="Save edits as a new version (409 if the draft changed)",
    responses=WRITE_WITH_BODY,
)
async def save(draft_id: str, body: Edits, who: Staff, svc: Svc) -> dict[str, Any]:
    author = who.principal.name or who.principal.id
    saved = await _call(
        svc.drafts.save,
        draft_id,
        body.base_version,
        _edits(body),
        author=author,
        summary=body.summary or f"{len(body.edits)} edits",
    )
    return _version(saved, text=False)


@router.get("/{draft_id}/history", summary="Every version: who, when, what", responses=STAFF_READ)
async def history(draft_id: str, who: Staff, svc: Svc) -> list[dict[str, Any]]:
    found = await _call(svc.drafts.history, draft_id)
    return [_jsonable(v) for v in found]


@router.get(
    "/{draft_id}/diff",
    summary="The YAML lines that differ between two versions",
    responses=STAFF_READ,
)
async def diff(
    draft_id: str,
    who: Staff,
    svc: Svc,
    a: Annotated[int, Query(ge=1)],
    b: Annotated[int, Query(ge=1)],
) -> dict[str, Any]:
    found = await _call(svc.drafts.diff, draft_id, a, b)
    return {
        "a": a,
        "b": b,
        "changes": [c.as_dict() for c in found.changes],
        "diff": found.text,
    }


@router.post(
    "/{draft_id}/restore", summary="Make an old version the newest again", responses=WRITE_WITH_BODY
)
async def restore(draft_id: str, body: Restore, who: Staff, svc: Svc) -> dict[str, Any]:
    author = who.principal.name or who.principal.id
    made = await _call(svc.drafts.restore, draft_id, body.version, author=author)
    return _version(made, text=False)


@router.get(
    "/{draft_id}/download/{fmt}",
    summary="The package as YAML, zip or MSEL workbook",
    responses=errors(401, 403, 404, 409, 422),
)
async def download(
    draft_id: str,
    fmt: Literal["yaml", "zip", "xlsx"],
    who: Staff,
    svc: Svc,
    version: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    method, media_type, suffix = DOWNLOADS[fmt]
    found = await _call(svc.drafts.get, draft_id, version)
    try:
        body = await run_in_threadpool(getattr(svc.drafts, method), draft_id, found.version)
    except EditorError as error:
        raise ApiError(409, str(error)) from None
    name = f"{draft_id}-v{found.version}{suffix}"
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
