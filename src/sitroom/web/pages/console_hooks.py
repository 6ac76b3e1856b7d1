"""The console's webhooks page: subscribe a URL as an audience, read the delivery log and the
dead-letter list, redeliver. Plain forms (keyboard first, no script needed); each action
answers with the page again, and its JSON twin is ``web.api.webhooks``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from sitroom.conduct.visibility import CONTROL_ROLES
from sitroom.services.hooks.formats import FORMATS
from sitroom.services.hooks.service import HookInvalid
from sitroom.web.api.webhooks import DEFAULT_EVENTS
from sitroom.web.deps import services
from sitroom.web.forms import FormState, posted, render, text
from sitroom.web.pages.home import PageError, RunPage, run_page
from sitroom.web.render import N_
from sitroom.web.views import hooks as view

router = APIRouter(include_in_schema=False)
CONTROL = tuple(CONTROL_ROLES)
TEMPLATE = "console/webhooks.html"


async def _page(
    request: Request,
    ctx: RunPage,
    form: FormState | None = None,
    created: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    svc = services(request)

    def read() -> dict[str, Any]:
        hooks = svc.hooks
        return {
            "subscriptions": [view.subscription(s) for s in hooks.subscriptions(ctx.run_id)],
            "audiences": hooks.audiences(ctx.run_id, ctx.lang),
            "deliveries": [view.delivery(d) for d in hooks.deliveries(ctx.run_id, limit=50)],
            "dead": [view.delivery(d) for d in hooks.deliveries(ctx.run_id, "dead", 200)],
        }

    data = await run_in_threadpool(read)
    running = "webhooks" in svc.settings.followers
    return await render(
        request,
        TEMPLATE,
        ctx.lang,
        status_code,
        **ctx.context(
            account=ctx.viewer.run_id is None,
            form=form or FormState(values={"events": ",".join(DEFAULT_EVENTS)}),
            created=created,
            formats=FORMATS,
            running=running,
            **data,
        ),
    )


@router.get("/runs/{run_id}/console/webhooks")
async def webhooks_page(run_id: str, request: Request) -> Response:
    """Subscriptions, the delivery log with every attempt, and the dead-letter list."""
    ctx = await run_page(request, run_id, *CONTROL)
    return await _page(request, ctx)


@router.post("/runs/{run_id}/console/webhooks")
async def subscribe(run_id: str, request: Request) -> Response:
    """Subscribe; the page shows the new secret this once."""
    ctx = await run_page(request, run_id, *CONTROL)
    who, form = await posted(request)
    values = {
        k: text(form, k, 2000) for k in ("url", "format", "events", "audience", "language", "label")
    }
    svc = services(request)
    try:
        sub, secret = await run_in_threadpool(
            lambda: svc.hooks.subscribe(
                run_id,
                url=values["url"],
                fmt=values["format"] or "standard",
                events=values["events"].replace("\n", ",").split(","),
                audience=values["audience"],
                by=who.principal.id,
                language=values["language"] or "en",
                label=values["label"],
            )
        )
    except HookInvalid as invalid:
        state = FormState(values=values, error=invalid.message, error_field=invalid.field)
        return await _page(request, ctx, state, status_code=422)
    return await _page(request, ctx, created={**view.subscription(sub), "secret": secret})


@router.post("/runs/{run_id}/console/webhooks/{sub_id}/stop")
async def stop(run_id: str, sub_id: str, request: Request) -> Response:
    """Stop a subscription."""
    await run_page(request, run_id, *CONTROL)
    await posted(request)
    if not await run_in_threadpool(services(request).hooks.unsubscribe, run_id, sub_id):
        raise PageError(404, N_("There is no such subscription."))
    return RedirectResponse(f"/runs/{run_id}/console/webhooks", status_code=303)


@router.post("/runs/{run_id}/console/webhooks/redeliver")
async def redeliver(run_id: str, request: Request) -> Response:
    """Send one dead delivery again (``delivery`` in the form), or all of them."""
    await run_page(request, run_id, *CONTROL)
    _, form = await posted(request)
    one = text(form, "delivery", 300) or None
    await run_in_threadpool(services(request).hooks.redeliver, run_id, one)
    return RedirectResponse(f"/runs/{run_id}/console/webhooks#dead", status_code=303)
