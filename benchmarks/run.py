"""Run every benchmark with its defaults and print their tables: ``make bench``.

Each benchmark is its own script (run one alone for its options); results are recorded in
docs/benchmarks.md with the machine and the command.
"""

from __future__ import annotations

import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
BENCHMARKS = [
    ("validate a 2,000-inject package", "bench_validate.py"),
    ("MSEL import/export, 5,000 rows", "bench_msel.py"),
    ("event log appends, 200 writers", "bench_append.py"),
    ("broker wake-ups", "bench_broker.py"),
    ("SSE fan-out, 1,000 clients", "bench_sse.py"),
    ("what players see: release to HTML on 1,000 pages", "bench_seen.py"),
    ("AAR/IP of a 20,000-event run", "bench_report.py"),
    ("pages on a 5,000-event run, 50 users at once", "bench_pages.py"),
    ("what a player's page shows after a release, 1,000 players", "bench_seen.py"),
    ("a series with 2,000 corrective actions", "bench_series.py"),
    ("rehearsal of the allied example, scripted cells", "bench_rehearse.py"),
]


def main() -> None:
    cpu = platform.processor() or platform.machine()
    print(f"python {platform.python_version()} on {platform.system()} {cpu}")
    for title, script in BENCHMARKS:
        print(f"\n=== {title} ({script})", flush=True)
        started = time.perf_counter()
        done = subprocess.run([sys.executable, str(HERE / script)], check=False)
        print(f"--- {time.perf_counter() - started:.0f} s, exit {done.returncode}", flush=True)


if __name__ == "__main__":
    main()
