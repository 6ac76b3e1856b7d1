"""The application factory and its lifespan: services up, broker started, log followers running."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from sitroom import __version__
from sitroom.conduct.run import Rejected
from sitroom.config import Settings, load_settings
from sitroom.services.runs import RunNotFound
from sitroom.web.auditing import AuditSource
from sitroom.web.deps import ApiError
from sitroom.web.headers import SecurityHeaders
from sitroom.web.limits import RequestLimits, route_kinds
from sitroom.web.streams import SERVER_SEND, StreamSlots

log = logging.getLogger("sitroom.web")
STATIC = Path(__file__).parent / "static"


def _errors(status: int, errors: list[dict[str, Any]], **extra: Any) -> JSONResponse:
    return JSONResponse({"errors": errors, **extra}, status_code=status)


class SitroomApp(FastAPI):
    """FastAPI with the security headers outside everything else, its error handling included,
    so that a 500 page carries them too (middleware added with ``add_middleware`` sits inside
    the handler that answers 500)."""

    form_origins: tuple[str, ...] = ()
    """Origins besides our own that a form's answer may lead to (the sign-on provider's)."""

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(super().build_middleware_stack(), self.form_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":  # for the event streams' chunks (`web.streams`)
            scope[SERVER_SEND] = send
        await super().__call__(scope, receive, send)


def create_app(settings: Settings | None = None) -> FastAPI:
    """A sitroom application. Services are built in the lifespan, not here; the settings are
    read here, since the request limits in front of the routes need them."""
    from sitroom.bootstrap import build_services
    from sitroom.realtime.drain import Drain
    from sitroom.web import apidocs, heap, markings
    from sitroom.web import metrics as web_metrics
    from sitroom.web.access_log import redact_access_log
    from sitroom.web.api import probes as api_probes
    from sitroom.web.api import runs as api_runs
    from sitroom.web.api import session as api_session
    from sitroom.web.api import webhooks as api_webhooks
    from sitroom.web.frames import FrameCache
    from sitroom.web.origin import ForeignForm, origin_of
    from sitroom.web.pagecache import PageCache
    from sitroom.web.pages import (
        assist,
        console,
        console_cells,
        console_hooks,
        design,
        display,
        editor,
        editor_api,
        evaluate,
        feedback,
        home,
        join,
        play,
        preview,
        report,
        reset,
        series_live,
        signon,
        simcell,
    )
    from sitroom.web.pages import game as game_pages
    from sitroom.web.pages import series as series_pages
    from sitroom.web.pages.home import NotSignedIn, PageError
    from sitroom.web.pages.play_feed import PlayFeed
    from sitroom.web.pages.play_wakeups import PageWakeups
    from sitroom.web.render import N_, page, ui_language
    from sitroom.web.stopping import on_stop_signal

    redact_access_log()  # however the app is served: `sitroom serve`, `demo`, plain uvicorn

    chosen = settings or load_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        svc = await run_in_threadpool(build_services, chosen)
        svc.engine.observe_append = metrics.append_seconds.observe
        app.state.services = svc
        app.state.frames = FrameCache(svc.engine)
        app.state.pages = PageCache(svc.settings.page_cache_mb * 2**20)
        app.state.play_feed = PlayFeed(svc)
        app.state.page_wakeups = PageWakeups(
            svc.broker,
            svc.engine,
            svc.settings.heartbeat_seconds,
            prepare=app.state.play_feed.prepare,
        )
        await svc.broker.start()
        # The followers the settings name (the scheduler by default) run in every worker;
        # a lease per (follower, run) lets exactly one of them act.
        try:
            runner = svc.follower_runner(svc.settings.followers) if svc.settings.followers else None
        except Exception:
            await svc.broker.close()
            await run_in_threadpool(svc.close)
            raise
        app.state.runner = runner
        metrics.follower_lag.source = runner.lag if runner else None
        metrics.deliveries.source = functools.partial(web_metrics.delivery_counts, svc)
        following = asyncio.create_task(runner.run()) if runner else None
        # Invitation and reset e-mail: every worker delivers what is due (each message is
        # claimed by one of them at a time), at every follower tick and when one is queued.
        outbox = svc.outbox if svc.outbox is not None and svc.outbox.enabled else None
        mailing = asyncio.create_task(outbox.run(svc.settings.follower_seconds)) if outbox else None
        # On SIGTERM, before the server waits for open responses: streams end with a
        # reconnect hint, and the followers stop and give their leases up at once, so that
        # another worker leads within a tick while this one finishes its last requests.
        drain = app.state.drain = Drain()
        if following is not None:
            drain.on_begin(following.cancel)
        if mailing is not None:
            drain.on_begin(mailing.cancel)
        undo_signal = on_stop_signal(drain.begin)
        # The start-up heap out of the collector's way; full collections at quiet moments.
        unsettle = heap.settle()
        sweeping = asyncio.create_task(heap.collect_when_quiet())
        try:
            yield
        finally:
            unsettle()
            undo_signal()
            for task in (following, mailing, sweeping):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            await app.state.page_wakeups.close()
            await svc.broker.close()
            await run_in_threadpool(svc.close)

    app = SitroomApp(
        title="sitroom",
        version=__version__,
        lifespan=lifespan,
        description="Design, run and evaluate discussion-based exercises.",
        docs_url=None,  # served by apidocs from the vendored Swagger UI, not from a CDN
        redoc_url=None,
    )
    if chosen.oidc_issuer:  # signing out leads on to the provider's logout page
        app.form_origins = tuple(o for o in [origin_of(chosen.oidc_issuer)] if o)
    app.state.streams = StreamSlots(chosen.max_streams_per_session, chosen.max_streams)
    metrics = app.state.metrics = web_metrics.Metrics()
    app.add_middleware(web_metrics.RequestMetrics, metrics=metrics)
    app.add_middleware(AuditSource)

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return _errors(exc.status, [{"field": exc.field, "message": exc.message}], **exc.extra)

    @app.exception_handler(Rejected)
    async def rejected(request: Request, exc: Rejected) -> JSONResponse:
        return _errors(exc.status, [{"field": exc.field, "message": exc.message}])

    @app.exception_handler(RunNotFound)
    async def not_found(request: Request, exc: RunNotFound) -> JSONResponse:
        return _errors(404, [{"field": "run_id", "message": f"no run '{exc.args[0]}'"}])

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        for err in exc.errors():
            loc = [
                str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header")
            ]
            errors.append({"field": ".".join(loc) or None, "message": err.get("msg", "invalid")})
        return _errors(422, errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _errors(exc.status_code, [{"field": None, "message": str(exc.detail)}])

    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, exc: NotSignedIn) -> Response:
        if request.headers.get("HX-Request"):  # a live panel: send the whole page to sign-in
            return Response(status_code=204, headers={"HX-Redirect": "/signin"})
        return RedirectResponse("/signin", status_code=303)

    @app.exception_handler(PageError)
    async def page_error(request: Request, exc: PageError) -> Response:
        return page(
            request, "error.html", ui_language(request), status_code=exc.status, message=exc.message
        )

    @app.exception_handler(ForeignForm)
    async def foreign_form(request: Request, exc: ForeignForm) -> Response:
        message = N_(
            "This form was sent from another site, so it was not accepted: sitroom signs"
            " people in and out only from its own pages. Open sitroom's address yourself"
            " and try again there."
        )
        return page(request, "error.html", ui_language(request), status_code=403, message=message)

    for router in (
        api_probes.router,
        web_metrics.router,
        api_runs.router,
        api_session.router,
        api_webhooks.router,
        home.router,
        join.router,
        reset.router,
        signon.router,
        play.router,
        preview.router,
        display.router,
        console.router,
        console_cells.router,
        console_hooks.router,
        assist.router,
        simcell.router,
        game_pages.router,
        evaluate.router,
        design.router,
        editor.router,
        editor_api.router,
        feedback.router,
        report.router,
        series_pages.router,
        series_live.router,
        markings.router,
        apidocs.router,
    ):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    # Before routing and before any body is read: the body's size and a turn in the process.
    app.add_middleware(
        RequestLimits,
        max_body=chosen.max_body_bytes,
        max_upload=chosen.max_upload_bytes,
        max_requests=chosen.max_requests,
        kinds=route_kinds(app.routes),
    )
    return app
