"""Run every benchmark and print one table of their figures: ``make bench``.

Each benchmark is its own script (run one alone for its options and its own table). Run from
here, each also appends its headline figures to a file (``benchmarks/summary.py``); at the end
this prints them all as one table: each figure, its baseline measured in the same run, its
target and whether it is met. Results are recorded in docs/benchmarks.md with the machine,
the command and the machine's load.

    python benchmarks/run.py            # make bench: the issue's sizes where they are quick
    python benchmarks/run.py --full     # make bench-full: 10,000 clients, 4 workers, 30-min soak
    python benchmarks/run.py --only sse,soak
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

import summary  # noqa: E402

# (name, title, script, arguments for make bench, arguments for --full)
BENCHMARKS: list[tuple[str, str, str, list[str], list[str]]] = [
    ("validate", "validate a 2,000-inject package", "bench_validate.py", [], []),
    ("msel", "MSEL import/export, 5,000 rows", "bench_msel.py", [], []),
    ("editor", "package editor on 2,000 injects", "bench_editor.py", [], []),
    ("append", "durable submissions, 200 writers", "bench_append.py", [], []),
    ("broker", "broker wake-ups", "bench_broker.py", [], []),
    (
        "sse",
        "SSE fan-out on one worker",
        "bench_sse.py",
        ["--clients", "1000,3000", "--rounds", "5"],
        ["--clients", "1000,3000,10000", "--rounds", "10"],
    ),
    (
        "workers",
        "SSE fan-out on PostgreSQL + Redis workers",
        "bench_sse.py",
        ["--clients", "3000", "--rounds", "5", "--workers", "2"],
        ["--clients", "3000", "--rounds", "10", "--workers", "1,2,4"],
    ),
    (
        "seen",
        "what players see: release to HTML on 1,000 pages",
        "bench_seen.py",
        ["--rounds", "3"],
        [],
    ),
    ("report", "AAR/IP of a 20,000-event run", "bench_report.py", ["--repeat", "1"], []),
    ("pages", "pages on a 5,000-event run, 50 users at once", "bench_pages.py", [], []),
    ("series", "a series with 2,000 corrective actions", "bench_series.py", [], []),
    (
        "rehearse",
        "rehearsal of the allied example, scripted cells",
        "bench_rehearse.py",
        ["--repeat", "1", "20"],
        [],
    ),
    (
        "soak",
        "soak: players reconnecting while injects are released",
        "soak.py",
        ["--minutes", "1", "--clients", "200", "--every", "5", "--stay", "10"],
        [],
    ),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="the issue's full sizes (≈ 1 hour)")
    parser.add_argument(
        "--only", default="", help="names, comma-separated: " + ", ".join(b[0] for b in BENCHMARKS)
    )
    args = parser.parse_args()
    only = {n for n in args.only.split(",") if n}
    cpu = platform.processor() or platform.machine()
    print(
        f"python {platform.python_version()} on {platform.system()} {cpu}, "
        f"{os.cpu_count()} cores; load {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    began = time.perf_counter()
    timings: list[tuple[str, float, int]] = []
    with tempfile.TemporaryDirectory() as folder:
        collected = Path(folder) / "summary.jsonl"
        env = {**os.environ, summary.VARIABLE: str(collected)}
        for name, title, script, quick, full in BENCHMARKS:
            if only and name not in only:
                continue
            extra = full if args.full else quick
            print(f"\n=== {title} ({script} {' '.join(extra)})", flush=True)
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, str(HERE / script), *extra], env=env, check=False
            )
            seconds = time.perf_counter() - started
            timings.append((name, seconds, done.returncode))
            print(f"--- {seconds:.0f} s, exit {done.returncode}", flush=True)
        rows = summary.read(collected)
    print(
        f"\n=== summary: {len(rows)} figures, {time.perf_counter() - began:.0f} s in all; "
        f"load {os.getloadavg()[0]:.1f} (baselines measured in the same run)\n"
    )
    print(summary.table(rows))
    failed = [f"{name} (exit {code})" for name, _, code in timings if code]
    print("\n" + ", ".join(f"{name} {seconds:.0f} s" for name, seconds, _ in timings))
    if failed:
        print("benchmarks that did not finish: " + ", ".join(failed))
    missed = [row["figure"] for row in rows if row.get("met") is False]
    print(f"targets not met: {len(missed)} of {sum(1 for r in rows if r.get('met') is not None)}")


if __name__ == "__main__":
    main()
