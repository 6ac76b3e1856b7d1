"""``sitroom rehearse PKG``: play a whole exercise with every team as a simulated cell."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated

import typer

from sitroom.cli.common import EXIT_PROBLEMS, err, load_or_exit, out

app = typer.Typer()


@app.command()
def rehearse(
    package_path: Annotated[Path, typer.Argument(help="The package folder or exercise.yaml.")],
    cells: Annotated[
        str, typer.Option("--cells", help="scripted (default), or llm (SITROOM_LLM_BASE_URL).")
    ] = "scripted",
    seed: Annotated[int, typer.Option("--seed", help="Seed of the first run.")] = 0,
    repeat: Annotated[int, typer.Option("--repeat", min=1, help="Runs, seeds SEED, SEED+1, …")] = 1,
    compression: Annotated[
        float, typer.Option("--compression", min=0.01, help="Time compression (2: twice as fast).")
    ] = 1.0,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Folder for findings.json and aar-draft.html.")
    ] = None,
) -> None:
    """Play the exercise with every player team as a cell (in memory, on a simulated clock);
    print what nobody answered or touched, and with --repeat the distributions over runs."""
    from sitroom.bootstrap import build_mind
    from sitroom.config import load_settings
    from sitroom.services.rehearsal import distributions
    from sitroom.services.rehearsal import rehearse as play

    package = load_or_exit(package_path)
    from sitroom.services.cells.mind import ModelMind
    from sitroom.services.cells.provider import ProviderDown

    try:
        mind = build_mind(load_settings(), cells)
        if isinstance(mind, ModelMind):
            mind.client.check()
    except (ValueError, ProviderDown) as error:
        err.print(f"[red]{error}[/]")
        raise typer.Exit(EXIT_PROBLEMS) from None
    from rich.progress import track

    seeds: Iterable[int] = range(repeat)
    if repeat > 1:  # on stderr: stdout stays the report
        seeds = track(seeds, description="rehearsing", console=err, transient=True)
    runs = [
        play(package, seed=seed + i, mind=mind, compression=compression, aar=i == 0) for i in seeds
    ]
    first = runs[0]
    broken = [r for r in runs if r.chain_problems or not r.ended]
    for run in broken:
        err.print(f"[red]seed {run.seed}: {'; '.join(run.chain_problems) or 'no ENDEX'}[/]")
    out.print(f"rehearsal of {package.exercise.id}, cells {cells}, seed {seed}", highlight=False)
    out.print(
        f"ENDEX reached, chain verified ({first.events} events, {first.seconds:.2f} s)"
        if not broken
        else "chain NOT verified",
        highlight=False,
    )
    findings = {
        "injects nobody answered": first.unanswered_injects,
        "objectives never touched": first.untouched_objectives,
        "guideline clauses never touched": first.untouched_clauses,
        "decisions that never reached concurrence": first.unconcurred,
    }
    for label, items in findings.items():
        out.print(f"{label}: {', '.join(items) or 'none'}", highlight=False)
    for module, minutes in first.module_minutes.items():
        out.print(f"module {module}: {minutes:.0f} min (simulated)", highlight=False)
    spreads = distributions(runs)
    if repeat > 1:
        out.print(f"over {repeat} runs: mean [95 % interval]", highlight=False)
        for label, s in spreads.items():
            out.print(
                f"  {label:<24} {s.mean:8.2f}  [{s.low:.2f}, {s.high:.2f}]  n={s.n}",
                highlight=False,
            )
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "aar-draft.html").write_text(first.aar_html, encoding="utf-8")
        data = {
            "package": package.exercise.id,
            "cells": cells,
            "runs": [{k: v for k, v in vars(r).items() if k != "aar_html"} for r in runs],
            "distributions": {
                k: {"n": s.n, "mean": s.mean, "low": s.low, "high": s.high}
                for k, s in spreads.items()
            },
        }
        (out_dir / "findings.json").write_text(json.dumps(data, indent=1), encoding="utf-8")
        out.print(
            f"wrote {out_dir / 'findings.json'} and {out_dir / 'aar-draft.html'}", highlight=False
        )
    if broken:
        raise typer.Exit(EXIT_PROBLEMS)
