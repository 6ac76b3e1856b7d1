"""The editor's pages on a large package: the 2,000-inject exercise of ``bench_editor.py`` as a
draft, served by sitroom (in this process, over real HTTP), asked for as a planner's browser does.

Times, from the request to the last byte:

- grid (first): a module's MSEL grid (200 rows) the first time the server shows that version
  (it reads the YAML once per version, then keeps it);
- grid: the same grid again, and the grid of another module;
- save row: one inject title saved from its grid row, with the grid page the browser is sent
  back to (the new version is read once there);
- check: the problems after one change of an inject's form, not saved (as the planner types);
- part: one inject's form;

and, as the same-run baseline, ``/api/health`` (the HTTP stack, the sign-in cookie and routing).

    python benchmarks/bench_editor_pages.py [--injects 2000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_editor import package_text
from tests.support.server import create_admin, running_server, sign_in

TARGET = 1.0
PASSWORD = "bench-editor-pages"


def timed(action: Callable[[], httpx.Response]) -> float:
    start = time.perf_counter()
    reply = action()
    elapsed = time.perf_counter() - start
    assert reply.status_code == 200, (reply.status_code, reply.text[:300])
    return elapsed


def row_form(html: str, row: int) -> dict[str, str]:
    """What the grid posts for one row: its hidden fields and its inputs."""
    form = re.search(rf'<form id="row-{row}-form".*?</form>', html, re.S)
    assert form is not None
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form.group(0)))
    for name, value in re.findall(
        rf'<input form="row-{row}-form" name="([^"]+)"[^>]*value="([^"]*)"', html
    ):
        fields[name] = value
    return fields


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--injects", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    text = package_text(args.injects)
    results: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder)
        create_admin(data, PASSWORD, "admin")
        with running_server(data) as base:
            client = sign_in(base, "admin", PASSWORD, timeout=120)
            made = client.post(
                "/editor/drafts",
                data={"from": "upload"},
                files={"file": ("big.yaml", text.encode(), "application/yaml")},
            )
            assert made.status_code == 303, made.text[:300]
            draft = made.headers["location"].rsplit("/", 1)[1]
            grid = f"/editor/{draft}/grid"
            for i in range(args.repeats):
                results.setdefault("/api/health (baseline)", []).append(
                    timed(lambda: client.get("/api/health"))
                )
                module = i % 10
                results.setdefault("grid (first)", []).append(
                    timed(lambda m=module: client.get(grid, params={"module": m}))
                )
                page = client.get(grid, params={"module": module})
                results.setdefault("grid", []).append(
                    timed(lambda m=module: client.get(grid, params={"module": m}))
                )
                fields = row_form(page.text, 3)
                fields["title:en"] = f"Renamed in round {i}"
                results.setdefault("save row (+ grid)", []).append(
                    timed(
                        lambda f=fields: client.post(
                            f"/editor/{draft}/grid/row", data=f, follow_redirects=True
                        )
                    )
                )
                at = f"modules.{module}.injects.5"
                results.setdefault("part form", []).append(
                    timed(lambda a=at: client.get(f"/editor/{draft}/part", params={"at": a}))
                )
                version = client.get(f"/api/drafts/{draft}").json()["version"]
                check = {
                    "base": str(version),
                    "at": at,
                    "present:title": "1",
                    "title:en": "Checked title",
                    "title:ko": "확인 제목",
                }
                results.setdefault("check (as you type)", []).append(
                    timed(
                        lambda c=check: client.post(
                            f"/editor/{draft}/check", data=c, headers={"HX-Request": "true"}
                        )
                    )
                )
            client.close()
    load = os.getloadavg()[0]
    print(f"\npackage: {args.injects} injects in 10 modules; load average {load:.1f}\n")
    print(f"{'request':<26}{'median s':>10}{'max s':>8}{'target':>9}{'met':>6}")
    for name, values in results.items():
        wall, worst = statistics.median(values), max(values)
        has_target = "baseline" not in name
        target = f"< {TARGET:.0f} s" if has_target else ""
        met = ("yes" if wall < TARGET else "no") if has_target else ""
        print(f"{name:<26}{wall:>10.3f}{worst:>8.3f}{target:>9}{met:>6}")


if __name__ == "__main__":
    main()
