"""One table for ``make bench``: each benchmark, when ``benchmarks/run.py`` runs it, appends its
headline figures as JSON lines to the file named by ``SITROOM_BENCH_SUMMARY``; run.py reads
them back and prints every figure with its baseline (measured in the same run) and its target.

A benchmark run alone (no such variable) records nothing and prints only its own table.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

VARIABLE = "SITROOM_BENCH_SUMMARY"


def record(
    figure: str,
    value: str,
    baseline: str = "",
    target: str = "",
    met: bool | None = None,
) -> None:
    """Append one figure: what was measured, its value, the baseline of the same run, the
    target, and whether the target is met (None: no target, or not comparable)."""
    path = os.environ.get(VARIABLE)
    if not path:
        return
    line = {"figure": figure, "value": value, "baseline": baseline, "target": target, "met": met}
    with Path(path).open("a", encoding="utf-8") as out:
        out.write(json.dumps(line, ensure_ascii=False) + "\n")


def read(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def table(rows: list[dict[str, Any]]) -> str:
    """A Markdown table of the recorded figures."""
    lines = [
        "| figure | value | baseline (same run) | target | |",
        "| --- | ---: | --- | --- | --- |",
    ]
    for row in rows:
        met = {True: "met", False: "NOT met", None: ""}[row.get("met")]
        lines.append(
            f"| {row['figure']} | {row['value']} | {row.get('baseline', '')} | "
            f"{row.get('target', '')} | {met} |"
        )
    return "\n".join(lines)


def ms(value: float) -> str:
    return f"{value:,.0f} ms"
