"""The player view's forms: the posts that act on a run from a team's page.

Each form swaps in a fresh form after success (or the same text with the error), so a refresh
of the page never wipes what someone is typing.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from sitroom.conduct import commands as cmd
from sitroom.conduct.run import Rejected
from sitroom.conduct.visibility import can_see_decision, can_see_inject_now
from sitroom.package.model import text_in
from sitroom.web.deps import ApiError, services, viewer
from sitroom.web.pages.home import PageError, RunPage
from sitroom.web.pages.play_panels import (
    decision_card,
    panel_data,
    play_page,
    question_of,
    run_names,
    shared,
)
from sitroom.web.render import N_, page, translator
from sitroom.web.views import play as pv

router = APIRouter(include_in_schema=False)

KEY = re.compile(r"[A-Za-z0-9_-]{8,64}")
MAX_TITLE = 300
STALE_PAGE = N_("This page is out of date or you were signed out. Reload the page and try again.")
TITLE_TOO_LONG = N_("The title is too long: at most 300 characters.")
BAD_CONFIDENCE = N_("Choose a confidence from 1 (low) to 5 (high).")
NO_OPTION = N_("Choose one of the options.")


async def _write_allowed(request: Request) -> bool:
    """The session still holds and the post carries its CSRF token (``deps.viewer`` checks)."""
    try:
        await viewer(request)
    except ApiError:
        return False
    return True


# --- the forms --------------------------------------------------------------------------------


def _key(form: FormData) -> str | None:
    value = form.get("key")
    return value if isinstance(value, str) and KEY.fullmatch(value) else None


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _texts(form: FormData, name: str) -> tuple[str, ...]:
    return tuple(v for v in form.getlist(name) if isinstance(v, str) and v)


async def _act(
    request: Request, ctx: RunPage, command: cmd.Command, key: str | None
) -> dict[str, str | None] | None:
    """Carry out ``command``; the error (message and field) for the form, or None."""
    if not await _write_allowed(request):
        return _error(ctx, STALE_PAGE)
    svc = services(request)
    try:
        await run_in_threadpool(svc.engine.handle, ctx.run_id, command, ctx.viewer.principal, key)
    except Rejected as exc:
        return _error(ctx, exc.message, exc.field)
    return None


def _error(ctx: RunPage, message: str, field: str | None = None) -> dict[str, str | None]:
    """An error for a form, in the page's language when the catalog knows the message.

    Messages of the run's rules may quote what was sent, so they are looked up, never used
    as a format string.
    """
    return {"message": translator(ctx.lang)(message), "field": field}


def _form_reply(
    request: Request,
    ctx: RunPage,
    template: str,
    error: dict[str, str | None] | None,
    event: str,
    anchor: str,
    **values: Any,
) -> Response:
    """The form again: with the error and what was typed, or fresh after success."""
    if error is None and request.headers.get("HX-Request") != "true":
        return RedirectResponse(f"/runs/{ctx.run_id}/play#{anchor}", status_code=303)
    response = page(
        request, template, ctx.lang, **shared(ctx), error=error, preserve=False, **values
    )
    if error is None:
        response.headers["HX-Trigger"] = event
    return response


@router.post("/runs/{run_id}/play/responses")
async def respond(run_id: str, request: Request) -> Response:
    """Respond to a discussion question or an inject."""
    ctx = await play_page(request, run_id)
    form = await request.form()
    target, ref, text, key = (
        _text(form, "target"),
        _text(form, "ref"),
        _text(form, "text"),
        _key(form),
    )
    languages = ctx.package.exercise.languages
    if target == "inject":
        inject = ctx.package.inject(ref)
        shown = inject is not None and can_see_inject_now(ctx.viewer.principal, ctx.state, inject)
        label = text_in(inject.title, ctx.lang, languages) if inject and shown else ""
    else:
        target = "question"
        question = question_of(ctx, ref)
        label = text_in(question["text"], ctx.lang, languages) if question else ""
    if not label:
        raise PageError(404, N_("There is no such question or inject for your team."))
    error = await _act(request, ctx, cmd.SubmitResponse(target, ref, text), key)
    event = "play-injects" if target == "inject" else "play-responses"
    return _form_reply(
        request,
        ctx,
        "play/_response_form.html",
        error,
        event,
        f"respond-{target}-{ref}",
        target=target,
        ref=ref,
        label=label,
        text=text if error else "",
        key=key if error else None,
    )


@router.post("/runs/{run_id}/play/decisions")
async def propose(run_id: str, request: Request) -> Response:
    """Propose a team decision, or a joint one that another party is asked to concur with."""
    ctx = await play_page(request, run_id)
    form = await request.form()
    title, text, key = _text(form, "title"), _text(form, "text"), _key(form)
    joint_with, clauses = _texts(form, "joint_with"), _texts(form, "clauses")
    error: dict[str, str | None] | None
    if len(title.strip()) > MAX_TITLE:
        error = _error(ctx, TITLE_TOO_LONG, "title")
    else:
        command = cmd.ProposeDecision(title, text, joint_with, clauses)
        error = await _act(request, ctx, command, key)
    keep = error is not None
    return _form_reply(
        request,
        ctx,
        "play/_propose_form.html",
        error,
        "play-decisions",
        "propose",
        title=title if keep else "",
        text=text if keep else "",
        joint_with=joint_with if keep else (),
        clauses=clauses if keep else (),
        key=key if keep else None,
    )


@router.post("/runs/{run_id}/play/decisions/{decision}/answer")
async def answer(run_id: str, decision: str, request: Request) -> Response:
    """Concur or non-concur, for one's party, with a joint decision."""
    ctx = await play_page(request, run_id)
    found = ctx.state.decisions.get(decision)
    p = ctx.viewer.principal
    if found is None or not can_see_decision(p, found.team, found.party, found.joint_with):
        raise PageError(404, N_("There is no such decision for your team."))
    form = await request.form()
    reasons, key, clauses = _text(form, "reasons"), _key(form), _texts(form, "clauses")
    concur = _text(form, "answer") != "non-concur"
    command = cmd.AnswerDecision(decision, concur, reasons, clauses)
    error = await _act(request, ctx, command, key)
    svc = services(request)
    names = await run_names(svc, run_id)
    ctx.state = await run_in_threadpool(svc.engine.state, run_id)
    card = decision_card(ctx.state.decisions[decision], ctx, names)
    keep = error is not None
    return _form_reply(
        request,
        ctx,
        "play/_answer_form.html",
        error,
        "play-decisions",
        f"decision-{decision}",
        d=card,
        reasons=reasons if keep else "",
        clauses=clauses if keep else (),
        key=key if keep else None,
    )


@router.post("/runs/{run_id}/play/polls/{poll}/votes")
async def vote(run_id: str, poll: str, request: Request) -> Response:
    """Cast (or change) one's vote in an open poll."""
    ctx = await play_page(request, run_id)
    views = {
        v.id: v for v in pv.opened_polls(ctx.viewer.principal, ctx.state, ctx.lang, results=False)
    }
    if poll not in views:
        raise PageError(404, N_("There is no such poll for your team."))
    form = await request.form()
    options, key = _texts(form, "options"), _key(form)
    raw = _text(form, "confidence").strip()
    error: dict[str, str | None] | None = None
    confidence: int | None = None
    if raw:
        if raw.isdigit() and 1 <= int(raw) <= 5:
            confidence = int(raw)
        else:
            error = _error(ctx, BAD_CONFIDENCE, "confidence")
    if error is None:
        error = await _act(request, ctx, cmd.CastVote(poll, options, confidence), key)
    svc = services(request)
    ctx.state = await run_in_threadpool(svc.engine.state, run_id)
    view = next(
        v
        for v in pv.opened_polls(ctx.viewer.principal, ctx.state, ctx.lang, results=False)
        if v.id == poll
    )
    return _form_reply(
        request,
        ctx,
        "play/_vote_form.html",
        error,
        "play-polls",
        f"poll-{poll}",
        poll=view,
        chosen=options if error else view.my_vote,
        confidence=raw if error else (str(view.my_confidence) if view.my_confidence else ""),
        key=key if error else None,
        voted=error is None,
    )


@router.post("/runs/{run_id}/play/notes")
async def add_note(run_id: str, request: Request) -> Response:
    """Add a note to the team's notes."""
    ctx = await play_page(request, run_id)
    form = await request.form()
    text, key = _text(form, "text"), _key(form)
    error = await _act(request, ctx, cmd.AddTeamNote(text), key)
    return _form_reply(
        request,
        ctx,
        "play/_note_form.html",
        error,
        "play-notes",
        "note",
        text=text if error else "",
        key=key if error else None,
    )


async def _injects_panel(
    request: Request,
    ctx: RunPage,
    error: dict[str, str | None] | None,
    number: str,
    anchor: str,
) -> Response:
    """What a post about inject ``number`` answers: the injects panel (with ``error`` beside
    the inject) to htmx, or back to the page at ``anchor`` when it worked without htmx."""
    if error is None and request.headers.get("HX-Request") != "true":
        return RedirectResponse(f"/runs/{ctx.run_id}/play{anchor}", status_code=303)
    svc = services(request)
    ctx.state = await run_in_threadpool(svc.engine.state, ctx.run_id)
    data = await panel_data("injects", ctx, svc)
    return page(
        request,
        "play/_injects.html",
        ctx.lang,
        **shared(ctx),
        **data,
        ack_error=error,
        ack_number=number,
    )


@router.post("/runs/{run_id}/play/injects/{number}/acknowledge")
async def acknowledge(run_id: str, number: str, request: Request) -> Response:
    """Acknowledge an inject; the injects panel comes back."""
    ctx = await play_page(request, run_id)
    error = await _act(request, ctx, cmd.AcknowledgeInject(number), None)
    return await _injects_panel(request, ctx, error, number, f"#inject-{number}")


@router.post("/runs/{run_id}/play/injects/{number}/choice")
async def choose(run_id: str, number: str, request: Request) -> Response:
    """Pick one of the options an inject offers; the injects panel comes back."""
    ctx = await play_page(request, run_id)
    form = await request.form()
    option = _text(form, "option").strip()
    if not option:
        error: dict[str, str | None] | None = _error(ctx, NO_OPTION, "option")
    else:
        error = await _act(request, ctx, cmd.MakeChoice(number, option), _key(form))
    return await _injects_panel(request, ctx, error, number, f"#choice-{number}")
