"""The JSON twins of the SimCell inbox: a viewer's inbox (through the gate), control's SimCell
view by organisation, and the writes — a team writes to an organisation or replies, control
answers as the organisation (marked), forwards a thread; a team member marks a thread read."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from sitroom.bootstrap import Services
from sitroom.conduct import commands as cmd
from sitroom.conduct.visibility import is_staff
from sitroom.web.api.errors import READ, STAFF_READ, WRITE, WRITE_WITH_BODY
from sitroom.web.api.handling import handle as _handle
from sitroom.web.api.schemas import Body, Text
from sitroom.web.deps import ApiError, IdempotencyKey, Viewer, services, viewer_in_run
from sitroom.web.views import simcell as view

router = APIRouter()

Svc = Annotated[Services, Depends(services)]
InRun = Annotated[Viewer, Depends(viewer_in_run)]
Lang = Annotated[str | None, Query(max_length=10, description="The language of names.")]


class WriteBody(Body):
    organisation: str = Field(min_length=1, max_length=80, description="The organisation's id.")
    subject: str = Field(min_length=1, max_length=200)
    body: str = Text


class PostBody(Body):
    body: str = Text
    classification: str | None = Field(
        default=None,
        max_length=60,
        description="Control's answers only: a classification of the exercise's marking scheme.",
    )
    tlp: str | None = Field(
        default=None, max_length=20, description="Control's answers only: a TLP 2.0 label."
    )
    attachments: tuple[str, ...] = Field(
        default=(),
        max_length=20,
        description="Control's answers only: package document paths (those injects attach).",
    )


class ForwardBody(Body):
    teams: list[str] = Field(default_factory=list, max_length=50)
    parties: list[str] = Field(default_factory=list, max_length=50)
    note: str = Field(default="", max_length=2000)


def _names(svc: Services, run_id: str) -> dict[str, str]:
    return {str(i["principal"]): str(i["name"]) for i in svc.identity.invitations(run_id)}


@router.get(
    "/runs/{run_id}/inbox",
    summary="The viewer's SimCell threads and organisations' e-mails, with unread counts",
    responses=READ,
)
async def inbox(run_id: str, svc: Svc, who: InRun, lang: Lang = None) -> dict[str, Any]:
    def read() -> dict[str, Any]:
        state = svc.engine.state(run_id)
        data = view.inbox(
            who.principal, state, lang or who.language, _names(svc, run_id), svc.engine.clock()
        )
        return {"seq": state.seq, **view.as_data(data)}

    return await run_in_threadpool(read)


@router.get(
    "/runs/{run_id}/simcell",
    summary="Every thread by organisation, unanswered first (control and evaluators)",
    responses=STAFF_READ,
)
async def simcell(run_id: str, svc: Svc, who: InRun, lang: Lang = None) -> dict[str, Any]:
    if not is_staff(who.principal):
        raise ApiError(403, "the SimCell view is for control staff and evaluators")

    def read() -> dict[str, Any]:
        state = svc.engine.state(run_id)
        groups = view.simcell(
            who.principal, state, lang or who.language, _names(svc, run_id), svc.engine.clock()
        )
        return {"seq": state.seq, "organisations": view.as_data(groups)}

    return await run_in_threadpool(read)


@router.post(
    "/runs/{run_id}/threads",
    summary="Write to a simulated organisation (a new thread of the player's team)",
    responses=WRITE_WITH_BODY,
)
async def write(
    run_id: str, body: WriteBody, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    command = cmd.WriteToOrganisation(body.organisation, body.subject, body.body)
    return await _handle(svc, run_id, who, command, key)


@router.post(
    "/runs/{run_id}/threads/{thread}/messages",
    summary="Reply in a thread (a team) or answer as its organisation (control)",
    responses=WRITE_WITH_BODY,
)
async def post(
    run_id: str, thread: str, body: PostBody, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    command = cmd.PostInThread(
        thread, body.body, body.classification, body.tlp, tuple(body.attachments)
    )
    return await _handle(svc, run_id, who, command, key)


@router.post(
    "/runs/{run_id}/threads/{thread}/forward",
    summary="Forward a thread to more teams or parties (control)",
    responses=WRITE_WITH_BODY,
)
async def forward(
    run_id: str, thread: str, body: ForwardBody, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    command = cmd.ForwardThread(thread, tuple(body.teams), tuple(body.parties), body.note)
    return await _handle(svc, run_id, who, command, key)


@router.post(
    "/runs/{run_id}/threads/{thread}/read",
    summary="Mark a thread read for the player's team",
    responses=WRITE,
)
async def mark_read(
    run_id: str, thread: str, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    return await _handle(svc, run_id, who, cmd.MarkThreadRead(thread), key)
