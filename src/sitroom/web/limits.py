"""What one request may cost before anyone knows who sent it: the size of its body, and a turn.

`RequestLimits` is a pure ASGI middleware in front of the routes. It counts the bytes of a
request body as they arrive, whether a ``Content-Length`` was declared or the body comes in
chunks, and answers 413 the moment the count passes the route's limit: before anything is
parsed or spooled to disk. A declared ``Content-Length`` over the limit is refused before a
byte is read. Routes that take a file or a whole package are marked `accepts_upload` and get
the larger upload limit; those routes authenticate before they read their body.

It also bounds the requests one process handles at once and answers the rest 503 with
``Retry-After``. Event streams (marked `long_lived`) are left out of that count: each lasts
as long as a page stays open, and `StreamSlots` counts them instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sitroom.web.render import N_, page, ui_language

F = TypeVar("F", bound=Callable[..., Any])

_UPLOAD = "sitroom_upload"
_STREAM = "sitroom_stream"

TOO_LARGE_PAGE = N_("What you sent is larger than this server accepts.")
BUSY_PAGE = N_("The server is busy. Try again in a moment.")
RETRY_SECONDS = 1


def accepts_upload(endpoint: F) -> F:
    """Mark a route that takes a file or a whole package: its body may reach the upload
    limit (``SITROOM_MAX_UPLOAD_BYTES``) instead of the form and JSON one."""
    setattr(endpoint, _UPLOAD, True)
    return endpoint


def long_lived(endpoint: F) -> F:
    """Mark an event-stream route: not counted among the requests in flight."""
    setattr(endpoint, _STREAM, True)
    return endpoint


def multipart_body(properties: dict[str, Any], required: tuple[str, ...]) -> dict[str, Any]:
    """The OpenAPI ``requestBody`` of an upload route that reads its form itself (after it
    authenticated the caller), for the route's ``openapi_extra``."""
    schema = {"type": "object", "properties": properties, "required": list(required)}
    return {
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": schema}}}
    }


def json_schema_body(model: type[BaseModel]) -> dict[str, Any]:
    """The OpenAPI ``requestBody`` of an upload route that reads its JSON itself (after it
    authenticated the caller), for the route's ``openapi_extra``."""
    schema = model.model_json_schema()
    if "$defs" in schema:  # would dangle outside the model's own document
        raise ValueError(f"{model.__name__} nests models; describe its body another way")
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


@dataclass(frozen=True)
class RouteKinds:
    """The paths (with their methods) of the marked routes, to tell them apart before routing."""

    uploads: tuple[tuple[re.Pattern[str], frozenset[str]], ...] = ()
    streams: tuple[tuple[re.Pattern[str], frozenset[str]], ...] = ()
    _known: dict[tuple[str, str], bool] = field(default_factory=dict, compare=False, repr=False)
    """Answers given, by (kind and method, path): a room sends the same few paths over and
    over (a thousand receipts of one inject), and matching them is a scan of every route."""

    KNOWN_PATHS = 4096

    def _matches(
        self,
        kinds: tuple[tuple[re.Pattern[str], frozenset[str]], ...],
        method: str,
        path: str,
    ) -> bool:
        key = (("U" if kinds is self.uploads else "S") + method, path)
        found = self._known.get(key)
        if found is None:
            found = any(method in methods and regex.match(path) for regex, methods in kinds)
            if len(self._known) >= self.KNOWN_PATHS:
                self._known.clear()
            self._known[key] = found
        return found

    def upload(self, method: str, path: str) -> bool:
        """Whether ``method path`` reaches a route marked `accepts_upload`."""
        return self._matches(self.uploads, method, path)

    def stream(self, method: str, path: str) -> bool:
        """Whether ``method path`` reaches a route marked `long_lived`."""
        return self._matches(self.streams, method, path)


def route_kinds(routes: Sequence[BaseRoute]) -> RouteKinds:
    """The marked routes among ``routes`` (an application's, after its routers are included)."""
    uploads, streams = [], []
    for route in _flat(routes):
        path, methods = getattr(route, "path", None), getattr(route, "methods", None)
        endpoint = getattr(route, "endpoint", None)
        if not path or not methods or endpoint is None:
            continue
        entry = (compile_path(path)[0], frozenset(methods))
        if getattr(endpoint, _UPLOAD, False):
            uploads.append(entry)
        if getattr(endpoint, _STREAM, False):
            streams.append(entry)
    return RouteKinds(tuple(uploads), tuple(streams))


def _flat(routes: Sequence[BaseRoute]) -> Iterable[Any]:
    """Every route with its full path: FastAPI 0.16x keeps included routers as lazy branches
    (walked by ``iter_route_contexts``), older versions copy their routes in."""
    try:
        from fastapi.routing import iter_route_contexts  # type: ignore[attr-defined,unused-ignore]
    except ImportError:  # pragma: no cover - older FastAPI
        return routes
    return iter_route_contexts(routes)  # type: ignore[no-any-return,unused-ignore]


def is_api(scope: Scope) -> bool:
    """Whether the request went to the JSON API (answered in JSON, not with a page)."""
    path: str = scope["path"]
    return path == "/api" or path.startswith("/api/")


def refusal(
    scope: Scope, status: int, message: str, page_message: str, headers: dict[str, str]
) -> Response:
    """A refusal in the API's error shape, or a short page in the viewer's language."""
    if is_api(scope):
        body = {"errors": [{"field": None, "message": message}]}
        return JSONResponse(body, status_code=status, headers=headers)
    request = Request(scope)
    response = page(request, "error.html", ui_language(request), status, message=page_message)
    response.headers.update(headers)
    return response


async def _no_body() -> Message:
    return {"type": "http.disconnect"}


async def _too_large(scope: Scope, send: Send, limit: int, upload: bool) -> None:
    setting = "SITROOM_MAX_UPLOAD_BYTES" if upload else "SITROOM_MAX_BODY_BYTES"
    message = (
        f"the request body is larger than {limit:,} bytes, the most this route accepts;"
        f" send less (the server's {setting} sets the limit)"
    )
    # Connection: close, so the server does not go on reading the rest of the body.
    response = refusal(scope, 413, message, TOO_LARGE_PAGE, {"Connection": "close"})
    await response(scope, _no_body, send)


class RequestLimits:
    """Body size per route and requests in flight per process (see the module's docstring)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body: int,
        max_upload: int,
        max_requests: int,
        kinds: RouteKinds,
    ) -> None:
        self.app = app
        self.max_body = max_body
        self.max_upload = max_upload
        self.max_requests = max_requests
        self.kinds = kinds
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        if self.kinds.stream(method, path):
            await self._bounded(scope, receive, send, upload=False)
            return
        if self.in_flight >= self.max_requests:
            busy = refusal(
                scope,
                503,
                "the server is handling as many requests as it may at once; try again in a moment",
                BUSY_PAGE,
                {"Retry-After": str(RETRY_SECONDS)},
            )
            await busy(scope, _no_body, send)
            return
        self.in_flight += 1
        try:
            await self._bounded(scope, receive, send, upload=self.kinds.upload(method, path))
        finally:
            self.in_flight -= 1

    async def _bounded(self, scope: Scope, receive: Receive, send: Send, *, upload: bool) -> None:
        """Run the app with a body within the route's limit; answer 413 past it."""
        limit = self.max_upload if upload else self.max_body
        declared: int | None = None
        chunked = False
        for name, value in scope["headers"]:
            if name == b"content-length":
                declared = int(value) if value.isdigit() else None  # the server checked it
            elif name == b"transfer-encoding":
                chunked = True
        if declared is not None and declared > limit:
            await _too_large(scope, send, limit, upload)
            return
        if not declared and not chunked:  # no body: nothing to count (every event stream)
            await self.app(scope, receive, send)
            return

        received = 0
        refused = False

        async def counted() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    if not started:
                        await _too_large(scope, send, limit, upload)
                    # To the route the client is gone: it stops reading and parsing at once.
                    return {"type": "http.disconnect"}
            return message

        started = False

        async def guarded(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 was the answer; what the route says after it goes nowhere
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except Exception:
            if not refused:
                raise
            # The route saw a vanished client (e.g. ClientDisconnect while parsing a form).
