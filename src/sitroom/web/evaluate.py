"""The evaluator view: the EEG checklist, quick observations, and what each team sees.

``GET /runs/{id}/evaluate`` is for evaluators and observers (control staff may look too).
Live panels re-render from ``/runs/{id}/evaluate/panels/{name}`` on the run's SSE events;
the observation form posts to ``/runs/{id}/evaluate/observe`` and answers with itself.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from sitroom.conduct import commands as cmd
from sitroom.conduct.principal import Role
from sitroom.web.consoleview import STATUS_LABELS
from sitroom.web.deps import services
from sitroom.web.evaluateview import EVALUATE_EVENTS, RATINGS, EvaluationView
from sitroom.web.forms import (
    FormState,
    is_htmx,
    key_of,
    names_of,
    new_key,
    posted,
    render,
    run_command,
    text,
)
from sitroom.web.pages import PageError, RunPage, run_page
from sitroom.web.render import N_, ui_translations

router = APIRouter(include_in_schema=False)

VIEWERS = (Role.EVALUATOR, Role.OBSERVER, Role.ADMIN, Role.FACILITATOR)
TAGS = ("objective", "task", "inject", "team", "rating")


async def _view(request: Request, ctx: RunPage) -> EvaluationView:
    names = await names_of(request, ctx.run_id)
    now = services(request).engine.clock()
    return await run_in_threadpool(
        EvaluationView, ctx.state, ctx.viewer.principal, ctx.lang, names, now
    )


def _context(ctx: RunPage, view: EvaluationView, **extra: Any) -> dict[str, Any]:
    extra.setdefault("forms", {})
    extra.setdefault("team_id", "")
    return ctx.context(
        ev=view,
        new_key=new_key,
        ratings=RATINGS,
        status_labels=STATUS_LABELS,
        panel_events=EVALUATE_EVENTS,
        account=ctx.viewer.run_id is None,
        tr=ui_translations(ctx.lang).gettext,
        **extra,
    )


def _observe_state(request: Request, typed: bool = False) -> FormState:
    """An observation form with the tags chosen from the checklist (``preset_*``).

    ``typed``: the query also carries what was already typed into the form, to keep it.
    """
    query = request.query_params
    values: dict[str, str] = {}
    if typed:
        values = {name: query.get(name, "")[:80] for name in TAGS}
        values["text"] = query.get("text", "")[:20_000]
    for name in ("objective", "task"):
        chosen = query.get(f"preset_{name}")
        if chosen:
            values[name] = chosen[:80]
    return FormState(values=values)


@router.get("/runs/{run_id}/evaluate")
async def evaluate(run_id: str, request: Request, team: str = "") -> Response:
    """The evaluator view with every panel."""
    ctx = await run_page(request, run_id, *VIEWERS)
    view = await _view(request, ctx)
    forms = {"observe": _observe_state(request)}
    return await render(
        request,
        "evaluate/page.html",
        ctx.lang,
        **_context(ctx, view, forms=forms, team_id=team[:80]),
    )


@router.get("/runs/{run_id}/evaluate/panels/{name}")
async def panel(run_id: str, name: str, request: Request, team: str = "") -> Response:
    """One panel, re-rendered: on a run event, a reconnect, or a choice in the page."""
    ctx = await run_page(request, run_id, *VIEWERS)
    if name not in (*EVALUATE_EVENTS, "observe"):
        raise PageError(404, N_("There is no such panel."))
    if name == "team" and not is_htmx(request):
        return RedirectResponse(f"/runs/{run_id}/evaluate?team={team[:80]}#panel-team", 303)
    view = await _view(request, ctx)
    forms = {"observe": _observe_state(request, typed=True)} if name == "observe" else {}
    return await render(
        request,
        f"evaluate/{name}.html",
        ctx.lang,
        **_context(ctx, view, forms=forms, team_id=team[:80]),
    )


def _tag(form: FormData, name: str) -> str | None:
    return text(form, name, 80).strip() or None


@router.post("/runs/{run_id}/evaluate/observe")
async def observe(run_id: str, request: Request) -> Response:
    """Record an observation; the time is the log's."""
    who, form = await posted(request)
    ctx = await run_page(request, run_id, *VIEWERS)
    key = key_of(form)
    values = {name: text(form, name, 80) for name in TAGS}
    values["text"] = text(form, "text")
    command = cmd.RecordObservation(
        values["text"],
        objective=_tag(form, "objective"),
        task=_tag(form, "task"),
        inject=_tag(form, "inject"),
        team=_tag(form, "team"),
        rating=_tag(form, "rating"),
    )
    rejected = await run_command(services(request), run_id, who.principal, command, key)
    if rejected is None:  # show the run as the command left it
        ctx.state = await run_in_threadpool(services(request).engine.state, run_id)
    if rejected is None:
        # Keep the tags for the next observation of the same thing; clear text and rating.
        kept = {k: v for k, v in values.items() if k not in ("text", "rating")}
        state = FormState(values=kept, notice=N_("Observation recorded."))
    else:
        state = FormState(values, rejected.message, rejected.field, key=key)
    if not is_htmx(request) and rejected is None:
        return RedirectResponse(f"/runs/{run_id}/evaluate#panel-observe", status_code=303)
    view = await _view(request, ctx)
    template = "evaluate/observe.html" if is_htmx(request) else "evaluate/page.html"
    status = 200 if is_htmx(request) or rejected is None else rejected.status
    return await render(
        request, template, ctx.lang, status, **_context(ctx, view, forms={"observe": state})
    )
