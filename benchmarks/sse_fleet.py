"""SSE clients spread over several processes, so that the client is not the bottleneck at
3,000–10,000 connections: one asyncio loop (uvloop when installed) per process, each holding a
share of the connections, all timing arrivals on the machine's monotonic clock (the same clock
in every process on Linux).

Each client keeps one raw HTTP/1.1 connection, notes the inject number of every frame that
carries the marker (in order, so duplicates and gaps show), remembers the last ``id:`` it saw,
and — with ``reconnect_every`` — drops its connection now and then and comes back with
``Last-Event-ID``, as a browser does after a network blip.

The parent talks to each process over a pipe: ``ready`` once every connection answered,
``count`` per inject as arrivals come in, and the results after ``stop``.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import random
import resource
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any


def raise_fd_limit(wanted: int) -> int:
    """Raise this process's open-file limit towards ``wanted`` (up to the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        return target
    return soft


@dataclass
class Spec:
    """What one client connects to."""

    port: int
    path: str
    cookie: str | None = None


@dataclass
class Seen:
    """What the clients of one process saw."""

    arrivals: dict[str, list[float]] = field(default_factory=dict)
    """Inject number → arrival times (monotonic), one per delivery."""
    orders: list[list[str]] = field(default_factory=list)
    """Per client, the inject numbers in the order they arrived."""
    sizes: list[int] = field(default_factory=list)
    reconnects: int = 0
    errors: int = 0
    refused: int = 0
    """Connections answered with another status than 200 (and tried again)."""


MARKER = b'{"number": "'


def _number(line: bytes) -> str:
    return line.split(MARKER, 1)[1].split(b'"', 1)[0].decode()


async def _client(
    index: int,
    spec: Spec,
    seen: Seen,
    report: Any,
    connected: asyncio.Event,
    reconnect_every: float,
    stopping: asyncio.Event,
) -> None:
    order = seen.orders[index]
    last_id: str | None = None
    pending_id: str | None = None
    pending: tuple[str, int] | None = None
    first = True
    rng = random.Random(index)
    while not stopping.is_set():
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", spec.port, limit=2**20)
        except OSError:
            seen.errors += 1
            await asyncio.sleep(0.5)
            continue
        head = f"GET {spec.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
        if spec.cookie:
            head += f"Cookie: sitroom_session={spec.cookie}\r\n"
        if last_id is not None:
            head += f"Last-Event-ID: {last_id}\r\n"
        writer.write((head + "\r\n").encode())
        leave_at = (
            time.monotonic() + rng.expovariate(1 / reconnect_every) if reconnect_every else None
        )
        status: bytes | None = None
        try:
            while True:
                if leave_at is not None:
                    remaining = leave_at - time.monotonic()
                    if remaining <= 0:
                        seen.reconnects += 1
                        break
                    line = await asyncio.wait_for(reader.readline(), remaining)
                else:
                    line = await reader.readline()
                if not line:
                    seen.errors += 1
                    break
                if status is None:
                    status = line.split(b" ", 2)[1]
                    if status != b"200":  # refused (503 beyond SITROOM_MAX_STREAMS): retry
                        seen.refused += 1
                        break
                    if first:
                        first = False
                        connected.set()
                if line.startswith(b"id: "):
                    pending_id = line[4:].strip().decode()
                elif line in (b"\n", b"\r\n"):
                    # An event counts at its blank line, as in a browser: a connection dropped
                    # mid-event neither shows it nor resumes after it.
                    if pending_id is not None:
                        last_id, pending_id = pending_id, None
                    if pending is not None:
                        number, size = pending
                        pending = None
                        order.append(number)
                        arrivals = seen.arrivals.setdefault(number, [])
                        arrivals.append(time.monotonic())
                        seen.sizes.append(size)
                        report(number, len(arrivals))
                elif MARKER in line:
                    pending = (_number(line), len(line))
        except TimeoutError:
            seen.reconnects += 1
        except (OSError, asyncio.IncompleteReadError):
            seen.errors += 1
        finally:
            pending_id = pending = None
            writer.close()
        await asyncio.sleep(1.0 if status != b"200" else 0.05 if leave_at is not None else 0.5)


async def _serve(conn: Connection, specs: list[Spec], reconnect_every: float) -> None:
    loop = asyncio.get_running_loop()
    seen = Seen(orders=[[] for _ in specs])
    stopping = asyncio.Event()
    reported: dict[str, int] = {}
    flush_pending = [False]

    def flush() -> None:
        flush_pending[0] = False
        conn.send(("count", dict(reported)))

    def report(number: str, count: int) -> None:
        reported[number] = count
        if not flush_pending[0]:  # at most one count message per loop pass
            flush_pending[0] = True
            loop.call_later(0.005, flush)

    events = [asyncio.Event() for _ in specs]
    tasks = []
    for i, spec in enumerate(specs):
        tasks.append(
            asyncio.create_task(
                _client(i, spec, seen, report, events[i], reconnect_every, stopping)
            )
        )
        if i % 200 == 199:
            await asyncio.sleep(0)  # let the accepted ones answer before opening more
    await asyncio.gather(*(e.wait() for e in events))
    conn.send(("ready", len(specs)))

    # Wait for "stop" in a thread: a reader on the loop would make the pipe non-blocking,
    # and the results (megabytes at 10,000 clients) would then not fit in one write.
    await loop.run_in_executor(None, conn.recv)
    stopping.set()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    conn.send(("done", seen))


def _main(conn: Connection, specs: list[Spec], reconnect_every: float) -> None:
    raise_fd_limit(len(specs) + 256)
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(_serve(conn, specs, reconnect_every))


class Fleet:
    """``len(specs)`` SSE clients over ``processes`` processes; a context manager."""

    def __init__(self, specs: list[Spec], processes: int, reconnect_every: float = 0.0) -> None:
        self.total = len(specs)
        self.pipes: list[Connection] = []
        self.procs: list[multiprocessing.process.BaseProcess] = []
        self.counts: list[dict[str, int]] = []
        context = multiprocessing.get_context("fork")
        for share in range(processes):
            mine = specs[share::processes]
            parent, child = context.Pipe()
            proc = context.Process(target=_main, args=(child, mine, reconnect_every), daemon=True)
            proc.start()
            self.pipes.append(parent)
            self.procs.append(proc)
            self.counts.append({})

    def __enter__(self) -> Fleet:
        return self

    def __exit__(self, *exc: object) -> None:
        for proc in self.procs:
            if proc.is_alive():
                proc.terminate()
            proc.join(timeout=10)

    def _pump(self, timeout: float, only: set[int] | None = None) -> list[tuple[int, str, Any]]:
        got = []
        pipes = [p for i, p in enumerate(self.pipes) if only is None or i in only]
        for conn in wait(pipes, timeout):
            assert isinstance(conn, Connection)
            index = self.pipes.index(conn)
            kind, value = conn.recv()
            if kind == "count":
                self.counts[index].update(value)
            got.append((index, kind, value))
        return got

    def wait_ready(self, timeout: float) -> None:
        ready = 0
        deadline = time.monotonic() + timeout
        while ready < len(self.pipes):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{ready} of {len(self.pipes)} client processes connected")
            ready += sum(1 for _, kind, _ in self._pump(1.0) if kind == "ready")

    def delivered(self, number: str) -> int:
        return sum(c.get(number, 0) for c in self.counts)

    def wait_for(self, number: str, expected: int, timeout: float) -> bool:
        """Wait until ``expected`` deliveries of inject ``number`` arrived, or ``timeout``."""
        deadline = time.monotonic() + timeout
        while self.delivered(number) < expected:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self._pump(min(left, 0.05))
        return True

    def idle(self, seconds: float) -> None:
        """Keep reading the counts for ``seconds``."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            self._pump(left)

    def stop(self) -> Seen:
        """Close every connection; what all the clients saw, merged."""
        for conn in self.pipes:
            conn.send("stop")
        merged = Seen()
        pending = set(range(len(self.pipes)))
        while pending:
            for index, kind, value in self._pump(60.0, pending):
                if kind == "done":
                    pending.discard(index)
                    for number, times in value.arrivals.items():
                        merged.arrivals.setdefault(number, []).extend(times)
                    merged.orders += value.orders
                    merged.sizes += value.sizes
                    merged.reconnects += value.reconnects
                    merged.errors += value.errors
                    merged.refused += value.refused
        return merged


def processes_for(clients: int) -> int:
    """One client process per 2,000 connections, at most one per core plus one."""
    return max(1, min((clients + 1999) // 2000, (os.cpu_count() or 1) + 1))


def exactly_once(orders: list[list[str]], expected: list[str]) -> tuple[int, int, int]:
    """(clients that saw ``expected`` exactly once each in order, missed deliveries,
    duplicate deliveries) over every client."""
    good = missed = duplicates = 0
    wanted = set(expected)
    for order in orders:
        mine = [n for n in order if n in wanted]
        if mine == expected:
            good += 1
        missed += len(wanted - set(mine))
        duplicates += len(mine) - len(set(mine))
    return good, missed, duplicates
