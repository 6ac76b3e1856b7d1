"""Fan-out benchmark: time from "release inject" to receipt at every addressed SSE client.

1,000 player connections (2 parties, 10 teams) follow one run on a real ``sitroom serve``
process; the same client code then follows a bare SSE broadcaster on the same server stack
(uvicorn + Starlette, no auth, no filtering, no storage) as the baseline of the same run.

    python benchmarks/bench_sse.py [--clients 1000] [--rounds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import bare_sse  # noqa: E402

from tests.support.server import free_port, sign_in, wait_until_up  # noqa: E402

PASSWORD = "benchmark-password"


def make_package(rounds: int) -> str:
    """Two parties, ten player teams, ``rounds`` injects to everyone."""
    teams = "\n".join(
        f"  - {{id: t{i}, name: Team {i}, party: {'ald' if i < 5 else 'brn'}}}" for i in range(10)
    )
    injects = "\n".join(
        f"      - {{number: {n + 1}, title: Inject {n + 1}, content: Text of inject {n + 1}}}"
        for n in range(rounds)
    )
    return f"""
exercise:
  id: fanout
  title: Fan-out benchmark
  default_marking: {{classification: UNCLASSIFIED, releasable_to: [ald, brn]}}
parties:
  - {{id: ald, name: Aldoria, code: ALD}}
  - {{id: brn, name: Brenland, code: BRN}}
teams:
{teams}
modules:
  - id: m1
    title: Module 1
    injects:
{injects}
"""


async def follow(
    port: int,
    path: str,
    cookie: str | None,
    marker: str,
    arrivals: dict[str, list[float]],
    ready: asyncio.Event,
    connected: list[int],
    total: int,
) -> None:
    """A minimal SSE client: one raw HTTP/1.1 connection, arrival time of every marked frame."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=2**20)
    headers = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
    if cookie:
        headers += f"Cookie: sitroom_session={cookie}\r\n"
    writer.write((headers + "\r\n").encode())
    await writer.drain()
    first = True
    try:
        while True:
            line = await reader.readline()
            if not line:
                return
            if first:
                first = False
                connected[0] += 1
                if connected[0] == total:
                    ready.set()
            if marker.encode() in line:
                text = line.decode()
                key = text.split(marker, 1)[1].split('"', 1)[0].split(",", 1)[0]
                arrivals.setdefault(key, []).append(time.perf_counter())
                arrivals.setdefault("bytes", []).append(float(len(line)))
    finally:
        writer.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def measure(
    port: int,
    path: str,
    cookies: list[str | None],
    marker: str,
    release: Callable[[int], Awaitable[None]],
    rounds: int,
) -> dict[str, float]:
    arrivals: dict[str, list[float]] = {}
    ready = asyncio.Event()
    connected = [0]
    tasks = [
        asyncio.create_task(follow(port, path, c, marker, arrivals, ready, connected, len(cookies)))
        for c in cookies
    ]
    await asyncio.wait_for(ready.wait(), timeout=120)
    await asyncio.sleep(1.0)
    latencies: list[float] = []
    missing = 0
    for n in range(1, rounds + 1):
        key = str(n)
        started = time.perf_counter()
        await release(n)
        deadline = time.perf_counter() + 10
        while len(arrivals.get(key, [])) < len(cookies) and time.perf_counter() < deadline:
            await asyncio.sleep(0.005)
        got = arrivals.get(key, [])
        missing += len(cookies) - len(got)
        latencies += [(t - started) * 1000 for t in got]
        await asyncio.sleep(0.3)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {
        "deliveries": len(latencies),
        "missing": missing,
        "p50": statistics.median(latencies) if latencies else float("nan"),
        "p99": percentile(latencies, 0.99) if latencies else float("nan"),
        "max": max(latencies) if latencies else float("nan"),
        "bytes": statistics.mean(arrivals.get("bytes", [0.0])),
    }


def run_sitroom(clients: int, rounds: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder)
        env = {**os.environ, "SITROOM_DATA_DIR": str(data), "SITROOM_PASSWORD": PASSWORD}
        (data / "fanout.yaml").write_text(make_package(rounds), encoding="utf-8")
        subprocess.run(
            [sys.executable, "-m", "sitroom", "account", "create", "admin", "--role", "admin"],
            env=env,
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [
                sys.executable,
                "-m",
                "sitroom",
                "run",
                "create",
                "--id",
                "fanout",
                str(data / "fanout.yaml"),
            ],
            env=env,
            check=True,
            capture_output=True,
        )
        port = free_port()
        with (data / "server.log").open("ab") as log:
            server = subprocess.Popen(
                [sys.executable, "-m", "sitroom", "serve", "--port", str(port)],
                env=env,
                stdout=log,
                stderr=log,
            )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(base)
            admin = sign_in(base, "admin", PASSWORD)
            cookies: list[str | None] = []
            for i in range(clients):
                code = admin.post(
                    "/api/runs/fanout/invitations",
                    json={"name": f"Player {i}", "role": "player", "team": f"t{i % 10}"},
                ).json()["code"]
                joined = httpx.post(f"{base}/api/join", json={"code": code}, timeout=30)
                joined.raise_for_status()
                cookies.append(joined.cookies["sitroom_session"])
            admin.post("/api/runs/fanout/start", json={}).raise_for_status()
            seq = admin.get("/api/runs/fanout").json()["seq"]

            async def release(n: int) -> None:
                async with httpx.AsyncClient(
                    base_url=base, cookies=dict(admin.cookies), headers=dict(admin.headers)
                ) as http:
                    (
                        await http.post(f"/api/runs/fanout/injects/{n}/release", json={})
                    ).raise_for_status()

            path = f"/api/runs/fanout/events?after={seq}"
            return asyncio.run(measure(port, path, cookies, '{"number": "', release, rounds))
        finally:
            server.terminate()
            server.wait(timeout=20)


def run_bare(clients: int, rounds: int, size: int) -> dict[str, float]:
    """The baseline, sending data lines of ``size`` bytes (what sitroom sent) to everyone."""
    port = free_port()
    with bare_sse.running(port) as base:

        async def release(n: int) -> None:
            async with httpx.AsyncClient(base_url=base) as http:
                (await http.post(f"/release/{n}", params={"size": size})).raise_for_status()

        return asyncio.run(
            measure(port, "/events", [None] * clients, '{"number": "', release, rounds)
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    sitroom = run_sitroom(args.clients, args.rounds)
    bare = run_bare(args.clients, args.rounds, int(sitroom["bytes"]))
    rows = [("bare SSE broadcaster", bare), ("sitroom (auth, gate, log)", sitroom)]
    print(f"\nframes of {sitroom['bytes']:.0f} bytes on both servers")
    print(f"\n{args.clients} SSE clients (2 parties, 10 teams), {args.rounds} injects each\n")
    print(f"{'server':<28}{'deliveries':>11}{'missing':>9}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for name, r in rows:
        print(
            f"{name:<28}{r['deliveries']:>11.0f}{r['missing']:>9.0f}{r['p50']:>9.1f}"
            f"{r['p99']:>9.1f}{r['max']:>9.1f}"
        )
    ratio = rows[1][1]["p99"] / rows[0][1]["p99"] if rows[0][1]["p99"] else float("nan")
    print(f"\np99 ratio sitroom / bare: {ratio:.2f}")


if __name__ == "__main__":
    main()
