"""The ``sitroom`` command line."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from sitroom.cli_series import series_app

if TYPE_CHECKING:
    from sitroom.config import Settings
    from sitroom.engine import Engine
    from sitroom.package.model import Package

app = typer.Typer(
    name="sitroom",
    help="Design, run and evaluate discussion-based exercises.",
    no_args_is_help=True,
    add_completion=False,
)
msel_app = typer.Typer(help="Import and export MSEL spreadsheets.", no_args_is_help=True)
app.add_typer(msel_app, name="msel")
run_app = typer.Typer(help="Create and list runs of an exercise.", no_args_is_help=True)
app.add_typer(run_app, name="run")
account_app = typer.Typer(help="Accounts of admins and facilitators.", no_args_is_help=True)
app.add_typer(account_app, name="account")
app.add_typer(series_app, name="series")

DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        envvar="SITROOM_DATABASE_URL",
        help="sqlite:///PATH or postgresql://... (default: DATA_DIR/sitroom.db).",
    ),
]

out = Console()
err = Console(stderr=True)

EXIT_OK, EXIT_PROBLEMS, EXIT_UNREADABLE = 0, 1, 2


def _print_problems(problems: list[object], quiet_warnings: bool = False) -> None:
    from sitroom.package.problems import Problem, Severity

    for problem in problems:
        assert isinstance(problem, Problem)
        if quiet_warnings and problem.severity == Severity.WARNING:
            continue
        style = "red" if problem.severity == Severity.ERROR else "yellow"
        err.print(
            f"[{style}]{problem.location()}[/]: {problem.severity} [bold]{problem.code}[/]:"
            f" {problem.message}" + (f" [dim]({problem.hint})[/]" if problem.hint else ""),
            markup=True,
            highlight=False,
            soft_wrap=True,
        )


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
        _print_problems(list(result.problems))
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
    from sitroom.package.documents import DocumentKind, render_document

    try:
        kind = DocumentKind(doc)
    except ValueError:
        err.print(f"--doc must be one of: {', '.join(k.value for k in DocumentKind)}")
        raise typer.Exit(EXIT_PROBLEMS) from None
    package = _load_or_exit(path)
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
    from sitroom.package.documents import DocumentKind, render_document
    from sitroom.package.examples import example_names, example_path
    from sitroom.package.load import load_package
    from sitroom.package.msel import export_msel

    failed = False
    for name in example_names():
        result = load_package(example_path(name))
        if not result.ok or result.package is None:
            _print_problems(list(result.problems))
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
            f"[green]valid[/] {name}: {len(package.modules)} modules, "
            f"{len(package.injects())} injects, {package.content_hash()[:19]}…",
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
    sheet: Annotated[str | None, typer.Option(help="Sheet to read (default: best match).")] = None,
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
    _print_problems(list(report.problems))
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

    package = _load_or_exit(path)
    export_msel(package, output)
    out.print(f"MSEL with {len(package.injects())} inject(s) written to {output}")


def _load_or_exit(path: Path) -> Package:
    from sitroom.package.load import load_package

    result = load_package(path)
    if not result.ok:
        _print_problems(list(result.problems), quiet_warnings=True)
        err.print(f"{path} is not a valid package; see 'sitroom validate {path}'")
        raise typer.Exit(EXIT_UNREADABLE if result.unreadable else EXIT_PROBLEMS)
    assert result.package is not None
    return result.package


def _settings(database_url: str | None) -> Settings:
    from sitroom.config import load_settings

    env = dict(os.environ)
    if database_url:
        env["SITROOM_DATABASE_URL"] = database_url
    return load_settings(env)


def _engine(database_url: str | None) -> Engine:
    from sitroom.engine import Engine
    from sitroom.storage.factory import open_recorder

    settings = _settings(database_url)
    return Engine(open_recorder(settings.effective_database_url), secret=settings.secret_key)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (>1 wants Redis).")] = 1,
    database_url: DatabaseOption = None,
) -> None:
    """Serve the web application and the JSON API."""
    import uvicorn

    if database_url:
        os.environ["SITROOM_DATABASE_URL"] = database_url
    if workers > 1 and not os.environ.get("SITROOM_REDIS_URL"):
        err.print(
            "[yellow]several workers without SITROOM_REDIS_URL: live updates reach other "
            "workers' clients only at each heartbeat[/]"
        )
    uvicorn.run(
        "sitroom.web.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        proxy_headers=True,
    )


@app.command()
def demo(
    example: Annotated[str, typer.Option(help="Bundled example to run.")] = "allied-consultation",
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Create a run of a bundled example with invitations, print the links, and serve."""
    import secrets

    import uvicorn

    from sitroom.conduct.principal import Role
    from sitroom.config import load_settings
    from sitroom.engine import Engine
    from sitroom.package.examples import example_names, example_path
    from sitroom.package.load import load_package
    from sitroom.package.model import TeamKind, text_in
    from sitroom.storage.factory import open_recorder
    from sitroom.web.app import create_app
    from sitroom.web.identity import Identity

    if example not in example_names():
        err.print(f"no bundled example '{example}'; bundled: {', '.join(example_names())}")
        raise typer.Exit(EXIT_PROBLEMS)
    env = dict(os.environ)
    env.setdefault("SITROOM_BASE_URL", f"http://{host}:{port}")
    settings = load_settings(env)
    result = load_package(example_path(example))
    if result.package is None or not result.ok:
        _print_problems(list(result.problems))
        raise typer.Exit(EXIT_PROBLEMS)
    package = result.package
    url = settings.effective_database_url
    engine = Engine(open_recorder(url), secret=settings.secret_key)
    identity = Identity.open(url, settings)
    try:
        admin_password = None
        if not identity.has_accounts():
            admin_password = secrets.token_urlsafe(12)
            identity.create_account("admin", admin_password, "admin", "Administrator")
        record = engine.create_run(package)
        invites: list[tuple[str, dict[str, object]]] = []

        def invite(label: str, **kwargs: object) -> None:
            invites.append((label, identity.invite(record.id, package, "account:demo", **kwargs)))  # type: ignore[arg-type]

        invite("facilitator", name="Facilitator", role=Role.FACILITATOR.value)
        for team in package.teams:
            if team.kind == TeamKind.PLAYERS:
                lang = next(
                    (
                        p.default_language
                        for p in package.parties
                        if p.id == team.party and p.default_language
                    ),
                    "en",
                )
                invite(
                    f"player · {text_in(team.name, 'en')}",
                    name=f"Player of {team.id}",
                    role=Role.PLAYER.value,
                    team=team.id,
                    language=lang,
                )
        invite("evaluator", name="Evaluator", role=Role.EVALUATOR.value)
        invite("observer", name="Observer", role=Role.OBSERVER.value)
        invite("display", name="Room display", role=Role.DISPLAY.value)
    finally:
        engine.recorder.close()
        identity.close()
    out.print(
        f"\n[bold]sitroom[/] — run [bold]{record.id}[/] of {example} (database {url})\n",
        highlight=False,
    )
    for label, data in invites:
        out.print(
            f"  {label:<44} {data['link']}\n  {'':<44} join code {data['code']}",
            highlight=False,
            soft_wrap=True,
        )
    if admin_password:
        out.print(f"\n  admin sign-in: admin / {admin_password}  (shown once)", highlight=False)
    out.print(f"\n  API documentation: {settings.base_url}/docs\n", highlight=False)
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


@run_app.command("create")
def run_create(
    path: Annotated[Path, typer.Argument(help="A package .yaml file or folder.")],
    run_id: Annotated[str | None, typer.Option("--id", help="Run id (default: generated).")] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Create a run from a package: its snapshot and content hash are stored with the run."""
    package = _load_or_exit(path)
    engine = _engine(database_url)
    try:
        if run_id and engine.recorder.get_run(run_id):
            err.print(f"a run '{run_id}' exists already")
            raise typer.Exit(EXIT_PROBLEMS)
        record = engine.create_run(package, run_id)
    finally:
        engine.recorder.close()
    out.print(
        f"run {record.id} created from {package.exercise.id} ({record.package_hash})",
        highlight=False,
    )


@run_app.command("list")
def run_list(database_url: DatabaseOption = None) -> None:
    """List the runs in the database."""
    from rich.table import Table

    engine = _engine(database_url)
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
        engine.recorder.close()
    out.print(table)


@app.command()
def verify(
    run_id: Annotated[str, typer.Argument(help="The run to check.")],
    database_url: DatabaseOption = None,
) -> None:
    """Walk a run's hash chain: exit 0 when the record is whole, 1 when it was altered."""
    from sitroom.storage.recorder import verify_chain

    engine = _engine(database_url)
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
        engine.recorder.close()
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
    """Export a run: its package, every event, and a manifest with the hashes."""
    from sitroom.archive import export_archive

    engine = _engine(database_url)
    try:
        manifest = export_archive(engine.recorder, run_id, output)
    except KeyError:
        err.print(f"no run '{run_id}'")
        raise typer.Exit(EXIT_UNREADABLE) from None
    finally:
        engine.recorder.close()
    out.print(f"{manifest['events']} event(s) of run {run_id} written to {output}")


@app.command("import")
def import_run(
    archive: Annotated[Path, typer.Argument(help="A .zip written by 'sitroom export'.")],
    database_url: DatabaseOption = None,
) -> None:
    """Import a run archive after checking its manifest and hash chain."""
    from sitroom.archive import ArchiveError, import_archive

    engine = _engine(database_url)
    try:
        record = import_archive(engine.recorder, archive)
    except ArchiveError as exc:
        err.print(f"[red]{archive}: {exc}[/]")
        raise typer.Exit(EXIT_PROBLEMS) from None
    finally:
        engine.recorder.close()
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

    from sitroom.engine import RunNotFound
    from sitroom.reports.build import ReportError
    from sitroom.reports.model import model_data
    from sitroom.reports.render import ReportFormat, filename, render

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
    engine = _engine(database_url)
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
        engine.recorder.close()
    target = output or Path(name)
    target.write_bytes(content)
    scope = ", ".join(built.model.parties) or "complete"
    warning = "" if built.intact else " [red]— does NOT match the hash frozen at finalising[/]"
    out.print(
        f"{built.status.upper()} AAR ({scope}) of run {run_id} written to {target} "
        f"({len(content):,} bytes, {time.perf_counter() - started:.1f} s); hash {built.hash}"
        + warning
    )


@account_app.command("create")
def account_create(
    username: Annotated[str, typer.Argument(help="Sign-in name.")],
    role: Annotated[str, typer.Option(help="admin or facilitator.")] = "facilitator",
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            envvar="SITROOM_PASSWORD",
            help="At least 10 characters.",
        ),
    ] = "",
    database_url: DatabaseOption = None,
) -> None:
    """Create an admin or facilitator account."""
    from sitroom.web.identity import Identity

    settings = _settings(database_url)
    identity = Identity.open(settings.effective_database_url, settings)
    try:
        identity.create_account(username, password, role, name or username)
    except ValueError as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(EXIT_PROBLEMS) from None
    finally:
        identity.close()
    out.print(f"account {username} ({role}) created")


@account_app.command("token")
def account_token(
    username: Annotated[str, typer.Argument(help="The account the token acts as.")],
    name: Annotated[str, typer.Option(help="What the token is for, e.g. 'msel sync'.")],
    database_url: DatabaseOption = None,
) -> None:
    """Create an API token for scripts (Authorization: Bearer ...). It is shown only once."""
    from sitroom.web.identity import Identity

    settings = _settings(database_url)
    identity = Identity.open(settings.effective_database_url, settings)
    try:
        account = next(
            (
                a
                for a in identity.auth.accounts.list_accounts()
                if a.username.lower() == username.lower()
            ),
            None,
        )
        if account is None:
            err.print(f"no account '{username}'")
            raise typer.Exit(EXIT_PROBLEMS)
        _record, raw = identity.auth.tokens.create_api_token(account.id, name)
    finally:
        identity.close()
    err.print(f"API token '{name}' for {username} (shown once; keep it secret):")
    typer.echo(raw)


def main() -> None:
    """Entry point for ``python -m sitroom``."""
    app()
