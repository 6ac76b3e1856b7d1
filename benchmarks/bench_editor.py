"""The package editor on a large package: a generated 2,000-inject exercise (two languages,
two parties, ten teams, objectives and clause links) kept as a draft in a SQLite file.

Times what a planner waits for in the browser:

- open: the newest version with its problems, by a process that has not read it yet (cold:
  the problems were stored when it was saved) and by one that has (warm: versions never
  change, so each is read and validated once); and a cold open that also builds the typed
  package (what a process that never read the version pays once);
- check: the problems after one edit, not saved (validation as the planner types);
- save: one inject title changed and saved as a new version;
- save (insert): an inject inserted, which reads the whole YAML again;

and, as the same-run baseline, what ``sitroom validate`` does to the same text (read the
YAML, build the package, every cross-reference check).

    python benchmarks/bench_editor.py [--injects 2000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import yaml

import summary
from bench_validate import make_package
from sitroom.package.load import load_text
from sitroom.package.validate import check_package
from sitroom.services.editor import Drafts, Edit, open_draft_store

TARGET = 1.0


def package_text(injects: int) -> str:
    header = "# A generated exercise for the editor benchmark.\n# Comments stay where they are.\n"
    return header + yaml.safe_dump(make_package(injects), allow_unicode=True, sort_keys=False)


def timed(action: Callable[[], object]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--injects", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    text = package_text(args.injects)
    per_module = args.injects // 10
    results: dict[str, list[tuple[float, float]]] = {}

    def measure(name: str, action: Callable[[], object]) -> None:
        results.setdefault(name, []).append(timed(action))

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'drafts.db'}"
        drafts = Drafts(open_draft_store(url))
        draft = drafts.create(("yaml", text.encode("utf-8"), "big.yaml"), author="bench")
        assert not draft.errors, draft.errors[:3]
        draft_id = draft.draft_id
        for i in range(args.repeats):

            def validate() -> None:
                loaded = load_text(text, "big.yaml")
                assert loaded.package is not None
                check_package(loaded.package, loaded.source, require_attachments=False)

            measure("sitroom validate (baseline)", validate)
            cold = Drafts(open_draft_store(url))
            measure("open (cold)", partial(lambda d: d.get(draft_id).problems, cold))
            cold.close()
            cold = Drafts(open_draft_store(url))
            measure("open (cold) + package", partial(lambda d: d.get(draft_id).package, cold))
            cold.close()
            head = drafts.get(draft_id).version
            measure("open (warm)", lambda: drafts.get(draft_id).problems)
            path = ("modules", i % 10, "injects", (7 * i) % per_module, "title", "en")
            edit = [Edit("set", path, f"Renamed in round {i}")]
            measure("check one edit", partial(drafts.check, draft_id, head, edit))
            measure("save one edit", partial(drafts.save, draft_id, head, edit, author="bench"))
            head = drafts.get(draft_id).version
            inject = {
                "number": f"new.{i}",
                "title": {"en": "Inserted", "ko": "삽입"},
                "content": {"en": "Text.", "ko": "내용."},
            }
            insert = [Edit("insert", ("modules", 0, "injects", 0), inject)]
            measure("save (insert)", partial(drafts.save, draft_id, head, insert, author="b"))
        final = drafts.download_yaml(draft_id).decode("utf-8")
        assert final.startswith("# A generated exercise"), "the comment was lost"
        assert not load_text(final).errors
        drafts.close()
    load = os.getloadavg()[0]
    size = len(text.encode("utf-8")) / 1e6
    print(f"\npackage: {args.injects} injects, {size:.1f} MB of YAML; load average {load:.1f}\n")
    print(f"{'operation':<30}{'median s':>10}{'cpu s':>8}{'target':>9}{'met':>6}")
    for name, values in results.items():
        wall = statistics.median(v[0] for v in values)
        cpu = statistics.median(v[1] for v in values)
        has_target = name not in ("sitroom validate (baseline)", "save (insert)")
        target = f"< {TARGET:.0f} s" if has_target else ""
        met = ("yes" if wall < TARGET else "no") if has_target else ""
        print(f"{name:<30}{wall:>10.3f}{cpu:>8.3f}{target:>9}{met:>6}")
        summary.record(
            f"editor, {args.injects:,} injects: {name}",
            f"{wall:.2f} s",
            f"{statistics.median(v[0] for v in results['sitroom validate (baseline)']):.2f} s",
            target,
            (wall < TARGET) if has_target else None,
        )


if __name__ == "__main__":
    main()
