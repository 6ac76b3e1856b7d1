"""The matrix game's pages: ``/runs/{id}/game`` is the umpire panel for control (and, to read,
for evaluators) and the game board for players; the players' page shows the same board as
its game panel (``play_panels``). What the board holds comes from ``views.game`` (the gate).

Forms post here. With htmx they answer with the board re-rendered (an error beside the
form, what was typed kept); without it, success goes back to the page and an error shows the
page with the message. The board re-renders itself when the run's stream announces a game
event.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from sitroom.bootstrap import Services
from sitroom.conduct import gamecommands as gcmd
from sitroom.conduct.commands import Command
from sitroom.conduct.gameevents import GAME_EVENTS
from sitroom.conduct.principal import STAFF_ROLES, Role
from sitroom.conduct.run import Rejected
from sitroom.web.deps import ApiError, services, viewer
from sitroom.web.forms import choices, is_htmx, principal_names, text
from sitroom.web.pages.home import PageError, RunPage, run_page
from sitroom.web.render import N_, page, translator
from sitroom.web.views.game import board_values

router = APIRouter(include_in_schema=False)

GAME_TYPES = tuple(cls.TYPE for cls in GAME_EVENTS)
"""The events that change the board: it re-renders itself on each."""
BOARD_TRIGGER = "refresh, game-board from:body, " + ", ".join(f"sse:{t}" for t in GAME_TYPES)
STALE = N_("This page is out of date or you were signed out. Reload the page and try again.")
NOT_A_NUMBER = N_("Give a whole number from 0 to 100.")


def _values(ctx: RunPage, svc: Services, *, preserve: bool = True) -> dict[str, Any]:
    """What the board template needs, for the viewer of ``ctx`` (reads the people's names:
    call it off the event loop)."""
    staff = ctx.viewer.principal.sees_control_material
    return board_values(
        ctx.viewer.principal,
        ctx.state,
        ctx.lang,
        previewing=ctx.viewer.preview is not None,
        preserve=preserve,
        names=principal_names(svc, ctx.run_id) if staff else None,
    )


async def _game_page(request: Request, run_id: str) -> RunPage:
    ctx = await run_page(request, run_id)
    if ctx.package.game is None:
        raise PageError(404, N_("This exercise has no matrix-game turns."))
    role = ctx.viewer.principal.role
    if role not in (*STAFF_ROLES, Role.PLAYER, Role.OBSERVER):
        raise PageError(403, N_("This page is not for your role."))
    return ctx


async def _board(
    request: Request, ctx: RunPage, error: dict[str, Any] | None = None, *, posted: bool = False
) -> Response:
    keep = error is None and not posted
    values = await run_in_threadpool(partial(_values, ctx, services(request), preserve=keep))
    return page(request, "game/_board.html", ctx.lang, **ctx.context(**values, error=error))


@router.get("/runs/{run_id}/game")
async def game_page(run_id: str, request: Request) -> Response:
    """The umpire panel (control), or the game board (players, observers, evaluators)."""
    ctx = await _game_page(request, run_id)
    values = await run_in_threadpool(_values, ctx, services(request))
    return page(
        request,
        "game/page.html",
        ctx.lang,
        **ctx.context(**values, error=None, board_trigger=BOARD_TRIGGER),
    )


@router.get("/runs/{run_id}/game/board")
async def board(run_id: str, request: Request) -> Response:
    """The board alone, re-rendered (the page asks on each game event of its stream)."""
    ctx = await _game_page(request, run_id)
    return await _board(request, ctx)


async def _act(
    request: Request, run_id: str, build: Callable[[FormData], Command], anchor: str
) -> Response:
    ctx = await _game_page(request, run_id)
    form = await request.form()
    error: dict[str, Any] | None = None
    try:
        await viewer(request)  # the session holds and the post carries its CSRF token
    except ApiError:
        error = {"message": translator(ctx.lang)(STALE), "field": None, "form": anchor}
    if error is None:
        key = form.get("key")
        try:
            command = build(form)
            svc = services(request)
            await run_in_threadpool(
                svc.engine.handle,
                run_id,
                command,
                ctx.viewer.principal,
                key if isinstance(key, str) and key else None,
            )
        except Rejected as exc:
            message = translator(ctx.lang)(exc.message)
            error = {"message": message, "field": exc.field, "form": anchor, "typed": dict(form)}
    if is_htmx(request):
        fresh = await run_page(request, run_id)
        response = await _board(request, fresh, error, posted=True)
        if error is None:
            response.headers["HX-Trigger"] = "game-board"
        return response
    if error is None:
        back = "play" if ctx.viewer.principal.role == Role.PLAYER else "game"
        return RedirectResponse(f"/runs/{run_id}/{back}#{anchor}", status_code=303)
    fresh = await run_page(request, run_id)
    values = await run_in_threadpool(partial(_values, fresh, services(request), preserve=False))
    return page(
        request,
        "game/page.html",
        fresh.lang,
        status_code=422,
        **fresh.context(**values, error=error, board_trigger=BOARD_TRIGGER),
    )


def _percent(form: FormData) -> int:
    raw = text(form, "probability", 10).strip().rstrip("%")
    if not raw.isdigit():
        raise Rejected(NOT_A_NUMBER, field="probability")
    return int(raw)


@router.post("/runs/{run_id}/game/turns/{turn}/open")
async def open_turn(run_id: str, turn: int, request: Request) -> Response:
    return await _act(request, run_id, lambda f: gcmd.OpenTurn(turn), f"turn-{turn}")


@router.post("/runs/{run_id}/game/turns/{turn}/close")
async def close_turn(run_id: str, turn: int, request: Request) -> Response:
    return await _act(request, run_id, lambda f: gcmd.CloseTurn(turn), f"turn-{turn}")


@router.post("/runs/{run_id}/game/arguments")
async def submit_argument(run_id: str, request: Request) -> Response:
    def build(form: FormData) -> Command:
        return gcmd.SubmitArgument(
            action=text(form, "action"),
            result=text(form, "result"),
            reasons=text(form, "reasons"),
            actor=text(form, "actor", 80) or None,
            audience=choices(form, "audience"),
            secret=text(form, "secret", 5) == "on",
        )

    return await _act(request, run_id, build, "argue")


@router.post("/runs/{run_id}/game/arguments/{argument}/counter")
async def counter(run_id: str, argument: str, request: Request) -> Response:
    return await _act(
        request,
        run_id,
        lambda f: gcmd.CounterArgue(argument, text(f, "reasons")),
        f"counter-{argument}",
    )


@router.post("/runs/{run_id}/game/arguments/{argument}/estimate")
async def estimate(run_id: str, argument: str, request: Request) -> Response:
    return await _act(
        request,
        run_id,
        lambda f: gcmd.GiveEstimate(argument, _percent(f)),
        f"estimate-{argument}",
    )


@router.post("/runs/{run_id}/game/arguments/{argument}/adjudicate")
async def adjudicate(run_id: str, argument: str, request: Request) -> Response:
    def build(form: FormData) -> Command:
        success = text(form, "success", 5)
        return gcmd.Adjudicate(
            argument,
            text(form, "method", 20),
            {"yes": True, "no": False}.get(success),
            text(form, "ruling"),
        )

    return await _act(request, run_id, build, f"adjudicate-{argument}")


@router.post("/runs/{run_id}/game/arguments/{argument}/reveal")
async def reveal(run_id: str, argument: str, request: Request) -> Response:
    return await _act(
        request, run_id, lambda f: gcmd.RevealArgument(argument), f"argument-{argument}"
    )


@router.post("/runs/{run_id}/game/turns/{turn}/outcomes")
async def release_outcome(run_id: str, turn: int, request: Request) -> Response:
    def build(form: FormData) -> Command:
        argument = text(form, "argument", 100) or None
        who = text(form, "to", 20)
        audience = None if who == "argument" else choices(form, "audience")
        return gcmd.ReleaseOutcome(turn, text(form, "text"), argument, audience)

    return await _act(request, run_id, build, f"outcome-{turn}")
