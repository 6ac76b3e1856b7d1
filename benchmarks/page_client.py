"""A client that behaves like the player page in a browser, for ``bench_seen.py``.

It reads the page's wiring (``sse-connect``, each panel's ``hx-get`` and ``hx-trigger``, every
``sse-swap``, ``data-receipts``) and then does on each SSE message what htmx and ``sitroom.js``
do: swap the message's HTML, GET the panels it triggers (one request per panel in flight, the
last trigger queued), post the delivery receipt, poll what says ``every Ns``. It notes when a
message first names the round's inject (the frame) and when it first holds HTML with the
inject's title (seen).
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import quote

SSE_DATA = re.compile(rb"^data: ?(.*)$", re.M)
SSE_EVENT = re.compile(rb"^event: ?(.*)$", re.M)

DATA_NUMBER = re.compile(r'<article id="inject-[^"]*" class="inject[^"]*" data-number="([^"]+)"')

# --- what the page is wired to do ---------------------------------------------------------


@dataclass
class Wiring:
    """What htmx and sitroom.js do on the player page, read from the page itself."""

    sse_url: str = ""
    triggers: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    """SSE message type → the panels (``hx-get``) it makes htmx fetch."""
    swaps: set[str] = field(default_factory=set)
    """SSE message types whose data some element swaps in (``sse-swap``)."""
    polls: list[tuple[str, float]] = field(default_factory=list)
    """Panels fetched every so many seconds (``every 30s``)."""
    receipts: bool = False
    receipt_delay: float = 0.0
    """Seconds the page waits before it sends its receipts (``data-receipt-delay``)."""
    receipt_spread: float = 0.0
    """Seconds over which the page spreads them after that (``data-receipt-spread``)."""
    run: str = ""
    shown: set[str] = field(default_factory=set)
    """Injects on the page as loaded (``data-number``): the page recorded their receipts."""

    def listened(self, name: str) -> bool:
        return name in self.swaps or name in self.triggers


class _PageParser(HTMLParser):
    def __init__(self, wiring: Wiring) -> None:
        super().__init__()
        self.wiring = wiring

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        w = self.wiring
        if "sse-connect" in found:
            w.sse_url = found["sse-connect"]
        if found.get("data-receipts") == "on":
            w.receipts = True
        if found.get("data-receipt-delay", "").isdigit():
            w.receipt_delay = int(found["data-receipt-delay"]) / 1000
        if found.get("data-receipt-spread", "").isdigit():
            w.receipt_spread = int(found["data-receipt-spread"]) / 1000
        if "data-run" in found:
            w.run = found["data-run"]
        if tag == "article" and "data-number" in found:
            w.shown.add(found["data-number"])
        for name in found.get("sse-swap", "").split(","):
            if name.strip():
                w.swaps.add(name.strip())
        url = found.get("hx-get")
        if url:
            for spec in found.get("hx-trigger", "").split(","):
                words = spec.split()
                if words and words[0].startswith("sse:"):
                    w.triggers[words[0][4:]].append(url)
                elif words and words[0] == "every":
                    w.polls.append((url, float(words[1].rstrip("s"))))


def wiring_of(html: str) -> Wiring:
    wiring = Wiring()
    _PageParser(wiring).feed(html)
    if not wiring.sse_url:
        raise RuntimeError("the player page has no sse-connect")
    return wiring


# --- a client that behaves like the page ---------------------------------------------------


@dataclass
class Round:
    title: str
    started: float
    frame: dict[int, float] = field(default_factory=dict)
    seen: dict[int, float] = field(default_factory=dict)
    frame_bytes: list[int] = field(default_factory=list)


@dataclass
class Tally:
    requests: int = 0
    receipts: int = 0
    failures: int = 0
    in_flight: int = 0
    streams_lost: int = 0
    polls: int = 0
    releases_late: int = 0
    server_cpu: float = 0.0
    """CPU seconds of the server over the releases (set by the benchmark)."""


class Http:
    """Keep-alive HTTP/1.1 connections of one browser (as many as it has requests going)."""

    def __init__(self, port: int, cookie: str | None, csrf: str | None) -> None:
        self.port, self.cookie, self.csrf = port, cookie, csrf
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def request(
        self, method: str, path: str, extra: str = "", body: bytes = b""
    ) -> tuple[int, bytes]:
        """Send on an idle connection, else a new one; like a browser, send again on a new
        connection when a kept-alive one turns out closed by the server."""
        if self.idle:
            try:
                return await self._send(self.idle.pop(), method, path, extra, body)
            except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
                pass
        conn = await asyncio.open_connection("127.0.0.1", self.port)
        return await self._send(conn, method, path, extra, body)

    async def _send(
        self,
        conn: tuple[asyncio.StreamReader, asyncio.StreamWriter],
        method: str,
        path: str,
        extra: str,
        body: bytes = b"",
    ) -> tuple[int, bytes]:
        reader, writer = conn
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}"
        if self.cookie:
            head += f"Cookie: sitroom_session={self.cookie}\r\n"
        if method != "GET":
            head += f"Content-Length: {len(body)}\r\n"
        try:
            writer.write((head + "\r\n").encode() + body)
            status, headers = await read_head(reader)
            if "content-length" in headers:
                body = await reader.readexactly(int(headers["content-length"]))
            else:
                body = b"".join([chunk async for chunk in chunks(reader)])
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            writer.close()
            raise
        if headers.get("connection", "").lower() == "close":
            writer.close()
        else:
            self.idle.append(conn)
        return status, body

    def close(self) -> None:
        for _, writer in self.idle:
            writer.close()


async def read_head(reader: asyncio.StreamReader) -> tuple[int, dict[str, str]]:
    status = int((await reader.readline()).split()[1])
    headers: dict[str, str] = {}
    while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers


async def chunks(reader: asyncio.StreamReader):  # type: ignore[no-untyped-def]
    """The chunks of a chunked body as they come (the event stream is one)."""
    while True:
        size = int((await reader.readline()).split(b";")[0], 16)
        if size == 0:
            await reader.readline()
            return
        data = await reader.readexactly(size)
        await reader.readexactly(2)
        yield data


class Browser:
    """One player's page: the event stream, the panels htmx fetches, the receipts it posts."""

    def __init__(
        self, index: int, port: int, cookie: str | None, csrf: str | None, wiring: Wiring
    ) -> None:
        self.index, self.wiring = index, wiring
        self.http = Http(port, cookie, csrf)
        self.port, self.cookie, self.csrf = port, cookie, csrf
        self.round: Round | None = None
        self.busy: dict[str, bool] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        self.receipted: set[str] = set()
        self.pending: list[str] = []
        """Receipts waiting to be sent together; ``flushing`` while a send is scheduled."""
        self.flushing = False

    def spawn(self, coro) -> None:  # type: ignore[no-untyped-def]
        task = asyncio.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def follow(
        self, opened: asyncio.Event, counter: list[int], total: int, tally: Tally
    ) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port, limit=2**24)
        head = (
            f"GET {self.wiring.sse_url} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Accept: text/event-stream\r\n"
        )
        if self.cookie:
            head += f"Cookie: sitroom_session={self.cookie}\r\n"
        writer.write((head + "\r\n").encode())
        try:
            status, headers = await read_head(reader)
            if status != 200:
                raise RuntimeError(f"event stream answered {status}")
            counter[0] += 1
            if counter[0] == total:
                opened.set()
            for url, every in self.wiring.polls:
                self.spawn(self.poll(url, every, tally))
            buffer = b""
            source = (
                chunks(reader) if headers.get("transfer-encoding") == "chunked" else _raw(reader)
            )
            async for data in source:
                buffer += data
                while b"\n\n" in buffer:
                    message, buffer = buffer.split(b"\n\n", 1)
                    self.on_message(message, tally)
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError, RuntimeError):
            tally.streams_lost += 1
            raise
        finally:
            writer.close()

    def on_message(self, message: bytes, tally: Tally) -> None:
        now = time.perf_counter()
        # An HTML frame has a data line per line of HTML: read them with one expression, not
        # a loop per line, or a thousand pages in this one process fall behind the server by
        # 20 µs a frame where the bare broadcaster's one-line frames cost 3 (each browser
        # reads only its own frames).
        # An HTML frame has a data line per line of HTML: one expression finds them all (a
        # loop per line cost 20 µs a 60-line frame, where the bare broadcaster's one-line
        # frames cost 3, and a thousand pages in this one process fell behind by that).
        data = SSE_DATA.findall(message)
        if not data:
            return  # a comment (ping) or retry:
        named = SSE_EVENT.search(message)
        name = named.group(1).decode() if named else "message"
        text = b"\n".join(data).decode()
        current = self.round
        if current is not None and current.title in text:
            if self.index not in current.frame:
                current.frame[self.index] = now
                current.frame_bytes.append(len(message))
            if name in self.wiring.swaps:
                current.seen.setdefault(self.index, now)
        if not self.wiring.listened(name):
            return  # htmx hands only the types some element names to the page
        for url in self.wiring.triggers.get(name, ()):
            self.spawn(self.fetch(url, tally))
        if not self.wiring.receipts:
            return
        # sitroom.js posts the receipt of an inject that reaches the screen: once its HTML is
        # swapped in (or, before the page took HTML from the stream, on its frame).
        if name in self.wiring.swaps:
            numbers = DATA_NUMBER.findall(text)
        elif name in ("inject-released", "inject-corrected"):
            numbers = [json.loads(text).get("data", {}).get("number")]
        else:
            numbers = []
        for number in numbers:
            if number and number not in self.receipted and number not in self.wiring.shown:
                self.receipted.add(number)
                self.pending.append(number)
        if self.pending and not self.flushing:
            self.flushing = True
            self.spawn(self.receipts(tally))

    async def fetch(self, url: str, tally: Tally, counted: bool = True) -> None:
        """GET a panel as htmx does: one in flight per element, the last trigger queued.

        ``counted``: a fetch the release caused (the timed polls are not waited for)."""
        if url in self.busy:
            self.busy[url] = True
            return
        self.busy[url] = False
        tally.in_flight += counted
        try:
            while True:
                if counted:
                    tally.requests += 1
                else:
                    tally.polls += 1
                try:
                    status, body = await self.http.request("GET", url, "HX-Request: true\r\n")
                except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
                    tally.failures += 1
                    status, body = 0, b""
                current = self.round
                if status != 200:
                    tally.failures += 1
                elif current is not None and current.title.encode() in body:
                    current.seen.setdefault(self.index, time.perf_counter())
                if not self.busy[url]:
                    break
                self.busy[url] = False
        finally:
            del self.busy[url]
            tally.in_flight -= counted

    async def receipts(self, tally: Tally) -> None:
        """As sitroom.js: wait, then send every receipt that came meanwhile in one request."""
        tally.in_flight += 1
        try:
            w = self.wiring
            await asyncio.sleep(w.receipt_delay + random.uniform(0, w.receipt_spread))
            numbers, self.pending, self.flushing = self.pending, [], False
            status, _ = await self.http.request(
                "POST",
                f"/api/runs/{quote(w.run)}/receipts",
                f"X-CSRF-Token: {self.csrf}\r\nContent-Type: application/json\r\n",
                json.dumps({"numbers": numbers}).encode(),
            )
            tally.receipts += len(numbers)
            if status >= 400:
                tally.failures += 1
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            tally.failures += 1
        finally:
            tally.in_flight -= 1

    async def poll(self, url: str, every: float, tally: Tally) -> None:
        await asyncio.sleep(random.uniform(0, every))
        while True:
            self.spawn(self.fetch(url, tally, counted=False))
            await asyncio.sleep(every)


async def _raw(reader: asyncio.StreamReader):  # type: ignore[no-untyped-def]
    while data := await reader.read(65536):
        yield data
