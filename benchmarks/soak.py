"""Soak: a long run with many players whose connections come and go.

One ``sitroom serve`` process (SQLite) serves a run to ``--clients`` players (2 parties, 10
teams); the facilitator releases an inject every ``--every`` seconds for ``--minutes`` minutes.
Each client drops its connection now and then (after an exponentially distributed time, mean
``--stay`` seconds) and comes straight back with ``Last-Event-ID``, as a browser does after a
network blip. At the end:

- **missed deliveries**: every client must have received every released inject exactly once, in
  order (target: none missed, none twice);
- **RSS growth** of the server from the first release (all clients connected, caches warm) to the
  last (target < 10 %);
- **file descriptors** of the server before the clients came and after they left (target: back
  to the first figure).

    python benchmarks/soak.py                              # 30 minutes, 1,000 clients
    python benchmarks/soak.py --minutes 1 --clients 200    # what the slow test runs
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import summary  # noqa: E402
from benchmarks.bench_sse import (  # noqa: E402
    PASSWORD,
    RUN,
    make_package,
    seat_players,
    stop,
)
from benchmarks.sse_fleet import (  # noqa: E402
    Fleet,
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


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def open_fds(pid: int) -> int:
    """The server's open files, less its database handles: SQLite connections are pooled (each
    pool bounded by its size) and kept open for reuse once a busy moment opened them; what the
    clients could leak is everything else."""
    kinds = fd_kinds(pid)
    return sum(n for kind, n in kinds.items() if not kind.startswith("sitroom.db"))


def db_fds(pid: int) -> int:
    return sum(n for kind, n in fd_kinds(pid).items() if kind.startswith("sitroom.db"))


def fd_kinds(pid: int) -> Counter[str]:
    """The server's open files by kind: socket, pipe, anon_inode or the file's name."""
    kinds: Counter[str] = Counter()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        kinds[target.split(":", 1)[0] if ":" in target else Path(target).name] += 1
    return kinds


@dataclass
class Outcome:
    clients: int
    seconds: float
    released: int
    deliveries: int
    missed: int
    duplicates: int
    in_order: int
    reconnects: int
    errors: int
    rss_start_kib: int
    rss_end_kib: int
    rss_peak_kib: int
    fds_before: int
    fds_connected: int
    fds_after: int
    db_fds_after: int
    threads_after: int

    @property
    def rss_growth(self) -> float:
        return (self.rss_end_kib - self.rss_start_kib) / self.rss_start_kib

    @property
    def passed(self) -> bool:
        return (
            self.missed == 0
            and self.duplicates == 0
            and self.in_order == self.clients
            and self.rss_growth < 0.10
            and self.fds_after <= self.fds_before
        )


def soak(seconds: float, clients: int, every: float, stay: float, procs: int = 0) -> Outcome:
    """Run the soak and measure it (see the module's description)."""
    releases = max(1, math.floor(seconds / every))
    raise_fd_limit(clients * 2 + 1024)
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder)
        environ = {**os.environ, "SITROOM_DATA_DIR": str(data), "SITROOM_DATABASE_URL": ""}
        create_admin(data, PASSWORD)
        (data / "fanout.yaml").write_text(make_package(releases), encoding="utf-8")
        import subprocess

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
        cookies = seat_players("", data, clients)
        port = free_port()
        server = start_process(data, port, SITROOM_HEARTBEAT="15", SITROOM_DATABASE_URL="")
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(base, timeout=120)
            admin = sign_in(base, "admin", PASSWORD, timeout=120)
            admin.post(f"/api/runs/{RUN}/start", json={}).raise_for_status()
            seq = admin.get(f"/api/runs/{RUN}").json()["seq"]
            httpx.get(f"{base}/api/health", timeout=30)
            time.sleep(1.0)
            fds_before = open_fds(server.pid)
            kinds_before = fd_kinds(server.pid)
            path = f"/api/runs/{RUN}/events?after={seq}"
            specs = [Spec(port, path, c) for c in cookies]
            started = time.monotonic()
            with Fleet(specs, procs or processes_for(clients), reconnect_every=stay) as fleet:
                fleet.wait_ready(timeout=300)
                rss_start = rss_peak = 0
                fds_connected = open_fds(server.pid)
                for n in range(1, releases + 1):
                    tick = time.monotonic()
                    admin.post(f"/api/runs/{RUN}/injects/{n}/release", json={}).raise_for_status()
                    fleet.idle(max(0.0, every - (time.monotonic() - tick)))
                    rss = rss_kib(server.pid)
                    rss_start = rss_start or rss
                    rss_peak = max(rss_peak, rss)
                    print(
                        f"{time.monotonic() - started:6.0f} s: inject {n}/{releases}, "
                        f"{fleet.delivered(str(n)):,} deliveries, RSS {rss / 1024:.0f} MB, "
                        f"{open_fds(server.pid):,} fds",
                        flush=True,
                    )
                rss_end = rss_kib(server.pid)
                seen = fleet.stop()
            elapsed = time.monotonic() - started
            fds_after = open_fds(server.pid)
            limit = time.monotonic() + 30
            while fds_after > fds_before and time.monotonic() < limit:
                time.sleep(0.5)
                fds_after = open_fds(server.pid)
            db_after = db_fds(server.pid)
            threads_after = len(os.listdir(f"/proc/{server.pid}/task"))
            if fds_after > fds_before:
                kinds = fd_kinds(server.pid)
                kinds.subtract(kinds_before)
                print(f"server files left open: {+kinds}", flush=True)
        finally:
            stop(server)
    expected = [str(n) for n in range(1, releases + 1)]
    good, missed, duplicates = exactly_once(seen.orders, expected)
    wrong = [(i, o) for i, o in enumerate(seen.orders) if o != expected]
    for index, order in wrong[:5]:
        print(f"client {index} saw {', '.join(order)}", flush=True)
    return Outcome(
        clients=clients,
        seconds=elapsed,
        released=releases,
        deliveries=sum(len(t) for t in seen.arrivals.values()),
        missed=missed,
        duplicates=duplicates,
        in_order=good,
        reconnects=seen.reconnects,
        errors=seen.errors,
        rss_start_kib=rss_start,
        rss_end_kib=rss_end,
        rss_peak_kib=rss_peak,
        fds_before=fds_before,
        fds_connected=fds_connected,
        fds_after=fds_after,
        db_fds_after=db_after,
        threads_after=threads_after,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--every", type=float, default=10.0, help="seconds between releases")
    parser.add_argument(
        "--stay", type=float, default=60.0, help="mean seconds a client stays before reconnecting"
    )
    parser.add_argument("--client-procs", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print the outcome as JSON too")
    args = parser.parse_args()
    print(f"load {os.getloadavg()[0]:.1f}", flush=True)
    o = soak(args.minutes * 60, args.clients, args.every, args.stay, args.client_procs)
    print(
        f"\n{o.clients:,} clients, {o.released} injects over {o.seconds:.0f} s, "
        f"{o.reconnects:,} reconnections (Last-Event-ID), {o.errors} connection errors; "
        f"load {os.getloadavg()[0]:.1f}"
    )
    print("| figure | value | target |")
    print("| --- | ---: | --- |")
    print(f"| deliveries | {o.deliveries:,} of {o.clients * o.released:,} | all |")
    print(f"| missed / twice | {o.missed} / {o.duplicates} | 0 / 0 |")
    print(f"| clients that saw every inject once, in order | {o.in_order:,} | {o.clients:,} |")
    print(
        f"| server RSS first → last release (peak) | {o.rss_start_kib / 1024:.0f} → "
        f"{o.rss_end_kib / 1024:.0f} MB ({o.rss_peak_kib / 1024:.0f}), "
        f"{o.rss_growth:+.1%} | < +10 % |"
    )
    print(
        f"| server fds before / connected / after (database handles apart) | {o.fds_before} / "
        f"{o.fds_connected:,} / {o.fds_after} | after ≤ before |"
    )
    print(
        f"| server database files open after (pooled connections) / threads | "
        f"{o.db_fds_after} / {o.threads_after} | bounded by the pools |"
    )
    print(f"\n{'PASSED' if o.passed else 'FAILED'}")
    if args.json:
        print(json.dumps(asdict(o)))
    label = f"soak {args.minutes:g} min, {o.clients:,} clients"
    summary.record(
        f"{label}: missed deliveries",
        f"{o.missed} (twice: {o.duplicates})",
        f"{o.clients * o.released:,} expected",
        "0",
        o.missed == 0 and o.duplicates == 0,
    )
    summary.record(
        f"{label}: server RSS growth",
        f"{o.rss_growth:+.1%}",
        f"{o.rss_start_kib / 1024:.0f} MB at first release",
        "< 10 %",
        o.rss_growth < 0.10,
    )
    summary.record(
        f"{label}: server fds after clients left",
        str(o.fds_after),
        f"{o.fds_before} before",
        "back to baseline",
        o.fds_after <= o.fds_before,
    )


if __name__ == "__main__":
    main()
