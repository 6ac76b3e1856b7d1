"""Validating a large package: a 2,000-inject exercise (two languages, two parties, ten teams,
objectives, clauses), from YAML text on disk to the last cross-reference check.

Also renders the Controller/Evaluator Handbook of the same package, as planners do next.

    python benchmarks/bench_validate.py [--injects 2000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import yaml

import summary
from sitroom.package.load import load_package
from sitroom.reports.documents import DocumentKind, render_document


def make_package(injects: int, modules: int = 10) -> dict[str, object]:
    """A large, valid package: every inject in English and Korean, linked to objectives."""
    teams = [
        {
            "id": f"t{i}",
            "name": {"en": f"Team {i}", "ko": f"{i}팀"},
            "party": "ald" if i < 5 else "brn",
        }
        for i in range(10)
    ]
    per_module = injects // modules
    return {
        "exercise": {
            "id": "big",
            "title": {"en": "Large exercise", "ko": "대규모 연습"},
            "languages": ["en", "ko"],
            "default_marking": {"classification": "UNCLASSIFIED", "releasable_to": ["ald", "brn"]},
        },
        "parties": [
            {"id": "ald", "name": {"en": "Aldoria", "ko": "알도리아"}, "code": "ALD"},
            {"id": "brn", "name": {"en": "Brenland", "ko": "브렌란드"}, "code": "BRN"},
        ],
        "teams": teams,
        "references": [
            {
                "id": "acg",
                "title": {"en": "Guidelines", "ko": "지침"},
                "clauses": [
                    {"id": f"{c}.1", "text": {"en": f"Clause {c}", "ko": f"조항 {c}"}}
                    for c in range(1, 11)
                ],
            }
        ],
        "objectives": [
            {
                "id": f"o{o}",
                "text": {"en": f"Objective {o}", "ko": f"목표 {o}"},
                "capabilities": ["operational-coordination"],
            }
            for o in range(1, 6)
        ],
        "modules": [
            {
                "id": f"m{m}",
                "title": {"en": f"Module {m}", "ko": f"{m}모듈"},
                "start": f"2027-03-{m + 1:02d}T09:00:00Z",
                "injects": [
                    {
                        "number": f"{m}.{n}",
                        "title": {"en": f"Inject {m}.{n}", "ko": f"메시지 {m}.{n}"},
                        "content": {
                            "en": "A report arrives. " * 20,
                            "ko": "보고가 도착한다. " * 20,
                        },
                        "to": [f"t{n % 10}"],
                        "offset": f"{n % 240}m",
                        "objectives": [f"o{n % 5 + 1}"],
                        "clauses": [f"acg/{n % 10 + 1}.1"],
                        "expected_actions": [
                            {"en": "Consult the ally.", "ko": "동맹국과 협의한다."}
                        ],
                    }
                    for n in range(1, per_module + 1)
                ],
            }
            for m in range(1, modules + 1)
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--injects", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.yaml"
        path.write_text(
            yaml.safe_dump(make_package(args.injects), allow_unicode=True), encoding="utf-8"
        )
        timings: dict[str, list[float]] = {"validate": [], "handbook": []}
        for _ in range(args.repeats):
            started = time.perf_counter()
            result = load_package(path)
            timings["validate"].append(time.perf_counter() - started)
            assert result.ok and result.package is not None, result.problems[:3]
            started = time.perf_counter()
            render_document(result.package, DocumentKind.HANDBOOK)
            timings["handbook"].append(time.perf_counter() - started)
        size = path.stat().st_size
    print(f"\npackage: {args.injects} injects, {size / 1e6:.1f} MB of YAML\n")
    print(f"{'operation':<12}{'injects':>9}{'median s':>10}{'injects/s':>11}")
    for name, values in timings.items():
        median = statistics.median(values)
        print(f"{name:<12}{args.injects:>9}{median:>10.3f}{args.injects / median:>11.0f}")
    validate = statistics.median(timings["validate"])
    summary.record(
        f"validate a {args.injects:,}-inject package",
        f"{validate:.2f} s",
        "",
        "< 2 s",
        validate < 2,
    )


if __name__ == "__main__":
    main()
