"""Where the time went, from a py-spy profile in its raw format (``--format raw``: one stack a
line, root first, frames separated by ``;``, then the sample count).

    python benchmarks/profile_summary.py profile-3000-1234.txt [--top 25] [--under NAME]

Prints the share of samples in which each function is on the stack (inclusive), and the share
of samples that end in each function (self time); ``--under NAME`` keeps only the stacks that
pass through a function whose name contains NAME.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path


def frame_name(frame: str) -> str:
    """``function (path/file.py:123)`` → ``function (file.py)``: lines apart, one entry."""
    name, _, where = frame.partition(" (")
    file = where.split(":", 1)[0].rsplit("/", 1)[-1]
    return f"{name} ({file})" if file else name


def summarise(path: Path, under: str = "") -> tuple[int, Counter[str], Counter[str]]:
    total = 0
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [frame_name(f) for f in stack.split(";") if f]
        if under and not any(under in f for f in frames):
            continue
        n = int(count)
        total += n
        for name in set(frames):
            inclusive[name] += n
        if frames:
            own[frames[-1]] += n
    return total, inclusive, own


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--under", default="")
    args = parser.parse_args()
    total, inclusive, own = summarise(args.profile, args.under)
    print(f"{total:,} samples")
    print("\n| on the stack | function |\n| ---: | --- |")
    for name, n in inclusive.most_common(args.top):
        print(f"| {n / total:.1%} | {name} |")
    print("\n| self | function |\n| ---: | --- |")
    for name, n in own.most_common(args.top):
        print(f"| {n / total:.1%} | {name} |")


if __name__ == "__main__":
    main()
