"""A series page kept up to date: ``GET /api/series/{id}/events`` says when to fetch again.

The page shows the series' own log and the runs of the series (editions imported, runs that
can be imported, what their finalised AARs carried). Whenever one of those logs grows, the
stream (``realtime.watch``) sends a ``changed`` frame and the page's live parts fetch
themselves (``hx-trigger="sse:changed"``). The page is rendered with the logs' version, so
a change between rendering and connecting is sent at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from sitroom.bootstrap import Services
from sitroom.conduct.principal import Principal
from sitroom.realtime.sse import InvalidCursor, parse_last_event_id
from sitroom.realtime.watch import change_stream
from sitroom.web.api.errors import errors
from sitroom.web.deps import ApiError
from sitroom.web.limits import long_lived
from sitroom.web.pages.series_access import Staff, Svc
from sitroom.web.streams import RETRY_SECONDS as STREAM_RETRY_SECONDS
from sitroom.web.streams import CountedStream, StreamsFull, stream_key

router = APIRouter()


def series_version(svc: Services, series_id: str, principal: Principal) -> int:
    """The version of the logs a series page shows (what its stream compares against)."""
    return svc.series.version(svc.series.watched(series_id, svc.engine, principal))


@router.get(
    "/api/series/{series_id}/events",
    tags=["series"],
    summary="Server-Sent Events: 'changed' whenever the series or one of its runs records events",
    response_class=StreamingResponse,
    responses=errors(400, 401, 403, 422),
)
@long_lived
async def series_events(
    series_id: str,
    request: Request,
    svc: Svc,
    who: Staff,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=30)] = None,
    after: Annotated[str | None, Query(max_length=30)] = None,
) -> Response:
    """Each frame's id is the version of the logs (it only grows); resume with Last-Event-ID."""
    try:
        cursor = parse_last_event_id(last_event_id, after)
    except InvalidCursor as exc:
        raise ApiError(400, str(exc), field=exc.field) from None
    watched = await run_in_threadpool(svc.series.watched, series_id, svc.engine, who.principal)

    async def streams() -> Sequence[str]:
        nonlocal watched
        watched = await run_in_threadpool(svc.series.watched, series_id, svc.engine, who.principal)
        return watched

    async def version(names: Sequence[str]) -> int:
        return await run_in_threadpool(svc.series.version, names)

    async def still_allowed() -> bool:
        # Mostly answered from memory, in the loop; the database only once a recheck is due.
        if svc.identity.still_valid_in_memory(who):
            return True
        return await run_in_threadpool(svc.identity.still_valid, who)

    try:
        release = request.app.state.streams.take(stream_key(who))
    except StreamsFull as full:
        return JSONResponse(
            {"errors": [{"field": None, "message": full.message}]},
            status_code=full.status,
            headers={"Retry-After": str(STREAM_RETRY_SECONDS)},
        )
    stream = change_stream(
        after=cursor,
        broker=svc.broker,
        streams=streams,
        version=version,
        heartbeat=svc.settings.heartbeat_seconds,
        is_disconnected=request.is_disconnected,
        still_allowed=still_allowed,
        drain=request.app.state.drain,
    )
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return CountedStream(
        stream,
        release=release,
        media_type="text/event-stream",
        headers=headers,
        open_streams=request.app.state.metrics.streams_open,
    )
