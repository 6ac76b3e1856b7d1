"""Pages rendered once per audience and sequence number, and shared by everyone in it.

Fifty people of one team opening their page at STARTEX see the same thing, so it is rendered
once: for a stand-in of their *audience* (role, team and party: what the visibility gate
treats alike, ``conduct.visibility.audience``) at the run's sequence number, and kept. What
is a viewer's own — their CSRF token, fresh form keys, their name, what they acknowledged or
voted, the clock of this second — is left as a *hole* in the shared page and filled for each
request (small and cheap). The stand-in carries no real principal id or name, so a shared
page cannot hold anything of one person: only what the whole audience may see.

Requests for a page that is being rendered wait for that rendering instead of starting their
own (single flight), and the cache keeps the newest rendering of each slot (page, run,
audience, language and the page's own inputs) up to a total size, least recently used first
out. A slot asked for at a newer sequence number is rendered again: a page after an event
shows the event.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import secrets
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass

from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

DEFAULT_MAX_BYTES = 48 * 2**20
"""Bytes of rendered pages kept."""


@dataclass(frozen=True, slots=True)
class Hole:
    """A viewer's own part of a shared page: what it is, and what it is about."""

    kind: str
    args: tuple[str, ...] = ()


Filler = Callable[[Hole], str]
"""Renders a hole for one viewer: HTML, escaped where it holds text."""


@dataclass(frozen=True, slots=True)
class Rendered:
    """A page rendered for an audience: UTF-8 parts with holes between them (encoded once,
    not for every viewer: a page of a long run is a megabyte)."""

    parts: tuple[bytes, ...]
    holes: tuple[Hole, ...]

    @property
    def size(self) -> int:
        return sum(len(part) for part in self.parts)

    def fill(self, filler: Filler) -> bytes:
        """The page for one viewer: each hole filled by ``filler``."""
        out = [self.parts[0]]
        for hole, part in zip(self.holes, self.parts[1:], strict=True):
            out.append(filler(hole).encode("utf-8"))
            out.append(part)
        return b"".join(out)


_NONCE = secrets.token_hex(12)
_MARK = re.compile(f"\x00{_NONCE}:([0-9]+)\x00")


class Holes:
    """What a template calls for a viewer's own part: ``{{ hole("ack", number) }}``.

    Rendering a shared page, it leaves a mark that ``split`` turns into a ``Hole``; the mark
    holds a secret of this process, so nothing a user typed can pose as one. Given a
    ``filler`` (a page rendered for one viewer only), it fills the part in at once.
    """

    def __init__(self, filler: Filler | None = None) -> None:
        self._filler = filler
        self._holes: list[Hole] = []

    @property
    def recording(self) -> bool:
        return self._filler is None

    def __call__(self, kind: str, *args: object) -> Markup:
        hole = Hole(kind, tuple(str(a) for a in args))
        if self._filler is not None:
            return Markup(self._filler(hole))
        self._holes.append(hole)
        return Markup(f"\x00{_NONCE}:{len(self._holes) - 1}\x00")

    def key(self) -> str:
        """A fresh idempotency key for a form (a hole in a shared page)."""
        if self._filler is None:
            return str(self("key"))
        return new_form_key()

    def split(self, html: str) -> Rendered:
        """The rendered page cut at its marks, each mark's hole in order."""
        pieces = _MARK.split(html)
        parts = tuple(piece.encode("utf-8") for piece in pieces[0::2])
        holes = tuple(self._holes[int(index)] for index in pieces[1::2])
        return Rendered(parts, holes)


_KEYS: dict[int, tuple[str, Iterator[int]]] = {}


def new_form_key() -> str:
    """A new idempotency key for one form of one page served: a random prefix of this process
    (made again in a forked child) and a counter. Unique as a random key would be, without a
    call for 16 random bytes per form: a player page holds dozens of forms, and fifty pages
    served at once paid for those calls more than for anything else but the database reads.
    A key is not a secret (the server checks it only against the same person's own keys)."""
    pid = os.getpid()
    made = _KEYS.get(pid)
    if made is None:
        made = _KEYS[pid] = (secrets.token_hex(8), itertools.count())
    prefix, counter = made
    return f"{prefix}{next(counter):016x}"  # 32 hex digits, as a random UUID's


def fresh_key(hole: Hole) -> str:
    """The ``key`` hole: a new idempotency key for each form of each page served."""
    return new_form_key()


class PageCache:
    """The newest rendering of each slot, single flight, bounded by total size."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self._slots: OrderedDict[Hashable, tuple[int, Rendered]] = OrderedDict()
        self._pending: dict[tuple[Hashable, int, int], asyncio.Future[Rendered]] = {}
        self._bytes = 0
        self.builds = 0
        """Renderings made (a test proves concurrent requests share one)."""

    @property
    def size(self) -> int:
        """Bytes held."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._slots)

    async def get(self, slot: Hashable, version: int, render: Callable[[Holes], str]) -> Rendered:
        """The page of ``slot`` at ``version`` (the run's sequence number), rendering it in a
        worker thread unless it is kept or already being rendered."""
        found = self._slots.get(slot)
        if found is not None and found[0] == version:
            self._slots.move_to_end(slot)
            return found[1]
        loop = asyncio.get_running_loop()
        key = (slot, version, id(loop))
        pending = self._pending.get(key)
        if pending is None:
            self.builds += 1
            pending = asyncio.ensure_future(run_in_threadpool(self._render, render))
            self._pending[key] = pending
            pending.add_done_callback(lambda done: self._finish(key, slot, version, done))
        # Shielded: a viewer who leaves does not cancel the rendering the others wait for.
        return await asyncio.shield(pending)

    def _render(self, render: Callable[[Holes], str]) -> Rendered:
        holes = Holes()
        return holes.split(render(holes))

    def _finish(
        self,
        key: tuple[Hashable, int, int],
        slot: Hashable,
        version: int,
        done: asyncio.Future[Rendered],
    ) -> None:
        self._pending.pop(key, None)
        if done.cancelled() or done.exception() is not None:
            return
        self._store(slot, version, done.result())

    def _store(self, slot: Hashable, version: int, rendered: Rendered) -> None:
        old = self._slots.get(slot)
        if old is not None:
            if old[0] > version:  # a newer one landed first
                return
            self._bytes -= old[1].size
        self._slots[slot] = (version, rendered)
        self._slots.move_to_end(slot)
        self._bytes += rendered.size
        while self._bytes > self.max_bytes and len(self._slots) > 1:
            _, (_, dropped) = self._slots.popitem(last=False)
            self._bytes -= dropped.size
        if self._bytes > self.max_bytes:  # one page larger than the whole cache
            self._slots.clear()
            self._bytes = 0
