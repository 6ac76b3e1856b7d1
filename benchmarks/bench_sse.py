"""Fan-out benchmark: time from "release inject" to receipt at every addressed SSE client.

``--clients`` player connections (2 parties, 10 teams, one player each) follow one run on real
``sitroom serve`` processes; the same client code then follows a bare SSE broadcaster on the
same server stack (uvicorn + Starlette, no auth, no filtering, no storage) sending frames of the
size sitroom sent — the baseline of the same run. The clients run in several processes
(``--client-procs``, default one per 2,000 connections) so that the client is not what limits
the figures: the bare broadcaster's numbers, taken with the same clients, show what they allow.

Every client notes the inject numbers it receives in order; a run passes when each client saw
every released inject exactly once, in order (nothing skipped, nothing served twice).

    python benchmarks/bench_sse.py [--clients 1000] [--rounds 10]
    python benchmarks/bench_sse.py --clients 3000,10000            # one fresh server per count
    python benchmarks/bench_sse.py --clients 3000 --workers 1,2,4  # PostgreSQL + Redis workers
    python benchmarks/bench_sse.py --clients 3000 --py-spy .venv/bin/py-spy  # profile-3000.txt

With ``--workers`` the benchmark creates its own PostgreSQL database and Redis key prefix (both
dropped afterwards), starts that many single-process ``sitroom serve`` workers on their own
ports, spreads the clients over them round-robin and releases every inject on the first one.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import bare_sse, summary  # noqa: E402
from benchmarks.sse_fleet import (  # noqa: E402
    Fleet,
    Seen,
    Spec,
    exactly_once,
    processes_for,
    raise_fd_limit,
)

from tests.support.server import (  # noqa: E402
    create_admin,
    free_port,
    sign_in,
    start_process,
    wait_until_up,
)

PASSWORD = "benchmark-password"
RUN = "fanout"
POSTGRES = os.environ.get("SITROOM_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
REDIS = "redis://127.0.0.1:6379/0"


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


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@dataclass
class Result:
    name: str
    clients: int
    deliveries: int
    missing: int
    p50: float
    p99: float
    max: float
    size: float
    in_order: int = 0
    duplicates: int = 0
    cpu: float = float("nan")
    """The server processes' CPU seconds (user + system) from the first release to the last
    delivery: unlike the times, it hardly moves with the machine's other work."""

    def line(self) -> str:
        return (
            f"| {self.name} | {self.clients:,} | {self.deliveries:,} | {self.missing} | "
            f"{self.duplicates} | {self.in_order:,} | {self.p50:.0f} | {self.p99:.0f} | "
            f"{self.max:.0f} | {self.cpu:.2f} |"
        )


def measure(
    name: str,
    specs: list[Spec],
    release: Callable[[int], None],
    rounds: int,
    procs: int,
    deadline: float,
    on_ready: Callable[[], None] = lambda: None,
    pids: tuple[int, ...] = (),
) -> Result:
    """Connect every client, release ``rounds`` injects one after another (each once every
    client has it, or after ``deadline`` seconds), and time each delivery from its release.
    ``on_ready`` is called once every client is connected (to start a profiler then); the CPU
    time of the server processes ``pids`` is taken over the releases."""
    with Fleet(specs, procs) as fleet:
        fleet.wait_ready(timeout=300)
        fleet.idle(1.0)
        on_ready()
        cpu_before = bare_sse.cpu_seconds(pids)
        started: dict[str, float] = {}
        for n in range(1, rounds + 1):
            started[str(n)] = time.monotonic()
            release(n)
            fleet.wait_for(str(n), len(specs), deadline)
            fleet.idle(0.3)
        cpu = bare_sse.cpu_seconds(pids) - cpu_before
        fleet.idle(1.0)
        seen: Seen = fleet.stop()
    if seen.refused or seen.errors:
        print(f"{name}: {seen.refused} connections refused, {seen.errors} dropped", flush=True)
    latencies = [
        (t - started[number]) * 1000 for number, times in seen.arrivals.items() for t in times
    ]
    expected = [str(n) for n in range(1, rounds + 1)]
    good, missed, duplicates = exactly_once(seen.orders, expected)
    return Result(
        name,
        len(specs),
        len(latencies),
        missed,
        statistics.median(latencies) if latencies else float("nan"),
        percentile(latencies, 0.99) if latencies else float("nan"),
        max(latencies) if latencies else float("nan"),
        statistics.median(seen.sizes) if seen.sizes else 0.0,
        good,
        duplicates,
        cpu if pids else float("nan"),
    )


def seat_players(database_url: str, data: Path, clients: int) -> list[str]:
    """Invite ``clients`` players over the ten teams and join each, straight in the database
    before the servers start (thousands of HTTP requests would take longer than the
    measurement): their session cookies."""
    from sitroom.config import load_settings
    from sitroom.services.identity import Identity
    from sitroom.services.runs import Engine
    from sitroom.storage.factory import open_recorder

    settings = load_settings({"SITROOM_DATA_DIR": str(data), "SITROOM_DATABASE_URL": database_url})
    identity = Identity.open(settings.effective_database_url, settings)
    recorder = open_recorder(settings.effective_database_url)
    try:
        package = Engine(recorder).package(RUN)
        cookies = []
        for i in range(clients):
            invited = identity.invite(
                RUN, package, "account:admin", name=f"Player {i}", role="player", team=f"t{i % 10}"
            )
            token, _ = identity.join_code(str(invited["code"]), "127.0.0.1")
            cookies.append(token)
        return cookies
    finally:
        recorder.close()
        identity.close()


@contextmanager
def postgres_and_redis() -> Iterator[tuple[str, str]]:
    """A database and a Redis key prefix of this benchmark's own, dropped afterwards."""
    import psycopg
    import redis
    from psycopg import sql

    base = POSTGRES.rstrip("/")
    name = f"sitroom_bench_{secrets.token_hex(4)}"
    prefix = f"bench{secrets.token_hex(4)}:"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"{base}/{name}", prefix
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        client = redis.Redis.from_url(REDIS)
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)


def stop(server: subprocess.Popen[bytes]) -> None:
    """Stop a server, killing it when it is too busy to stop in time."""
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=30)


def run_sitroom(
    clients: int,
    rounds: int,
    workers: int,
    database_url: str,
    env: dict[str, str],
    procs: int,
    deadline: float,
    profile: str | None,
) -> Result:
    """Serve a fresh run on ``workers`` processes, connect ``clients`` players, release."""
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder)
        environ = {
            **os.environ,
            "SITROOM_DATA_DIR": str(data),
            "SITROOM_DATABASE_URL": database_url,
        }
        create_admin(data, PASSWORD, database_url=database_url)
        (data / "fanout.yaml").write_text(make_package(rounds), encoding="utf-8")
        subprocess.run(
            [
                sys.executable,
                "-m",
                "sitroom",
                "run",
                "create",
                "--id",
                RUN,
                str(data / "fanout.yaml"),
            ],
            env=environ,
            check=True,
            capture_output=True,
        )
        started = time.perf_counter()
        cookies = seat_players(database_url, data, clients)
        print(f"seated {clients:,} players in {time.perf_counter() - started:.0f} s", flush=True)
        ports = [free_port() for _ in range(workers)]
        server_env = {
            "SITROOM_HEARTBEAT": "15",
            "SITROOM_DATABASE_URL": database_url,
            # the default admits 5,000 streams per process; a bigger room raises it
            "SITROOM_MAX_STREAMS": str(max(5000, clients + 100)),
            **env,
        }
        servers = [start_process(data, port, **server_env) for port in ports]
        spies: list[subprocess.Popen[bytes]] = []
        try:
            for port in ports:
                wait_until_up(f"http://127.0.0.1:{port}", timeout=120)
            base = f"http://127.0.0.1:{ports[0]}"
            admin = sign_in(base, "admin", PASSWORD, timeout=120)
            admin.post(f"/api/runs/{RUN}/start", json={}).raise_for_status()
            seq = admin.get(f"/api/runs/{RUN}").json()["seq"]
            path = f"/api/runs/{RUN}/events?after={seq}"
            specs = [Spec(ports[i % workers], path, c) for i, c in enumerate(cookies)]

            def on_ready() -> None:  # profile the releases only, not the connections
                for server in servers if profile else []:
                    name = f"profile-{clients}-{workers}w-{server.pid}.txt"
                    spies.append(py_spy(str(profile), server.pid, name))

            def release(n: int) -> None:
                admin.post(f"/api/runs/{RUN}/injects/{n}/release", json={}).raise_for_status()

            label = (
                "sitroom"
                if workers == 1 and not database_url
                else f"sitroom, {workers} PG+Redis worker(s)"
            )
            pids = tuple(server.pid for server in servers)
            return measure(label, specs, release, rounds, procs, deadline, on_ready, pids)
        finally:
            for spy in spies:
                spy.send_signal(2)
                spy.wait(timeout=120)
            for server in servers:
                stop(server)
            for log in data.glob("server-*.log"):
                (Path.cwd() / f"sse-{clients}-{log.name}").write_bytes(log.read_bytes())


def py_spy(path: str, pid: int, output: str, rate: str = "50") -> subprocess.Popen[bytes]:
    """py-spy recording ``pid`` into ``output`` (raw: one stack per line with its count),
    ``rate`` samples a second unless ``PY_SPY_RATE`` says otherwise."""
    return subprocess.Popen(
        [
            path,
            "record",
            "--pid",
            str(pid),
            "--rate",
            os.environ.get("PY_SPY_RATE", rate),
            "--format",
            "raw",
            "--output",
            str(Path(output).resolve()),
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def run_bare(clients: int, rounds: int, size: int, procs: int, deadline: float) -> Result:
    """The baseline, sending data lines of ``size`` bytes (what sitroom sent) to everyone."""
    port = free_port()
    pids: list[int] = []
    with bare_sse.running(port, pids) as base:
        http = httpx.Client(base_url=base, timeout=120)

        def release(n: int) -> None:
            http.post(f"/release/{n}", params={"size": size}).raise_for_status()

        specs = [Spec(port, "/events")] * clients
        return measure(
            f"bare broadcaster, {size} B frames",
            specs,
            release,
            rounds,
            procs,
            deadline,
            pids=tuple(pids),
        )


def targets(result: Result, bare: Result, workers: int = 1) -> tuple[str, bool]:
    """The issue's target for this row and whether it is met. For several workers the issue
    asks for the p50 and p99 per worker count and that no stream is served twice or skipped
    across them; it sets no ratio (on two cores shared with the clients, PostgreSQL and Redis,
    another worker adds work and no core: docs/benchmarks.md)."""
    whole = result.missing == 0 and result.duplicates == 0 and result.in_order == result.clients
    if workers > 1:
        return "reported; none missed or twice", whole
    if result.clients >= 10_000:
        return "no missed delivery, p99 < 2 s", whole and result.p99 < 2000
    return "≤ 2× bare p99, none missed", whole and result.p99 <= 2 * bare.p99


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="1000", help="a number, or several: 1000,3000,10000")
    parser.add_argument("--rounds", type=int, default=10, help="injects released per server")
    parser.add_argument(
        "--workers",
        default="",
        help="worker counts on PostgreSQL + Redis, e.g. 1,2,4 (default: one worker on SQLite)",
    )
    parser.add_argument(
        "--client-procs",
        type=int,
        default=0,
        help="client processes (default: one per 2,000 clients)",
    )
    parser.add_argument("--deadline", type=float, default=30.0, help="seconds to wait per release")
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for the servers")
    parser.add_argument("--py-spy", default=None, help="path of py-spy: profile each server")
    args = parser.parse_args()
    counts = [int(c) for c in args.clients.split(",") if c]
    worker_counts = [int(w) for w in args.workers.split(",") if w]
    print(f"open files: {raise_fd_limit(max(counts) * 2 + 1024):,}", flush=True)
    env = dict(item.split("=", 1) for item in args.env)
    rows: list[Result] = []
    for clients in counts:
        procs = args.client_procs or processes_for(clients)
        print(
            f"\n{clients:,} clients over {procs} client process(es); load {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        mine: list[Result] = []
        served_by: list[int] = []
        if not worker_counts:
            mine.append(
                run_sitroom(clients, args.rounds, 1, "", env, procs, args.deadline, args.py_spy)
            )
            served_by.append(1)
        else:
            for workers in worker_counts:
                with postgres_and_redis() as (url, prefix):
                    extra = {"SITROOM_REDIS_URL": REDIS, "SITROOM_REDIS_PREFIX": prefix, **env}
                    mine.append(
                        run_sitroom(
                            clients,
                            args.rounds,
                            workers,
                            url,
                            extra,
                            procs,
                            args.deadline,
                            args.py_spy,
                        )
                    )
                served_by.append(workers)
                print(mine[-1].line(), flush=True)
        bare = run_bare(clients, args.rounds, int(mine[0].size), procs, args.deadline)
        rows += [bare, *mine]
        for result, workers in zip(mine, served_by, strict=True):
            target, met = targets(result, bare, workers)
            summary.record(
                f"SSE {clients:,} clients p99, {result.name}",
                summary.ms(result.p99),
                f"bare {summary.ms(bare.p99)}",
                target,
                met,
            )
            summary.record(
                f"SSE {clients:,} clients, server CPU over the releases, {result.name}",
                f"{result.cpu:.2f} s",
                f"bare {bare.cpu:.2f} s",
                "",
                None,
            )
            summary.record(
                f"SSE {clients:,} clients: saw every inject once, in order ({result.name})",
                f"{result.in_order:,} / {result.clients:,}",
                f"bare {bare.in_order:,} / {bare.clients:,}",
                "all",
                result.in_order == result.clients,
            )
    print(
        f"\n{args.rounds} injects released per server; times in ms from the release request; "
        f"load {os.getloadavg()[0]:.1f}"
    )
    print(
        "| server | clients | deliveries | missing | twice | clients all in order "
        "| p50 | p99 | max | server CPU s |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        print(row.line())
    for clients in counts:
        bare = next(r for r in rows if r.clients == clients and r.name.startswith("bare"))
        for r in rows:
            if r.clients == clients and r is not bare:
                print(
                    f"{clients:,} clients, {r.name}: p99 / bare p99 = {r.p99 / bare.p99:.2f}, "
                    f"server CPU / bare = {r.cpu / bare.cpu:.2f}"
                )


if __name__ == "__main__":
    main()
