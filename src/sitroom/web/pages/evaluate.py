"""The evaluator view: the EEG checklist, quick observations, and what each team sees.

``GET /runs/{id}/evaluate`` is for evaluators and observers (control staff may look too).
Live panels re-render from ``/runs/{id}/evaluate/panels/{name}`` on the run's SSE events;
the observation form posts to ``/runs/{id}/evaluate/observe`` and answers with itself.
Evaluators and control rate the EEG in the rating panel: a capability target
(``rate-target``), a core capability (``rate-capability``) and whether a reference clause
was discussed (``record-clause``); each form answers with the panel.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from sitroom.conduct import commands as cmd
from sitroom.conduct.principal import Role
from sitroom.conduct.run import Rejected
from sitroom.conduct.visibility import STAFF_ROLES, sees_all_observations
from sitroom.web.deps import services
from sitroom.web.forms import (
    FormState,
    is_htmx,
    key_of,
    names_of,
    posted,
    render,
    run_command,
    text,
)
from sitroom.web.pages.home import PageError, RunPage, run_page, shared_page
from sitroom.web.render import N_, html, translator
from sitroom.web.views.console import STATUS_LABELS
from sitroom.web.views.evaluate import EVALUATE_EVENTS, RATINGS, EvaluationView

router = APIRouter(include_in_schema=False)

VIEWERS = (*STAFF_ROLES, Role.OBSERVER)
TAGS = ("objective", "task", "inject", "team", "rating")


async def _view(request: Request, ctx: RunPage) -> EvaluationView:
    names = await names_of(request, ctx.run_id)
    now = services(request).engine.clock()
    return await run_in_threadpool(
        EvaluationView, ctx.state, ctx.viewer.principal, ctx.lang, names, now
    )


OBSERVATIONS_SHOWN = 200
"""Observations listed on the page, newest first; "Show all" lists every one. A three-day
run holds thousands, and every evaluator's page (and each refresh of the panel) carried them
all: four megabytes on a 26,000-event run."""


def _context(ctx: RunPage, view: EvaluationView, **extra: Any) -> dict[str, Any]:
    extra.setdefault("forms", {})
    extra.setdefault("team_id", "")
    extra.setdefault("all_observations", False)
    return ctx.context(
        ev=view,
        ratings=RATINGS,
        status_labels=STATUS_LABELS,
        panel_events=EVALUATE_EVENTS,
        observations_shown=OBSERVATIONS_SHOWN,
        account=ctx.viewer.run_id is None,
        tr=translator(ctx.lang),
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


async def _shared(
    request: Request, ctx: RunPage, template: str, team_id: str, observe: FormState | None
) -> Response:
    every = request.query_params.get("observations") == "all"
    """A page or panel as every viewer of the same audience sees it at this sequence number
    (``web.pagecache``). Observers read only their own observations: theirs is their own."""
    if not sees_all_observations(ctx.viewer.principal):
        view = await _view(request, ctx)
        forms = {"observe": observe} if observe else {}
        context = _context(ctx, view, forms=forms, team_id=team_id, all_observations=every)
        return await render(request, template, ctx.lang, **context)
    names = await names_of(request, ctx.run_id)
    now = services(request).engine.clock()
    preset = tuple(sorted(observe.values.items())) if observe else None

    def build(shared_ctx: RunPage) -> str:
        principal = shared_ctx.viewer.principal
        view = EvaluationView(shared_ctx.state, principal, ctx.lang, names, now)
        forms = {"observe": FormState(values=dict(preset))} if preset is not None else {}
        context = _context(shared_ctx, view, forms=forms, team_id=team_id, all_observations=every)
        return html(request, template, ctx.lang, **context)

    slot = ctx.slot(template, tuple(sorted(names.items())), team_id, preset, every)
    return await shared_page(request, ctx, slot, build)


@router.get("/runs/{run_id}/evaluate")
async def evaluate(run_id: str, request: Request, team: str = "") -> Response:
    """The evaluator view with every panel."""
    ctx = await run_page(request, run_id, *VIEWERS)
    observe = _observe_state(request)
    return await _shared(request, ctx, "evaluate/page.html", team[:80], observe)


@router.get("/runs/{run_id}/evaluate/panels/{name}")
async def panel(run_id: str, name: str, request: Request, team: str = "") -> Response:
    """One panel, re-rendered: on a run event, a reconnect, or a choice in the page."""
    ctx = await run_page(request, run_id, *VIEWERS)
    if name not in (*EVALUATE_EVENTS, "observe", "rate"):
        raise PageError(404, N_("There is no such panel."))
    if name == "team" and not is_htmx(request):
        return RedirectResponse(f"/runs/{run_id}/evaluate?team={team[:80]}#panel-team", 303)
    if name == "observe":  # it carries what the viewer has typed so far
        view = await _view(request, ctx)
        forms = {"observe": _observe_state(request, typed=True)}
        context = _context(ctx, view, forms=forms, team_id=team[:80])
        return await render(request, f"evaluate/{name}.html", ctx.lang, **context)
    return await _shared(request, ctx, f"evaluate/{name}.html", team[:80], None)


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


# --- rating the EEG ----------------------------------------------------------------------

RATE_SUBJECTS = {"target": "target", "capability": "capability", "clause": "clause"}
"""Each rating form, and the field that names what it rates (kept for the next rating)."""


def _evidence(form: FormData) -> tuple[int, ...]:
    """Log sequence numbers typed as ``12, 15`` (none is fine)."""
    tokens = text(form, "evidence", 2000).replace(",", " ").split()
    if not all(t.isascii() and t.isdigit() and len(t) < 10 for t in tokens):
        raise Rejected(
            N_("Evidence is log sequence numbers separated by commas, such as 12, 15."),
            field="evidence",
        )
    return tuple(int(t) for t in tokens)


async def _rate(
    request: Request, run_id: str, name: str, build: Callable[[FormData], cmd.Command], done: str
) -> Response:
    """Run one rating form's command; answer with the rating panel (or the page)."""
    who, form = await posted(request)
    ctx = await run_page(request, run_id, *VIEWERS)
    key = key_of(form)
    values = {k: text(form, k) for k in ("notes", "evidence", "rating", "discussed")}
    values[RATE_SUBJECTS[name]] = text(form, RATE_SUBJECTS[name], 200)
    try:
        command = build(form)
    except Rejected as exc:
        rejected: Rejected | None = exc
    else:
        rejected = await run_command(services(request), run_id, who.principal, command, key)
    if rejected is None:  # show the run as the command left it
        ctx.state = await run_in_threadpool(services(request).engine.state, run_id)
        subject = RATE_SUBJECTS[name]
        state = FormState(values={subject: values[subject]}, notice=done)
    else:
        state = FormState(values, rejected.message, rejected.field, key=key)
    if not is_htmx(request) and rejected is None:
        return RedirectResponse(f"/runs/{run_id}/evaluate#panel-rate", status_code=303)
    view = await _view(request, ctx)
    template = "evaluate/rate.html" if is_htmx(request) else "evaluate/page.html"
    status = 200 if is_htmx(request) or rejected is None else rejected.status
    return await render(
        request, template, ctx.lang, status, **_context(ctx, view, forms={name: state})
    )


@router.post("/runs/{run_id}/evaluate/rate-target")
async def rate_target(run_id: str, request: Request) -> Response:
    """Rate a capability target P, S, M or U."""

    def build(form: FormData) -> cmd.Command:
        return cmd.RateTarget(
            text(form, "target", 200),
            text(form, "rating", 10),
            text(form, "notes"),
            _evidence(form),
        )

    return await _rate(request, run_id, "target", build, N_("Rating recorded."))


@router.post("/runs/{run_id}/evaluate/rate-capability")
async def rate_capability(run_id: str, request: Request) -> Response:
    """Rate a core capability under one objective (the field is ``objective/capability``)."""

    def build(form: FormData) -> cmd.Command:
        objective, _, capability = text(form, "capability", 200).partition("/")
        return cmd.RateCapability(
            objective, capability, text(form, "rating", 10), text(form, "notes"), _evidence(form)
        )

    return await _rate(request, run_id, "capability", build, N_("Rating recorded."))


@router.post("/runs/{run_id}/evaluate/record-clause")
async def record_clause(run_id: str, request: Request) -> Response:
    """Record whether a reference clause was discussed."""

    def build(form: FormData) -> cmd.Command:
        discussed = text(form, "discussed", 10)
        if discussed not in ("yes", "no"):
            raise Rejected(N_("Choose discussed or not discussed."), field="discussed")
        return cmd.RecordClause(
            text(form, "clause", 200), discussed == "yes", text(form, "notes"), _evidence(form)
        )

    return await _rate(request, run_id, "clause", build, N_("Clause recorded."))
