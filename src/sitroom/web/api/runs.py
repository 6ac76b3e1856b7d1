"""The JSON API: every command and every projection of a run, for scripts and the pages.

Routes parse the request, build a command, hand it to the engine and return what the
visibility gate lets the caller see. No SQL and no business rule here.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from sitroom.bootstrap import Services
from sitroom.conduct import commands as cmd
from sitroom.conduct.principal import Role
from sitroom.conduct.run import Rejected
from sitroom.conduct.state import RunState
from sitroom.conduct.visibility import (
    can_see_decision,
    can_see_inject,
    can_see_poll,
    can_see_poll_results,
    can_see_team_material,
    inject_view,
    module_view,
)
from sitroom.realtime.sse import Frame, InvalidCursor, event_stream, parse_last_event_id
from sitroom.services.idempotency import KEY_FIELD
from sitroom.services.runs import Outcome
from sitroom.web.api import schemas as s
from sitroom.web.deps import KEY_HEADER, ApiError, Viewer, services, viewer, viewer_in_run
from sitroom.web.deps import IdempotencyKey as IdempotencyKey
from sitroom.web.frames import FrameCache

router = APIRouter(prefix="/api")


def _outcome(outcome: Outcome) -> dict[str, Any]:
    return {
        "recorded": [{"seq": e.seq, "type": e.type} for e in outcome.events],
        "duplicate": outcome.duplicate,
        "last_seq": outcome.last_seq,
    }


async def _handle(
    svc: Services, run_id: str, who: Viewer, command: cmd.Command, key: str | None
) -> dict[str, Any]:
    try:
        outcome = await run_in_threadpool(svc.engine.handle, run_id, command, who.principal, key)
    except Rejected as refused:
        if refused.field != KEY_FIELD:
            raise
        # The key came in a header: name it as the header's own validation errors do.
        raise Rejected(refused.message, field=KEY_HEADER, status=refused.status) from None
    return _outcome(outcome)


@router.get("/health", summary="Liveness: the server is up and its database answers")
async def health(svc: Annotated[Services, Depends(services)]) -> dict[str, Any]:
    await run_in_threadpool(svc.engine.runs)
    return {"ok": True}


# --- identity -------------------------------------------------------------------------------


@router.get("/me", summary="Who you are")
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


@router.get("/runs", summary="Runs you may see")
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


@router.post("/runs", status_code=201, summary="Create a run from package YAML")
async def create_run(
    body: s.RunCreateBody,
    svc: Annotated[Services, Depends(services)],
    who: Annotated[Viewer, Depends(viewer)],
) -> dict[str, Any]:
    from sitroom.package.examples import example_names, example_path
    from sitroom.package.load import load_package, load_text
    from sitroom.package.validate import check_package

    if not who.principal.is_control or who.run_id is not None:
        raise ApiError(403, "only an admin or facilitator account may create runs")
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
    return {"id": record.id, "title": record.title, "package_hash": record.package_hash}


def _clock(state: RunState, svc: Services) -> dict[str, Any]:
    now = svc.engine.clock()
    scenario = state.scenario_time(now)
    return {
        "status": state.status,
        "run_clock_seconds": state.run_clock(now).total_seconds(),
        "module_clock_seconds": state.module_clock(now).total_seconds(),
        "scenario_time": scenario.isoformat() if scenario else None,
        "compression": state.compression,
    }


@router.get("/runs/{run_id}", summary="The run as you may see it: status, clock, module")
async def run_summary(
    run_id: str,
    svc: Annotated[Services, Depends(services)],
    who: Annotated[Viewer, Depends(viewer_in_run)],
) -> dict[str, Any]:
    state = await run_in_threadpool(svc.engine.state, run_id)
    package = state.package
    p = who.principal
    return {
        "id": run_id,
        "title": package.exercise.title,
        "seq": state.seq,
        **_clock(state, svc),
        "module": module_view(p, package, state.module) if state.module else None,
        "modules": [{"id": m.id, "title": m.title} for m in package.modules],
        "languages": list(package.exercise.languages),
        "parties": [{"id": x.id, "name": x.name, "code": x.code} for x in package.parties],
        "teams": [
            {"id": t.id, "name": t.name, "party": t.party, "kind": t.kind} for t in package.teams
        ],
    }


@router.get("/runs/{run_id}/injects", summary="Injects: the MSEL for control, released for players")
async def injects(
    run_id: str,
    svc: Annotated[Services, Depends(services)],
    who: Annotated[Viewer, Depends(viewer_in_run)],
    lang: Annotated[str | None, Query(max_length=10)] = None,
) -> list[dict[str, Any]]:
    state = await run_in_threadpool(svc.engine.state, run_id)
    p = who.principal
    rows = []
    for inject in state.package.injects():
        status = state.injects[inject.number]
        if not p.sees_control_material and (
            status.status == "planned" or not can_see_inject(p, state.package, inject)
        ):
            continue
        row = inject_view(p, state.package, inject, lang or who.language, status.content)
        row["status"] = status.status
        row["released_seq"] = status.released_seq
        row["released_at"] = status.released_at.isoformat() if status.released_at else None
        if p.is_control:
            row["receipts"] = sorted(status.receipts)
            row["acknowledged"] = sorted(status.acknowledged)
        rows.append(row)
    return rows


@router.get("/runs/{run_id}/decisions", summary="Decisions you may see, with concurrence")
async def decisions(
    run_id: str,
    svc: Annotated[Services, Depends(services)],
    who: Annotated[Viewer, Depends(viewer_in_run)],
) -> list[dict[str, Any]]:
    state = await run_in_threadpool(svc.engine.state, run_id)
    p = who.principal
    return [
        {
            "id": d.id,
            "team": d.team,
            "party": d.party,
            "title": d.title,
            "text": d.text,
            "joint_with": list(d.joint_with),
            "clauses": list(d.clauses),
            "status": d.status,
            "seq": d.seq,
            "at": d.at.isoformat(),
            "answers": [
                {
                    "party": a.party,
                    "team": a.team,
                    "concur": a.concur,
                    "reasons": a.reasons,
                    "clauses": list(a.clauses),
                    "seq": a.seq,
                }
                for a in d.answers.values()
            ],
        }
        for d in state.decisions.values()
        if can_see_decision(p, d.team, d.party, d.joint_with)
    ]


@router.get("/runs/{run_id}/polls", summary="Polls you may see, with results once closed")
async def polls(
    run_id: str,
    svc: Annotated[Services, Depends(services)],
    who: Annotated[Viewer, Depends(viewer_in_run)],
) -> list[dict[str, Any]]:
    state = await run_in_threadpool(svc.engine.state, run_id)
    p = who.principal
    out = []
    for module in state.package.modules:
        for poll in module.polls:
            if not can_see_poll(p, state.package, poll):
                continue
            ps = state.polls[poll.id]
            show = can_see_poll_results(p, ps.closed_seq is not None)
            mine = ps.votes.get(p.id)
            out.append(
                {
                    "id": poll.id,
                    "module": module.id,
                    "question": poll.question,
                    "options": [o.model_dump(mode="json") for o in poll.options],
                    "multiple": poll.multiple,
                    "ask_confidence": poll.ask_confidence,
                    "open": ps.open,
                    "closed": ps.closed_seq is not None,
                    "results": ps.results() if show else None,
                    "votes": len(ps.votes) if show else None,
                    "mean_confidence": ps.mean_confidence() if show else None,
                    "my_vote": list(mine.options) if mine else None,
                }
            )
    return out


def _entries(entries: list[Any], keep: Any) -> list[dict[str, Any]]:
    return [
        {
            "id": e.id,
            "seq": e.seq,
            "at": e.at.isoformat(),
            "author": e.author,
            "text": e.text,
            "team": e.team,
            "party": e.party,
            "target": e.target,
            "ref": e.ref,
            **({"tags": e.tags} if e.tags else {}),
        }
        for e in entries
        if keep(e)
    ]


@router.get("/runs/{run_id}/responses", summary="Responses: your team's, or all for control")
async def responses(
    run_id: str,
    svc: Annotated[Services, Depends(services)],
    who: Annotated[Viewer, Depends(viewer_in_run)],
) -> list[dict[str, Any]]:
    state = await run_in_threadpool(svc.engine.state, run_id)
    p = who.principal
    return _entries(state.responses, lambda e: can_see_team_material(p, e.team, e.party))


@router.get("/runs/{run_id}/notes", summary="Team notes: your team's")
async def notes(
    run_id: str,
    svc: Annotated[Services, Depends(services)],
    who: Annotated[Viewer, Depends(viewer_in_run)],
) -> list[dict[str, Any]]:
    state = await run_in_threadpool(svc.engine.state, run_id)
    p = who.principal
    return _entries(state.notes, lambda e: can_see_team_material(p, e.team, None))


@router.get("/runs/{run_id}/observations", summary="Observations: evaluators and control")
async def observations(
    run_id: str,
    svc: Annotated[Services, Depends(services)],
    who: Annotated[Viewer, Depends(viewer_in_run)],
) -> list[dict[str, Any]]:
    state = await run_in_threadpool(svc.engine.state, run_id)
    p = who.principal
    everyone = p.is_control or p.role == Role.EVALUATOR
    return _entries(state.observations, lambda e: everyone or e.author == p.id)


@router.get("/runs/{run_id}/log", summary="The run's events as you may see them")
async def log(
    run_id: str,
    svc: Annotated[Services, Depends(services)],
    who: Annotated[Viewer, Depends(viewer_in_run)],
    after: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
) -> dict[str, Any]:
    stored = await run_in_threadpool(svc.engine.read, run_id, after, limit)
    views = [svc.engine.view(who.principal, run_id, e) for e in stored]
    return {
        "events": [v for v in views if v is not None],
        "cursor": stored[-1].seq if stored else after,
    }


@router.get(
    "/runs/{run_id}/events",
    summary="Server-Sent Events: the run live, for you",
    response_class=StreamingResponse,
)
async def events(
    run_id: str,
    request: Request,
    svc: Annotated[Services, Depends(services)],
    who: Annotated[Viewer, Depends(viewer_in_run)],
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=30)] = None,
    after: Annotated[str | None, Query(max_length=30)] = None,
) -> StreamingResponse:
    try:
        cursor = parse_last_event_id(last_event_id, after)
    except InvalidCursor as exc:
        raise ApiError(400, str(exc), field=exc.field) from None
    engine, broker = svc.engine, svc.broker
    frames: FrameCache = request.app.state.frames

    async def read_after(seq: int) -> list[Any]:
        known = broker.latest(run_id)
        found = engine.recent(run_id, seq, known, 2000)
        if found is not None:
            return found
        return await run_in_threadpool(engine.read_after, run_id, seq, known, 2000)

    def render(stored: Any) -> Frame | None:
        return frames.frame(who.principal, run_id, stored)

    async def still_allowed() -> bool:
        return await run_in_threadpool(svc.identity.still_valid, who)

    stream = event_stream(
        run_id=run_id,
        after=cursor,
        broker=svc.broker,
        read_after=read_after,
        render=render,
        heartbeat=svc.settings.heartbeat_seconds,
        is_disconnected=request.is_disconnected,
        still_allowed=still_allowed,
    )
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream, media_type="text/event-stream", headers=headers)


# --- control commands -----------------------------------------------------------------------

Svc = Annotated[Services, Depends(services)]
InRun = Annotated[Viewer, Depends(viewer_in_run)]


@router.post("/runs/{run_id}/start", summary="STARTEX")
async def start(
    run_id: str, body: s.StartBody, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    return await _handle(svc, run_id, who, cmd.StartRun(body.compression), key)


@router.post("/runs/{run_id}/pause", summary="Pause the exercise clock")
async def pause(run_id: str, svc: Svc, who: InRun, key: IdempotencyKey = None) -> dict[str, Any]:
    return await _handle(svc, run_id, who, cmd.PauseRun(), key)


@router.post("/runs/{run_id}/resume", summary="Resume the exercise clock")
async def resume(run_id: str, svc: Svc, who: InRun, key: IdempotencyKey = None) -> dict[str, Any]:
    return await _handle(svc, run_id, who, cmd.ResumeRun(), key)


@router.post("/runs/{run_id}/end", summary="ENDEX")
async def end(run_id: str, svc: Svc, who: InRun, key: IdempotencyKey = None) -> dict[str, Any]:
    return await _handle(svc, run_id, who, cmd.EndRun(), key)


@router.post("/runs/{run_id}/modules/{module}/open", summary="Go to a module")
async def open_module(
    run_id: str, module: str, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    return await _handle(svc, run_id, who, cmd.OpenModule(module), key)


@router.post("/runs/{run_id}/injects/{number}/release", summary="Release an inject now")
async def release(
    run_id: str, number: str, body: s.ReleaseBody, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    return await _handle(svc, run_id, who, cmd.ReleaseInject(number, body.how), key)


@router.post("/runs/{run_id}/injects/{number}/correct", summary="Correct a released inject")
async def correct(
    run_id: str, number: str, body: s.CorrectBody, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    return await _handle(
        svc, run_id, who, cmd.CorrectInject(number, body.content, body.reason), key
    )


@router.post("/runs/{run_id}/injects/{number}/retract", summary="Retract a released inject")
async def retract(
    run_id: str, number: str, body: s.RetractBody, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    return await _handle(svc, run_id, who, cmd.RetractInject(number, body.reason), key)


@router.post("/runs/{run_id}/updates", summary="Broadcast an update")
async def broadcast(
    run_id: str, body: s.BroadcastBody, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    command = cmd.BroadcastUpdate(body.text, tuple(body.teams), tuple(body.parties))
    return await _handle(svc, run_id, who, command, key)


@router.post("/runs/{run_id}/polls/{poll}/open", summary="Open a poll")
async def open_poll(
    run_id: str, poll: str, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    return await _handle(svc, run_id, who, cmd.OpenPoll(poll), key)


@router.post("/runs/{run_id}/polls/{poll}/close", summary="Close a poll")
async def close_poll(
    run_id: str, poll: str, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    return await _handle(svc, run_id, who, cmd.ClosePoll(poll), key)


# --- participant commands -------------------------------------------------------------------


@router.post("/runs/{run_id}/injects/{number}/receipt", summary="Delivery receipt")
async def receipt(
    run_id: str, number: str, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    return await _handle(svc, run_id, who, cmd.RecordReceipt(number), key)


@router.post("/runs/{run_id}/injects/{number}/acknowledge", summary="Acknowledge an inject")
async def acknowledge(
    run_id: str, number: str, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    return await _handle(svc, run_id, who, cmd.AcknowledgeInject(number), key)


@router.post("/runs/{run_id}/responses", summary="Respond to an inject or question")
async def respond(
    run_id: str, body: s.ResponseBody, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    return await _handle(
        svc, run_id, who, cmd.SubmitResponse(body.target, body.ref, body.text), key
    )


@router.post("/runs/{run_id}/decisions", summary="Propose a team or joint decision")
async def propose(
    run_id: str, body: s.DecisionBody, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    command = cmd.ProposeDecision(
        body.title, body.text, tuple(body.joint_with), tuple(body.clauses)
    )
    return await _handle(svc, run_id, who, command, key)


@router.post("/runs/{run_id}/decisions/{decision}/answer", summary="Concur or non-concur")
async def answer(
    run_id: str, decision: str, body: s.AnswerBody, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    command = cmd.AnswerDecision(decision, body.concur, body.reasons, tuple(body.clauses))
    return await _handle(svc, run_id, who, command, key)


@router.post("/runs/{run_id}/polls/{poll}/votes", summary="Cast a poll vote")
async def vote(
    run_id: str, poll: str, body: s.VoteBody, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    return await _handle(
        svc, run_id, who, cmd.CastVote(poll, tuple(body.options), body.confidence), key
    )


@router.post("/runs/{run_id}/notes", summary="Add a team note")
async def add_note(
    run_id: str, body: s.NoteBody, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    return await _handle(svc, run_id, who, cmd.AddTeamNote(body.text), key)


@router.post("/runs/{run_id}/observations", summary="Record an observation")
async def observe(
    run_id: str, body: s.ObservationBody, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    command = cmd.RecordObservation(
        body.text, body.objective, body.task, body.inject, body.team, body.rating
    )
    return await _handle(svc, run_id, who, command, key)


# --- evaluation -----------------------------------------------------------------------------

EVALUATION_EVENTS = frozenset(
    {
        "target-rated",
        "capability-rated",
        "clause-recorded",
        "hot-wash-item-added",
        "feedback-submitted",
        "observation-recorded",
        "finding-saved",
        "finding-removed",
        "report-finalised",
    }
)


@router.post("/runs/{run_id}/ratings/targets", summary="Rate a capability target (P/S/M/U)")
async def rate_target(
    run_id: str, body: s.TargetRatingBody, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    command = cmd.RateTarget(body.target, body.rating, body.notes, tuple(body.evidence))
    return await _handle(svc, run_id, who, command, key)


@router.post("/runs/{run_id}/ratings/capabilities", summary="Rate a core capability")
async def rate_capability(
    run_id: str, body: s.CapabilityRatingBody, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    command = cmd.RateCapability(
        body.objective, body.capability, body.rating, body.notes, tuple(body.evidence)
    )
    return await _handle(svc, run_id, who, command, key)


@router.post("/runs/{run_id}/clauses", summary="Record whether a guideline clause was discussed")
async def record_clause(
    run_id: str, body: s.ClauseRecordBody, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    command = cmd.RecordClause(body.clause, body.discussed, body.notes, tuple(body.evidence))
    return await _handle(svc, run_id, who, command, key)


@router.post("/runs/{run_id}/hot-wash", summary="Add a hot-wash strength or improvement")
async def hot_wash(
    run_id: str, body: s.HotWashBody, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    command = cmd.AddHotWashItem(body.kind, body.text, body.team, body.party)
    return await _handle(svc, run_id, who, command, key)


@router.post(
    "/runs/{run_id}/feedback", summary="Submit the Participant Feedback Form (after ENDEX)"
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


@router.get("/runs/{run_id}/evaluation", summary="The evaluation record as you may see it")
async def evaluation(run_id: str, svc: Svc, who: InRun) -> dict[str, Any]:
    stored = await run_in_threadpool(svc.engine.read, run_id)
    views = [
        svc.engine.view(who.principal, run_id, e) for e in stored if e.type in EVALUATION_EVENTS
    ]
    return {"events": [v for v in views if v is not None]}


@router.get("/runs/{run_id}/analytics", summary="Analytics over the log (evaluators, control)")
async def analytics(run_id: str, svc: Svc, who: InRun) -> dict[str, Any]:
    from sitroom.evaluation import analytics as a

    if not who.principal.sees_control_material:
        raise ApiError(403, "analytics are for evaluators and control staff")
    state = await run_in_threadpool(svc.engine.state, run_id)
    data: dict[str, Any] = _plain(
        {
            "inject_timings": a.inject_timings(state),
            "concurrence_times": a.concurrence_times(state),
            "participation": a.participation(state),
            "coverage": a.coverage(state),
            "poll_alignment": a.poll_alignment(state),
            "rating_distribution": a.rating_distribution(state),
        }
    )
    return data


def _plain(value: Any) -> Any:
    """Dataclasses, tuples, times and durations as JSON-ready data."""
    import dataclasses
    from datetime import datetime, timedelta

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        data = {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        for name, attribute in vars(type(value)).items():  # derived values, e.g. "untouched"
            if isinstance(attribute, property) and not name.startswith("_"):
                data[name] = _plain(getattr(value, name))
        return data
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def error_response(status: int, message: str, field: str | None = None) -> JSONResponse:
    """The one error body: ``{"errors": [{"field": ..., "message": ...}]}``."""
    return JSONResponse({"errors": [{"field": field, "message": message}]}, status_code=status)
