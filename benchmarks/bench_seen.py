"""What people see: the time from "release inject" to the moment every player's page holds HTML
that shows the inject — not only the SSE frame that announces it.

A run of the allied example is played through the engine on SQLite (``--play-rounds`` rounds of
its modules, about 5,000 events, left open) with ``--rounds`` extra injects held back for the
facilitator to release; ``sitroom serve`` then serves it in its own process. ``--clients``
players, spread over the four teams of both parties, behave like the player page in a browser:
the page is read once per team to learn its wiring (the ``sse-connect`` URL, each panel's
``hx-get`` and ``hx-trigger``, every ``sse-swap``); then each client keeps the event stream
open and, for every message, does what htmx and ``sitroom.js`` do: swaps the HTML of a message
some element swaps (``sse-swap``), GETs each panel whose ``hx-trigger`` names the message
(``sse:<type>``; one request per panel in flight, the latest trigger queued, as htmx does), posts
the delivery receipt for ``inject-released``, and polls the panels that say ``every Ns``.

Per release and client, two times from the release request: **frame** (the first message that
names the inject) and **seen** (the client holds HTML with the inject's title: a swapped message
or a panel's answer). Baseline in the same run: the bare broadcaster of ``bench_sse.py``
(``bare_sse.py``: same stack, no sign-in, no gate, no log) sending frames of the size sitroom
sent, to a client that counts its frame as seen.

    python benchmarks/bench_seen.py [--clients 1000] [--rounds 5] [--play-rounds 31]
    python benchmarks/bench_seen.py --clients 100,400,1000   # one fresh server per count

Each server's log is left in ``server-N.log`` in the current folder (``--py-spy PATH``: its
profile in ``profile-N.txt``, py-spy's raw format).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import bare_sse, summary  # noqa: E402
from benchmarks.bench_sse import py_spy  # noqa: E402
from benchmarks.page_client import Browser, Round, Tally, Wiring, wiring_of  # noqa: E402

from sitroom.conduct.visibility import can_see_inject, team_principal  # noqa: E402
from sitroom.package.model import InjectType, Package, canonical_json  # noqa: E402
from sitroom.services.runs import Engine  # noqa: E402
from sitroom.storage.factory import open_recorder  # noqa: E402
from sitroom.web import heap  # noqa: E402
from tests.support.playthrough import StepClock, example_package, play  # noqa: E402
from tests.support.server import (  # noqa: E402
    create_admin,
    free_port,
    sign_in,
    start_process,
    wait_until_up,
)

RUN = "seen"
PASSWORD = "bench-password-123"
HELD = "9."
"""Numbers of the injects held back for the benchmark to release (9.1, 9.2, …)."""


def title_of(round_: int) -> str:
    return f"Bench release {round_:03d}"


# --- the run ------------------------------------------------------------------------------


def bench_package(releases: int) -> Package:
    """The allied example with ``releases`` copies of an inject every player team sees, held
    back as contingency injects (the play-through skips those) in the last module."""
    package = example_package("allied-consultation")
    teams = package.player_teams()
    model = next(
        i
        for m in package.modules
        for i in m.injects
        if i.type == InjectType.STANDARD
        and all(can_see_inject(team_principal(t), package, i) for t in teams)
        and package.marking_of(i).releasable_to
    )
    held = tuple(
        model.model_copy(
            update={
                "number": f"{HELD}{n}",
                "title": {"en": title_of(n)},
                "type": InjectType.CONTINGENCY,
                "offset": None,
                "contingency_for": None,
            }
        )
        for n in range(1, releases + 1)
    )
    last = package.modules[-1]
    modules = (*package.modules[:-1], last.model_copy(update={"injects": (*last.injects, *held)}))
    data = json.loads(canonical_json(package.model_copy(update={"modules": modules})))
    return Package.model_validate(data, context={"default_language": "en"})


def build_run(data: Path, play_rounds: int, releases: int) -> int:
    """Play the run into ``data``/sitroom.db; the number of events in its log."""
    package = bench_package(releases)
    clock = StepClock()
    recorder = open_recorder(f"sqlite:///{data / 'sitroom.db'}", clock=clock)
    try:
        play(
            Engine(recorder, clock=clock), package, clock, run_id=RUN, rounds=play_rounds, end=False
        )
        record = recorder.get_run(RUN)
        assert record is not None
        return record.last_seq
    finally:
        recorder.close()


# --- one measurement ------------------------------------------------------------------------


class Releaser:
    """The facilitator's side: one kept-alive connection that posts each release."""

    def __init__(self, base: str, path: Callable[[int], str], admin: httpx.Client | None = None):
        self.base, self.path = base, path
        self.cookies = dict(admin.cookies) if admin else {}
        self.headers = dict(admin.headers) if admin else {}
        self.http: httpx.AsyncClient | None = None

    async def open(self) -> None:
        self.http = httpx.AsyncClient(
            base_url=self.base, cookies=self.cookies, headers=self.headers, timeout=60
        )
        await self.http.get("/health" if not self.cookies else "/api/health")

    async def __call__(self, n: int, timeout: float) -> None:
        assert self.http is not None
        (await self.http.post(self.path(n), json={}, timeout=timeout)).raise_for_status()

    async def close(self) -> None:
        if self.http is not None:
            await self.http.aclose()


async def measure(
    port: int,
    people: list[tuple[str | None, str | None, Wiring]],
    release: Releaser,
    rounds: int,
    deadline: float,
    pids: tuple[int, ...] = (),
    on_ready: Callable[[], None] = lambda: None,
) -> tuple[list[Round], Tally]:
    """Connect every browser, then release ``rounds`` injects one after another; the CPU
    seconds the server processes ``pids`` use over the releases go into the tally.
    ``on_ready`` is called once every browser is connected (to start a profiler then)."""
    await release.open()
    tally = Tally()
    browsers = [Browser(i, port, c, t, w) for i, (c, t, w) in enumerate(people)]
    opened, counter = asyncio.Event(), [0]
    streams = [
        asyncio.create_task(b.follow(opened, counter, len(browsers), tally)) for b in browsers
    ]
    await asyncio.wait_for(opened.wait(), timeout=300)
    await settle(tally, 2.0)
    # A thousand browsers live in this one process: settle its heap as the servers settle
    # theirs, or a full collection of the clients' own heap lands in a release (always the
    # second: after the first receipts) and is counted as the server's delay.
    unsettle = heap.settle()
    on_ready()
    cpu_before = bare_sse.cpu_seconds(pids)
    done: list[Round] = []
    for n in range(1, rounds + 1):
        current = Round(title_of(n), time.perf_counter())
        for b in browsers:
            b.round = current
        limit = time.perf_counter() + deadline
        try:
            await release(n, deadline)
        except httpx.TimeoutException:
            tally.releases_late += 1  # the release itself took longer than the deadline
        while len(current.seen) < len(browsers) and time.perf_counter() < limit:
            await asyncio.sleep(0.005)
        done.append(current)
        await settle(tally, 1.0)
        gc.collect()  # the clients' own garbage (their receipts' requests), between releases
    tally.server_cpu = bare_sse.cpu_seconds(pids) - cpu_before
    unsettle()
    for b in browsers:
        for task in list(b.tasks):
            task.cancel()
        b.http.close()
    for task in streams:
        task.cancel()
    await asyncio.gather(*streams, return_exceptions=True)
    await release.close()
    return done, tally


async def settle(tally: Tally, quiet: float) -> None:
    """Wait until no request has been in flight for ``quiet`` seconds (60 s at most)."""
    limit, calm = time.perf_counter() + 60, time.perf_counter()
    while time.perf_counter() < limit:
        if tally.in_flight:
            calm = time.perf_counter()
        elif time.perf_counter() - calm >= quiet:
            return
        await asyncio.sleep(0.05)


@dataclass
class Row:
    name: str
    clients: int
    latencies: list[float]
    missing: int

    def line(self) -> str:
        if not self.latencies:
            return f"| {self.name} | {self.clients} | – | – | – | {self.missing} |"
        ordered = sorted(self.latencies)
        p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
        return (
            f"| {self.name} | {self.clients} | {statistics.median(ordered):.0f} | "
            f"{p99:.0f} | {ordered[-1]:.0f} | {self.missing} |"
        )

    @property
    def p99(self) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))] if ordered else 0


def rows_of(name: str, rounds: list[Round], clients: int, which: str) -> Row:
    latencies, missing = [], 0
    for r in rounds:
        got = getattr(r, which)
        latencies += [(t - r.started) * 1000 for t in got.values()]
        missing += clients - len(got)
    return Row(name, clients, latencies, missing)


# --- the servers ----------------------------------------------------------------------------


def run_sitroom(
    template: Path,
    clients: int,
    rounds: int,
    deadline: float,
    profile: str | None,
    polls: bool,
    receipts: bool,
    server_env: dict[str, str],
) -> tuple[list[Row], int, Tally]:
    """Serve a copy of the played run, connect ``clients`` players, release ``rounds`` injects."""
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder)
        shutil.copytree(template, data, dirs_exist_ok=True)
        people = seat_players(data, clients)
        port = free_port()
        server = start_process(data, port, **{"SITROOM_HEARTBEAT": "15", **server_env})
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(base, timeout=120)
            admin = sign_in(base, "admin", PASSWORD)
            wirings: dict[str, Wiring] = {}
            for cookie, _csrf, team in people:
                if team not in wirings:
                    page = httpx.get(
                        f"{base}/runs/{RUN}/play",
                        cookies={"sitroom_session": cookie or ""},
                        timeout=120,
                    )
                    page.raise_for_status()
                    wirings[team] = wiring_of(page.text)
                    if not polls:
                        wirings[team].polls.clear()
                    wirings[team].receipts &= receipts
            browsers = [(c, t, wirings[team]) for c, t, team in people]
            spies: list[subprocess.Popen[bytes]] = []

            def on_ready() -> None:  # profile the releases only, not the connections
                if profile:
                    spies.append(py_spy(profile, server.pid, f"profile-{clients}.txt"))

            release = Releaser(base, lambda n: f"/api/runs/{RUN}/injects/{HELD}{n}/release", admin)
            done, tally = asyncio.run(
                measure(port, browsers, release, rounds, deadline, (server.pid,), on_ready)
            )
        finally:
            for spy in spies:
                spy.send_signal(2)
                spy.wait(timeout=60)
            stop(server)
            for log in data.glob("server-*.log"):
                shutil.copy(log, Path(f"server-{clients}.log"))
    for r in done:  # the first page, the middle one and the last: fixed cost and spread
        seen = sorted((t - r.started) * 1000 for t in r.seen.values())
        if seen:
            print(
                f"{clients} clients, {r.title}: first {seen[0]:.0f} ms, "
                f"median {seen[len(seen) // 2]:.0f} ms, last {seen[-1]:.0f} ms",
                flush=True,
            )
    size = round(statistics.median([b for r in done for b in r.frame_bytes] or [0]))
    rows = [
        rows_of("sitroom: the frame arrives", done, clients, "frame"),
        rows_of("sitroom: the page shows it", done, clients, "seen"),
    ]
    return rows, size, tally


def seat_players(data: Path, clients: int) -> list[tuple[str, str, str]]:
    """Invite ``clients`` players spread over the player teams and join each with its code,
    straight in the database before the server starts (over HTTP, 2,000 requests on a loaded
    machine took longer than the measurement): (session cookie, CSRF token, team)."""
    from sitroom.config import load_settings
    from sitroom.services.identity import Identity

    settings = load_settings({"SITROOM_DATA_DIR": str(data)})
    identity = Identity.open(settings.effective_database_url, settings)
    recorder = open_recorder(settings.effective_database_url)
    try:
        package = Engine(recorder).package(RUN)
        teams = [t.id for t in package.player_teams()]
        seated = []
        for i in range(clients):
            team = teams[i % len(teams)]
            invited = identity.invite(
                RUN, package, "account:admin", name=f"Player {i}", role="player", team=team
            )
            token, _ = identity.join_code(str(invited["code"]), "127.0.0.1")
            seated.append((token, identity.csrf_token(token), team))
        return seated
    finally:
        recorder.close()
        identity.close()


def run_bare(clients: int, rounds: int, size: int, deadline: float) -> tuple[Row, float]:
    """The bare broadcaster: frames of ``size`` bytes, each counted as seen on arrival."""
    port = free_port()
    pids: list[int] = []
    with bare_sse.running(port, pids) as base:
        wiring = Wiring(sse_url="/events", swaps={"inject-released"})

        release = Releaser(base, lambda n: f"/release/{quote(title_of(n))}?size={size}")
        people: list[tuple[str | None, str | None, Wiring]] = [(None, None, wiring)] * clients
        done, tally = asyncio.run(measure(port, people, release, rounds, deadline, tuple(pids)))
        row = rows_of(f"bare SSE broadcaster, {size} B frames", done, clients, "seen")
        return row, tally.server_cpu


def stop(server: subprocess.Popen[bytes]) -> None:
    """Stop a server, killing it when it is too busy to stop in time."""
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="1000", help="a number, or several: 100,400,1000")
    parser.add_argument("--rounds", type=int, default=5, help="injects released per measurement")
    parser.add_argument("--play-rounds", type=int, default=31, help="31 ≈ 5,000 events")
    parser.add_argument("--deadline", type=float, default=60.0, help="seconds to wait per release")
    parser.add_argument("--no-poll", action="store_true", help="skip the panels' timed polls")
    parser.add_argument("--no-receipts", action="store_true", help="post no delivery receipts")
    parser.add_argument(
        "--env", action="append", default=[], help="NAME=VALUE for the server (repeatable)"
    )
    parser.add_argument(
        "--py-spy", default=None, help="path of py-spy: profile the server into profile-N.txt"
    )
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    counts = [int(c) for c in args.clients.split(",") if c]
    table: list[Row] = []
    notes: list[str] = []
    with tempfile.TemporaryDirectory() as folder:
        template = Path(folder)
        started = time.perf_counter()
        events = build_run(template, args.play_rounds, args.rounds)
        create_admin(template, PASSWORD)
        print(f"played {events:,} events in {time.perf_counter() - started:.0f} s", flush=True)
        for clients in counts:
            rows, size, tally = run_sitroom(
                template,
                clients,
                args.rounds,
                args.deadline,
                args.py_spy,
                not args.no_poll,
                not args.no_receipts,
                dict(item.split("=", 1) for item in args.env),
            )
            bare, bare_cpu = run_bare(clients, args.rounds, size, args.deadline)
            table += [bare, *rows]
            ratio = rows[1].p99 / bare.p99 if bare.p99 else float("nan")
            notes.append(
                f"{clients} clients, {args.rounds} releases: {tally.requests:,} panel GETs, "
                f"{tally.receipts:,} receipts, {tally.polls:,} timed polls; "
                f"{tally.failures} failed, {tally.streams_lost} streams lost, "
                f"{tally.releases_late} releases answered after the deadline; "
                f"seen p99 / bare p99 = {ratio:.1f}; server CPU over the releases "
                f"{tally.server_cpu:.2f} s (bare {bare_cpu:.2f} s)"
            )
            print(notes[-1], flush=True)
            summary.record(
                f"what players see: release to HTML on {clients:,} pages, p99",
                summary.ms(rows[1].p99),
                f"bare {summary.ms(bare.p99)}",
                "≤ 2× bare",
                rows[1].p99 <= 2 * bare.p99 and rows[1].missing == 0,
            )
            summary.record(
                f"what players see, {clients:,} pages: server CPU over the releases",
                f"{tally.server_cpu:.2f} s",
                f"bare {bare_cpu:.2f} s",
                "",
                None,
            )
    print(
        f"\nrun of {events:,} events, {args.rounds} releases per row; times in ms from the release"
    )
    print(
        f"the clients post receipts: {'no' if args.no_receipts else 'yes'}; "
        f"poll the timed panels: {'no' if args.no_poll else 'yes'}"
        + (f"; server {' '.join(args.env)}" if args.env else "")
    )
    print("| what | clients | p50 | p99 | max | missing |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for row in table:
        print(row.line())
    print()
    for note in notes:
        print(note)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
