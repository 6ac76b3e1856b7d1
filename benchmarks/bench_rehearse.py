"""Rehearsal time: ``sitroom rehearse`` of the allied example with scripted cells.

Plays K runs (seeds 0..K-1) in this process, as ``sitroom rehearse --repeat K`` does (the
draft AAR rendered for the first run only), and prints one row per K: total seconds, seconds
per run, events per run and events per second. The first row includes
the first rendering of the AAR templates.

    python benchmarks/bench_rehearse.py                 # K = 1, 5, 20
    python benchmarks/bench_rehearse.py --repeat 50
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from sitroom.package.examples import example_path
from sitroom.package.load import load_package
from sitroom.services.rehearsal import distributions, rehearse

sys.path.insert(0, str(Path(__file__).parent))
import summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, nargs="*", default=[1, 5, 20])
    args = parser.parse_args()
    package = load_package(example_path("allied-consultation")).package
    assert package is not None
    print(f"{'runs':>5} {'total s':>8} {'s/run':>7} {'events/run':>10} {'events/s':>9}")
    for repeat in args.repeat:
        started = time.perf_counter()
        runs = [rehearse(package, seed=i, aar=i == 0) for i in range(repeat)]
        distributions(runs)
        total = time.perf_counter() - started
        events = statistics.fmean(r.events for r in runs)
        print(
            f"{repeat:>5} {total:>8.2f} {total / repeat:>7.3f} {events:>10.0f} "
            f"{events * repeat / total:>9.0f}"
        )
        summary.record(f"rehearsal of the allied example, {repeat} run(s)", f"{total:.2f} s")


if __name__ == "__main__":
    main()
