"""The JSON API of a run's webhooks, for control staff: subscribe, stop, the delivery log,
the dead-letter list and redeliver. The console's webhooks page is its twin."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Depends, Query, Request
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from sitroom.bootstrap import Services
from sitroom.conduct.principal import CONTROL_ROLES
from sitroom.services.hooks.formats import FORMATS
from sitroom.services.hooks.service import HookInvalid
from sitroom.web.api.errors import errors
from sitroom.web.api.schemas import Body
from sitroom.web.deps import ApiError, Viewer, services, viewer_in_run
from sitroom.web.routing import PrefixRouter
from sitroom.web.views import hooks as view

router = PrefixRouter(prefix="/api/runs/{run_id}/webhooks", tags=["webhooks"])

DEFAULT_EVENTS = (
    "inject-released",
    "inject-corrected",
    "inject-retracted",
    "update-broadcast",
    "module-opened",
    "run-started",
    "run-paused",
    "run-resumed",
    "run-ended",
)
"""What a subscription receives when it names no event types: injects and updates."""
READ = errors(401, 403, 404, 422)
WRITE = errors(401, 403, 404, 422)


class WebhookBody(Body):
    url: str = Field(min_length=1, max_length=2000, description="http(s) URL to post to.")
    format: Literal["standard", "slack", "mattermost", "teams"] = Field(
        default="standard", description="Standard Webhooks JSON, or a chat message."
    )
    events: list[str] = Field(
        default=list(DEFAULT_EVENTS),
        max_length=100,
        description="Event types to send ('*' for every type).",
    )
    audience: str = Field(
        min_length=1,
        max_length=200,
        description="Whose view is sent: control, observer, party:<id> or team:<id>.",
    )
    language: Literal["en", "ko"] = "en"
    label: str = Field(default="", max_length=200, description="A name, e.g. Brenland's view.")


async def control(request: Request, run_id: str) -> Viewer:
    """The viewer, who must be control staff (a facilitator or an admin) of the run."""
    who = await viewer_in_run(request, run_id)
    if who.principal.role not in CONTROL_ROLES:
        raise ApiError(403, "webhooks are for control staff (facilitators and admins)")
    return who


Control = Annotated[Viewer, Depends(control)]
Svc = Annotated[Services, Depends(services)]


@router.get("", summary="The run's webhook subscriptions (no secrets)", responses=READ)
async def list_webhooks(run_id: str, who: Control, svc: Svc) -> dict[str, Any]:
    subs = await run_in_threadpool(svc.hooks.subscriptions, run_id)
    audiences = await run_in_threadpool(svc.hooks.audiences, run_id, who.language)
    return {
        "subscriptions": [view.subscription(s) for s in subs],
        "audiences": [{"value": a.value, "name": a.name} for a in audiences],
        "formats": list(FORMATS),
    }


@router.post(
    "",
    status_code=201,
    summary="Subscribe a URL as an audience; the answer holds the secret, shown only this once",
    responses=errors(400, 401, 403, 404, 413, 422),
)
async def subscribe(run_id: str, body: WebhookBody, who: Control, svc: Svc) -> dict[str, Any]:
    try:
        sub, secret = await run_in_threadpool(
            lambda: svc.hooks.subscribe(
                run_id,
                url=body.url,
                fmt=body.format,
                events=body.events,
                audience=body.audience,
                by=who.principal.id,
                language=body.language,
                label=body.label,
            )
        )
    except HookInvalid as invalid:
        raise ApiError(422, invalid.message, field=invalid.field) from None
    return {**view.subscription(sub), "secret": secret}


@router.delete("/{sub_id}", summary="Stop a subscription (its log stays)", responses=WRITE)
async def unsubscribe(run_id: str, sub_id: str, who: Control, svc: Svc) -> dict[str, Any]:
    if not await run_in_threadpool(svc.hooks.unsubscribe, run_id, sub_id):
        raise ApiError(404, f"no active subscription '{sub_id}' in this run", field="sub_id")
    return {"stopped": sub_id}


@router.get(
    "/deliveries",
    summary="The delivery log: each delivery with every attempt (status, time, duration)",
    responses=READ,
)
async def deliveries(
    run_id: str,
    who: Control,
    svc: Svc,
    status: Annotated[
        Literal["pending", "delivered", "dead"] | None,
        Query(description="Only deliveries in this state; 'dead' is the dead-letter list."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    found = await run_in_threadpool(svc.hooks.deliveries, run_id, status, limit)
    return [view.delivery(d) for d in found]


@router.post(
    "/deliveries/{delivery_id}/redeliver",
    summary="Send a dead delivery again (same webhook-id, fresh attempts)",
    responses=WRITE,
)
async def redeliver(run_id: str, delivery_id: str, who: Control, svc: Svc) -> dict[str, Any]:
    count = await run_in_threadpool(svc.hooks.redeliver, run_id, delivery_id)
    if not count:
        raise ApiError(404, f"no dead delivery '{delivery_id}' in this run", field="delivery_id")
    return {"redelivered": count}


@router.post("/redeliver", summary="Send every dead delivery of the run again", responses=WRITE)
async def redeliver_all(run_id: str, who: Control, svc: Svc) -> dict[str, Any]:
    return {"redelivered": await run_in_threadpool(svc.hooks.redeliver, run_id, None)}
