"""Readiness: whether this worker should be sent traffic now (load balancers, Kubernetes).

Liveness is ``/api/health``. Readiness says no while the worker starts, while it drains (it
received SIGTERM and is handing its clients over) and while its database does not answer;
a proxy or Kubernetes then sends new requests to the other workers.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Literal

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from sitroom.web.routing import PrefixRouter

log = logging.getLogger("sitroom.web")

router = PrefixRouter(prefix="/api")

DATABASE_TIMEOUT = 2.0
"""Seconds the database has to answer a readiness check."""


class Readiness(BaseModel):
    """Whether the worker takes traffic, and if not, why."""

    ready: bool
    reason: Literal["starting", "draining", "database"] | None = Field(
        None, description="Why not: starting up, stopping, or the database does not answer."
    )


@router.get(
    "/ready",
    summary="Readiness: this worker takes traffic (503 while starting, draining or cut off)",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "Not ready; the reason says why."}},
)
async def ready(request: Request) -> Readiness | JSONResponse:
    state = request.app.state
    services = getattr(state, "services", None)
    drain = getattr(state, "drain", None)
    if services is None or drain is None:
        return _not_ready("starting")
    if drain.draining:
        return _not_ready("draining")
    try:
        await asyncio.wait_for(run_in_threadpool(services.engine.ping), DATABASE_TIMEOUT)
    except Exception as error:  # any failure to answer means: not ready
        log.warning("not ready: the database does not answer (%s)", error or type(error).__name__)
        return _not_ready("database")
    return Readiness(ready=True)


def _not_ready(reason: Literal["starting", "draining", "database"]) -> JSONResponse:
    body = Readiness(ready=False, reason=reason).model_dump()
    return JSONResponse(body, status_code=503, headers={"Cache-Control": "no-store"})
