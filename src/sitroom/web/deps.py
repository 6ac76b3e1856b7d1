"""Request dependencies: the services, the viewer, and the error type routes raise."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from fastapi import Depends, Header, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from sitroom.services.idempotency import check_client_key
from sitroom.services.identity import Viewer as Viewer
from sitroom.services.preview import PreviewRefused, preview_viewer

if TYPE_CHECKING:
    from sitroom.bootstrap import Services as Services

SESSION_COOKIE = "sitroom_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
KEY_HEADER = "Idempotency-Key"
M = TypeVar("M", bound=BaseModel)


class ApiError(Exception):
    """An error with its HTTP status and the field it is about."""

    def __init__(
        self, status: int, message: str, *, field: str | None = None, **extra: Any
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field
        self.extra = extra


def services(request: Request) -> Services:
    """The application's services, built in the lifespan."""
    return request.app.state.services  # type: ignore[no-any-return]


def credentials(request: Request) -> tuple[str | None, str | None]:
    """The session cookie and the ``Authorization: Bearer`` API token a request carries."""
    token = request.cookies.get(SESSION_COOKIE)
    bearer = request.headers.get("authorization", "")
    api_token = bearer[7:].strip() if bearer.lower().startswith("bearer ") else None
    return token or None, api_token or None


async def optional_viewer(request: Request) -> Viewer | None:
    """The viewer from the session cookie or an ``Authorization: Bearer`` API token."""
    token, api_token = credentials(request)
    if not token and not api_token:
        return None
    found = await run_in_threadpool(services(request).identity.resolve, token, api_token)
    return await as_previewed(request, found)


async def as_previewed(request: Request, found: Viewer | None) -> Viewer | None:
    """``found``, or the viewer a preview of this request makes of it (`services.preview`)."""
    spec = request.query_params.get(PREVIEW_QUERY) or request.headers.get(PREVIEW_HEADER)
    if found is None or not spec:
        return found
    return await _previewing(request, found, spec)


PREVIEW_QUERY = "as"
"""The query parameter of a preview: a page's address and its event stream carry it."""

PREVIEW_HEADER = "X-Sitroom-Preview"
"""The header of a preview: a previewed page's own requests (htmx) carry it."""


async def _previewing(request: Request, found: Viewer, spec: str) -> Viewer:
    """Control looking at the run of this request as ``spec`` (``services.preview``)."""
    if request.method not in SAFE_METHODS:
        raise ApiError(
            403,
            "a preview is read-only: leave the preview to act as yourself",
            field=PREVIEW_HEADER,
        )
    run_id = request.path_params.get("run_id")
    if not isinstance(run_id, str):
        raise ApiError(400, "a preview is of one run's pages", field=PREVIEW_QUERY)
    svc = services(request)
    try:
        package = await run_in_threadpool(svc.engine.package, run_id)
        return preview_viewer(found, run_id, package, spec)
    except PreviewRefused as refused:
        raise ApiError(refused.status, refused.message, field=PREVIEW_QUERY) from None
    except LookupError:
        raise ApiError(404, f"no run '{run_id}'", field="run_id") from None


async def authenticated(request: Request) -> Viewer:
    """The viewer of the session cookie or API token, or 401; a ``read`` token may not write
    (403 naming the scope). Reads nothing of the body: routes that take large bodies call
    this (and check their permission) before they parse one."""
    found = await optional_viewer(request)
    if found is None:
        if request.headers.get("authorization", "").lower().startswith("bearer "):
            raise ApiError(
                401,
                "the API token is unknown, revoked or expired;"
                " make a new one with 'sitroom account token'",
                field="Authorization",
            )
        raise ApiError(401, "sign in first: use your invitation link or join code")
    if request.method not in SAFE_METHODS and found.scope == "read":
        raise ApiError(
            403,
            "this API token has scope 'read', which cannot change anything;"
            " use a token made with --scope write (or admin)",
            field="scope",
        )
    return found


async def check_csrf(request: Request, found: Viewer) -> None:
    """A write with a session cookie must carry its CSRF token (header ``X-CSRF-Token`` or
    form field ``csrf_token``, which reads the form); API tokens need none."""
    if request.method in SAFE_METHODS or found.session is None:
        return
    submitted = request.headers.get(CSRF_HEADER)
    if submitted is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get("csrf_token")
        submitted = value if isinstance(value, str) else None
    if not services(request).identity.auth.csrf.check_csrf(found.session, submitted):
        raise ApiError(403, "missing or wrong CSRF token; reload the page", field=CSRF_HEADER)


async def viewer(request: Request) -> Viewer:
    """The signed-in viewer, or 401. A write with a session cookie must carry its CSRF token
    (header ``X-CSRF-Token`` or form field ``csrf_token``); API tokens need none, but a token
    of scope ``read`` cannot write at all (403 naming the scope)."""
    found = await authenticated(request)
    await check_csrf(request, found)
    return found


async def json_body(request: Request, model: type[M]) -> M:
    """The request's JSON body as ``model``, for a route that authenticated its caller before
    reading a large body; invalid input is a 422 naming the field, as for any other body."""
    try:
        return model.model_validate_json(await request.body())
    except ValidationError as error:
        details = [{**e, "loc": ("body", *e["loc"])} for e in error.errors(include_url=False)]
        raise RequestValidationError(details) from None


async def viewer_in_run(request: Request, run_id: str) -> Viewer:
    """The viewer, who must belong to ``run_id`` (invitations) or hold an account."""
    found = await viewer(request)
    svc = services(request)
    if found.run_id is not None and found.run_id != run_id:
        raise ApiError(404, f"no run '{run_id}'", field="run_id")
    # Asked on every request of a run: from memory once the run is known (a room's receipts
    # after a release are a thousand of them), with no copy of the package read each time.
    if not svc.engine.known(run_id) and not await run_in_threadpool(svc.engine.exists, run_id):
        raise ApiError(404, f"no run '{run_id}'", field="run_id")
    return found


def client_key(
    key: Annotated[
        str | None,
        Header(
            alias=KEY_HEADER,
            min_length=1,
            max_length=200,
            pattern=r"^[^\x00-\x1f\x7f]+$",
            description=(
                "A client-made id, one per submission of yours: a retry with the same key and"
                " body never records twice; the same key with another body is refused (422)."
                " Keys starting with 'scheduled:', 'follower:' or 'system:' are the server's"
                " and refused (422)."
            ),
        ),
    ] = None,
) -> str | None:
    """The request's idempotency key, refused (422, naming the header) if it is the server's."""
    check_client_key(key, field=KEY_HEADER)
    return key


IdempotencyKey = Annotated[str | None, Depends(client_key)]
"""The ``Idempotency-Key`` header of a command route."""
