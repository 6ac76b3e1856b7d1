"""The facilitator console (EXCON): run the clock, release the MSEL, watch the room live.

``GET /runs/{id}/console`` renders every panel; each live panel re-renders itself from
``/runs/{id}/console/panels/{name}`` when the run's SSE stream announces an event it shows.
Form posts build a command, hand it to the engine and answer with the panel re-rendered: a
``Rejected`` becomes an inline error beside the form, with what was typed kept.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from sitroom.conduct import commands as cmd
from sitroom.conduct.run import Rejected
from sitroom.conduct.visibility import CONTROL_ROLES
from sitroom.web.deps import services
from sitroom.web.forms import (
    FormState,
    choices,
    is_htmx,
    key_of,
    posted,
    principal_names,
    render,
    run_command,
    text,
)
from sitroom.web.pagecache import Hole
from sitroom.web.pages.home import PageError, RunPage, run_page, shared_page
from sitroom.web.render import N_, html, translator, ui_translations
from sitroom.web.views.branches import TRIGGER_LABELS
from sitroom.web.views.console import (
    EVENT_LABELS,
    HOW_LABELS,
    MAIL_LABELS,
    PANEL_EVENTS,
    STATUS_LABELS,
    TIMELINE_LIMIT,
    ConsoleView,
    active_players,
)
from sitroom.web.views.console_cells import ACTION_LABELS, CELL_MODES, MODE_LABELS, cell_rows

router = APIRouter(include_in_schema=False)

CONTROL = tuple(CONTROL_ROLES)
FORM_PANELS = ("correct", "broadcast", "hotwash")
"""Panels that hold a form people type into: never re-rendered by the live stream."""


Invited = tuple[tuple[Mapping[str, Any], ...], dict[str, str], datetime]
"""The run's invitations (`Identity.roster`), the names people go by, and the time they were
read."""


async def _invited(request: Request, ctx: RunPage) -> Invited:
    svc = services(request)

    def read() -> Invited:
        return svc.identity.roster(ctx.run_id), principal_names(svc, ctx.run_id), svc.engine.clock()

    return await run_in_threadpool(read)


def _build(request: Request, ctx: RunPage, panels: Iterable[str], invited: Invited) -> ConsoleView:
    """The console's read model for ``ctx``'s viewer (in the calling thread)."""
    svc = services(request)
    invitations, names, now = invited
    log: list[dict[str, Any]] = []
    if "timeline" in panels:
        stored = svc.engine.read(ctx.run_id, max(0, ctx.state.seq - TIMELINE_LIMIT))
        for event in stored:
            if event.seq > ctx.state.seq:
                break  # the page shows the run at one sequence number
            view = svc.engine.view(ctx.viewer.principal, ctx.run_id, event)
            if view is not None:
                log.append(view)
    gettext = ui_translations(ctx.lang).gettext
    return ConsoleView(
        ctx.state, ctx.viewer.principal, ctx.lang, names, invitations, now, log, gettext
    )


async def _view(request: Request, ctx: RunPage, panels: Iterable[str]) -> ConsoleView:
    invited = await _invited(request, ctx)
    return await run_in_threadpool(_build, request, ctx, set(panels), invited)


DECISIONS_SHOWN = 50
"""Settled decisions (concurred, not concurred, team decisions) listed per status, newest
first; "Show all" lists every one. Those awaiting an answer are always listed whole. A
three-day run's 480 concurred decisions were 667 kB of every console page and of each refresh
of the panel."""


def _context(ctx: RunPage, cv: ConsoleView | None, **extra: Any) -> dict[str, Any]:
    extra.setdefault("all_decisions", False)
    return ctx.context(
        cell_rows=cell_rows(ctx.state, ctx.lang),
        cell_modes=CELL_MODES,
        mode_labels=MODE_LABELS,
        action_labels=ACTION_LABELS,
        cv=cv,
        panel_events=PANEL_EVENTS,
        status_labels=STATUS_LABELS,
        how_labels=HOW_LABELS,
        mail_labels=MAIL_LABELS,
        event_labels=EVENT_LABELS,
        trigger_labels=TRIGGER_LABELS,
        decisions_shown=DECISIONS_SHOWN,
        account=ctx.viewer.run_id is None,
        tr=translator(ctx.lang),
        **extra,
    )


async def _shared(
    request: Request, ctx: RunPage, template: str, panels: Iterable[str], confirm: str
) -> Response:
    """A console page or panel as every control viewer of the same role sees it at this
    sequence number (``web.pagecache``); the clock of this second is each viewer's own."""
    every = request.query_params.get("decisions") == "all"
    invited = await _invited(request, ctx)
    invitations, names, now = invited
    players = tuple((p.id, p.team, p.party, n) for p, n in active_players(invitations, now))
    wanted = set(panels)

    def clock(hole: Hole) -> str:
        cv = _build(request, ctx, (), invited)
        return html(request, "console/clock.html", ctx.lang, **_context(ctx, cv))

    ctx.fillers["panel"] = clock

    def render(shared_ctx: RunPage) -> str:
        cv = _build(request, shared_ctx, wanted, invited)
        context = _context(
            shared_ctx, cv, forms={}, confirm=confirm, editing=None, all_decisions=every
        )
        return html(request, template, ctx.lang, editing_number="", **context)

    slot = ctx.slot(template, tuple(sorted(names.items())), players, confirm, every)
    return await shared_page(request, ctx, slot, render)


async def _page(
    request: Request,
    ctx: RunPage,
    forms: dict[str, FormState] | None = None,
    status_code: int = 200,
    confirm: str = "",
) -> Response:
    cv = await _view(request, ctx, PANEL_EVENTS)
    forms = forms or {}
    ctx.fillers["panel"] = lambda hole: html(
        request, "console/clock.html", ctx.lang, **_context(ctx, cv)
    )
    return await render(
        request,
        "console/page.html",
        ctx.lang,
        status_code,
        **_context(
            ctx,
            cv,
            forms=forms,
            confirm=confirm,
            all_decisions=request.query_params.get("decisions") == "all",
            editing=forms.get("correct"),
            editing_number=(forms["correct"].get("number") if "correct" in forms else ""),
        ),
    )


@router.get("/runs/{run_id}/console")
async def console(run_id: str, request: Request, confirm: str = "", edit: str = "") -> Response:
    """The console page with every panel."""
    ctx = await run_page(request, run_id, *CONTROL)
    if edit and ctx.package.inject(edit) is not None:  # a form filled for this viewer
        forms = {"correct": _correction_form(ctx, edit)}
        return await _page(request, ctx, forms, confirm=confirm[:10])
    return await _shared(request, ctx, "console/page.html", PANEL_EVENTS, confirm[:10])


@router.get("/runs/{run_id}/console/panels/{name}")
async def panel(run_id: str, name: str, request: Request, confirm: str = "") -> Response:
    """One live panel, re-rendered (htmx swaps it in on a run event or a reconnect)."""
    ctx = await run_page(request, run_id, *CONTROL)
    if name not in PANEL_EVENTS:
        raise PageError(404, N_("There is no such panel."))
    if name == "clock":  # the clock of this second: each viewer's own
        return await _panel(request, ctx, name, FormState())
    return await _shared(request, ctx, f"console/{name}.html", [name], confirm[:10])


async def _panel(
    request: Request, ctx: RunPage, name: str, form: FormState, confirm: str = ""
) -> Response:
    cv = await _view(request, ctx, [name])
    return await render(
        request,
        f"console/{name}.html",
        ctx.lang,
        **_context(ctx, cv, confirm=confirm, forms={name: form}),
    )


# --- acting -----------------------------------------------------------------------------

Build = Callable[[FormData], cmd.Command]


def _values(form: FormData, lists: tuple[str, ...] = ()) -> dict[str, Any]:
    values: dict[str, Any] = {
        k: v for k, v in form.multi_items() if isinstance(v, str) and k not in lists
    }
    for name in lists:
        values[name] = list(choices(form, name))
    values.pop("csrf_token", None)
    return values


async def _act(
    request: Request,
    run_id: str,
    panel_name: str,
    build: Build,
    *,
    lists: tuple[str, ...] = (),
    template: str | None = None,
    done: str = "",
) -> Response:
    """Run the command a form asks for; answer with its panel (or the page, without htmx)."""
    who, form = await posted(request)
    ctx = await run_page(request, run_id, *CONTROL)
    key = key_of(form)
    values = _values(form, lists)
    try:
        command = build(form)
    except Rejected as exc:
        rejected: Rejected | None = exc
    else:
        rejected = await run_command(services(request), run_id, who.principal, command, key)
    if rejected is None:  # show the run as the command left it
        ctx.state = await run_in_threadpool(services(request).engine.state, run_id)
    if rejected is None and panel_name == "correct":
        state = _correction_form(ctx, str(values.get("number", "")))
        state.notice = done
    elif rejected is None:
        state = FormState(notice=done)
    else:
        state = FormState(
            values=values, error=rejected.message, error_field=rejected.field, key=key
        )
    if not is_htmx(request):
        if rejected is None:
            return RedirectResponse(f"/runs/{run_id}/console#panel-{panel_name}", status_code=303)
        return await _page(request, ctx, {panel_name: state}, status_code=rejected.status)
    if template is not None:
        cv = await _view(request, ctx, [])
        return await render(
            request,
            template,
            ctx.lang,
            **_context(
                ctx,
                cv,
                forms={panel_name: state},
                editing=state,
                editing_number=state.get("number"),
            ),
        )
    # A live panel: the answer goes to the feedback line beside it, and the panel refreshes
    # itself (queued behind any refresh in flight), so it always ends on the newest state.
    response = await render(
        request,
        "console/feedback.html",
        ctx.lang,
        **_context(ctx, None, form=state, name=panel_name),
    )
    if rejected is None:
        target = {"refresh": {"target": f"#panel-{panel_name}"}}
        response.headers["HX-Trigger"] = json.dumps(target)
    return response


def _compression(form: FormData) -> float:
    raw = text(form, "compression", 20).strip() or "1"
    try:
        return float(raw)
    except ValueError:
        raise Rejected(
            "compression is a number, e.g. 1 (real time) or 2 (twice as fast)",
            field="compression",
        ) from None


@router.post("/runs/{run_id}/console/start")
async def start(run_id: str, request: Request) -> Response:
    """STARTEX."""
    return await _act(
        request, run_id, "controls", lambda f: cmd.StartRun(_compression(f)), done=N_("Started.")
    )


@router.post("/runs/{run_id}/console/pause")
async def pause(run_id: str, request: Request) -> Response:
    return await _act(request, run_id, "controls", lambda f: cmd.PauseRun(), done=N_("Paused."))


@router.post("/runs/{run_id}/console/resume")
async def resume(run_id: str, request: Request) -> Response:
    return await _act(request, run_id, "controls", lambda f: cmd.ResumeRun(), done=N_("Resumed."))


@router.post("/runs/{run_id}/console/end")
async def end(run_id: str, request: Request) -> Response:
    """ENDEX, after the confirmation step."""
    return await _act(request, run_id, "controls", lambda f: cmd.EndRun(), done=N_("Ended."))


@router.post("/runs/{run_id}/console/modules/open")
async def open_module(run_id: str, request: Request) -> Response:
    return await _act(
        request,
        run_id,
        "modules",
        lambda f: cmd.OpenModule(text(f, "module", 80)),
        done=N_("Module opened."),
    )


@router.post("/runs/{run_id}/console/injects/{number}/release")
async def release(run_id: str, number: str, request: Request) -> Response:
    def build(form: FormData) -> cmd.Command:
        how = text(form, "how", 20) or "manual"
        return cmd.ReleaseInject(number, "now" if how == "now" else "manual")

    return await _act(request, run_id, "msel", build, done=N_("Inject released."))


def _correction_form(ctx: RunPage, number: str) -> FormState:
    inject = ctx.package.inject(number)
    status = ctx.state.injects.get(number)
    content = (status.content if status else None) or (inject.content if inject else {})
    values: dict[str, Any] = {"number": number}
    for lang in ctx.package.exercise.languages:
        values[f"content_{lang}"] = content.get(lang, "")
    return FormState(values=values)


@router.get("/runs/{run_id}/console/injects/{number}/edit")
async def edit_inject(run_id: str, number: str, request: Request) -> Response:
    """The correct-or-retract form for one inject, filled with its current text."""
    ctx = await run_page(request, run_id, *CONTROL)
    if ctx.package.inject(number) is None:
        raise PageError(404, N_("There is no such inject."))
    form = _correction_form(ctx, number)
    if not is_htmx(request):
        return RedirectResponse(f"/runs/{run_id}/console?edit={number}#panel-correct", 303)
    cv = await _view(request, ctx, [])
    return await render(
        request,
        "console/correct.html",
        ctx.lang,
        **_context(ctx, cv, forms={}, editing=form, editing_number=number),
    )


@router.post("/runs/{run_id}/console/injects/{number}/correct")
async def correct(run_id: str, number: str, request: Request) -> Response:
    """Send a corrected text of a released inject."""
    ctx = await run_page(request, run_id, *CONTROL)
    languages = ctx.package.exercise.languages

    def build(form: FormData) -> cmd.Command:
        content = {
            lang: text(form, f"content_{lang}")
            for lang in languages
            if text(form, f"content_{lang}").strip()
        }
        return cmd.CorrectInject(number, content, text(form, "reason", 2000))

    return await _act(
        request,
        run_id,
        "correct",
        build,
        template="console/correct.html",
        done=N_("Correction sent."),
    )


@router.post("/runs/{run_id}/console/injects/{number}/retract")
async def retract(run_id: str, number: str, request: Request) -> Response:
    """Withdraw a released inject."""

    def build(form: FormData) -> cmd.Command:
        return cmd.RetractInject(number, text(form, "retract_reason", 2000))

    return await _act(
        request,
        run_id,
        "correct",
        build,
        template="console/correct.html",
        done=N_("Inject retracted."),
    )


@router.post("/runs/{run_id}/console/broadcast")
async def broadcast(run_id: str, request: Request) -> Response:
    """Broadcast an update to everyone, or to chosen parties and teams."""
    ctx = await run_page(request, run_id, *CONTROL)
    languages = ctx.package.exercise.languages

    def build(form: FormData) -> cmd.Command:
        content = {
            lang: text(form, f"text_{lang}")
            for lang in languages
            if text(form, f"text_{lang}").strip()
        }
        return cmd.BroadcastUpdate(content, choices(form, "teams"), choices(form, "parties"))

    return await _act(
        request,
        run_id,
        "broadcast",
        build,
        lists=("teams", "parties"),
        template="console/broadcast.html",
        done=N_("Update sent."),
    )


@router.post("/runs/{run_id}/console/hot-wash")
async def hot_wash(run_id: str, request: Request) -> Response:
    """Add a strength or an area for improvement said in the hot wash."""

    def build(form: FormData) -> cmd.Command:
        return cmd.AddHotWashItem(
            text(form, "kind", 20),
            text(form, "text"),
            text(form, "team", 80) or None,
            text(form, "party", 80) or None,
        )

    return await _act(
        request,
        run_id,
        "hotwash",
        build,
        template="console/hotwash.html",
        done=N_("Added to the hot wash."),
    )


@router.post("/runs/{run_id}/console/polls/{poll}/open")
async def open_poll(run_id: str, poll: str, request: Request) -> Response:
    return await _act(
        request, run_id, "polls", lambda f: cmd.OpenPoll(poll), done=N_("Poll opened.")
    )


@router.post("/runs/{run_id}/console/polls/{poll}/close")
async def close_poll(run_id: str, poll: str, request: Request) -> Response:
    return await _act(
        request, run_id, "polls", lambda f: cmd.ClosePoll(poll), done=N_("Poll closed.")
    )


@router.post("/runs/{run_id}/console/triggers/{trigger}/release")
async def release_proposal(run_id: str, trigger: str, request: Request) -> Response:
    """One click: release what a proposing trigger offers."""
    return await _act(
        request,
        run_id,
        "branches",
        lambda f: cmd.AnswerTrigger(trigger, accept=True),
        done=N_("Released."),
    )


@router.post("/runs/{run_id}/console/triggers/{trigger}/dismiss")
async def dismiss_proposal(run_id: str, trigger: str, request: Request) -> Response:
    """One click: dismiss a proposing trigger (it is not proposed again)."""
    return await _act(
        request,
        run_id,
        "branches",
        lambda f: cmd.AnswerTrigger(trigger, accept=False, reason=text(f, "reason", 2000)),
        done=N_("Proposal dismissed."),
    )


@router.post("/runs/{run_id}/console/milestones/{milestone}/reach")
async def reach_milestone(run_id: str, milestone: str, request: Request) -> Response:
    """One click: mark a milestone reached."""
    return await _act(
        request,
        run_id,
        "branches",
        lambda f: cmd.ReachMilestone(milestone),
        done=N_("Milestone marked reached."),
    )
