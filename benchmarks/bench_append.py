"""Append throughput: many writer threads submitting single events with their own keys.

Each writer appends single-event submissions (each with a unique idempotency key, as a
participant's client would) to one run until its share of the submissions is done. Prints
one row per backend: seconds, submissions per second and append latency percentiles.

    python benchmarks/bench_append.py                      # both backends, 200 writers
    python benchmarks/bench_append.py --backend sqlite --writers 50 --submissions 5000

PostgreSQL is reached at ``--postgres`` (default ``postgresql://postgres@127.0.0.1:5432``);
the benchmark creates its own database there and drops it afterwards.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

import summary
from sitroom.storage import NewEvent, Recorder, open_recorder, verify_chain


@dataclass(frozen=True)
class Outcome:
    """One backend's measurements."""

    backend: str
    writers: int
    submissions: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rate(self) -> float:
        """Submissions per second."""
        return self.submissions / self.seconds

    def percentile(self, fraction: float) -> float:
        """The latency (ms) below which ``fraction`` of the appends finished."""
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def measure(name: str, recorder: Recorder, writers: int, submissions: int) -> Outcome:
    """Run the writers against a fresh run and check the log afterwards."""
    run_id = f"bench-{secrets.token_hex(4)}"
    recorder.create_run(run_id, "Append benchmark", "{}", "0" * 64)
    shares = [
        submissions // writers + (1 if i < submissions % writers else 0) for i in range(writers)
    ]
    latencies: list[list[float]] = [[] for _ in range(writers)]
    barrier = threading.Barrier(writers + 1)
    failures: list[BaseException] = []

    def writer(index: int) -> None:
        mine = latencies[index]
        try:
            barrier.wait()
            for n in range(shares[index]):
                submission = NewEvent(
                    "response-submitted",
                    {"team": f"team-{index % 12}", "text": f"Response {n} from writer {index}"},
                    actor=f"invite:w{index}",
                    idempotency_key=f"w{index}-{n}",
                )
                started = time.perf_counter()
                recorder.append(run_id, [submission])
                mine.append((time.perf_counter() - started) * 1000)
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(writers)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    if failures:
        raise failures[0]
    events = recorder.read(run_id)
    if [e.seq for e in events] != list(range(1, submissions + 1)):
        raise AssertionError(f"{name}: the log has gaps or duplicates")
    problems = verify_chain(events, "0" * 64)
    if problems:
        raise AssertionError(f"{name}: the chain does not verify: {problems[:3]}")
    return Outcome(name, writers, submissions, seconds, [x for part in latencies for x in part])


@contextmanager
def sqlite_url() -> Iterator[str]:
    """A SQLite file in a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="sitroom-bench-") as folder:
        yield f"sqlite:///{Path(folder) / 'bench.db'}"


@contextmanager
def postgres_url(base: str) -> Iterator[str]:
    """A PostgreSQL database made for this benchmark, dropped afterwards."""
    base = base.rstrip("/")
    name = f"sitroom_bench_{secrets.token_hex(4)}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def print_table(outcomes: list[Outcome]) -> None:
    """Print the measurements as a Markdown table."""
    print("| backend | writers | submissions | seconds | submissions/s | p50 ms | p99 ms |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for o in outcomes:
        print(
            f"| {o.backend} | {o.writers} | {o.submissions} | {o.seconds:.2f} | {o.rate:,.0f}"
            f" | {o.percentile(0.5):.1f} | {o.percentile(0.99):.1f} |"
        )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark on the chosen backends and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "all"], default="all")
    parser.add_argument("--writers", type=int, default=200)
    parser.add_argument("--submissions", type=int, default=20_000)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432")
    args = parser.parse_args(argv)

    places: list[tuple[str, Callable[[], AbstractContextManager[str]]]] = []
    if args.backend in ("sqlite", "all"):
        places.append(("sqlite", sqlite_url))
    if args.backend in ("postgres", "all"):
        places.append(("postgresql", lambda: postgres_url(args.postgres)))
    outcomes: list[Outcome] = []
    for name, place in places:
        with place() as url:
            recorder = open_recorder(url)
            try:
                outcomes.append(measure(name, recorder, args.writers, args.submissions))
            finally:
                recorder.close()
    print_table(outcomes)
    goals = {"sqlite": 1000, "postgresql": 3000}
    floor = next((o for o in outcomes if o.backend == "sqlite"), None)
    for o in outcomes:
        summary.record(
            f"durable submissions/s, {o.backend}, {o.writers} writers",
            f"{o.rate:,.0f}/s",
            f"SQLite {floor.rate:,.0f}/s" if floor and o is not floor else "",
            f"≥ {goals[o.backend]:,}/s",
            o.rate >= goals[o.backend],
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
