"""The player view's panels: who may look, and what each panel of a team's page holds.

What a panel holds is chosen by the visibility gate only (``conduct.visibility``): the
``visible_*`` lists of the run's state, ``module_view`` and ``inject_view``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from markupsafe import escape
from starlette.concurrency import run_in_threadpool

from sitroom.bootstrap import Services
from sitroom.conduct.gameevents import GAME_EVENTS
from sitroom.conduct.principal import Role
from sitroom.conduct.state import DecisionState, Entry
from sitroom.conduct.visibility import (
    module_view,
    visible_broadcasts,
    visible_decisions,
    visible_modules,
    visible_notes,
    visible_responses,
)
from sitroom.package.model import Package, text_in
from sitroom.web.deps import services
from sitroom.web.pagecache import Filler, Hole
from sitroom.web.pages.home import PageError, RunPage, run_page
from sitroom.web.render import N_, fragment, html
from sitroom.web.views import play as pv
from sitroom.web.views import simcell as simcell_view
from sitroom.web.views.game import board_values as game_board_values

GAME_EVENT_TYPES = tuple(cls.TYPE for cls in GAME_EVENTS)

PANELS: dict[str, str] = {
    "status": "refresh",  # the clock comes in the stream at every heartbeat
    "module": "refresh",
    "updates": "refresh",
    "injects": "refresh, play-injects from:body",
    "questions": "refresh, play-responses from:body",
    "decisions": "refresh, play-decisions from:body",
    # Closing a poll shows each voter their own vote, and a vote reaches only its voter's
    # streams: for those the panel is fetched again.
    "polls": "refresh, sse:poll-closed, sse:poll-vote-cast, play-polls from:body",
    "notes": "refresh, play-notes from:body",
    "inbox": "refresh, play-inbox from:body",
    # A matrix game's board is each viewer's own (their estimates, their forms): fetched again
    # on every game event the gate lets the viewer's stream carry.
    "game": "refresh, game-board from:body, " + ", ".join(f"sse:{t}" for t in GAME_EVENT_TYPES),
}
"""Each panel and what makes the page fetch it again: ``refresh`` (sent after every reconnect),
the viewer's own posts (``play-* from:body``) and the few events whose HTML differs for each
viewer. Everything else that changes a panel arrives as HTML in the event stream
(``play_feed``), rendered once for everyone who sees it alike."""

LISTENED = frozenset(
    spec.strip()[4:]
    for triggers in PANELS.values()
    for spec in triggers.split(",")
    if spec.strip().startswith("sse:")
)
"""The event types the page's panels listen to: the stream sends the page these as events."""


# --- who may look -----------------------------------------------------------------------------


async def play_page(request: Request, run_id: str) -> RunPage:
    """A player's page; an observer sitting with a team may look on, read-only."""
    ctx = await run_page(request, run_id, Role.PLAYER, Role.OBSERVER)
    if ctx.viewer.principal.team is None:
        raise PageError(403, N_("This page is for the players of a team."))
    ctx.fillers.update(own_parts(ctx, services(request), request))
    return ctx


def acts(ctx: RunPage) -> bool:
    """Whether the viewer may act here (players) or only look (observers)."""
    return ctx.viewer.principal.role == Role.PLAYER


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


def names_of(svc: Services, run_id: str) -> dict[str, str]:
    """Principal id → display name for the people of the run."""
    return dict(svc.identity.names(run_id))


async def run_names(svc: Services, run_id: str) -> dict[str, str]:
    """`names_of`: from what is held, or read off the event loop."""
    held = svc.identity.held_names(run_id)
    if held is not None:
        return dict(held)
    return await run_in_threadpool(names_of, svc, run_id)


def clause_options(package: Package, lang: str) -> list[ClauseOption]:
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


def entry_view(e: Entry, names: dict[str, str], ctx: RunPage) -> EntryView:
    """A response or note as the page shows it (the author's name, the time of day)."""
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


def decision_card(d: DecisionState, ctx: RunPage, names: dict[str, str]) -> DecisionCard:
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
    questions = list(view["questions"]) if view else []
    return [{**q, "cites": question_cites(ctx.package, q, ctx.lang)} for q in questions]


def question_cites(package: Package, question: dict[str, Any], lang: str) -> list[str]:
    """What a question asks about, by name: its guideline clauses, then its critical tasks."""
    languages = package.exercise.languages
    cites = []
    for ref in question.get("clauses") or ():
        clause = package.clause(ref)
        title = text_in(clause.title, lang, languages) if clause else ""
        cites.append(_clause_label(package, ref, lang) + (f" — {title}" if title else ""))
    tasks = {t.id: t for t in package.tasks()}
    for task_id in question.get("tasks") or ():
        task = tasks.get(task_id)
        cites.append(f"{task_id} — {text_in(task.text, lang, languages)}" if task else task_id)
    return cites


def question_of(ctx: RunPage, question_id: str) -> dict[str, Any] | None:
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


RunDocuments = Path | dict[str, str] | None
"""Where a run's documents are: a bundled example's folder, or (a run made of a draft's
version) that version's documents by path → SHA-256 in the drafts store; None: nowhere."""


def documents_of(svc: Services, run_id: str, package: Package) -> RunDocuments:
    """The documents of the run's package: a bundled example's folder when it is one unchanged,
    else those of the draft's version the run was made of (kept in the database, so every
    worker finds them), else None."""
    if not any(inject.attachments for inject in package.injects()):
        return None
    record = svc.engine.recorder.get_run(run_id)
    if record is None:
        return None
    folder = _bundled_documents().get(record.package_hash)
    if folder is not None:
        return folder
    return svc.drafts.store.run_documents(run_id) or None


async def panel_data(
    name: str, ctx: RunPage, svc: Services, known: dict[str, str] | None = None
) -> dict[str, Any]:
    """The template values of one panel (``known``: the people's names, if read already)."""
    if name not in PANELS:
        raise PageError(404, N_("There is no such part of this page."))
    return await run_in_threadpool(panel_values, name, ctx, svc, known)


def panel_values(
    name: str,
    ctx: RunPage,
    svc: Services,
    known: dict[str, str] | None = None,
    documents: tuple[RunDocuments] | None = None,
) -> dict[str, Any]:
    """``panel_data`` in the calling thread (which may read the database). ``documents``:
    the run's documents folder (``documents_of``) in a tuple, if read already."""
    p, state, package, lang = ctx.viewer.principal, ctx.state, ctx.package, ctx.lang
    names = known if known is not None else {}
    if known is None and name in ("injects", "questions", "decisions", "notes", "inbox"):
        names = names_of(svc, ctx.run_id)
    if name == "status":
        return {"clock": pv.clock(state, svc.engine.clock(), lang)}
    if name == "module":
        view = module_view(p, package, state.module) if state.module else None
        return {"module": view, "module_span": _span(view, package, lang)}
    if name == "updates":
        return {
            "updates": [
                {
                    "id": b.id,
                    "text": text_in(b.text, lang, package.exercise.languages),
                    "at": pv.wall_time(b.at, package, lang),
                }
                for b in reversed(visible_broadcasts(p, state))
            ]
        }
    if name == "injects":
        folder = documents[0] if documents is not None else documents_of(svc, ctx.run_id, package)
        href = f"/runs/{ctx.run_id}/play/attachments" if folder else None
        responses: dict[str, list[EntryView]] = {}
        for e in visible_responses(p, state):
            if e.target == "inject":
                responses.setdefault(e.ref or "", []).append(entry_view(e, names, ctx))
        return {"injects": pv.released_injects(p, state, lang, href), "inject_responses": responses}
    if name == "questions":
        answers: dict[str, list[EntryView]] = {}
        for e in visible_responses(p, state):
            if e.target == "question":
                answers.setdefault(e.ref or "", []).append(entry_view(e, names, ctx))
        return {"questions": _questions(ctx), "question_responses": answers}
    if name == "decisions":
        cards = [
            decision_card(d, ctx, names)
            for d in sorted(visible_decisions(p, state), key=lambda d: d.seq, reverse=True)
        ]
        return {"decisions": cards}
    if name == "polls":
        return {"polls": pv.opened_polls(p, state, lang, results=False)}
    if name == "notes":
        notes = [entry_view(e, names, ctx) for e in reversed(visible_notes(p, state))]
        return {"notes": notes}
    if name == "inbox":
        return simcell_view.inbox(p, state, lang, names, svc.engine.clock())
    if name == "game":
        return game_board_values(p, state, lang, previewing=ctx.viewer.preview is not None)
    raise ValueError(f"no panel {name!r}")


NOT_SHOWN = frozenset(
    {
        "inject-received",
        "inject-acknowledged",
        "poll-vote-cast",
        "observation-recorded",
        "target-rated",
        "capability-rated",
        "clause-recorded",
        "hot-wash-item-added",
        "feedback-submitted",
        "finding-saved",
        "finding-removed",
        "report-finalised",
        "inject-mailed",
        "mail-failed",
        "trigger-met",
        "trigger-dismissed",
        "milestone-reached",
        "cell-acted",
        "cell-action-held",
        "cell-action-discarded",
        "cell-mode-set",
        "assist-proposed",
        "assist-answered",
    }
) | frozenset(GAME_EVENT_TYPES)  # the game panel is each viewer's own (OWN_PANELS)
"""Events that change nothing of what a team's page shares with its audience: receipts,
acknowledgements and votes show only in each viewer's own parts, and the rest is evaluation.
The shared page is kept across them (the most frequent events of a room)."""

OWN_PANELS = ("status", "polls", "game")
"""Panels that are each viewer's own: the clock of this second, the viewer's votes. They are
rendered for every request; the rest of the page is shared by the viewer's audience."""


def own_parts(ctx: RunPage, svc: Services, request: Request) -> dict[str, Filler]:
    """The holes of a player's page that are the viewer's own (``web.pagecache``)."""

    def acknowledged(number: str) -> datetime | None:
        status = ctx.state.injects.get(number)
        return status.acknowledged.get(ctx.viewer.principal.id) if status else None

    def ack(hole: Hole) -> str:
        number = hole.args[0]
        at = acknowledged(number)
        shown = pv.wall_time(at, ctx.package, ctx.lang) if at else None
        made = _ack_part(ctx.lang, ctx.run_id, number, shown, ctx.csrf_token is not None)
        return made.replace(_TOKEN_MARK, str(escape(ctx.csrf_token))) if ctx.csrf_token else made

    def panel(hole: Hole) -> str:
        name = hole.args[0]
        data = panel_values(name, ctx, svc, {})
        return html(request, f"play/_{name}.html", ctx.lang, **shared(ctx), **data)

    return {"ack": ack, "panel": panel}


_TOKEN_MARK = "csrf-token-of-this-viewer"


@lru_cache(maxsize=4096)
def _ack_part(lang: str, run_id: str, number: str, shown: str | None, form_token: bool) -> str:
    """An inject card's acknowledgement, made once per language, inject and time shown; a
    form's CSRF token stands as ``_TOKEN_MARK``, which `own_parts` replaces with the
    viewer's own (a page lists every inject, and each asked for a render per request)."""
    return fragment(
        "play/_ack.html",
        lang,
        run_id=run_id,
        csrf_token=_TOKEN_MARK if form_token else None,
        number=number,
        acknowledged_at=shown,
    )


def shared(ctx: RunPage) -> dict[str, Any]:
    """What every panel and form of the page needs."""
    p = ctx.viewer.principal
    others = [x for x in ctx.package.parties if x.id != p.party]
    return ctx.context(
        acts=acts(ctx),
        live=ctx.state.is_live(),
        panels=PANELS,
        clause_options=clause_options(ctx.package, ctx.lang),
        other_parties=others,
    )
