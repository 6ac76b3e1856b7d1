"""The JSON twin of the console's branches panel: the run's triggers and milestones (for
control and evaluators), control's answer to a proposal, a milestone marked reached, and a
player's choice among an inject's options."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from sitroom.bootstrap import Services
from sitroom.conduct import commands as cmd
from sitroom.conduct.handlers.branches import target_done
from sitroom.conduct.visibility import is_staff
from sitroom.package.conditions import format_condition
from sitroom.web.api.errors import STAFF_READ, WRITE, WRITE_WITH_BODY
from sitroom.web.api.handling import handle as _handle
from sitroom.web.api.schemas import Body
from sitroom.web.deps import ApiError, IdempotencyKey, Viewer, services, viewer_in_run

router = APIRouter()

Svc = Annotated[Services, Depends(services)]
InRun = Annotated[Viewer, Depends(viewer_in_run)]


class TriggerAnswerBody(Body):
    accept: bool = Field(description="true: release what the trigger proposes; false: dismiss it.")
    reason: str = Field(default="", max_length=2000)


class ChoiceBody(Body):
    option: str = Field(min_length=1, max_length=80, description="The id of the option chosen.")


@router.get(
    "/runs/{run_id}/branches",
    summary="Triggers and milestones (control and evaluators)",
    responses=STAFF_READ,
)
async def branches(run_id: str, svc: Svc, who: InRun) -> dict[str, Any]:
    if not is_staff(who.principal):
        raise ApiError(403, "branches and milestones are for control staff and evaluators")
    state = await run_in_threadpool(svc.engine.state, run_id)
    records = state.branches
    triggers = []
    for trigger_id, trigger in state.package.triggers().items():
        record = records.triggers.get(trigger_id)
        triggers.append(
            {
                "trigger": trigger_id,
                "condition": format_condition(trigger.when),
                "mode": str(trigger.mode),
                "status": str(record.status) if record else None,
                "since_at": record.since_at if record else None,
                "since_seq": record.since_seq if record else None,
                "seq": record.seq if record else None,
                "done": target_done(state, trigger_id),
            }
        )
    milestones = []
    for milestone in state.package.milestones:
        reached = records.milestones.get(milestone.id)
        milestones.append(
            {
                "id": milestone.id,
                "name": dict(milestone.name),
                "objectives": list(milestone.objectives),
                "tasks": list(milestone.tasks),
                "reached_at": reached.at.isoformat() if reached else None,
                "seq": reached.seq if reached else None,
                "author": reached.author if reached else None,
                "trigger": reached.trigger if reached else None,
            }
        )
    choices = {
        number: {"settled": c.settled, "picks": {k: p.option for k, p in c.picks.items()}}
        for number, c in records.choices.items()
    }
    return {"seq": state.seq, "triggers": triggers, "milestones": milestones, "choices": choices}


@router.post(
    "/runs/{run_id}/triggers/{trigger}/answer",
    summary="Release or dismiss what a trigger proposes",
    responses=WRITE_WITH_BODY,
)
async def answer_trigger(
    run_id: str,
    trigger: str,
    body: TriggerAnswerBody,
    svc: Svc,
    who: InRun,
    key: IdempotencyKey = None,
) -> dict[str, Any]:
    command = cmd.AnswerTrigger(trigger, body.accept, body.reason)
    return await _handle(svc, run_id, who, command, key)


@router.post(
    "/runs/{run_id}/milestones/{milestone}/reach",
    summary="Mark a milestone reached",
    responses=WRITE,
)
async def reach_milestone(
    run_id: str, milestone: str, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    return await _handle(svc, run_id, who, cmd.ReachMilestone(milestone), key)


@router.post(
    "/runs/{run_id}/injects/{number}/choice",
    summary="Choose one of the options an inject offers",
    responses=WRITE_WITH_BODY,
)
async def choose(
    run_id: str, number: str, body: ChoiceBody, svc: Svc, who: InRun, key: IdempotencyKey = None
) -> dict[str, Any]:
    return await _handle(svc, run_id, who, cmd.MakeChoice(number, body.option), key)
