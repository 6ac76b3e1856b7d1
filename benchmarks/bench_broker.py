"""Broker wake-up latency: how long after one publish do N waiters on one run all wake?

Each round starts N ``wait_beyond`` waiters on one run, publishes once, and records for every
waiter the time from the publish call to its return. Prints one row per backend and waiter
count: p50, p99 and max wake latency in milliseconds over all rounds.

    python benchmarks/bench_broker.py                        # memory and redis
    python benchmarks/bench_broker.py --backend memory --waiters 1000 10000 --rounds 20

For Redis, the waiters sit on one broker and the publish goes through another (two
connections, as two workers would have), so the latency includes the hop through Redis.
Redis is reached at ``--redis`` (default ``redis://127.0.0.1:6379/0``) under a random prefix.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import sys
import time
from dataclasses import dataclass

import summary
from sitroom.realtime import Broker, MemoryBroker
from sitroom.realtime.redisbroker import RedisBroker


@dataclass(frozen=True)
class Outcome:
    """One backend and waiter count's measurements."""

    backend: str
    waiters: int
    latencies_ms: list[float]

    def percentile(self, fraction: float) -> float:
        """The latency (ms) below which ``fraction`` of the waiters woke."""
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def one_round(
    publisher: Broker, listener: Broker, run_id: str, seq: int, n: int
) -> list[float]:
    """Wake ``n`` waiters on ``listener`` with one publish on ``publisher``; latencies in ms."""
    woke: list[float] = []

    async def wait() -> None:
        await listener.wait_beyond(run_id, seq - 1, 10.0)
        woke.append(time.perf_counter())

    tasks = [asyncio.create_task(wait()) for _ in range(n)]
    await asyncio.sleep(0.01)  # every waiter is parked on the run's event
    published = time.perf_counter()
    await publisher.publish(run_id, seq)
    await asyncio.gather(*tasks)
    if len(woke) != n or listener.latest(run_id) != seq:
        raise RuntimeError("a waiter did not wake with the published seq")
    return [(moment - published) * 1000 for moment in woke]


async def measure(
    name: str, publisher: Broker, listener: Broker, sizes: list[int], rounds: int
) -> list[Outcome]:
    """Every waiter count in turn, ``rounds`` publishes each, on a fresh run per count."""
    outcomes = []
    for n in sizes:
        run_id = f"bench-{secrets.token_hex(4)}"
        latencies: list[float] = []
        for seq in range(1, rounds + 1):
            latencies += await one_round(publisher, listener, run_id, seq, n)
        outcomes.append(Outcome(name, n, latencies))
    return outcomes


async def run(backends: list[str], sizes: list[int], rounds: int, redis_url: str) -> list[Outcome]:
    """Measure the chosen backends."""
    outcomes: list[Outcome] = []
    if "memory" in backends:
        memory = MemoryBroker()
        await memory.start()
        outcomes += await measure("memory", memory, memory, sizes, rounds)
        await memory.close()
    if "redis" in backends:
        prefix = f"sitroom-bench-{secrets.token_hex(4)}:"
        a = RedisBroker(redis_url, prefix, start_timeout=5.0)
        b = RedisBroker(redis_url, prefix, start_timeout=5.0)
        await a.start()
        await b.start()
        try:
            if not (a.subscribed and b.subscribed):
                raise SystemExit(f"Redis at {redis_url} cannot be reached")
            outcomes += await measure("redis", a, b, sizes, rounds)
        finally:
            await a.close()
            await b.close()
    return outcomes


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, measure, print the table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=["memory", "redis", "both"], default="both")
    parser.add_argument("--waiters", type=int, nargs="+", default=[1, 10, 100, 1000, 10000])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args(argv)
    backends = ["memory", "redis"] if args.backend == "both" else [args.backend]
    outcomes = asyncio.run(run(backends, args.waiters, args.rounds, args.redis))
    header = ("backend", "waiters", "wakes", "p50 ms", "p99 ms", "max ms", "mean ms")
    print(f"{header[0]:<8}" + "".join(f"{title:>9}" for title in header[1:]))
    for o in outcomes:
        cells = [o.percentile(0.5), o.percentile(0.99), max(o.latencies_ms)]
        cells.append(statistics.fmean(o.latencies_ms))
        print(
            f"{o.backend:<8}{o.waiters:>9}{len(o.latencies_ms):>9}"
            + "".join(f"{cell:>9.2f}" for cell in cells)
        )
    for o in outcomes:
        if o.waiters == max(args.waiters):
            summary.record(
                f"broker wake-up of {o.waiters:,} waiters p99, {o.backend}",
                f"{o.percentile(0.99):.1f} ms",
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
