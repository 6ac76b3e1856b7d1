"""The JSON API's reads: each projection of a run as the visibility gate lets the caller see it.

Every list here is what a ``visible_*`` function of ``conduct.visibility`` returns for the
caller; every log event is what ``view_event`` makes of it. No route decides for itself who
sees what.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from sitroom.bootstrap import Services
from sitroom.conduct.principal import Role
from sitroom.conduct.state import Entry, RunState
from sitroom.conduct.visibility import (
    can_see_poll_results,
    inject_view,
    is_control,
    is_staff,
    module_view,
    visible_decisions,
    visible_injects,
    visible_mail,
    visible_notes,
    visible_observations,
    visible_polls,
    visible_responses,
)
from sitroom.realtime.sse import Frame, InvalidCursor, event_stream, parse_last_event_id
from sitroom.web.api.errors import READ, STAFF_READ, errors
from sitroom.web.api.fields import MAX_SEQ
from sitroom.web.deps import ApiError, Viewer, services, viewer_in_run
from sitroom.web.frames import FrameCache
from sitroom.web.limits import long_lived
from sitroom.web.pages.play_feed import PlayFeed, audience_of
from sitroom.web.pages.play_panels import LISTENED
from sitroom.web.pages.play_wakeups import WOKEN_BY, PageWakeups
from sitroom.web.render import ui_language
from sitroom.web.streams import RETRY_SECONDS as STREAM_RETRY_SECONDS
from sitroom.web.streams import CountedStream, StreamsFull, stream_key

router = APIRouter()

Svc = Annotated[Services, Depends(services)]
InRun = Annotated[Viewer, Depends(viewer_in_run)]

EVALUATION_EVENTS = frozenset(
    {
        "target-rated",
        "capability-rated",
        "clause-recorded",
        "hot-wash-item-added",
        "feedback-submitted",
        "observation-recorded",
        "finding-saved",
        "finding-removed",
        "report-finalised",
    }
)
"""The log events that make up the evaluation record."""


def _clock(state: RunState, svc: Services) -> dict[str, Any]:
    now = svc.engine.clock()
    scenario = state.scenario_time(now)
    return {
        "status": state.status,
        "run_clock_seconds": state.run_clock(now).total_seconds(),
        "module_clock_seconds": state.module_clock(now).total_seconds(),
        "scenario_time": scenario.isoformat() if scenario else None,
        "compression": state.compression,
    }


@router.get(
    "/runs/{run_id}", summary="The run as you may see it: status, clock, module", responses=READ
)
async def run_summary(run_id: str, svc: Svc, who: InRun) -> dict[str, Any]:
    state = await run_in_threadpool(svc.engine.state, run_id)
    package = state.package
    p = who.principal
    return {
        "id": run_id,
        "title": package.exercise.title,
        "seq": state.seq,
        **_clock(state, svc),
        "module": module_view(p, package, state.module) if state.module else None,
        "modules": [{"id": m.id, "title": m.title} for m in package.modules],
        "languages": list(package.exercise.languages),
        "parties": [{"id": x.id, "name": x.name, "code": x.code} for x in package.parties],
        "teams": [
            {"id": t.id, "name": t.name, "party": t.party, "kind": t.kind} for t in package.teams
        ],
    }


@router.get(
    "/runs/{run_id}/injects",
    summary="Injects: the MSEL for control, released for players",
    responses=READ,
)
async def injects(
    run_id: str,
    svc: Svc,
    who: InRun,
    lang: Annotated[str | None, Query(max_length=10)] = None,
) -> list[dict[str, Any]]:
    state = await run_in_threadpool(svc.engine.state, run_id)
    p = who.principal
    rows = []
    for inject, status in visible_injects(p, state):
        row = inject_view(p, state.package, inject, lang or who.language, status.content)
        row["status"] = status.status
        row["released_seq"] = status.released_seq
        row["released_at"] = status.released_at.isoformat() if status.released_at else None
        if is_control(p):
            row["receipts"] = sorted(status.receipts)
            row["acknowledged"] = sorted(status.acknowledged)
            row["mail"] = [
                {
                    "recipient": r.recipient,
                    "state": r.state,
                    "attempts": r.attempts,
                    "error": r.error or None,
                    "message_id": r.message_id,
                    "at": r.at.isoformat(),
                }
                for r in visible_mail(p, state, inject.number)
            ]
        rows.append(row)
    return rows


@router.get(
    "/runs/{run_id}/decisions", summary="Decisions you may see, with concurrence", responses=READ
)
async def decisions(run_id: str, svc: Svc, who: InRun) -> list[dict[str, Any]]:
    state = await run_in_threadpool(svc.engine.state, run_id)
    return [
        {
            "id": d.id,
            "team": d.team,
            "party": d.party,
            "title": d.title,
            "text": d.text,
            "joint_with": list(d.joint_with),
            "clauses": list(d.clauses),
            "status": d.status,
            "seq": d.seq,
            "at": d.at.isoformat(),
            "answers": [
                {
                    "party": a.party,
                    "team": a.team,
                    "concur": a.concur,
                    "reasons": a.reasons,
                    "clauses": list(a.clauses),
                    "seq": a.seq,
                }
                for a in d.answers.values()
            ],
        }
        for d in visible_decisions(who.principal, state)
    ]


@router.get(
    "/runs/{run_id}/polls", summary="Polls you may see, with results once closed", responses=READ
)
async def polls(run_id: str, svc: Svc, who: InRun) -> list[dict[str, Any]]:
    state = await run_in_threadpool(svc.engine.state, run_id)
    p = who.principal
    out = []
    for module, poll, ps in visible_polls(p, state):
        show = can_see_poll_results(p, ps.closed_seq is not None)
        mine = ps.votes.get(p.id)
        out.append(
            {
                "id": poll.id,
                "module": module.id,
                "question": poll.question,
                "options": [o.model_dump(mode="json") for o in poll.options],
                "multiple": poll.multiple,
                "ask_confidence": poll.ask_confidence,
                "open": ps.open,
                "closed": ps.closed_seq is not None,
                "results": ps.results() if show else None,
                "votes": len(ps.votes) if show else None,
                "mean_confidence": ps.mean_confidence() if show else None,
                "my_vote": list(mine.options) if mine else None,
            }
        )
    return out


def _entries(entries: list[Entry]) -> list[dict[str, Any]]:
    return [
        {
            "id": e.id,
            "seq": e.seq,
            "at": e.at.isoformat(),
            "author": e.author,
            "text": e.text,
            "team": e.team,
            "party": e.party,
            "target": e.target,
            "ref": e.ref,
            **({"tags": e.tags} if e.tags else {}),
        }
        for e in entries
    ]


@router.get(
    "/runs/{run_id}/responses",
    summary="Responses: your team's, or all for control",
    responses=READ,
)
async def responses(run_id: str, svc: Svc, who: InRun) -> list[dict[str, Any]]:
    state = await run_in_threadpool(svc.engine.state, run_id)
    return _entries(visible_responses(who.principal, state))


@router.get("/runs/{run_id}/notes", summary="Team notes: your team's", responses=READ)
async def notes(run_id: str, svc: Svc, who: InRun) -> list[dict[str, Any]]:
    state = await run_in_threadpool(svc.engine.state, run_id)
    return _entries(visible_notes(who.principal, state))


@router.get(
    "/runs/{run_id}/observations", summary="Observations: evaluators and control", responses=READ
)
async def observations(run_id: str, svc: Svc, who: InRun) -> list[dict[str, Any]]:
    state = await run_in_threadpool(svc.engine.state, run_id)
    return _entries(visible_observations(who.principal, state))


@router.get("/runs/{run_id}/log", summary="The run's events as you may see them", responses=READ)
async def log(
    run_id: str,
    svc: Svc,
    who: InRun,
    after: Annotated[int, Query(ge=0, le=MAX_SEQ)] = 0,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
) -> dict[str, Any]:
    stored = await run_in_threadpool(svc.engine.read, run_id, after, limit)
    views = [svc.engine.view(who.principal, run_id, e) for e in stored]
    return {
        "events": [v for v in views if v is not None],
        "cursor": stored[-1].seq if stored else after,
    }


@router.get(
    "/runs/{run_id}/events",
    summary="Server-Sent Events: the run live, for you",
    response_class=StreamingResponse,
    responses=errors(400, 401, 403, 404, 422),
)
@long_lived
async def events(
    run_id: str,
    request: Request,
    svc: Svc,
    who: InRun,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=30)] = None,
    after: Annotated[str | None, Query(max_length=30)] = None,
    fragments: Annotated[
        Literal["play"] | None,
        Query(description="'play': a player page's stream, what changed as HTML to swap in"),
    ] = None,
) -> Response:
    try:
        cursor = parse_last_event_id(last_event_id, after)
    except InvalidCursor as exc:
        raise ApiError(400, str(exc), field=exc.field) from None
    p = who.principal
    if fragments and (p.role not in (Role.PLAYER, Role.OBSERVER) or p.team is None):
        raise ApiError(403, "fragments=play is for the players of a team", field="fragments")
    engine, broker = svc.engine, svc.broker
    frames: FrameCache = request.app.state.frames
    metrics = request.app.state.metrics
    feed: PlayFeed = request.app.state.play_feed
    lang = ui_language(request, who.language)
    audience = audience_of(p, lang)
    # A player page's stream wakes only for what the page shows (not for every receipt).
    wakeups: PageWakeups = request.app.state.page_wakeups

    async def read_after(seq: int) -> list[Any]:
        known = broker.latest(run_id)
        found = engine.recent(run_id, seq, known, 2000)
        if found is not None:
            return found
        return await run_in_threadpool(engine.read_after, run_id, seq, known, 2000)

    async def read_for_page(seq: int) -> list[Any]:
        # The events the page shows, kept by the one task that follows the run for the
        # player pages; the log when the stream asks from further back than that.
        shown = wakeups.after(run_id, seq)
        return shown if shown is not None else await read_after(seq)

    def render(stored: Any) -> Frame | None:
        frame = frames.frame(p, run_id, stored)
        if frame is not None:
            metrics.frames_sent.inc()
        return frame

    def render_for_page(stored: Any) -> Awaitable[list[Frame]] | tuple[Frame, ...] | None:
        if stored.type not in WOKEN_BY:
            return None  # a receipt, a vote of someone else: nothing, at no cost
        if stored.type not in LISTENED:
            ready = feed.ready(run_id, stored, audience)
            if ready is not None:  # made once for the audience before the streams woke
                metrics.frames_sent.inc(len(ready))
                return ready
        return page_frames(stored)

    async def page_frames(stored: Any) -> list[Frame]:
        # The page takes what changed as HTML; of the events themselves, only those its
        # panels still listen to.
        sent = list(await feed.frames(run_id, stored, audience))
        if stored.type in LISTENED and (frame := frames.frame(p, run_id, stored)) is not None:
            sent.append(frame)
        metrics.frames_sent.inc(len(sent))
        return sent

    async def clock() -> tuple[Frame, ...]:
        return await feed.clock(run_id, audience)

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
    if fragments:
        feed.attend(run_id, audience)
        await feed.warm(run_id, lang)
    stream = event_stream(
        run_id=run_id,
        after=cursor,
        broker=wakeups if fragments else svc.broker,
        read_after=read_for_page if fragments else read_after,
        render=render_for_page if fragments else render,
        heartbeat=svc.settings.heartbeat_seconds,
        is_disconnected=request.is_disconnected,
        still_allowed=still_allowed,
        drain=request.app.state.drain,
        tick=clock if fragments else None,
        # Spread over the second half of the first heartbeat: 3,000 streams opened at STARTEX
        # would otherwise check their sessions in the same instant, every heartbeat, and a
        # release falling then waits behind 3,000 database reads.
        first_check=svc.settings.heartbeat_seconds * (0.5 + random.random() / 2),
    )
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return CountedStream(
        stream,
        release=release,
        media_type="text/event-stream",
        headers=headers,
        open_streams=metrics.streams_open,
    )


@router.get(
    "/runs/{run_id}/evaluation", summary="The evaluation record as you may see it", responses=READ
)
async def evaluation(run_id: str, svc: Svc, who: InRun) -> dict[str, Any]:
    stored = await run_in_threadpool(svc.engine.read, run_id)
    views = [
        svc.engine.view(who.principal, run_id, e) for e in stored if e.type in EVALUATION_EVENTS
    ]
    return {"events": [v for v in views if v is not None]}


@router.get(
    "/runs/{run_id}/analytics",
    summary="Analytics over the log (evaluators, control)",
    responses=STAFF_READ,
)
async def analytics(run_id: str, svc: Svc, who: InRun) -> dict[str, Any]:
    from sitroom.evaluation import analytics as a

    if not is_staff(who.principal):
        raise ApiError(403, "analytics are for evaluators and control staff")
    state = await run_in_threadpool(svc.engine.state, run_id)
    data: dict[str, Any] = _plain(
        {
            "inject_timings": a.inject_timings(state),
            "concurrence_times": a.concurrence_times(state),
            "participation": a.participation(state),
            "coverage": a.coverage(state),
            "poll_alignment": a.poll_alignment(state),
            "rating_distribution": a.rating_distribution(state),
        }
    )
    return data


def _plain(value: Any) -> Any:
    """Dataclasses, tuples, times and durations as JSON-ready data."""
    import dataclasses
    from datetime import datetime, timedelta

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        data = {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        for name, attribute in vars(type(value)).items():  # derived values, e.g. "untouched"
            if isinstance(attribute, property) and not name.startswith("_"):
                data[name] = _plain(getattr(value, name))
        return data
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, datetime):
        return value.isoformat()
    return value
