"""The JSON twin of the matrix-game pages: the game as the viewer may see it, and every step
of a turn (open, argue, counter-argue, estimate, adjudicate, release the outcome, reveal,
close) as a write. Reads and writes pass the same gate as the pages."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from sitroom.bootstrap import Services
from sitroom.conduct import gamecommands as gcmd
from sitroom.web.api.errors import READ, WRITE, WRITE_WITH_BODY
from sitroom.web.api.handling import handle as _handle
from sitroom.web.api.schemas import Body
from sitroom.web.deps import IdempotencyKey, Viewer, services, viewer_in_run
from sitroom.web.views.game import game_view

router = APIRouter()

Svc = Annotated[Services, Depends(services)]
InRun = Annotated[Viewer, Depends(viewer_in_run)]
ActorIds = Field(default=(), max_length=50, description="Actor ids; empty: every actor.")


class ArgumentBody(Body):
    action: str = Field(min_length=1, max_length=20_000, description="What the actor does.")
    result: str = Field(min_length=1, max_length=20_000, description="What it should achieve.")
    reasons: str = Field(min_length=1, max_length=20_000, description="Why it would work.")
    actor: str | None = Field(default=None, max_length=80, description="When a team plays two.")
    audience: tuple[str, ...] = ActorIds
    secret: bool = Field(default=False, description="Control's alone until it reveals it.")


class CounterBody(Body):
    reasons: str = Field(min_length=1, max_length=20_000, description="Why it would not work.")


class EstimateBody(Body):
    probability: int = Field(ge=0, le=100, description="Chance of success, in percent.")


class AdjudicationBody(Body):
    method: Literal["auto-success", "estimative", "umpire"]
    success: bool | None = Field(default=None, description="The umpire's ruling (umpire only).")
    ruling: str = Field(default="", max_length=20_000)


class OutcomeBody(Body):
    text: str = Field(min_length=1, max_length=20_000, description="The outcome's narrative.")
    argument: str | None = Field(default=None, max_length=100)
    audience: tuple[str, ...] | None = Field(
        default=None,
        max_length=50,
        description="Actor ids; empty: every actor; absent: the argument's audience.",
    )


@router.get("/runs/{run_id}/game", summary="The matrix game as you may see it", responses=READ)
async def game(run_id: str, svc: Svc, who: InRun) -> dict[str, Any]:
    state = await run_in_threadpool(svc.engine.state, run_id)
    return game_view(who.principal, state, who.language or "en")


@router.post("/runs/{run_id}/game/turns/{turn}/open", summary="Open a game turn", responses=WRITE)
async def open_turn(
    run_id: str, turn: int, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    return await _handle(svc, run_id, who, gcmd.OpenTurn(turn), key)


@router.post("/runs/{run_id}/game/turns/{turn}/close", summary="Close a game turn", responses=WRITE)
async def close_turn(
    run_id: str, turn: int, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    return await _handle(svc, run_id, who, gcmd.CloseTurn(turn), key)


@router.post(
    "/runs/{run_id}/game/arguments",
    summary="State your actor's argument in the open turn",
    responses=WRITE_WITH_BODY,
)
async def submit_argument(
    run_id: str, body: ArgumentBody, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    command = gcmd.SubmitArgument(
        body.action, body.result, body.reasons, body.actor, tuple(body.audience), body.secret
    )
    return await _handle(svc, run_id, who, command, key)


@router.post(
    "/runs/{run_id}/game/arguments/{argument}/counter",
    summary="Argue against an argument",
    responses=WRITE_WITH_BODY,
)
async def counter_argue(
    run_id: str, argument: str, body: CounterBody, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    return await _handle(svc, run_id, who, gcmd.CounterArgue(argument, body.reasons), key)


@router.post(
    "/runs/{run_id}/game/arguments/{argument}/estimate",
    summary="Estimate an argument's chance of success",
    responses=WRITE_WITH_BODY,
)
async def give_estimate(
    run_id: str,
    argument: str,
    body: EstimateBody,
    svc: Svc,
    who: InRun,
    key: IdempotencyKey = None,
) -> dict[str, Any]:
    return await _handle(svc, run_id, who, gcmd.GiveEstimate(argument, body.probability), key)


@router.post(
    "/runs/{run_id}/game/arguments/{argument}/adjudicate",
    summary="Adjudicate an argument (control)",
    responses=WRITE_WITH_BODY,
)
async def adjudicate(
    run_id: str,
    argument: str,
    body: AdjudicationBody,
    svc: Svc,
    who: InRun,
    key: IdempotencyKey = None,
) -> dict[str, Any]:
    command = gcmd.Adjudicate(argument, body.method, body.success, body.ruling)
    return await _handle(svc, run_id, who, command, key)


@router.post(
    "/runs/{run_id}/game/arguments/{argument}/reveal",
    summary="Reveal a secret argument (control)",
    responses=WRITE,
)
async def reveal(
    run_id: str, argument: str, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    return await _handle(svc, run_id, who, gcmd.RevealArgument(argument), key)


@router.post(
    "/runs/{run_id}/game/turns/{turn}/outcomes",
    summary="Release an outcome's narrative (control)",
    responses=WRITE_WITH_BODY,
)
async def release_outcome(
    run_id: str, turn: int, body: OutcomeBody, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    audience = None if body.audience is None else tuple(body.audience)
    command = gcmd.ReleaseOutcome(turn, body.text, body.argument, audience)
    return await _handle(svc, run_id, who, command, key)
