"""Pages on a long run: how fast the console, the player view, the evaluator view and the report
page answer when a whole room asks at once (a STARTEX, or everyone reconnecting after a blip).

A run of the allied example is played through the engine on SQLite (``--rounds`` rounds of its
modules, left open), then served by ``sitroom serve`` in its own process. For each page, first
one user, then ``--users`` users at once, each asks for the page ``--requests`` times in a row;
the time is from the request to the last byte of the page. Baseline, measured in the same run
the same way: ``/api/health`` (the HTTP stack, sign-in cookie and routing with no page work).
The server's CPU time per request (from /proc) is printed too: on a machine shared with other
work it moves far less than the latencies do.
Target (issue "speed in a real room"): each page p95 < 300 ms at 50 users; server RSS < 300 MB.

    python benchmarks/bench_pages.py [--rounds 31] [--users 50] [--requests 4] [--data DIR]

``--data DIR`` keeps the played run in DIR and plays it only when DIR holds none yet (the
play of 160 rounds takes minutes); the server then starts on a copy of that database.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import summary
from benchmarks.bench_sse import py_spy
from benchmarks.page_client import Http

from sitroom.package.model import Package
from sitroom.services.runs import Engine
from sitroom.storage.factory import open_recorder
from tests.support.playthrough import StepClock, example_package, play
from tests.support.server import (
    create_admin,
    free_port,
    invite_and_join,
    sign_in,
    start_process,
    wait_until_up,
)

RUN = "long"
TARGET_P95_MS = 300.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def hammer(
    base: str, cookies: httpx.Cookies, path: str, users: int, requests: int
) -> tuple[list[float], int, int]:
    """``users`` browsers each GET ``path`` ``requests`` times; the latencies (ms), failures and
    the size of the page as sent (bytes, gzipped).

    Each user is a keep-alive HTTP/1.1 connection of its own on raw sockets (as the SSE
    benchmarks' clients), asking for gzip as a browser does: an HTTP library in the same
    process as fifty users cost the machine more than the pages did (the server was idle
    for most of each request's time), and this machine has two cores for both.
    """
    latencies: list[float] = []
    failures = 0
    sizes: list[int] = []
    port = int(base.rsplit(":", 1)[1])
    session = cookies.get("sitroom_session")
    browsers = [Http(port, session, None) for _ in range(users)]

    async def user(browser: Http) -> None:
        nonlocal failures
        for _ in range(requests):
            started = time.perf_counter()
            try:
                status, body = await browser.request("GET", path, "Accept-Encoding: gzip\r\n")
                ok = status == 200
                sizes.append(len(body))
            except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
                ok = False
            latencies.append((time.perf_counter() - started) * 1000)
            failures += 0 if ok else 1

    try:
        await asyncio.gather(*(user(browser) for browser in browsers))
    finally:
        for browser in browsers:
            browser.close()
    return latencies, failures, max(sizes, default=0)


def profiler(path: str | None, pid: int, page: str) -> subprocess.Popen[bytes] | None:
    """py-spy recording the server ``pid`` into ``profile-PAGE.txt`` (raw format), or None."""
    if not path:
        return None
    spy = py_spy(path, pid, f"profile-{page}.txt", rate="200")
    time.sleep(1.0)  # attached before the users start
    return spy


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def played(package: Package, data: Path, rounds: int, keep: Path | None) -> int:
    """Play ``rounds`` rounds into ``data`` (or copy the run kept in ``keep``); its events."""
    kept = keep / f"played-{rounds}.db" if keep else None
    if kept is None or not kept.exists():
        clock = StepClock()
        recorder = open_recorder(f"sqlite:///{data / 'sitroom.db'}", clock=clock)
        started = time.perf_counter()
        engine = Engine(recorder, clock=clock)
        play(engine, package, clock, run_id=RUN, rounds=rounds, end=False)
        events = recorder.get_run(RUN).last_seq  # type: ignore[union-attr]
        recorder.close()
        print(f"played {events:,} events in {time.perf_counter() - started:.0f} s", flush=True)
        if kept is not None:
            kept.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(data / "sitroom.db", kept)
        return int(events)
    shutil.copyfile(kept, data / "sitroom.db")
    recorder = open_recorder(f"sqlite:///{data / 'sitroom.db'}")
    events = recorder.get_run(RUN).last_seq  # type: ignore[union-attr]
    recorder.close()
    print(f"reusing {events:,} events from {kept}", flush=True)
    return int(events)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=31, help="31 ≈ 5,000 events; 160 ≈ 26,000")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--requests", type=int, default=4, help="requests per user per page")
    parser.add_argument(
        "--pages", default="console,player,evaluator,report", help="comma-separated"
    )
    parser.add_argument("--data", type=Path, help="keep (and reuse) the played run here")
    parser.add_argument(
        "--py-spy",
        default=None,
        help="path of py-spy: profile the server while many users ask, into profile-PAGE.txt",
    )
    args = parser.parse_args()
    package = example_package("allied-consultation")
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder)
        events = played(package, data, args.rounds, args.data)
        create_admin(data, "bench-password-123")
        port = free_port()
        server = start_process(data, port)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(base, timeout=60)
            admin = sign_in(base, "admin", "bench-password-123")
            team = package.player_teams()[0]
            player = invite_and_join(
                admin, base, RUN, name="Bench player", role="player", team=team.id
            )
            evaluator = invite_and_join(admin, base, RUN, name="Bench evaluator", role="evaluator")
            pages = {
                "console": (admin.cookies, f"/runs/{RUN}/console"),
                "player": (player.cookies, f"/runs/{RUN}/play"),
                "evaluator": (evaluator.cookies, f"/runs/{RUN}/evaluate"),
                "report": (admin.cookies, f"/runs/{RUN}/report"),
            }
            wanted = [p for p in args.pages.split(",") if p]
            rows = []
            for users in (1, args.users):
                used = cpu_seconds(server.pid)
                latencies, failures, size = asyncio.run(
                    hammer(base, admin.cookies, "/api/health", users, args.requests)
                )
                cpu = (cpu_seconds(server.pid) - used) * 1000 / len(latencies)
                baseline = pct(latencies, 95)
                rows.append(
                    ("baseline /api/health", users, latencies, failures, baseline, cpu, size)
                )
                for name in wanted:
                    cookies, path = pages[name]
                    spy = profiler(args.py_spy, server.pid, name) if users > 1 else None
                    used = cpu_seconds(server.pid)
                    latencies, failures, size = asyncio.run(
                        hammer(base, cookies, path, users, args.requests)
                    )
                    cpu = (cpu_seconds(server.pid) - used) * 1000 / len(latencies)
                    if spy is not None:
                        spy.send_signal(signal.SIGINT)  # py-spy writes its profile and ends
                        spy.wait(timeout=60)
                    rows.append((name, users, latencies, failures, baseline, cpu, size))
            memory = rss_mb(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"\nrun of {events:,} events; server RSS after the runs {memory:.0f} MB (target < 300)")
    print(
        "| page | users | requests | failed | p50 ms | p95 ms | max ms | p95 × baseline "
        "| server CPU ms/request | kB sent | target |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, users, latencies, failures, baseline, cpu, size in rows:
        p95 = pct(latencies, 95)
        target = f"< {TARGET_P95_MS:.0f}" if users > 1 and not name.startswith("baseline") else ""
        print(
            f"| {name} | {users} | {len(latencies)} | {failures} | "
            f"{statistics.median(latencies):.0f} | {p95:.0f} | {max(latencies):.0f} | "
            f"{p95 / baseline:.1f} | {cpu:.1f} | {size / 1024:.0f} | {target} |"
        )
        if users > 1 and not name.startswith("baseline"):
            summary.record(
                f"{name} page p95, {users} users, {events:,}-event run",
                summary.ms(p95),
                f"/api/health {summary.ms(baseline)}",
                f"< {TARGET_P95_MS:.0f} ms",
                p95 < TARGET_P95_MS,
            )
    summary.record(
        f"server RSS after the pages, {events:,}-event run",
        f"{memory:.0f} MB",
        "",
        "< 300 MB",
        memory < 300,
    )


if __name__ == "__main__":
    main()
