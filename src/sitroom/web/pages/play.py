"""The player view: one team's live page of a run, its panels and attachments; the form posts
that act on it are in ``play_forms`` and what each panel holds in ``play_panels``, both
served through this module's ``router``.

The page is a set of panels (module, injects, questions, decisions, polls, notes). What changes
in them arrives as HTML in the run's event stream (``play_feed``), and each panel re-renders
server-side on every reconnect, so a player who lost the network sees what they missed. What a panel
holds is chosen by the visibility gate only. Forms carry ``hx-preserve``: a refresh never
wipes what someone is typing; a post swaps in a fresh form (or the same text with the error).
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response
from starlette.concurrency import run_in_threadpool

from sitroom.bootstrap import Services
from sitroom.conduct import commands as cmd
from sitroom.conduct.principal import Role
from sitroom.conduct.run import Rejected
from sitroom.conduct.visibility import can_see_inject_now, can_see_thread, visible_injects
from sitroom.web.deps import services
from sitroom.web.pages import play_forms, play_inbox
from sitroom.web.pages.home import PageError, RunPage, run_page, shared_page
from sitroom.web.pages.play_feed import FEED_EVENT
from sitroom.web.pages.play_panels import (
    NOT_SHOWN,
    OWN_PANELS,
    documents_of,
    panel_data,
    panel_values,
    play_page,
    run_names,
    shared,
)
from sitroom.web.pages.play_panels import PANELS as PANELS
from sitroom.web.render import N_, html, page

router = APIRouter(include_in_schema=False)

# --- the page and its panels ------------------------------------------------------------------

RECEIPT_DELAY_MS = 500
RECEIPT_SPREAD_MS = 1000
"""A page sends the delivery receipts of the injects that arrive while it is open together, in
one request, after ``RECEIPT_DELAY_MS`` plus a random part of ``RECEIPT_SPREAD_MS``: a release
reaches every screen at once, and a thousand receipts coming back while it is still on its way
would slow its last deliveries (a receipt costs the server a request and an event; a frame
costs it a write). The console's "delivered" count comes up 0.5–1.5 s after the screens show
the inject; a page opened later records what it shows with the page itself."""


async def _record_receipts(svc: Services, ctx: RunPage) -> None:
    """The page shows every released inject the player may see: each has reached them."""
    p = ctx.viewer.principal
    if p.role != Role.PLAYER or ctx.viewer.preview is not None:
        return  # an observer, or control previewing the team: nothing reached a player
    for inject, status in visible_injects(p, ctx.state):
        if p.id in status.receipts:
            continue
        try:
            await run_in_threadpool(
                svc.engine.handle, ctx.run_id, cmd.RecordReceipt(inject.number), p, None
            )
        except Rejected:
            continue


@router.get("/runs/{run_id}/play")
async def play(run_id: str, request: Request) -> Response:
    """The player's page of the run: shared by the viewer's audience (role, team, party),
    with the viewer's own parts (clock, votes, acknowledgements) filled in."""
    svc = services(request)
    ctx = await play_page(request, run_id)
    await _record_receipts(svc, ctx)
    names = await run_names(svc, run_id)

    def render(shared_ctx: RunPage) -> str:
        data: dict[str, Any] = {}
        for name in PANELS:
            if name not in OWN_PANELS:
                data.update(panel_values(name, shared_ctx, svc, names))
        # The stream starts where this read starts: what changes meanwhile comes as events.
        since = shared_ctx.state.seq
        return html(
            request,
            "play/page.html",
            ctx.lang,
            **shared(shared_ctx),
            **data,
            since=since,
            feed_event=FEED_EVENT,
            receipt_delay_ms=RECEIPT_DELAY_MS,
            receipt_spread_ms=RECEIPT_SPREAD_MS,
        )

    version = ctx.state.seq_without(NOT_SHOWN)
    return await shared_page(request, ctx, ctx.slot("play", _people(names)), render, version)


@router.get("/runs/{run_id}/play/panels/{name}")
async def panel(run_id: str, name: str, request: Request) -> Response:
    """One panel of the player's page, re-rendered."""
    if name not in PANELS:
        raise PageError(404, N_("There is no such part of this page."))
    svc = services(request)
    ctx = await play_page(request, run_id)
    if name in OWN_PANELS:
        data = await panel_data(name, ctx, svc)
        return page(request, f"play/_{name}.html", ctx.lang, **shared(ctx), **data)
    names = await run_names(svc, run_id)

    def render(shared_ctx: RunPage) -> str:
        data = panel_values(name, shared_ctx, svc, names)
        return html(request, f"play/_{name}.html", ctx.lang, **shared(shared_ctx), **data)

    slot = ctx.slot(f"play/{name}", _people(names))
    return await shared_page(request, ctx, slot, render, ctx.state.seq_without(NOT_SHOWN))


def _people(names: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """The names a page shows, as part of its cache slot (they live outside the log)."""
    return tuple(sorted(names.items()))


@router.get("/runs/{run_id}/play/attachments/{number}/{index}")
async def attachment(run_id: str, number: str, index: int, request: Request) -> Response:
    """A released inject's attached document, for those the gate lets see the inject.

    An attachment may have a file per language: the viewer gets the one in their language,
    else the default file.
    """
    svc = services(request)
    ctx = await run_page(request, run_id)
    p = ctx.viewer.principal
    inject = ctx.package.inject(number)
    missing = PageError(404, N_("There is no such document here."))
    if inject is None or not 0 <= index < len(inject.attachments):
        raise missing
    if not can_see_inject_now(p, ctx.state, inject):
        raise missing
    documents = await run_in_threadpool(documents_of, svc, run_id, ctx.package)
    if documents is None:
        raise missing
    item = inject.attachments[index]
    if isinstance(documents, dict):
        return await _stored_attachment(svc, documents, item.path_for(ctx.lang), item)
    path = (documents / item.path_for(ctx.lang)).resolve()
    if not path.is_relative_to(documents.resolve()) or not path.is_file():
        path = (documents / item.path).resolve()
    if not path.is_relative_to(documents.resolve()) or not path.is_file():
        raise missing
    return _document_file(path, item.media_type)


# The forms of the page (``play_forms``) are served by this module's router too.
router.include_router(play_forms.router)
router.include_router(play_inbox.router)


@router.get("/runs/{run_id}/threads/{thread}/documents/{path:path}")
async def thread_document(run_id: str, thread: str, path: str, request: Request) -> Response:
    """A package document an organisation's answer attached, for those who may see the thread."""
    svc = services(request)
    ctx = await run_page(request, run_id)
    found = ctx.state.inbox.threads.get(thread)
    missing = PageError(404, N_("There is no such document here."))
    if found is None or not can_see_thread(
        ctx.viewer.principal, found.team, found.organisation, found.teams, found.parties
    ):
        raise missing
    if not any(path in message.attachments for message in found.messages):
        raise missing
    documents = await run_in_threadpool(documents_of, svc, run_id, ctx.package)
    if documents is None:
        raise missing
    if isinstance(documents, dict):  # a run made of a draft's version: its stored documents
        if path not in documents:
            raise missing
        stored = SimpleNamespace(path=path, media_type=None)
        return await _stored_attachment(svc, documents, path, stored)
    file = (documents / path).resolve()
    if not file.is_relative_to(documents.resolve()) or not file.is_file():
        raise missing
    return _document_file(file, None)


def _document_file(path: Path, media_type: str | None) -> Response:
    """A package document as a download (Markdown and text inline), sandboxed."""
    inline = path.suffix.lower() in (".md", ".txt")
    media = "text/plain; charset=utf-8" if inline else (media_type or "application/octet-stream")
    return FileResponse(
        path,
        media_type=media,
        filename=path.name,
        content_disposition_type="inline" if inline else "attachment",
        headers={
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


_ATTACHMENT_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
}


async def _stored_attachment(
    svc: Services, refs: dict[str, str], wanted: str, item: Any
) -> Response:
    """An attachment of a run made of a draft's version, from the drafts store."""
    name = wanted if wanted in refs else item.path
    if name not in refs:
        raise PageError(404, N_("There is no such document here."))
    found = await run_in_threadpool(svc.drafts.store.documents, {name: refs[name]})
    if name not in found:
        raise PageError(404, N_("There is no such document here."))
    base = PurePosixPath(name).name
    inline = PurePosixPath(name).suffix.lower() in (".md", ".txt")
    media = (
        "text/plain; charset=utf-8" if inline else (item.media_type or "application/octet-stream")
    )
    kind = "inline" if inline else "attachment"
    return Response(
        found[name],
        media_type=media,
        headers={
            **_ATTACHMENT_HEADERS,
            "Content-Disposition": f"{kind}; filename*=UTF-8''{quote(base)}",
        },
    )
