"""Commands on packages: validate, schema, new, render, examples, and MSEL workbooks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from sitroom.cli.common import (
    EXIT_PROBLEMS,
    EXIT_UNREADABLE,
    err,
    load_or_exit,
    out,
    print_problems,
)

app = typer.Typer()
msel_app = typer.Typer(help="Import and export MSEL spreadsheets.", no_args_is_help=True)
app.add_typer(msel_app, name="msel")


def counted(n: int, noun: str) -> str:
    """``1 module``, ``3 modules``: a count with its noun in the right number."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


@app.command()
def validate(
    path: Annotated[Path, typer.Argument(help="A package .yaml file or folder.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print problems as JSON.")] = False,
    strict: Annotated[bool, typer.Option(help="Treat warnings as problems (exit 1).")] = False,
) -> None:
    """Check a package. Exit 0 when valid, 1 when it has problems, 2 when unreadable."""
    from sitroom.package.load import load_package

    result = load_package(path)
    if as_json:
        out.print_json(
            json.dumps(
                {
                    "ok": result.ok,
                    "content_hash": result.package.content_hash() if result.package else None,
                    "problems": [p.as_dict() for p in result.problems],
                }
            )
        )
    else:
        print_problems(list(result.problems))
    if result.unreadable:
        raise typer.Exit(EXIT_UNREADABLE)
    if not result.ok or (strict and result.warnings):
        if not as_json:
            err.print(f"{len(result.errors)} error(s), {len(result.warnings)} warning(s)")
        raise typer.Exit(EXIT_PROBLEMS)
    if not as_json:
        assert result.package is not None
        p = result.package
        out.print(
            f"[green]valid[/]: {p.exercise.id} — {len(p.modules)} module(s), "
            f"{len(p.injects())} inject(s), {len(result.warnings)} warning(s)\n"
            f"content hash {p.content_hash()}",
            highlight=False,
        )


@app.command()
def schema(
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write to a file.")] = None,
) -> None:
    """Print the JSON Schema of the package format (for editors and other tools)."""
    from sitroom.package.schema import package_schema

    text = json.dumps(package_schema(), indent=2, ensure_ascii=False) + "\n"
    if output:
        output.write_text(text, encoding="utf-8")
        err.print(f"schema written to {output}")
    else:
        typer.echo(text, nl=False)


@app.command()
def new(
    name: Annotated[str, typer.Argument(help="Id of the new exercise, e.g. 'county-flood-2027'.")],
    directory: Annotated[Path | None, typer.Option("--dir", help="Where to create it.")] = None,
) -> None:
    """Scaffold a new package folder (exercise.yaml + documents/) that validates."""
    import re

    from sitroom.package.starter import scaffold

    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.\-]*", name):
        err.print(f"'{name}' cannot be an id: use letters, digits, '-', '_' and '.'")
        raise typer.Exit(EXIT_PROBLEMS)
    target = (directory or Path.cwd()) / name
    if target.exists():
        err.print(f"{target} already exists; choose another name or remove it")
        raise typer.Exit(EXIT_PROBLEMS)
    scaffold(name, target)
    out.print(f"created {target}/exercise.yaml — check it with: sitroom validate {target}")


@app.command()
def render(
    path: Annotated[Path, typer.Argument(help="A package .yaml file or folder.")],
    doc: Annotated[str, typer.Option(help="sitman (players) or handbook (control staff).")],
    lang: Annotated[str | None, typer.Option(help="Content language, e.g. en or ko.")] = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="HTML file.")] = None,
) -> None:
    """Render the Situation Manual or the Controller/Evaluator Handbook as HTML."""
    from sitroom.reports.documents import DocumentKind, render_document

    try:
        kind = DocumentKind(doc)
    except ValueError:
        err.print(f"--doc must be one of: {', '.join(k.value for k in DocumentKind)}")
        raise typer.Exit(EXIT_PROBLEMS) from None
    package = load_or_exit(path)
    if lang and lang not in package.exercise.languages:
        err.print(
            f"--lang {lang}: the exercise is written in {', '.join(package.exercise.languages)}"
        )
        raise typer.Exit(EXIT_PROBLEMS)
    html = render_document(package, kind, lang=lang)
    target = output or Path(f"{package.exercise.id}-{kind.value}.html")
    target.write_text(html, encoding="utf-8")
    out.print(f"{kind.value} written to {target}")


@app.command()
def examples(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the rendered output.")] = Path(
        "out"
    ),
) -> None:
    """Validate every bundled example and render its documents and MSEL into a folder."""
    from sitroom.package.examples import example_names, example_path
    from sitroom.package.load import load_package
    from sitroom.package.msel import export_msel
    from sitroom.reports.documents import DocumentKind, render_document

    failed = False
    for name in example_names():
        result = load_package(example_path(name))
        if not result.ok or result.package is None:
            print_problems(list(result.problems))
            failed = True
            continue
        package = result.package
        target = out_dir / name
        target.mkdir(parents=True, exist_ok=True)
        written = []
        for lang in package.exercise.languages:
            for kind in DocumentKind:
                page = target / f"{kind.value}.{lang}.html"
                page.write_text(render_document(package, kind, lang=lang), encoding="utf-8")
                written.append(page)
        written.append(export_msel(package, target / "msel.xlsx"))
        out.print(
            f"[green]valid[/] {name}: {counted(len(package.modules), 'module')}, "
            f"{counted(len(package.injects()), 'inject')}, {package.content_hash()[:19]}…",
            highlight=False,
        )
        for path in written:
            out.print(f"    {path.resolve().as_uri()}", highlight=False, soft_wrap=True)
    if failed:
        raise typer.Exit(EXIT_PROBLEMS)


@msel_app.command("import")
def msel_import(
    file: Annotated[Path, typer.Argument(help="An .xlsx or .csv MSEL.")],
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Package to write (.yaml or folder).")
    ],
    sheet: Annotated[
        list[str] | None,
        typer.Option(
            help="Sheet to read; give it again to read several, each as modules "
            "(default: the MSEL sheets of the workbook)."
        ),
    ] = None,
    mapping: Annotated[Path | None, typer.Option(help="YAML: 'header text: field'.")] = None,
) -> None:
    """Import a spreadsheet MSEL into a package."""
    from rich.progress import Progress

    from sitroom.package.dump import write_package
    from sitroom.package.msel import import_msel

    with Progress(console=err, transient=True) as progress:
        task = progress.add_task(f"reading {file.name}", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        report = import_msel(file, sheet=sheet, mapping=mapping, progress=advance)
    print_problems(list(report.problems))
    err.print(report.summary(), highlight=False, markup=False)
    if report.package is None:
        raise typer.Exit(EXIT_PROBLEMS)
    written = write_package(report.package, output)
    out.print(f"package written to {written} — check it with: sitroom validate {written}")


@msel_app.command("export")
def msel_export(
    path: Annotated[Path, typer.Argument(help="A package .yaml file or folder.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="The .xlsx to write.")],
) -> None:
    """Export a package's injects as an HSEEP-style MSEL workbook."""
    from sitroom.package.msel import export_msel

    package = load_or_exit(path)
    export_msel(package, output)
    out.print(f"MSEL with {len(package.injects())} inject(s) written to {output}")
