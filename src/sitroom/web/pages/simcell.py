"""The SimCell view: control staff answer as the simulated organisations.

Every thread of the run grouped by organisation, those waiting for an answer first with how
long they have waited; an answer form per thread (with an optional marking) and a forward
form. Evaluators read the page without the forms. Plain forms (keyboard first, no script
needed): each post answers with a redirect back to the thread; the JSON twin is
``web.api.simcell``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from sitroom.conduct import commands as cmd
from sitroom.conduct.principal import Role
from sitroom.conduct.run import Rejected
from sitroom.conduct.visibility import CONTROL_ROLES, is_control, visible_threads
from sitroom.package.model import TLP, text_in
from sitroom.package.schemes import get_scheme
from sitroom.web.deps import services
from sitroom.web.forms import FormState, choices, key_of, names_of, posted, render, text
from sitroom.web.pages.home import RunPage, run_page
from sitroom.web.render import translator
from sitroom.web.views import simcell as view

router = APIRouter(include_in_schema=False)
READERS = (*CONTROL_ROLES, Role.EVALUATOR)
TEMPLATE = "console/simcell.html"


async def _page(
    request: Request,
    ctx: RunPage,
    form: FormState | None = None,
    thread: str = "",
    status_code: int = 200,
) -> Response:
    svc = services(request)
    names = await names_of(request, ctx.run_id)
    state = await run_in_threadpool(svc.engine.state, ctx.run_id)
    groups = await run_in_threadpool(
        view.simcell, ctx.viewer.principal, state, ctx.lang, names, svc.engine.clock()
    )
    package = ctx.package
    languages = package.exercise.languages
    scheme = get_scheme(package.exercise.marking_scheme)
    return await render(
        request,
        TEMPLATE,
        ctx.lang,
        status_code,
        **ctx.context(
            account=ctx.viewer.run_id is None,
            acts=is_control(ctx.viewer.principal) and state.is_live(),
            groups=groups,
            waiting_total=sum(g["waiting"] for g in groups),
            form=form or FormState(),
            form_thread=thread,
            classifications=scheme.names(),
            tlps=[t.value for t in TLP],
            documents=sorted({a.path for i in package.injects() for a in i.attachments}),
            player_teams=[
                (t.id, text_in(t.name, ctx.lang, languages)) for t in package.player_teams()
            ],
            parties=[(p.id, text_in(p.name, ctx.lang, languages)) for p in package.parties],
        ),
    )


@router.get("/runs/{run_id}/simcell")
async def simcell_page(run_id: str, request: Request) -> Response:
    """Every thread by organisation, unanswered first, with answer and forward forms."""
    ctx = await run_page(request, run_id, *READERS)
    return await _page(request, ctx)


@router.get("/runs/{run_id}/simcell/summary")
async def summary(run_id: str, request: Request, since: int = 0) -> Response:
    """How many threads wait for an answer, and whether any message came after ``since``
    (the page's live status line)."""
    ctx = await run_page(request, run_id, *READERS)
    state = ctx.state
    threads = visible_threads(ctx.viewer.principal, state)
    changed = any(m.seq > since for t in threads for m in t.messages)
    waiting = sum(1 for t in threads if t.waiting_since is not None)
    return await render(
        request,
        "console/_simcell_summary.html",
        ctx.lang,
        **ctx.context(waiting=waiting, changed=changed),
    )


async def _act(
    request: Request,
    ctx: RunPage,
    thread: str,
    command: cmd.Command,
    values: dict[str, Any],
    key: str,
) -> Response:
    svc = services(request)
    try:
        await run_in_threadpool(svc.engine.handle, ctx.run_id, command, ctx.viewer.principal, key)
    except Rejected as refused:
        form = FormState(
            values=values, error=translator(ctx.lang)(refused.message), error_field=refused.field
        )
        return await _page(request, ctx, form, thread, status_code=refused.status)
    anchor = thread.replace(":", "-")
    return RedirectResponse(f"/runs/{ctx.run_id}/simcell#thread-{anchor}", status_code=303)


@router.post("/runs/{run_id}/simcell/threads/{thread}/answer")
async def answer(run_id: str, thread: str, request: Request) -> Response:
    """Answer as the thread's organisation, with a marking when one is chosen."""
    ctx = await run_page(request, run_id, *CONTROL_ROLES)
    _, form = await posted(request)
    values = {k: text(form, k, 20_000) for k in ("body", "classification", "tlp")}
    attached = tuple(str(p) for p in form.getlist("attachments") if isinstance(p, str) and p)
    command = cmd.PostInThread(
        thread,
        values["body"],
        values["classification"] or None,
        values["tlp"] or None,
        attached,
    )
    return await _act(request, ctx, thread, command, values, key_of(form))


@router.post("/runs/{run_id}/simcell/threads/{thread}/forward")
async def forward(run_id: str, thread: str, request: Request) -> Response:
    """Forward a thread to more teams or parties."""
    ctx = await run_page(request, run_id, *CONTROL_ROLES)
    _, form = await posted(request)
    teams, parties = choices(form, "teams"), choices(form, "parties")
    note = text(form, "note", 2000)
    command = cmd.ForwardThread(thread, teams, parties, note)
    values = {"teams": teams, "parties": parties, "note": note}
    return await _act(request, ctx, thread, command, values, key_of(form))
