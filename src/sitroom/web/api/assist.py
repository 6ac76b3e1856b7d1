"""The JSON twin of the assistants' panels: ask an assistant, read your proposals, accept (with
edits) or discard an item. Evaluators and control for ratings and findings; control for
follow-ups. A proposal is its asker's: the gate shows it to them and to control, never to a
player."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from sitroom.bootstrap import Services
from sitroom.conduct import commands as cmd
from sitroom.conduct.handlers.assist import check_asker
from sitroom.web.api.errors import STAFF_READ, WRITE_WITH_BODY
from sitroom.web.api.handling import handle, outcome_data
from sitroom.web.deps import ApiError, IdempotencyKey, Viewer, services, viewer_in_run
from sitroom.web.views.assist import ASSISTANTS, assistants, proposal_data, proposal_rows

router = APIRouter()
Svc = Annotated[Services, Depends(services)]
InRun = Annotated[Viewer, Depends(viewer_in_run)]


class AskBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    about: int | None = Field(
        default=None, description="For a follow-up: the response's event (default: the latest)."
    )


class AcceptBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    edit: dict[str, str] = Field(
        default_factory=dict,
        description="What you changed: rating and why (evaluator), text (facilitator), "
        "title, analysis and recommendation (report).",
    )


class DiscardBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(default="", max_length=200)


def _known(assistant: str, who: Viewer) -> None:
    if assistant not in ASSISTANTS:
        raise ApiError(404, f"no assistant '{assistant}'; known: {', '.join(ASSISTANTS)}")
    check_asker(assistant, who.principal)


@router.get(
    "/runs/{run_id}/assist/{assistant}",
    summary="Your latest proposals of an assistant, with their evidence",
    responses=STAFF_READ,
)
async def proposals(
    run_id: str, assistant: str, svc: Svc, who: InRun, lang: str = "en"
) -> dict[str, Any]:
    _known(assistant, who)
    rows = await run_in_threadpool(
        proposal_rows, svc.engine, run_id, who.principal, assistant, lang[:10]
    )
    return {"proposals": [proposal_data(row) for row in rows]}


@router.post(
    "/runs/{run_id}/assist/{assistant}",
    summary="Ask an assistant for a proposal (recorded; nothing else changes)",
    responses=WRITE_WITH_BODY,
)
async def ask(
    run_id: str, assistant: str, body: AskBody, request: Request, who: InRun
) -> dict[str, Any]:
    _known(assistant, who)
    made = await run_in_threadpool(
        assistants(request).propose, run_id, who.principal, assistant, body.about
    )
    return {"id": made.id, "items": made.items, "note": made.note, **outcome_data(made.outcome)}


@router.post(
    "/runs/{run_id}/assist/{assistant}/{proposal}/{item}/accept",
    summary="Accept one proposed item (with your edits): recorded as yours",
    responses=WRITE_WITH_BODY,
)
async def accept(
    run_id: str,
    assistant: str,
    proposal: str,
    item: str,
    body: AcceptBody,
    svc: Svc,
    who: InRun,
    key: IdempotencyKey = None,
) -> dict[str, Any]:
    _known(assistant, who)
    command = cmd.AnswerProposal(proposal, item, True, dict(body.edit))
    return await handle(svc, run_id, who, command, key)


@router.post(
    "/runs/{run_id}/assist/{assistant}/{proposal}/{item}/discard",
    summary="Discard one proposed item",
    responses=WRITE_WITH_BODY,
)
async def discard(
    run_id: str,
    assistant: str,
    proposal: str,
    item: str,
    body: DiscardBody,
    svc: Svc,
    who: InRun,
    key: IdempotencyKey = None,
) -> dict[str, Any]:
    _known(assistant, who)
    command = cmd.AnswerProposal(proposal, item, False, None, body.reason)
    return await handle(svc, run_id, who, command, key)
