"""The room display: the projector view of a run, in large type.

It shows the exercise and module titles, the clock, the latest inject a display may see and
the latest poll (its chart once closed), and in a matrix game the current turn with the
arguments and outcomes the room may see. Control staff may open it too: they then see the
room's view, never their own, so the projector cannot show control-only or party-only
material because of who happens to be signed in.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sitroom.conduct.principal import Principal, Role
from sitroom.conduct.visibility import CONTROL_ROLES, is_room_display
from sitroom.web.deps import services
from sitroom.web.pages.home import PageError, RunPage, run_page
from sitroom.web.pages.play_panels import GAME_EVENT_TYPES
from sitroom.web.render import N_, page
from sitroom.web.views import play as pv
from sitroom.web.views.game import board_values

router = APIRouter(include_in_schema=False)

DISPLAY_ROLES = (Role.DISPLAY, *CONTROL_ROLES)
LIFECYCLE = "sse:run-started, sse:run-paused, sse:run-resumed, sse:run-ended, sse:module-opened"
PANELS: dict[str, str] = {
    "clock": (
        f"every 5s, refresh, {LIFECYCLE}, sse:inject-released, sse:inject-corrected, "
        "sse:inject-retracted, sse:poll-opened, sse:poll-closed"
    ),
    "inject": (
        f"refresh, {LIFECYCLE}, sse:inject-released, sse:inject-corrected, sse:inject-retracted"
    ),
    "poll": "refresh, sse:poll-opened, sse:poll-closed, sse:poll-vote-cast",
    # a matrix game's current turn and what the room may see of it, through the game gate
    "game": "refresh, " + ", ".join(f"sse:{t}" for t in GAME_EVENT_TYPES),
}
"""Each panel and what makes it re-render (``refresh`` is sent after every reconnect)."""


def room_view(principal: Principal) -> Principal:
    """Who the gate is asked about: the display itself, or a display standing in for control."""
    if is_room_display(principal):
        return principal
    return Principal(id=principal.id, role=Role.DISPLAY, name=principal.name)


def _panel_data(name: str, ctx: RunPage, now: datetime) -> dict[str, Any]:
    room = room_view(ctx.viewer.principal)
    if name == "clock":
        return {"clock": pv.clock(ctx.state, now, ctx.lang)}
    if name == "inject":
        injects = pv.released_injects(room, ctx.state, ctx.lang)
        return {"inject": injects[0] if injects else None}
    if name == "poll":
        polls = pv.opened_polls(room, ctx.state, ctx.lang, results=False)
        return {"poll": polls[0] if polls else None}
    if name == "game":
        if ctx.state.package.game is None:
            return {"g": None}
        return board_values(room, ctx.state, ctx.lang, previewing=True, preserve=False)
    raise PageError(404, N_("There is no such part of this page."))


@router.get("/runs/{run_id}/display")
async def display(run_id: str, request: Request) -> Response:
    """The room display of the run."""
    ctx = await run_page(request, run_id, *DISPLAY_ROLES)
    since = ctx.state.seq  # the stream starts where this read starts
    now = services(request).engine.clock()
    data: dict[str, Any] = {}
    for name in PANELS:
        data.update(_panel_data(name, ctx, now))
    context = ctx.context(panels=PANELS, since=since, **data)
    return page(request, "display/page.html", ctx.lang, **context)


@router.get("/runs/{run_id}/display/panels/{name}")
async def display_panel(run_id: str, name: str, request: Request) -> Response:
    """One panel of the room display, re-rendered."""
    if name not in PANELS:
        raise PageError(404, N_("There is no such part of this page."))
    ctx = await run_page(request, run_id, *DISPLAY_ROLES)
    data = _panel_data(name, ctx, services(request).engine.clock())
    return page(request, f"display/_{name}.html", ctx.lang, **ctx.context(panels=PANELS, **data))
