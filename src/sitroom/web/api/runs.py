"""The JSON API: every command of a run, for scripts and the pages; its reads are included
from ``api.projections``, so this module's ``router`` carries the whole run API.

Routes parse the request, build a command, hand it to the engine and return what the
visibility gate lets the caller see. No SQL and no business rule here.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from sitroom import audit
from sitroom.bootstrap import Services
from sitroom.conduct import commands as cmd
from sitroom.conduct.visibility import can_plan
from sitroom.web.api import assist, branches, cells, game, projections, simcell
from sitroom.web.api import schemas as s
from sitroom.web.api.errors import SIGNED_IN, WRITE, WRITE_WITH_BODY, errors
from sitroom.web.api.handling import handle as _handle
from sitroom.web.deps import (
    ApiError,
    Viewer,
    json_body,
    services,
    viewer,
    viewer_in_run,
)
from sitroom.web.deps import IdempotencyKey as IdempotencyKey
from sitroom.web.limits import accepts_upload, json_schema_body
from sitroom.web.routing import PrefixRouter

router = PrefixRouter(prefix="/api")


@router.get(
    "/health", summary="Liveness: the server is up and its database answers", responses=errors()
)
async def health(svc: Annotated[Services, Depends(services)]) -> dict[str, Any]:
    await run_in_threadpool(svc.engine.runs)
    return {"ok": True}


# --- identity -------------------------------------------------------------------------------


@router.get("/me", summary="Who you are", responses=SIGNED_IN)
async def me(
    who: Annotated[Viewer, Depends(viewer)], svc: Annotated[Services, Depends(services)]
) -> dict[str, Any]:
    p = who.principal
    csrf = svc.identity.csrf_token(who.session) if who.session else None
    return {
        "id": p.id,
        "role": p.role,
        "name": p.name,
        "team": p.team,
        "party": p.party,
        "run": who.run_id,
        "language": who.language,
        "csrf_token": csrf,
    }


# --- runs -----------------------------------------------------------------------------------


@router.get("/runs", summary="Runs you may see", responses=SIGNED_IN)
async def list_runs(
    svc: Annotated[Services, Depends(services)], who: Annotated[Viewer, Depends(viewer)]
) -> list[dict[str, Any]]:
    records = await run_in_threadpool(svc.engine.runs)
    if who.run_id is not None:
        records = [r for r in records if r.id == who.run_id]
    return [
        {
            "id": r.id,
            "title": r.title,
            "package_hash": r.package_hash,
            "created_at": r.created_at.isoformat(),
            "last_seq": r.last_seq,
        }
        for r in records
    ]


@router.post(
    "/runs",
    status_code=201,
    summary="Create a run from package YAML",
    responses=errors(400, 401, 403, 409, 413, 422),
    openapi_extra=json_schema_body(s.RunCreateBody),
)
@accepts_upload
async def create_run(
    request: Request,
    svc: Annotated[Services, Depends(services)],
    who: Annotated[Viewer, Depends(viewer)],
) -> dict[str, Any]:
    from sitroom.package.examples import example_names, example_path
    from sitroom.package.load import load_package, load_text
    from sitroom.package.validate import check_package

    if not can_plan(who.principal, invited=who.run_id is not None):
        raise ApiError(403, "only an admin or facilitator account may create runs")
    # A package may be megabytes: it is read only now that the caller may create runs.
    body = await json_body(request, s.RunCreateBody)
    if body.example is not None:
        if body.example not in example_names():
            raise ApiError(
                422,
                f"no bundled example '{body.example}'; bundled: " + ", ".join(example_names()),
                field="example",
            )
        result = await run_in_threadpool(load_package, example_path(body.example))
    elif body.package_yaml is not None:
        result = load_text(body.package_yaml, "package_yaml")
        if result.package is not None:
            result.problems.extend(
                check_package(result.package, result.source, require_attachments=False)
            )
    else:
        raise ApiError(422, "send package_yaml or example", field="package_yaml")
    if not result.ok or result.package is None:
        raise ApiError(
            422,
            "the package is not valid",
            field="package_yaml",
            problems=[p.as_dict() for p in result.errors],
        )
    if (
        body.run_id
        and await run_in_threadpool(svc.engine.recorder.get_run, body.run_id) is not None
    ):
        raise ApiError(409, f"a run '{body.run_id}' exists already", field="run_id")
    record = await run_in_threadpool(svc.engine.create_run, result.package, body.run_id)
    if body.package_yaml is not None:
        audit.record(
            "package-uploaded", actor=who, run_id=record.id, package_hash=record.package_hash
        )
    return {"id": record.id, "title": record.title, "package_hash": record.package_hash}


# --- control commands -----------------------------------------------------------------------

Svc = Annotated[Services, Depends(services)]
InRun = Annotated[Viewer, Depends(viewer_in_run)]


@router.post("/runs/{run_id}/start", summary="STARTEX", responses=WRITE_WITH_BODY)
async def start(
    run_id: str, body: s.StartBody, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    return await _handle(svc, run_id, who, cmd.StartRun(body.compression), key)


@router.post("/runs/{run_id}/pause", summary="Pause the exercise clock", responses=WRITE)
async def pause(run_id: str, svc: Svc, who: InRun, key: IdempotencyKey = None) -> dict[str, Any]:
    return await _handle(svc, run_id, who, cmd.PauseRun(), key)


@router.post("/runs/{run_id}/resume", summary="Resume the exercise clock", responses=WRITE)
async def resume(run_id: str, svc: Svc, who: InRun, key: IdempotencyKey = None) -> dict[str, Any]:
    return await _handle(svc, run_id, who, cmd.ResumeRun(), key)


@router.post("/runs/{run_id}/end", summary="ENDEX", responses=WRITE)
async def end(run_id: str, svc: Svc, who: InRun, key: IdempotencyKey = None) -> dict[str, Any]:
    return await _handle(svc, run_id, who, cmd.EndRun(), key)


@router.post("/runs/{run_id}/modules/{module}/open", summary="Go to a module", responses=WRITE)
async def open_module(
    run_id: str, module: str, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    return await _handle(svc, run_id, who, cmd.OpenModule(module), key)


@router.post(
    "/runs/{run_id}/injects/{number}/release",
    summary="Release an inject now",
    responses=WRITE_WITH_BODY,
)
async def release(
    run_id: str, number: str, body: s.ReleaseBody, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    return await _handle(svc, run_id, who, cmd.ReleaseInject(number, body.how), key)


@router.post(
    "/runs/{run_id}/injects/{number}/correct",
    summary="Correct a released inject",
    responses=WRITE_WITH_BODY,
)
async def correct(
    run_id: str, number: str, body: s.CorrectBody, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    return await _handle(
        svc, run_id, who, cmd.CorrectInject(number, body.content, body.reason), key
    )


@router.post(
    "/runs/{run_id}/injects/{number}/retract",
    summary="Retract a released inject",
    responses=WRITE_WITH_BODY,
)
async def retract(
    run_id: str, number: str, body: s.RetractBody, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    return await _handle(svc, run_id, who, cmd.RetractInject(number, body.reason), key)


@router.post("/runs/{run_id}/updates", summary="Broadcast an update", responses=WRITE_WITH_BODY)
async def broadcast(
    run_id: str, body: s.BroadcastBody, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    command = cmd.BroadcastUpdate(body.text, tuple(body.teams), tuple(body.parties))
    return await _handle(svc, run_id, who, command, key)


@router.post("/runs/{run_id}/polls/{poll}/open", summary="Open a poll", responses=WRITE)
async def open_poll(
    run_id: str, poll: str, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    return await _handle(svc, run_id, who, cmd.OpenPoll(poll), key)


@router.post("/runs/{run_id}/polls/{poll}/close", summary="Close a poll", responses=WRITE)
async def close_poll(
    run_id: str, poll: str, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    return await _handle(svc, run_id, who, cmd.ClosePoll(poll), key)


# --- participant commands -------------------------------------------------------------------


@router.post("/runs/{run_id}/injects/{number}/receipt", summary="Delivery receipt", responses=WRITE)
async def receipt(
    run_id: str, number: str, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    return await _handle(svc, run_id, who, cmd.RecordReceipt(number), key)


@router.post("/runs/{run_id}/receipts", summary="Delivery receipts", responses=WRITE_WITH_BODY)
async def receipts(
    run_id: str, body: s.ReceiptsBody, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    """Several injects reached the caller's screen: one request for all of them (the player
    page sends its receipts together). Recorded once per person and inject; a number the
    caller may not see refuses the whole request (404, naming ``numbers.N``)."""
    return await _handle(svc, run_id, who, cmd.RecordReceipts(tuple(body.numbers)), key)


@router.post(
    "/runs/{run_id}/injects/{number}/acknowledge",
    summary="Acknowledge an inject",
    responses=WRITE,
)
async def acknowledge(
    run_id: str, number: str, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    return await _handle(svc, run_id, who, cmd.AcknowledgeInject(number), key)


@router.post(
    "/runs/{run_id}/responses",
    summary="Respond to an inject or question",
    responses=WRITE_WITH_BODY,
)
async def respond(
    run_id: str, body: s.ResponseBody, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    return await _handle(
        svc, run_id, who, cmd.SubmitResponse(body.target, body.ref, body.text), key
    )


@router.post(
    "/runs/{run_id}/decisions",
    summary="Propose a team or joint decision",
    responses=WRITE_WITH_BODY,
)
async def propose(
    run_id: str, body: s.DecisionBody, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    command = cmd.ProposeDecision(
        body.title, body.text, tuple(body.joint_with), tuple(body.clauses)
    )
    return await _handle(svc, run_id, who, command, key)


@router.post(
    "/runs/{run_id}/decisions/{decision}/answer",
    summary="Concur or non-concur",
    responses=WRITE_WITH_BODY,
)
async def answer(
    run_id: str, decision: str, body: s.AnswerBody, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    command = cmd.AnswerDecision(decision, body.concur, body.reasons, tuple(body.clauses))
    return await _handle(svc, run_id, who, command, key)


@router.post(
    "/runs/{run_id}/polls/{poll}/votes", summary="Cast a poll vote", responses=WRITE_WITH_BODY
)
async def vote(
    run_id: str, poll: str, body: s.VoteBody, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    return await _handle(
        svc, run_id, who, cmd.CastVote(poll, tuple(body.options), body.confidence), key
    )


@router.post("/runs/{run_id}/notes", summary="Add a team note", responses=WRITE_WITH_BODY)
async def add_note(
    run_id: str, body: s.NoteBody, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    return await _handle(svc, run_id, who, cmd.AddTeamNote(body.text), key)


@router.post(
    "/runs/{run_id}/observations", summary="Record an observation", responses=WRITE_WITH_BODY
)
async def observe(
    run_id: str, body: s.ObservationBody, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    command = cmd.RecordObservation(
        body.text, body.objective, body.task, body.inject, body.team, body.rating
    )
    return await _handle(svc, run_id, who, command, key)


# --- evaluation -----------------------------------------------------------------------------


@router.post(
    "/runs/{run_id}/ratings/targets",
    summary="Rate a capability target (P/S/M/U)",
    responses=WRITE_WITH_BODY,
)
async def rate_target(
    run_id: str, body: s.TargetRatingBody, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    command = cmd.RateTarget(body.target, body.rating, body.notes, tuple(body.evidence))
    return await _handle(svc, run_id, who, command, key)


@router.post(
    "/runs/{run_id}/ratings/capabilities",
    summary="Rate a core capability",
    responses=WRITE_WITH_BODY,
)
async def rate_capability(
    run_id: str, body: s.CapabilityRatingBody, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    command = cmd.RateCapability(
        body.objective, body.capability, body.rating, body.notes, tuple(body.evidence)
    )
    return await _handle(svc, run_id, who, command, key)


@router.post(
    "/runs/{run_id}/clauses",
    summary="Record whether a guideline clause was discussed",
    responses=WRITE_WITH_BODY,
)
async def record_clause(
    run_id: str, body: s.ClauseRecordBody, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    command = cmd.RecordClause(body.clause, body.discussed, body.notes, tuple(body.evidence))
    return await _handle(svc, run_id, who, command, key)


@router.post(
    "/runs/{run_id}/hot-wash",
    summary="Add a hot-wash strength or improvement",
    responses=WRITE_WITH_BODY,
)
async def hot_wash(
    run_id: str, body: s.HotWashBody, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    command = cmd.AddHotWashItem(body.kind, body.text, body.team, body.party)
    return await _handle(svc, run_id, who, command, key)


@router.post(
    "/runs/{run_id}/feedback",
    summary="Submit the Participant Feedback Form (after ENDEX)",
    responses=WRITE_WITH_BODY,
)
async def feedback(
    run_id: str, body: s.FeedbackBody, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    command = cmd.SubmitFeedback(
        anonymous=body.anonymous,
        name=body.name,
        organisation=body.organisation,
        role=body.role,
        strengths=tuple(body.strengths),
        improvements=tuple(body.improvements),
        missed=body.missed,
        ratings=dict(body.ratings),
        corrective_actions=tuple(
            cmd.SuggestedAction(a.action, a.priority, a.responsible)
            for a in body.corrective_actions
        ),
    )
    return await _handle(svc, run_id, who, command, key)


def error_response(status: int, message: str, field: str | None = None) -> JSONResponse:
    """The one error body: ``{"errors": [{"field": ..., "message": ...}]}``."""
    return JSONResponse({"errors": [{"field": field, "message": message}]}, status_code=status)


# The run's reads (projections, the log, the live stream) and the cells', branches', model
# assistant's and game's routes come after this module's own: a request is matched against
# the routes in order, and the receipts every player's page sends after each inject were
# matched against all of those first (0.4 ms a request). No path here overlaps one of theirs.
router.include_router(projections.router)
router.include_router(cells.router)
router.include_router(branches.router)
router.include_router(assist.router)
router.include_router(simcell.router)
router.include_router(game.router)
