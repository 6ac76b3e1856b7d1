"""The player view: one team's live page of a run, and the form posts that act on it.

The page is a set of panels (module, injects, questions, decisions, polls, notes). Each is a
fragment that re-renders server-side when the run's event stream says something changed, and
on every reconnect, so a player who lost the network sees what they missed. What a panel
holds is chosen by the visibility gate only. Forms carry ``hx-preserve``: a refresh never
wipes what someone is typing; a post swaps in a fresh form (or the same text with the error).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from sitroom.bootstrap import Services
from sitroom.conduct import commands as cmd
from sitroom.conduct.principal import Role
from sitroom.conduct.run import Rejected
from sitroom.conduct.state import DecisionState, Entry
from sitroom.conduct.visibility import (
    can_see_decision,
    can_see_inject_now,
    module_view,
    visible_broadcasts,
    visible_decisions,
    visible_injects,
    visible_modules,
    visible_notes,
    visible_responses,
)
from sitroom.package.model import Package, text_in
from sitroom.web.deps import ApiError, services, viewer
from sitroom.web.forms import new_key
from sitroom.web.pages.home import PageError, RunPage, run_page
from sitroom.web.render import N_, page, ui_translations
from sitroom.web.views import play as pv

router = APIRouter(include_in_schema=False)

KEY = re.compile(r"[A-Za-z0-9_-]{8,64}")
MAX_TITLE = 300
LIFECYCLE = "sse:run-started, sse:run-paused, sse:run-resumed, sse:run-ended"
PANELS: dict[str, str] = {
    "status": f"refresh, every 30s, {LIFECYCLE}, sse:module-opened",
    "module": "refresh, sse:module-opened",
    "updates": "refresh, sse:update-broadcast",
    "injects": (
        f"refresh, {LIFECYCLE}, sse:inject-released, sse:inject-corrected, "
        "sse:inject-retracted, sse:response-submitted, play-injects from:body"
    ),
    "questions": (
        f"refresh, {LIFECYCLE}, sse:module-opened, sse:response-submitted, play-responses from:body"
    ),
    "decisions": (
        f"refresh, {LIFECYCLE}, sse:decision-proposed, sse:decision-concurred, "
        "sse:decision-non-concurred, play-decisions from:body"
    ),
    "polls": (
        f"refresh, {LIFECYCLE}, sse:poll-opened, sse:poll-closed, sse:poll-vote-cast, "
        "play-polls from:body"
    ),
    "notes": f"refresh, {LIFECYCLE}, sse:team-note-added, play-notes from:body",
}
"""Each panel and what makes it re-render (``refresh`` is sent after every reconnect)."""

STALE_PAGE = N_("This page is out of date or you were signed out. Reload the page and try again.")
TITLE_TOO_LONG = N_("The title is too long: at most 300 characters.")
BAD_CONFIDENCE = N_("Choose a confidence from 1 (low) to 5 (high).")


# --- who may look -----------------------------------------------------------------------------


async def _play_page(request: Request, run_id: str) -> RunPage:
    """A player's page; an observer sitting with a team may look on, read-only."""
    ctx = await run_page(request, run_id, Role.PLAYER, Role.OBSERVER)
    if ctx.viewer.principal.team is None:
        raise PageError(403, N_("This page is for the players of a team."))
    return ctx


def _acts(ctx: RunPage) -> bool:
    """Whether the viewer may act here (players) or only look (observers)."""
    return ctx.viewer.principal.role == Role.PLAYER


async def _write_allowed(request: Request) -> bool:
    """The session still holds and the post carries its CSRF token (``deps.viewer`` checks)."""
    try:
        await viewer(request)
    except ApiError:
        return False
    return True


# --- what the panels hold ---------------------------------------------------------------------


@dataclass(frozen=True)
class EntryView:
    """A response or note of the viewer's team."""

    id: str
    text: str
    author: str
    at: str
    ref: str | None = None
    target: str | None = None


@dataclass(frozen=True)
class AnswerView:
    party: str
    concur: bool
    reasons: str
    clauses: tuple[str, ...]
    author: str
    at: str


@dataclass(frozen=True)
class DecisionCard:
    id: str
    title: str
    text: str
    team: str
    party: str
    joint_with: tuple[str, ...]
    clauses: tuple[str, ...]
    status: str
    status_label: str
    author: str
    at: str
    answers: tuple[AnswerView, ...]
    awaiting_us: bool
    ours: bool


@dataclass(frozen=True)
class ClauseOption:
    value: str
    label: str
    text: str


def _names(svc: Services, run_id: str) -> dict[str, str]:
    """Principal id → display name for the people of the run."""
    return {str(i["principal"]): str(i["name"]) for i in svc.identity.invitations(run_id)}


def _clause_options(package: Package, lang: str) -> list[ClauseOption]:
    languages = package.exercise.languages
    options = []
    for reference in package.references:
        short = reference.short_title or text_in(reference.title, lang, languages)
        for clause in reference.clauses:
            title = text_in(clause.title, lang, languages)
            options.append(
                ClauseOption(
                    value=f"{reference.id}/{clause.id}",
                    label=f"{short} {clause.id}" + (f" — {title}" if title else ""),
                    text=text_in(clause.text, lang, languages),
                )
            )
    return options


def _clause_label(package: Package, ref: str, lang: str) -> str:
    reference_id, _, clause_id = ref.partition("/")
    reference = next((r for r in package.references if r.id == reference_id), None)
    if reference is None:
        return ref
    return f"{reference.short_title or text_in(reference.title, lang)} {clause_id}"


def _entry(e: Entry, names: dict[str, str], ctx: RunPage) -> EntryView:
    return EntryView(
        id=e.id,
        text=e.text,
        author=names.get(e.author, e.author),
        at=pv.wall_time(e.at, ctx.package, ctx.lang),
        ref=e.ref,
        target=e.target,
    )


def _party_name(package: Package, party: str | None, lang: str) -> str:
    found = package.party(party) if party else None
    return text_in(found.name, lang, package.exercise.languages) if found else (party or "")


def _decision(d: DecisionState, ctx: RunPage, names: dict[str, str]) -> DecisionCard:
    package, lang = ctx.package, ctx.lang
    p = ctx.viewer.principal
    team = package.team(d.team)
    return DecisionCard(
        id=d.id,
        title=d.title,
        text=d.text,
        team=text_in(team.name, lang, package.exercise.languages) if team else d.team,
        party=_party_name(package, d.party, lang),
        joint_with=tuple(_party_name(package, x, lang) for x in d.joint_with),
        clauses=tuple(_clause_label(package, c, lang) for c in d.clauses),
        status=str(d.status),
        status_label=pv.DECISION_STATUS[d.status],
        author=names.get(d.author, d.author),
        at=pv.wall_time(d.at, package, lang),
        answers=tuple(
            AnswerView(
                party=_party_name(package, a.party, lang),
                concur=a.concur,
                reasons=a.reasons,
                clauses=tuple(_clause_label(package, c, lang) for c in a.clauses),
                author=names.get(a.author, a.author),
                at=pv.wall_time(a.at, package, lang),
            )
            for a in sorted(list(d.answers.values()), key=lambda a: a.seq)
        ),
        awaiting_us=p.party is not None and p.party in d.joint_with and p.party not in d.answers,
        ours=d.team == p.team,
    )


def _span(view: dict[str, Any] | None, package: Package, lang: str) -> str | None:
    """The module's scenario time span, e.g. ``Tue, Sep 14, 2027 06:00 UTC – …``."""
    if not view or not view.get("start"):
        return None
    start = pv.scenario_text(datetime.fromisoformat(view["start"]), package, lang)
    if not view.get("end"):
        return start
    return f"{start} – {pv.scenario_text(datetime.fromisoformat(view['end']), package, lang)}"


def _questions(ctx: RunPage) -> list[dict[str, Any]]:
    """The discussion questions of the open module that the gate lets the viewer see."""
    state = ctx.state
    if state.module is None:
        return []
    view = module_view(ctx.viewer.principal, ctx.package, state.module)
    return list(view["questions"]) if view else []


def _question(ctx: RunPage, question_id: str) -> dict[str, Any] | None:
    """A question of a module opened so far, if the gate lets the viewer see it."""
    for module in visible_modules(ctx.viewer.principal, ctx.state):
        view = module_view(ctx.viewer.principal, ctx.package, module.id)
        for question in view["questions"] if view else []:
            if question["id"] == question_id:
                return dict(question)
    return None


@cache
def _bundled_documents() -> dict[str, Path]:
    """Content hash → documents folder of every bundled example package."""
    from sitroom.package.examples import example_names, example_path
    from sitroom.package.load import load_package

    found: dict[str, Path] = {}
    for name in example_names():
        result = load_package(example_path(name))
        if result.package is not None:
            found[result.package.content_hash()] = example_path(name) / "documents"
    return found


def _documents_of(svc: Services, run_id: str, package: Package) -> Path | None:
    """The documents folder of the run's package, when it is a bundled example unchanged."""
    if not any(inject.attachments for inject in package.injects()):
        return None
    record = svc.engine.recorder.get_run(run_id)
    if record is None:
        return None
    return _bundled_documents().get(record.package_hash)


async def _panel_data(
    name: str, ctx: RunPage, svc: Services, known: dict[str, str] | None = None
) -> dict[str, Any]:
    """The template values of one panel (``known``: the people's names, if read already)."""
    p, state, package, lang = ctx.viewer.principal, ctx.state, ctx.package, ctx.lang
    names = known if known is not None else {}
    if known is None and name in ("injects", "questions", "decisions", "notes"):
        names = await run_in_threadpool(_names, svc, ctx.run_id)
    if name == "status":
        return {"clock": pv.clock(state, svc.engine.clock(), lang)}
    if name == "module":
        view = module_view(p, package, state.module) if state.module else None
        return {"module": view, "module_span": _span(view, package, lang)}
    if name == "updates":
        return {
            "updates": [
                {
                    "text": text_in(b.text, lang, package.exercise.languages),
                    "at": pv.wall_time(b.at, package, lang),
                }
                for b in reversed(visible_broadcasts(p, state))
            ]
        }
    if name == "injects":
        documents = await run_in_threadpool(_documents_of, svc, ctx.run_id, package)
        href = f"/runs/{ctx.run_id}/play/attachments" if documents else None
        responses: dict[str, list[EntryView]] = {}
        for e in visible_responses(p, state):
            if e.target == "inject":
                responses.setdefault(e.ref or "", []).append(_entry(e, names, ctx))
        return {"injects": pv.released_injects(p, state, lang, href), "inject_responses": responses}
    if name == "questions":
        answers: dict[str, list[EntryView]] = {}
        for e in visible_responses(p, state):
            if e.target == "question":
                answers.setdefault(e.ref or "", []).append(_entry(e, names, ctx))
        return {"questions": _questions(ctx), "question_responses": answers}
    if name == "decisions":
        cards = [
            _decision(d, ctx, names)
            for d in sorted(visible_decisions(p, state), key=lambda d: d.seq, reverse=True)
        ]
        return {"decisions": cards}
    if name == "polls":
        return {"polls": pv.opened_polls(p, state, lang, results=False)}
    if name == "notes":
        notes = [_entry(e, names, ctx) for e in reversed(visible_notes(p, state))]
        return {"notes": notes}
    raise PageError(404, N_("There is no such part of this page."))


def _shared(ctx: RunPage) -> dict[str, Any]:
    """What every panel and form of the page needs."""
    p = ctx.viewer.principal
    others = [x for x in ctx.package.parties if x.id != p.party]
    return ctx.context(
        acts=_acts(ctx),
        live=ctx.state.is_live(),
        panels=PANELS,
        form_key=new_key,
        clause_options=_clause_options(ctx.package, ctx.lang),
        other_parties=others,
    )


# --- the page and its panels ------------------------------------------------------------------


async def _record_receipts(svc: Services, ctx: RunPage) -> None:
    """The page shows every released inject the player may see: each has reached them."""
    p = ctx.viewer.principal
    if p.role != Role.PLAYER:
        return
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
    """The player's page of the run."""
    svc = services(request)
    ctx = await _play_page(request, run_id)
    # The stream starts where this read starts: what changes meanwhile comes as events.
    since = ctx.state.seq
    await _record_receipts(svc, ctx)
    names = await run_in_threadpool(_names, svc, run_id)
    data: dict[str, Any] = {}
    for name in PANELS:
        data.update(await _panel_data(name, ctx, svc, names))
    return page(request, "play/page.html", ctx.lang, **_shared(ctx), **data, since=since)


@router.get("/runs/{run_id}/play/panels/{name}")
async def panel(run_id: str, name: str, request: Request) -> Response:
    """One panel of the player's page, re-rendered."""
    if name not in PANELS:
        raise PageError(404, N_("There is no such part of this page."))
    svc = services(request)
    ctx = await _play_page(request, run_id)
    data = await _panel_data(name, ctx, svc)
    return page(request, f"play/_{name}.html", ctx.lang, **_shared(ctx), **data)


@router.get("/runs/{run_id}/play/attachments/{number}/{index}")
async def attachment(run_id: str, number: str, index: int, request: Request) -> Response:
    """A released inject's attached document, for those the gate lets see the inject."""
    svc = services(request)
    ctx = await run_page(request, run_id)
    p = ctx.viewer.principal
    inject = ctx.package.inject(number)
    missing = PageError(404, N_("There is no such document here."))
    if inject is None or not 0 <= index < len(inject.attachments):
        raise missing
    if not can_see_inject_now(p, ctx.state, inject):
        raise missing
    documents = await run_in_threadpool(_documents_of, svc, run_id, ctx.package)
    if documents is None:
        raise missing
    item = inject.attachments[index]
    path = (documents / item.path).resolve()
    if not path.is_relative_to(documents.resolve()) or not path.is_file():
        raise missing
    inline = path.suffix.lower() in (".md", ".txt")
    media = (
        "text/plain; charset=utf-8" if inline else (item.media_type or "application/octet-stream")
    )
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
    return {"message": ui_translations(ctx.lang).gettext(message), "field": field}


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
        request, template, ctx.lang, **_shared(ctx), error=error, preserve=False, **values
    )
    if error is None:
        response.headers["HX-Trigger"] = event
    return response


@router.post("/runs/{run_id}/play/responses")
async def respond(run_id: str, request: Request) -> Response:
    """Respond to a discussion question or an inject."""
    ctx = await _play_page(request, run_id)
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
        question = _question(ctx, ref)
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
    ctx = await _play_page(request, run_id)
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
    ctx = await _play_page(request, run_id)
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
    names = await run_in_threadpool(_names, svc, run_id)
    ctx.state = await run_in_threadpool(svc.engine.state, run_id)
    card = _decision(ctx.state.decisions[decision], ctx, names)
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
    ctx = await _play_page(request, run_id)
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
    ctx = await _play_page(request, run_id)
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


@router.post("/runs/{run_id}/play/injects/{number}/acknowledge")
async def acknowledge(run_id: str, number: str, request: Request) -> Response:
    """Acknowledge an inject; the injects panel comes back."""
    svc = services(request)
    ctx = await _play_page(request, run_id)
    error = await _act(request, ctx, cmd.AcknowledgeInject(number), None)
    if error is None and request.headers.get("HX-Request") != "true":
        return RedirectResponse(f"/runs/{run_id}/play#inject-{number}", status_code=303)
    ctx.state = await run_in_threadpool(svc.engine.state, run_id)
    data = await _panel_data("injects", ctx, svc)
    return page(
        request,
        "play/_injects.html",
        ctx.lang,
        **_shared(ctx),
        **data,
        ack_error=error,
        ack_number=number,
    )
