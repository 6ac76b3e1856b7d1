"""The player view's inbox forms: write to a simulated organisation, reply in the team's
thread, mark a thread read. Each answers like the page's other forms (``play_forms``): a
fresh form after success (the ``play-inbox`` event refreshes the panel), the same text with
the error otherwise, and a redirect back to the page without htmx."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from sitroom.conduct import commands as cmd
from sitroom.package.model import text_in
from sitroom.web.pages.play_forms import _act, _form_reply, _key, _text
from sitroom.web.pages.play_panels import play_page
from sitroom.web.views import simcell as simcell_view

router = APIRouter(include_in_schema=False)
EVENT = "play-inbox"


@router.post("/runs/{run_id}/play/threads")
async def write(run_id: str, request: Request) -> Response:
    """Write to a simulated organisation: a new thread of the team's."""
    ctx = await play_page(request, run_id)
    form = await request.form()
    organisation, subject, body = (_text(form, n) for n in ("organisation", "subject", "body"))
    key = _key(form)
    error = await _act(request, ctx, cmd.WriteToOrganisation(organisation, subject, body), key)
    return _form_reply(
        request,
        ctx,
        "play/_write_form.html",
        error,
        EVENT,
        "panel-inbox",
        organisations=simcell_view.organisations(ctx.package, ctx.lang),
        organisation=organisation if error else "",
        subject=subject if error else "",
        body=body if error else "",
        key=key if error else None,
    )


@router.post("/runs/{run_id}/play/threads/{thread}/reply")
async def reply(run_id: str, thread: str, request: Request) -> Response:
    """Reply in one of the team's threads."""
    ctx = await play_page(request, run_id)
    form = await request.form()
    body, key = _text(form, "body"), _key(form)
    error = await _act(request, ctx, cmd.PostInThread(thread, body), key)
    found = ctx.state.inbox.threads.get(thread)
    organisation = ctx.package.organisation(found.organisation) if found else None
    name = text_in(organisation.name, ctx.lang) if organisation else ""
    return _form_reply(
        request,
        ctx,
        "play/_reply_form.html",
        error,
        EVENT,
        "panel-inbox",
        thread={"id": thread, "organisation_name": name},
        body=body if error else "",
        key=key if error else None,
    )


@router.post("/runs/{run_id}/play/threads/{thread}/read")
async def mark_read(run_id: str, thread: str, request: Request) -> Response:
    """The team has read a thread (its unread count goes to zero on every member's page)."""
    ctx = await play_page(request, run_id)
    error = await _act(request, ctx, cmd.MarkThreadRead(thread), None)
    if error is not None:
        return Response(error["message"], status_code=422, media_type="text/plain")
    if request.headers.get("HX-Request") != "true":
        return RedirectResponse(f"/runs/{run_id}/play#panel-inbox", status_code=303)
    return Response(status_code=204, headers={"HX-Trigger": EVENT})
