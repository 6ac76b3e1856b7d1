"""Run benchmarks on an earlier commit and on this tree, turn about, in the same run.

    python benchmarks/ab.py BASE_REV [bench_validate.py ...] [--rounds 2] [--head REV]

Each round runs every named benchmark once on the earlier commit (checked out into a
temporary git worktree, benchmarks and source of that commit) and once on this tree, so a
machine that gets busier or quieter during the run affects both sides alike. With --head the
other side is a commit too (so the tree can change while the benchmarks run). Prints each run's
own table, labelled with its side and round.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT = [
    "bench_validate.py",
    "bench_msel.py",
    "bench_append.py",
    "bench_broker.py",
    "bench_sse.py",
    "bench_report.py",
    "bench_series.py",
]


def run(tree: Path, script: str, label: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    print(f"\n=== {label}: {script}", flush=True)
    done = subprocess.run(
        [sys.executable, str(tree / "benchmarks" / script)], cwd=tree, env=env, check=False
    )
    print(f"--- exit {done.returncode}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", help="the earlier commit (a revision git understands)")
    parser.add_argument("scripts", nargs="*", default=DEFAULT)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--head", help="a commit to compare instead of this tree")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sitroom-base-") as folder:
        trees = []
        for name, rev in (("base", args.base), ("head", args.head)):
            if rev is None:
                continue
            tree = Path(folder) / name
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), rev],
                check=True,
                capture_output=True,
            )
            trees.append(tree)
        base = trees[0]
        head = trees[1] if args.head else ROOT
        label = args.head or "this tree"
        try:
            for round_ in range(1, args.rounds + 1):
                for script in args.scripts:
                    if not (base / "benchmarks" / script).exists():
                        print(f"\n=== {script} is not in {args.base}; this tree only")
                    else:
                        run(base, script, f"base {args.base} round {round_}")
                    run(head, script, f"{label} round {round_}")
        finally:
            for tree in trees:
                subprocess.run(
                    ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
                    check=False,
                )


if __name__ == "__main__":
    main()
