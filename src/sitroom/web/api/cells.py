"""The JSON twin of the console's cells panel: each simulated cell, its mode, the actions it
holds; set a mode, release (edited) or discard a held action. Control only."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from sitroom.bootstrap import Services
from sitroom.conduct import commands as cmd
from sitroom.conduct.visibility import is_control
from sitroom.web.api.errors import STAFF_READ, WRITE_WITH_BODY
from sitroom.web.api.handling import handle
from sitroom.web.deps import ApiError, IdempotencyKey, Viewer, services, viewer_in_run
from sitroom.web.views.console_cells import cell_rows

router = APIRouter()
Svc = Annotated[Services, Depends(services)]
InRun = Annotated[Viewer, Depends(viewer_in_run)]


class ModeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mode: str = Field(description="autonomous, approval, paused or manual (taken over)")


class ReleaseBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str | None = Field(default=None, max_length=20_000, description="The edited text.")


class DiscardBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(default="", max_length=200)


@router.get(
    "/runs/{run_id}/cells",
    summary="Simulated cells, their modes and held actions (control)",
    responses=STAFF_READ,
)
async def cells(run_id: str, svc: Svc, who: InRun, lang: str = "en") -> dict[str, Any]:
    if not is_control(who.principal):
        raise ApiError(403, "the simulated cells are control's")
    state = await run_in_threadpool(svc.engine.state, run_id)
    return {"cells": [asdict(row) for row in cell_rows(state, lang[:10])]}


@router.post(
    "/runs/{run_id}/cells/{team}/mode", summary="Set a cell's mode", responses=WRITE_WITH_BODY
)
async def set_mode(
    run_id: str, team: str, body: ModeBody, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    return await handle(svc, run_id, who, cmd.SetCellMode(team, body.mode), key)


@router.post(
    "/runs/{run_id}/cells/held/{held}/release",
    summary="Release a held cell action",
    responses=WRITE_WITH_BODY,
)
async def release(
    run_id: str, held: str, body: ReleaseBody, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    return await handle(svc, run_id, who, cmd.ReleaseCellAction(held, body.text), key)


@router.post(
    "/runs/{run_id}/cells/held/{held}/discard",
    summary="Discard a held cell action",
    responses=WRITE_WITH_BODY,
)
async def discard(
    run_id: str, held: str, body: DiscardBody, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    return await handle(svc, run_id, who, cmd.DiscardCellAction(held, body.reason), key)
