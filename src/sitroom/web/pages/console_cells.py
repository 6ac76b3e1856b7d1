"""The console's simulated cells: set a cell's mode, release (edited) or discard what it holds.

The forms post here and answer like the console's other panels (``console._act``); the panel
re-renders on the cell events the run's stream announces.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from sitroom.conduct import commands as cmd
from sitroom.web.forms import text
from sitroom.web.pages.console import _act
from sitroom.web.render import N_

router = APIRouter(include_in_schema=False)


@router.post("/runs/{run_id}/console/cells/{team}/mode")
async def set_mode(run_id: str, team: str, request: Request) -> Response:
    """Autonomous, approval, paused or taken over."""
    return await _act(
        request,
        run_id,
        "cells",
        lambda f: cmd.SetCellMode(team, text(f, "mode", 20)),
        done=N_("Cell mode set."),
    )


@router.post("/runs/{run_id}/console/cells/held/{held}/release")
async def release(run_id: str, held: str, request: Request) -> Response:
    """Release a held action, with the text as control left it."""

    def build(form: FormData) -> cmd.Command:
        edited = form.get("text")
        return cmd.ReleaseCellAction(held, edited if isinstance(edited, str) else None)

    return await _act(request, run_id, "cells", build, done=N_("Cell action released."))


@router.post("/runs/{run_id}/console/cells/held/{held}/discard")
async def discard(run_id: str, held: str, request: Request) -> Response:
    return await _act(
        request,
        run_id,
        "cells",
        lambda f: cmd.DiscardCellAction(held, text(f, "reason", 200)),
        done=N_("Cell action discarded."),
    )
