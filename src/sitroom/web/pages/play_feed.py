"""What a player page's event stream carries: the HTML of what changed, rendered once for
everyone who sees it alike and swapped in by htmx, instead of every screen fetching its
panels again.

A released inject used to cost one full panel render per screen (and a response one per
screen of the team): each page, woken by the event, asked for its panel. Here each event that
changes the page becomes HTML parts, each saying where it goes (``hx-swap-oob``): a new inject
card at the top of the list, the team's responses to one inject, a decision card, a whole
small panel. They are rendered once per **audience** — role, team, party and language, all
the visibility gate looks at — and per event, and shared by every stream of that audience.

The render never sees who is looking: it runs for a stand-in principal of the audience
(``audience_principal``), so nothing of one viewer (their acknowledgements, their votes, the
CSRF token, idempotency keys) can be baked into HTML another viewer receives. What is the
viewer's own keeps its place on the page (``hx-preserve``), forms get their key on the page
(``sitroom.js``) and their CSRF token from the page's meta tag. Events whose HTML differs per
viewer (a poll closing shows each their own vote) still make the page fetch the panel
(``play_panels.PANELS``). The status panel's clock, which moves with time, comes at every
heartbeat of the stream, rendered once per audience (it was fetched by every page every 30 s).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

from starlette.concurrency import run_in_threadpool

from sitroom.bootstrap import Services
from sitroom.conduct.principal import Principal, Role
from sitroom.conduct.state import RunState
from sitroom.conduct.visibility import (
    visible_broadcasts,
    visible_decisions,
    visible_notes,
    visible_responses,
)
from sitroom.package.model import text_in
from sitroom.realtime.sse import Frame
from sitroom.services.identity import Viewer
from sitroom.services.runs import StoredEvent
from sitroom.web.pagecache import Hole
from sitroom.web.pages.home import RunPage
from sitroom.web.pages.play_panels import (
    EntryView,
    RunDocuments,
    decision_card,
    documents_of,
    entry_view,
    names_of,
    panel_values,
    shared,
)
from sitroom.web.render import environment, fragment
from sitroom.web.views import play as pv

log = logging.getLogger(__name__)

FEED_EVENT = "fragment"
"""The SSE event type of the HTML parts (the page's ``sse-swap``)."""

NAMES_FOR = 30.0
"""Seconds the feed keeps the people's names before reading them again."""

AUTHORED = frozenset(
    {
        "response-submitted",
        "team-note-added",
        "decision-proposed",
        "decision-concurred",
        "decision-non-concurred",
        "thread-opened",
        "thread-message-posted",
    }
)
"""Events whose HTML names their author."""

THREAD_EVENTS = ("thread-opened", "thread-message-posted", "thread-forwarded", "thread-read")
"""The SimCell inbox's events: each renders the audience's inbox panel again (the team's
unread counts are the team's, so the panel is the same for everyone of the audience)."""

LIFECYCLE = ("run-started", "run-paused", "run-resumed", "run-ended")
LIVE_PANELS = ("status", "injects", "questions", "decisions", "polls", "notes")
"""What starting, pausing, resuming or ending the run changes: the status, and every panel
whose forms are offered only while the run is live."""


@dataclass(frozen=True)
class Part:
    """One piece of HTML for the page: ``kind`` says where it goes (see ``play/_feed.html``)."""

    kind: str
    name: str = ""
    item: Any = None


@dataclass(frozen=True)
class Audience:
    """Everyone who sees a run alike on the player page."""

    role: Role
    team: str | None
    party: str | None
    lang: str


def audience_of(principal: Principal, lang: str) -> Audience:
    """The audience a viewer belongs to: what the gate decides by, and the language."""
    return Audience(principal.role, principal.team, principal.party, lang)


def audience_principal(audience: Audience) -> Principal:
    """A stand-in for every viewer of ``audience``: the gate treats it as any of them, and it
    has acknowledged nothing and voted nowhere."""
    return Principal(
        id=f"audience:{audience.role}:{audience.team or '-'}:{audience.party or '-'}",
        role=audience.role,
        team=audience.team,
        party=audience.party,
    )


def _unacknowledged(run_id: str, lang: str, hole: Hole) -> str:
    """An inject card's own part for a viewer who has not acknowledged it."""
    return fragment(
        "play/_ack.html", lang, run_id=run_id, number=hole.args[0], acknowledged_at=None
    )


def _no_key() -> str:
    """Forms pushed to many screens carry no idempotency key: the page makes its own."""
    return ""


@dataclass
class Reading:
    """What the parts of one event are made from: the audience's page context, the people's
    names, the run's documents folder; ``values`` collects the template values built."""

    ctx: RunPage
    svc: Services
    names: dict[str, str]
    documents: RunDocuments
    values: dict[str, Any] = field(default_factory=dict)

    def panel(self, name: str) -> Part:
        """A whole panel, as the page's GET of it renders it."""
        values = panel_values(name, self.ctx, self.svc, self.names, (self.documents,))
        self.values.update(values)
        return Part("panel", name)

    def responses(self, target: str, ref: str) -> list[EntryView]:
        """The team's responses to one inject or question."""
        p, ctx = self.ctx.viewer.principal, self.ctx
        return [
            entry_view(e, self.names, ctx)
            for e in visible_responses(p, ctx.state)
            if e.target == target and e.ref == ref
        ]


def parts_of(stored: StoredEvent, reading: Reading) -> list[Part]:
    """What ``stored`` changes on a player's page, as parts to render. Only what changed is
    built (one card, one team's responses to one inject): a whole panel is for the rare events
    that change most of one."""
    kind, data = stored.type, stored.payload
    ctx = reading.ctx
    p, state = ctx.viewer.principal, ctx.state
    if kind in LIFECYCLE:
        return [reading.panel(name) for name in LIVE_PANELS]
    if kind == "module-opened":
        return [reading.panel(name) for name in ("status", "module", "questions")]
    if kind == "poll-opened":
        return [reading.panel("polls")]
    if kind in ("inject-released", "inject-corrected", "inject-retracted", "choice-made"):
        number = data["inject"] if kind == "choice-made" else data["number"]
        href = f"/runs/{ctx.run_id}/play/attachments" if reading.documents else None
        cards = pv.released_injects(p, state, ctx.lang, href, only=number)
        # A card just released has no responses yet (none can be sent before it is).
        responses = [] if kind == "inject-released" else reading.responses("inject", number)
        reading.values["inject_responses"] = {number: responses}
        where = "new-inject" if kind == "inject-released" else "inject"
        parts = [Part(where, item=card) for card in cards]
        inject = ctx.package.inject(number)
        if cards and inject is not None and inject.from_organisation is not None:
            parts.append(reading.panel("inbox"))  # an e-mail from an organisation: the inbox
        return parts
    if kind in THREAD_EVENTS:
        return [reading.panel("inbox")]
    if kind == "update-broadcast":
        broadcasts = [b for b in visible_broadcasts(p, state) if b.id == data["id"]]
        languages = ctx.package.exercise.languages
        return [
            Part(
                "new-update",
                item={
                    "id": b.id,
                    "text": text_in(b.text, ctx.lang, languages),
                    "at": pv.wall_time(b.at, ctx.package, ctx.lang),
                },
            )
            for b in broadcasts
        ]
    if kind == "response-submitted":
        target, ref = data["target"], data["ref"]
        box = f"{target}-{ref}-responses"
        return [Part("responses", box, reading.responses(target, ref))]
    if kind == "team-note-added":
        notes = [e for e in visible_notes(p, state) if e.id == data["id"]]
        return [Part("new-note", item=entry_view(e, reading.names, ctx)) for e in notes]
    if kind in ("decision-proposed", "decision-concurred", "decision-non-concurred"):
        wanted = data["id"] if kind == "decision-proposed" else data["decision"]
        where = "new-decision" if kind == "decision-proposed" else "decision"
        decisions = [d for d in visible_decisions(p, state) if d.id == wanted]
        return [Part(where, item=decision_card(d, ctx, reading.names)) for d in decisions]
    return []


PUSHED = frozenset(
    {
        *LIFECYCLE,
        "module-opened",
        "poll-opened",
        "inject-released",
        "inject-corrected",
        "inject-retracted",
        "choice-made",
        "update-broadcast",
        "response-submitted",
        "team-note-added",
        "decision-proposed",
        "decision-concurred",
        "decision-non-concurred",
        *THREAD_EVENTS,
    }
)
"""The event types ``parts_of`` makes HTML of."""


@dataclass
class _Folded:
    """What the parts of a run's events need besides its state, read once in a while: the
    people's names and the run's documents folder; and the lock of whoever reads them."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    names: dict[str, str] | None = None
    names_read: float = 0.0
    documents: tuple[RunDocuments] | None = None


def _event_key(run_id: str, stored: StoredEvent, audience: Audience) -> tuple[Any, ...]:
    """Where `PlayFeed` keeps the frames of ``stored`` for ``audience``."""
    return ("event", run_id, stored.seq, audience)


class PlayFeed:
    """The HTML parts of each event for each audience, rendered once and shared.

    Streams of one audience woken by one event wait for the same render (started by the
    first of them, in a worker thread); the last ``size`` renders are kept for streams that
    come later (a reconnect resuming from its ``Last-Event-ID``).

    The feed renders from the engine's snapshot of the run (``Engine.state``: pointers, not a
    copy, and shared with the pages). An event is rendered from the state at its sequence
    number or later, never earlier: a later state only makes the part newer, and the parts of
    the later events follow anyway.
    """

    def __init__(self, svc: Services, size: int = 4096) -> None:
        self.svc = svc
        self.size = size
        self._done: OrderedDict[tuple[Any, ...], tuple[Frame, ...]] = OrderedDict()
        self._pending: dict[tuple[Any, ...], asyncio.Future[tuple[Frame, ...]]] = {}
        self._runs: dict[str, _Folded] = {}
        self._audiences: dict[str, set[Audience]] = {}
        self._languages: set[str] = set()
        self._guard = threading.Lock()

    async def frames(
        self, run_id: str, stored: StoredEvent, audience: Audience
    ) -> tuple[Frame, ...]:
        """The HTML frames of ``stored`` for ``audience`` (none if the gate hides the event
        from them, or it changes nothing on the page)."""
        if stored.type not in PUSHED:
            return ()  # receipts, acknowledgements, votes: nothing to render, no one waits
        key = _event_key(run_id, stored, audience)
        done = self._done.get(key)  # what a thousand streams woken together find
        if done is not None:
            return done
        return await self._once(key, partial(self.render, run_id, stored, audience))

    def ready(
        self, run_id: str, stored: StoredEvent, audience: Audience
    ) -> tuple[Frame, ...] | None:
        """The frames of ``stored`` for ``audience`` if they are made already, else None (then
        await `frames`): what a thousand streams woken by one release find, with no coroutine
        each."""
        if stored.type not in PUSHED:
            return ()
        return self._done.get(_event_key(run_id, stored, audience))

    def attend(self, run_id: str, audience: Audience) -> None:
        """Note that a page of ``audience`` follows ``run_id`` (``prepare`` renders for it)."""
        self._audiences.setdefault(run_id, set()).add(audience)

    async def prepare(self, run_id: str, stored: StoredEvent) -> None:
        """Render ``stored`` for every audience with a page open on the run, one after
        another in one worker thread (they take the run's lock in turn anyway: a thread each
        only added a hop each before the streams could wake)."""
        if stored.type not in PUSHED:
            return
        missing = [
            a
            for a in self._audiences.get(run_id, ())
            if _event_key(run_id, stored, a) not in self._done
        ]
        if not missing:
            return

        def render_each() -> list[tuple[Audience, tuple[Frame, ...]]]:
            made = []
            for audience in missing:
                try:
                    made.append((audience, self.render(run_id, stored, audience)))
                except Exception:  # that audience's streams ask again (`frames`)
                    log.exception("no HTML for the player page")
            return made

        for audience, frames in await run_in_threadpool(render_each):
            self._store(_event_key(run_id, stored, audience), frames)

    async def clock(self, run_id: str, audience: Audience) -> tuple[Frame, ...]:
        """The status panel (the run's clock) for ``audience``, rendered once per audience and
        heartbeat: the clock moves in the stream instead of every page asking for it."""
        bucket = int(time.monotonic() // self.svc.settings.heartbeat_seconds)
        key = ("clock", run_id, bucket, audience)
        return await self._once(key, partial(self.render_clock, run_id, audience))

    async def _once(
        self, key: tuple[Any, ...], make: Callable[[], tuple[Frame, ...]]
    ) -> tuple[Frame, ...]:
        """``make()`` in a worker thread once for ``key``; whoever asks meanwhile waits for it."""
        done = self._done.get(key)
        if done is not None:
            self._done.move_to_end(key)
            return done
        pending = self._pending.get(key)
        if pending is None:
            pending = asyncio.ensure_future(self._in_thread(make))
            self._pending[key] = pending
            pending.add_done_callback(lambda future: self._keep(key, future))
        return await asyncio.shield(pending)

    def _keep(self, key: tuple[Any, ...], future: asyncio.Future[Any]) -> None:
        self._pending.pop(key, None)
        if future.cancelled() or future.exception() is not None:
            return
        self._store(key, future.result())

    def _store(self, key: tuple[Any, ...], frames: tuple[Frame, ...]) -> None:
        self._done[key] = frames
        while len(self._done) > self.size:
            self._done.popitem(last=False)

    async def _in_thread(self, make: Callable[[], tuple[Frame, ...]]) -> tuple[Frame, ...]:
        try:
            return await run_in_threadpool(make)
        except Exception:
            # The page heals at its next refresh (a reconnect, the viewer's own post).
            log.exception("no HTML for the player page")
            return ()

    def render_clock(self, run_id: str, audience: Audience) -> tuple[Frame, ...]:
        """The status panel for ``audience`` (blocking: reads and renders)."""
        folded = self._folded(run_id)
        with folded.lock:
            state = self._fold(folded, run_id, self.svc.engine.recorder.last_seq(run_id))
            return self._html(folded, state, audience, lambda reading: [reading.panel("status")])

    def render(self, run_id: str, stored: StoredEvent, audience: Audience) -> tuple[Frame, ...]:
        """The HTML frames of ``stored`` for ``audience`` (blocking: reads and renders)."""
        principal = audience_principal(audience)
        if stored.type not in PUSHED or self.svc.engine.view(principal, run_id, stored) is None:
            return ()  # the gate: not for this audience
        folded = self._folded(run_id)
        with folded.lock:
            state = self._fold(folded, run_id, stored.seq)
            if stored.type in AUTHORED:
                self._names(folded, run_id, stored.actor)
            frames = self._html(folded, state, audience, partial(parts_of, stored))
        # The event's one frame (the page listens to none of the events it is pushed), with
        # the event's id: every stream sends this very frame, serialised once.
        return tuple(replace(frame, id=stored.seq) for frame in frames)

    def _html(
        self,
        folded: _Folded,
        state: RunState,
        audience: Audience,
        parts_for: Callable[[Reading], list[Part]],
    ) -> tuple[Frame, ...]:
        """Render the parts ``parts_for`` picks for ``audience`` (under ``folded.lock``)."""
        run_id = state.run_id
        if folded.documents is None:
            folded.documents = (documents_of(self.svc, run_id, state.package),)
        principal = audience_principal(audience)
        viewer = Viewer(principal=principal, run_id=run_id, language=audience.lang)
        ctx = RunPage(viewer, run_id, state.package, state, audience.lang, csrf_token=None)
        # Whether a viewer acknowledged an inject is their own: the page keeps what it shows
        # (hx-preserve); a card new to the page offers the button (nobody acknowledged it yet).
        ctx.fillers["ack"] = partial(_unacknowledged, run_id, audience.lang)
        reading = Reading(ctx, self.svc, self._names(folded, run_id, None), folded.documents[0])
        parts = parts_for(reading)
        if not parts:
            return ()
        context = {**shared(ctx), **reading.values, "form_key": _no_key, "pushed": True}
        html = fragment("play/_feed.html", audience.lang, parts=parts, **context)
        return (Frame(id=None, event=FEED_EVENT, data=html.strip()),)

    def _folded(self, run_id: str) -> _Folded:
        with self._guard:
            return self._runs.setdefault(run_id, _Folded())

    async def warm(self, run_id: str, lang: str) -> None:
        """Fold the run, read what its parts need and compile the page's templates before the
        first event asks (each player page's stream opening calls this; only the first for a
        run and a language does any work)."""
        if run_id in self._runs and lang in self._languages:
            return
        with self._guard:
            folded = self._runs.setdefault(run_id, _Folded())
        try:
            await run_in_threadpool(self._warm, folded, run_id, lang)
        except Exception:  # the first event then does the work
            log.exception("could not prepare run %s for the player pages", run_id)

    def _warm(self, folded: _Folded, run_id: str, lang: str) -> None:
        if lang not in self._languages:
            env = environment(lang)
            for name in env.list_templates(filter_func=lambda name: name.startswith("play/")):
                env.get_template(name)
            self._languages.add(lang)
        with folded.lock:
            state = self._fold(folded, run_id, self.svc.engine.recorder.last_seq(run_id))
            if folded.documents is None:
                folded.documents = (documents_of(self.svc, run_id, state.package),)
            self._names(folded, run_id, None)

    def _names(self, folded: _Folded, run_id: str, actor: str | None) -> dict[str, str]:
        """The people's names, read again when the event's author is new to them (someone
        who joined since) or they are older than ``NAMES_FOR`` seconds."""
        now = time.monotonic()
        stale = folded.names is None or now - folded.names_read > NAMES_FOR
        if stale or (actor is not None and actor not in (folded.names or {})):
            folded.names, folded.names_read = names_of(self.svc, run_id), now
        assert folded.names is not None
        return folded.names

    def _fold(self, folded: _Folded, run_id: str, seq: int) -> RunState:
        """The run's state at ``seq`` or later (a snapshot shared with the pages)."""
        return self.svc.engine.state(run_id, seq)
