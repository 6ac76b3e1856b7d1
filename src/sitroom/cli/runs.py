"""Commands on runs: serve, demo, create and list runs, verify, export, import, report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from sitroom import audit
from sitroom.cli.common import (
    EXIT_PROBLEMS,
    EXIT_UNREADABLE,
    DatabaseOption,
    err,
    load_or_exit,
    out,
    services_for,
)

app = typer.Typer()
run_app = typer.Typer(help="Create and list runs of an exercise.", no_args_is_help=True)
app.add_typer(run_app, name="run")


@run_app.command("create")
def run_create(
    path: Annotated[Path, typer.Argument(help="A package .yaml file or folder.")],
    run_id: Annotated[str | None, typer.Option("--id", help="Run id (default: generated).")] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Create a run from a package: its snapshot and content hash are stored with the run."""
    package = load_or_exit(path)
    services = services_for(database_url)
    engine = services.engine
    try:
        if run_id and engine.recorder.get_run(run_id):
            err.print(f"a run '{run_id}' exists already")
            raise typer.Exit(EXIT_PROBLEMS)
        record = engine.create_run(package, run_id)
    finally:
        services.close()
    out.print(
        f"run {record.id} created from {package.exercise.id} ({record.package_hash})",
        highlight=False,
    )


@run_app.command("list")
def run_list(database_url: DatabaseOption = None) -> None:
    """List the runs in the database."""
    from rich.table import Table

    services = services_for(database_url)
    engine = services.engine
    try:
        table = Table("run", "title", "events", "status", "created")
        for record in engine.runs():
            state = engine.state(record.id)
            table.add_row(
                record.id,
                record.title,
                str(record.last_seq),
                str(state.status),
                record.created_at.strftime("%Y-%m-%d %H:%M"),
            )
    finally:
        services.close()
    out.print(table)


@app.command()
def verify(
    run_id: Annotated[str, typer.Argument(help="The run to check.")],
    database_url: DatabaseOption = None,
) -> None:
    """Walk a run's hash chain: exit 0 when the record is whole, 1 when it was altered."""
    from sitroom.storage.recorder import verify_chain

    services = services_for(database_url)
    engine = services.engine
    try:
        record = engine.recorder.get_run(run_id)
        if record is None:
            err.print(f"no run '{run_id}'")
            raise typer.Exit(EXIT_UNREADABLE)
        events = engine.recorder.read(run_id)
        problems = verify_chain(events, record.package_hash)
        last = events[-1].seq if events else 0
        if last != record.last_seq:
            problems.append(
                f"the log ends at event {last} but the run records {record.last_seq} "
                "events: events were removed from the end"
            )
    finally:
        services.close()
    for problem in problems:
        err.print(f"[red]{problem}[/]")
    if problems:
        raise typer.Exit(EXIT_PROBLEMS)
    head = events[-1].hash if events else record.package_hash
    out.print(f"run {run_id}: {len(events)} event(s), chain whole, head {head}", highlight=False)


@app.command("export")
def export_run(
    run_id: Annotated[str, typer.Argument(help="The run to export.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="The .zip to write.")],
    database_url: DatabaseOption = None,
) -> None:
    """Export a run: its package, every event, and a manifest with the hashes, signed with
    this installation's key (see 'sitroom keys')."""
    from sitroom.services.archive import export_archive
    from sitroom.services.archive_labels import write_archive_sidecar
    from sitroom.services.signing import InstallationKey

    services = services_for(database_url)
    engine = services.engine
    try:
        key = InstallationKey.load_or_create(services.settings.data_dir)
        manifest = export_archive(engine.recorder, run_id, output, key=key)
        write_archive_sidecar(engine.package(run_id), output)
    except KeyError:
        err.print(f"no run '{run_id}'")
        raise typer.Exit(EXIT_UNREADABLE) from None
    finally:
        services.close()
    out.print(
        f"{manifest['events']} event(s) of run {run_id} written to {output},"
        f" signed by {key.fingerprint}",
        highlight=False,
    )


@app.command("import")
def import_run(
    archive: Annotated[Path, typer.Argument(help="A .zip written by 'sitroom export'.")],
    trust: Annotated[
        list[str] | None,
        typer.Option(
            "--trust",
            help="Accept archives signed by this key: its public key or SHA256: fingerprint"
            " as 'sitroom keys' prints it on the exporting installation (repeatable).",
        ),
    ] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Import a run archive after checking its signature, manifest and hash chain.

    Archives signed by this installation are accepted; others only with --trust."""
    from sitroom.services.archive import ArchiveError, import_archive
    from sitroom.services.signing import InstallationKey, KeyProblem, check_trusted

    try:
        trusted = [check_trusted(item) for item in trust or []]
    except KeyProblem as exc:
        err.print(f"[red]--trust: {exc}[/]")
        raise typer.Exit(EXIT_PROBLEMS) from None
    services = services_for(database_url)
    engine = services.engine
    try:
        key = InstallationKey.load_or_create(services.settings.data_dir)
        record = import_archive(engine.recorder, archive, key=key, trust=trusted)
    except ArchiveError as exc:
        err.print(f"[red]{archive}: {exc}[/]")
        raise typer.Exit(EXIT_PROBLEMS) from None
    finally:
        services.close()
    out.print(f"run {record.id} imported with {record.last_seq} event(s)")


@app.command()
def report(
    run_id: Annotated[str, typer.Argument(help="The run whose AAR/IP to write.")],
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="html, docx, pdf, or json (the report model).")
    ] = "html",
    party: Annotated[
        list[str] | None,
        typer.Option("--party", "-p", help="The AAR of this party (repeat for a joint AAR)."),
    ] = None,
    joint: Annotated[
        bool, typer.Option("--joint", help="The joint AAR of every party of the exercise.")
    ] = False,
    lang: Annotated[str, typer.Option("--lang", help="Language of the report, e.g. en or ko.")] = (
        "en"
    ),
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="File to write (default: a name from run and scope)."),
    ] = None,
    template: Annotated[
        Path | None,
        typer.Option("--template", help="Your agency's Word template (docx only)."),
    ] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Write the After-Action Report / Improvement Plan of a run: complete (for exercise
    staff), one party's, or the joint AAR; DRAFT until finalised in the report page."""
    import time

    from sitroom.reports.build import ReportError
    from sitroom.reports.model import model_data
    from sitroom.reports.render import ReportFormat, filename, render
    from sitroom.services.runs import RunNotFound

    formats = [f.value for f in ReportFormat] + ["json"]
    if fmt not in formats:
        err.print(f"[red]--format: '{fmt}' is not one of {', '.join(formats)}[/]")
        raise typer.Exit(EXIT_PROBLEMS)
    if template is not None and fmt != "docx":
        err.print("[red]--template: a Word template is used for --format docx only[/]")
        raise typer.Exit(EXIT_PROBLEMS)
    if template is not None and not template.is_file():
        err.print(f"[red]--template: {template} is not a file[/]")
        raise typer.Exit(EXIT_UNREADABLE)
    if joint and party:
        err.print("[red]--joint names every party; leave out --party, or name the parties[/]")
        raise typer.Exit(EXIT_PROBLEMS)
    services = services_for(database_url)
    engine = services.engine
    started = time.perf_counter()
    try:
        with err.status("Building the AAR from the log…"):
            parties = list(party or [])
            if joint:
                parties = [p.id for p in engine.package(run_id).parties]
                if len(parties) < 2:
                    err.print("[red]--joint: this exercise has fewer than two parties[/]")
                    raise typer.Exit(EXIT_PROBLEMS)
            built = engine.report(run_id, parties)
        if fmt == "json":
            content = json.dumps(
                {
                    "status": built.status,
                    "hash": built.hash,
                    "frozen_hash": built.frozen_hash,
                    "model": model_data(built.model),
                },
                ensure_ascii=False,
                indent=2,
            ).encode("utf-8")
            name = filename(built, ReportFormat.HTML, lang).removesuffix(".html") + ".json"
        else:
            with err.status(f"Rendering {fmt.upper()}…"):
                rendered = render(built, fmt, lang, template=template)
            content, name = rendered.content, rendered.filename
        audit.record(
            "report-exported",
            run_id=run_id,
            format=fmt,
            parties=list(built.model.parties),
            report_hash=built.hash,
            status=built.status,
        )
    except RunNotFound:
        err.print(f"[red]no run '{run_id}'[/]")
        raise typer.Exit(EXIT_UNREADABLE) from None
    except ReportError as exc:
        err.print(f"[red]--{exc.field or 'party'}: {exc.message}[/]")
        raise typer.Exit(EXIT_PROBLEMS) from None
    except ValueError as exc:  # a broken Word template names itself and the problem
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(EXIT_PROBLEMS) from None
    finally:
        services.close()
    target = output or Path(name)
    target.write_bytes(content)
    if built.label is not None:  # the label beside the file, for tools that read no DOCX
        from sitroom.package.marking import SIDECAR_SUFFIX, sidecar

        labelled = target.with_name(target.name + SIDECAR_SUFFIX)
        labelled.write_text(sidecar(dict(built.label), target.name, content), encoding="utf-8")
    scope = ", ".join(built.model.parties) or "complete"
    warning = "" if built.intact else " [red]— does NOT match the hash frozen at finalising[/]"
    out.print(
        f"{built.status.upper()} AAR ({scope}) of run {run_id} written to {target} "
        f"({len(content):,} bytes, {time.perf_counter() - started:.1f} s); hash {built.hash}"
        + warning
    )
