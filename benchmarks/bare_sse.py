"""The baseline for bench_sse.py: a bare SSE broadcaster on the same stack (uvicorn +
Starlette), with no authentication, no filtering and no storage."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

from sitroom.realtime import watermark
from sitroom.web import heap

queues: set[asyncio.Queue[bytes]] = set()
counter = 0


async def events(request: Request) -> StreamingResponse:
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    queues.add(queue)

    async def stream() -> AsyncIterator[bytes]:
        try:
            yield b"retry: 2000\n\n"
            while True:
                yield await queue.get()
        finally:
            queues.discard(queue)

    return StreamingResponse(stream(), media_type="text/event-stream")


async def release(request: Request) -> JSONResponse:
    global counter
    counter += 1
    number = request.path_params["number"]
    size = int(request.query_params.get("size", "0"))
    data = json.dumps({"number": number, "how": "manual", "pad": ""})
    data = data[:-2] + "x" * max(0, size - len(data) - len("data: ")) + '"}'
    frame = f"id: {counter}\nevent: inject-released\ndata: {data}\n\n".encode()
    watermark.note_wake()  # a release goes out: no full collection now (as in sitroom)
    for queue in list(queues):
        queue.put_nowait(frame)
    return JSONResponse({"sent": len(queues)})


async def health(request: Request) -> JSONResponse:
    return JSONResponse({"ok": True})


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    # The same collector settings as `sitroom serve` (sitroom.web.heap), so that the
    # baseline is the same stack and not one that pays full collections sitroom avoids.
    unsettle = heap.settle()
    sweeping = asyncio.create_task(heap.collect_when_quiet())
    yield
    sweeping.cancel()
    unsettle()


app = Starlette(
    routes=[
        Route("/events", events),
        Route("/release/{number}", release, methods=["POST"]),
        Route("/health", health),
    ],
    lifespan=lifespan,
)


def cpu_seconds(pids: tuple[int, ...]) -> float:
    """User + system CPU seconds the processes ``pids`` have used so far (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


@contextmanager
def running(port: int, pids: list[int] | None = None) -> Iterator[str]:
    """This broadcaster in a process of its own on ``port``, up before it yields its base URL;
    stopped afterwards (killed when too busy to stop in time). Its process id is appended to
    ``pids``, if given."""
    server = subprocess.Popen(
        [sys.executable, str(Path(__file__)), str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    if pids is not None:
        pids.append(server.pid)
    try:
        base = f"http://127.0.0.1:{port}"
        limit = time.monotonic() + 20
        while time.monotonic() < limit:
            try:
                httpx.get(f"{base}/health", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.05)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=30)


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
