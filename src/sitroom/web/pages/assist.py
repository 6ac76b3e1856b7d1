"""The assistants on the pages: ask for a proposal, then accept (edited or not) or discard it.

One panel for each assistant, on its host page: "Propose ratings" on the evaluator view,
"Suggest a follow-up" on the console, "Draft findings" on the AAR page. The host page only
holds the panel's frame: the panel itself comes from ``GET /runs/{id}/assist/{assistant}``
for each viewer (a proposal is its asker's, so it is never part of a page shared by an
audience). Without htmx the same address is a page of its own and every form posts, then
redirects back (POST-redirect-GET).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from sitroom.conduct import commands as cmd
from sitroom.conduct.principal import Role
from sitroom.conduct.run import Rejected
from sitroom.conduct.visibility import CONTROL_ROLES, STAFF_ROLES
from sitroom.web.deps import services
from sitroom.web.forms import (
    FormState,
    is_htmx,
    key_of,
    new_key,
    posted,
    render,
    run_command,
    text,
)
from sitroom.web.pages.home import PageError, RunPage, run_page
from sitroom.web.render import N_, translator
from sitroom.web.views.assist import ASSISTANTS, OUTCOMES, assistants, proposal_rows
from sitroom.web.views.evaluate import RATINGS

router = APIRouter(include_in_schema=False)

ROLES: dict[str, tuple[Role, ...]] = {
    "evaluator": tuple(STAFF_ROLES),
    "facilitator": tuple(CONTROL_ROLES),
    "report": tuple(STAFF_ROLES),
}
HOSTS = {"evaluator": "evaluate", "facilitator": "console", "report": "report"}
EDIT_FIELDS = {
    "evaluator": ("rating", "why"),
    "facilitator": ("text",),
    "report": ("title", "analysis", "recommendation"),
}


def _assistant(name: str) -> str:
    if name not in ASSISTANTS:
        raise PageError(404, N_("There is no such assistant."))
    return name


def back(run_id: str, assistant: str) -> str:
    """The host page's address, at the assistant's panel."""
    return f"/runs/{run_id}/{HOSTS[assistant]}#assist-{assistant}"


async def _panel(
    request: Request, ctx: RunPage, assistant: str, form: FormState | None, status: int = 200
) -> Response:
    engine = services(request).engine
    rows = await run_in_threadpool(
        proposal_rows, engine, ctx.run_id, ctx.viewer.principal, assistant, ctx.lang
    )
    template = "assist/panel.html" if is_htmx(request) else "assist/page.html"
    context: dict[str, Any] = ctx.context(
        assistant=assistant,
        button=ASSISTANTS[assistant],
        proposals=rows,
        outcomes=OUTCOMES,
        ratings=RATINGS,
        host=back(ctx.run_id, assistant),
        f=form,
        tr=translator(ctx.lang),
        new_key=new_key,
    )
    return await render(request, template, ctx.lang, status, **context)


@router.get("/runs/{run_id}/assist/{assistant}")
async def panel(run_id: str, assistant: str, request: Request) -> Response:
    """The viewer's proposals of one assistant (a fragment for htmx, else a page)."""
    name = _assistant(assistant)
    ctx = await run_page(request, run_id, *ROLES[name])
    return await _panel(request, ctx, name, None)


async def _done(
    request: Request, ctx: RunPage, name: str, rejected: Rejected | None, notice: str
) -> Response:
    if rejected is None and not is_htmx(request):
        return RedirectResponse(back(ctx.run_id, name), status_code=303)
    if rejected is None:
        return await _panel(request, ctx, name, FormState(notice=notice))
    state = FormState(error=rejected.message, error_field=rejected.field)
    return await _panel(request, ctx, name, state, 200 if is_htmx(request) else rejected.status)


@router.post("/runs/{run_id}/assist/{assistant}")
async def propose(run_id: str, assistant: str, request: Request) -> Response:
    """Ask the assistant; its proposal is recorded and shown."""
    name = _assistant(assistant)
    who, form = await posted(request)
    ctx = await run_page(request, run_id, *ROLES[name])
    about = text(form, "about", 12).strip()
    rejected: Rejected | None = None
    notice = N_("Proposal ready: accept, edit or discard each item.")
    try:
        made = await run_in_threadpool(
            assistants(request).propose,
            run_id,
            who.principal,
            name,
            int(about) if about.isdigit() else None,
        )
        if not made.items:
            notice = N_("No proposal this time.")
    except Rejected as exc:
        rejected = exc
    return await _done(request, ctx, name, rejected, notice)


def _edit(name: str, form: FormData) -> dict[str, Any]:
    return {k: text(form, k) for k in EDIT_FIELDS[name] if form.get(k) is not None}


@router.post("/runs/{run_id}/assist/{assistant}/{proposal}/{item}/{answer}")
async def answer(
    run_id: str, assistant: str, proposal: str, item: str, answer: str, request: Request
) -> Response:
    """Accept (with what was edited) or discard one item of a proposal."""
    name = _assistant(assistant)
    if answer not in ("accept", "discard"):
        raise PageError(404, N_("There is no such answer."))
    who, form = await posted(request)
    ctx = await run_page(request, run_id, *ROLES[name])
    accept = answer == "accept"
    command = cmd.AnswerProposal(
        proposal[:80], item[:80], accept, _edit(name, form) if accept else None
    )
    rejected = await run_command(services(request), run_id, who.principal, command, key_of(form))
    notice = N_("Accepted: recorded as yours.") if accept else N_("Discarded.")
    return await _done(request, ctx, name, rejected, notice)
