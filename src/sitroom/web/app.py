"""The application factory and its lifespan: services up, broker started, log followers running."""

from __future__ import annotations

import asyncio
import contextlib
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

from sitroom import __version__
from sitroom.conduct.run import Rejected
from sitroom.config import Settings, load_settings
from sitroom.services.runs import RunNotFound
from sitroom.web.deps import ApiError

log = logging.getLogger("sitroom.web")
STATIC = Path(__file__).parent / "static"


def _errors(status: int, errors: list[dict[str, Any]], **extra: Any) -> JSONResponse:
    return JSONResponse({"errors": errors, **extra}, status_code=status)


def create_app(settings: Settings | None = None) -> FastAPI:
    """A sitroom application. Services are built in the lifespan, not here."""
    from sitroom.bootstrap import build_services
    from sitroom.web.api import runs as api_runs
    from sitroom.web.api import session as api_session
    from sitroom.web.frames import FrameCache
    from sitroom.web.pagecache import PageCache
    from sitroom.web.pages import console, design, display, evaluate, feedback, home, play, report
    from sitroom.web.pages import series as series_pages
    from sitroom.web.pages.home import NotSignedIn, PageError
    from sitroom.web.render import page, ui_language

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        svc = await run_in_threadpool(build_services, settings or load_settings())
        app.state.services = svc
        app.state.frames = FrameCache(svc.engine)
        app.state.pages = PageCache(svc.settings.page_cache_mb * 2**20)
        await svc.broker.start()
        # The followers the settings name (the scheduler by default) run in every worker;
        # a lease per (follower, run) lets exactly one of them act.
        try:
            runner = svc.follower_runner(svc.settings.followers) if svc.settings.followers else None
        except Exception:
            await svc.broker.close()
            await run_in_threadpool(svc.close)
            raise
        following = asyncio.create_task(runner.run()) if runner else None
        try:
            yield
        finally:
            if following is not None:
                following.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await following
            await svc.broker.close()
            await run_in_threadpool(svc.close)

    app = FastAPI(
        title="sitroom",
        version=__version__,
        lifespan=lifespan,
        description="Design, run and evaluate discussion-based exercises.",
    )

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

    for router in (
        api_runs.router,
        api_session.router,
        home.router,
        play.router,
        display.router,
        console.router,
        evaluate.router,
        design.router,
        feedback.router,
        report.router,
        series_pages.router,
    ):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
