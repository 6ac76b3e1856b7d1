"""``sitroom series …``: exercise series and the improvement loop, from the command line.

The command line acts as an admin (``cli:admin``): whoever can run it can open the database.
Exit codes: 0 done, 1 bad input or a refused command, 2 an unknown series, run or unreadable file.
"""

from __future__ import annotations

import mimetypes
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.table import Table

from sitroom.cli.common import err, load_or_exit, out, services_for
from sitroom.conduct.principal import Principal, Role

if TYPE_CHECKING:
    from sitroom.conduct.run import Rejected
    from sitroom.improvement.state import ActionState

series_app = typer.Typer(
    help="Exercise series: corrective actions tracked across editions.", no_args_is_help=True
)
CLI_ADMIN = Principal("cli:admin", Role.ADMIN, "Command line")
EXIT_PROBLEMS, EXIT_UNREADABLE = 1, 2

DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        envvar="SITROOM_DATABASE_URL",
        help="sqlite:///PATH or postgresql://... (default: DATA_DIR/sitroom.db).",
    ),
]
SeriesArg = Annotated[str, typer.Argument(help="The series id, e.g. allied-annual.")]
TodayOption = Annotated[
    str | None, typer.Option("--today", help="Count overdue from this date (YYYY-MM-DD).")
]


def _refused(error: Rejected) -> NoReturn:
    err.print(f"[red]{error.message}[/]", highlight=False)
    raise typer.Exit(EXIT_UNREADABLE if error.status == 404 else EXIT_PROBLEMS)


def _today(text: str | None) -> date:
    if text is None:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        err.print(f"[red]--today: '{text}' is not a date; write it as YYYY-MM-DD[/]")
        raise typer.Exit(EXIT_PROBLEMS) from None


def _actions_table(actions: list[ActionState], title: str | None = None) -> Table:
    table = Table(
        "id",
        "edition",
        "capability",
        "corrective action",
        "owner",
        "POC",
        "due",
        "status",
        title=title,
    )
    for a in actions:
        table.add_row(
            a.id,
            a.edition,
            a.capability_name or a.capability,
            a.action,
            a.organisation,
            a.poc,
            a.due,
            a.status.value + (" (recurring)" if a.recurring_of else ""),
        )
    return table


@series_app.command("create")
def series_create(
    series_id: SeriesArg,
    title: Annotated[str, typer.Option("--title", help="The series' name.")],
    database_url: DatabaseOption = None,
) -> None:
    """Create a series (e.g. an annual allied exercise) to track corrective actions in."""
    from sitroom.conduct.run import Rejected

    services = services_for(database_url)
    service = services.series
    try:
        service.create_series(series_id, title, CLI_ADMIN)
    except Rejected as error:
        _refused(error)
    finally:
        services.close()
    out.print(f"series {series_id} created", highlight=False)


@series_app.command("list")
def series_list(database_url: DatabaseOption = None) -> None:
    """List the series with their editions and open actions."""
    from sitroom.improvement.state import CARRIED

    services = services_for(database_url)
    service = services.series
    try:
        table = Table("series", "title", "editions", "actions", "carried")
        for state in service.list_series(CLI_ADMIN):
            table.add_row(
                state.id,
                state.title,
                ", ".join(state.editions),
                str(len(state.actions)),
                str(sum(a.status in CARRIED for a in state.actions.values())),
            )
    finally:
        services.close()
    out.print(table)


@series_app.command("show")
def series_show(
    series_id: SeriesArg, today: TodayOption = None, database_url: DatabaseOption = None
) -> None:
    """Show a series: its editions, its actions, and what is overdue or due soon."""
    from sitroom.conduct.run import Rejected
    from sitroom.improvement.trends import DUE_WINDOW, due_soon, overdue

    day = _today(today)
    services = services_for(database_url)
    service = services.series
    try:
        state = service.state(series_id, CLI_ADMIN)
    except Rejected as error:
        _refused(error)
    finally:
        services.close()
    out.print(f"[bold]{state.id}[/]: {state.title}", highlight=False)
    editions = Table("edition", "run", "imported", "ratings", title="Editions")
    for edition in state.editions.values():
        editions.add_row(
            edition.edition,
            edition.run,
            edition.imported_at.strftime("%Y-%m-%d"),
            " ".join(f"{r.capability}:{r.rating or '-'}" for r in edition.ratings),
        )
    out.print(editions)
    out.print(_actions_table(list(state.actions.values()), "Corrective actions"))
    late = overdue(state, day)
    soon = due_soon(state, day)
    out.print(
        f"overdue on {day.isoformat()}: {', '.join(a.id for a in late) or 'none'}", highlight=False
    )
    out.print(
        f"due in the next {DUE_WINDOW} days: {', '.join(a.id for a in soon) or 'none'}",
        highlight=False,
    )


@series_app.command("import-aar")
def series_import_aar(
    series_id: SeriesArg,
    run_id: Annotated[str, typer.Argument(help="The run whose finalised AAR/IP to import.")],
    party: Annotated[
        list[str] | None,
        typer.Option("--party", "-p", help="Import this party's AAR (repeat for a joint AAR)."),
    ] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Import a run's finalised AAR/IP as an edition: its IP rows become tracked actions and
    its re-test statements update the carried ones."""
    from sitroom.conduct.run import Rejected
    from sitroom.reports.build import ReportError

    services = services_for(database_url)
    service = services.series
    engine = services.engine
    try:
        applied = service.import_report(
            series_id, engine, run_id, CLI_ADMIN, parties=tuple(party or ())
        )
        state = service.state(series_id, CLI_ADMIN)
    except Rejected as error:
        _refused(error)
    except ReportError as error:
        err.print(f"[red]{error}[/]", highlight=False)
        raise typer.Exit(EXIT_PROBLEMS) from None
    finally:
        services.close()
    opened = [e.payload["id"] for e in applied.events if e.type == "action-opened"]
    retested = [e.payload for e in applied.events if e.type == "action-retested"]
    out.print(
        f"run {run_id} imported into {series_id}: {len(opened)} action(s) opened"
        f" ({', '.join(opened) or 'none'}), {len(retested)} re-test statement(s)",
        highlight=False,
    )
    for item in retested:
        out.print(f"  {item['id']}: {item['outcome']}", highlight=False)
    recurring = [state.actions[i] for i in opened if state.actions[i].recurring_of]
    for action in recurring:
        out.print(
            f"  {action.id} repeats {', '.join(action.recurring_of)} (recurring)", highlight=False
        )


@series_app.command("actions")
def series_actions(
    series_id: SeriesArg,
    status: Annotated[str | None, typer.Option("--status", help="Only this status.")] = None,
    late: Annotated[bool, typer.Option("--overdue", help="Only overdue actions.")] = False,
    today: TodayOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """List a series' corrective actions."""
    from sitroom.conduct.run import Rejected
    from sitroom.improvement.state import STATUSES
    from sitroom.improvement.trends import overdue

    if status is not None and status not in STATUSES:
        err.print(f"[red]--status: '{status}' is not one of {', '.join(STATUSES)}[/]")
        raise typer.Exit(EXIT_PROBLEMS)
    day = _today(today)
    services = services_for(database_url)
    service = services.series
    try:
        state = service.state(series_id, CLI_ADMIN)
    except Rejected as error:
        _refused(error)
    finally:
        services.close()
    actions = overdue(state, day) if late else list(state.actions.values())
    if status is not None:
        actions = [a for a in actions if a.status == status]
    out.print(_actions_table(actions))


@series_app.command("update")
def series_update(
    series_id: SeriesArg,
    action_id: Annotated[str, typer.Argument(help="The action id, e.g. CA-2025-001.")],
    status: Annotated[str | None, typer.Option("--status", help="The new status.")] = None,
    due: Annotated[str | None, typer.Option("--due", help="Due date, YYYY-MM-DD.")] = None,
    owner: Annotated[
        str | None, typer.Option("--owner", help="Primary responsible organisation.")
    ] = None,
    poc: Annotated[str | None, typer.Option("--poc", help="Organisation point of contact.")] = None,
    note: Annotated[str, typer.Option("--note", help="Why (kept in the history).")] = "",
    database_url: DatabaseOption = None,
) -> None:
    """Change an action's owner, POC or due date, and/or move its status."""
    from sitroom.conduct.run import Rejected
    from sitroom.improvement import commands as ic

    commands: list[ic.Command] = []
    if any(v is not None for v in (due, owner, poc)):
        commands.append(ic.EditAction(action_id, organisation=owner, poc=poc, due=due))
    if status is not None:
        commands.append(ic.ChangeStatus(action_id, status, note))
    if not commands:
        err.print("[red]nothing to change: give --status, --due, --owner or --poc[/]")
        raise typer.Exit(EXIT_PROBLEMS)
    services = services_for(database_url)
    service = services.series
    try:
        applied = service.handle_many(series_id, commands, CLI_ADMIN)
        action = service.state(series_id, CLI_ADMIN).actions[action_id]
    except Rejected as error:
        _refused(error)
    finally:
        services.close()
    out.print(
        f"{action.id}: {action.status}, due {action.due or '-'}, {action.organisation or '-'}"
        f" ({len(applied.events)} change(s) recorded)",
        highlight=False,
    )


@series_app.command("attach")
def series_attach(
    series_id: SeriesArg,
    action_id: Annotated[str, typer.Argument(help="The action id.")],
    file: Annotated[Path, typer.Argument(help="The evidence file (at most 20 MB).")],
    note: Annotated[str, typer.Option("--note", help="What it shows.")] = "",
    database_url: DatabaseOption = None,
) -> None:
    """Attach an evidence file to an action (stored by its SHA-256 under DATA_DIR/evidence)."""
    from sitroom.conduct.run import Rejected

    try:
        data = file.read_bytes()
    except OSError as error:
        err.print(f"[red]{file}: {error.strerror or error}[/]", highlight=False)
        raise typer.Exit(EXIT_UNREADABLE) from None
    media_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    services = services_for(database_url)
    service = services.series
    try:
        service.attach(series_id, action_id, file.name, data, media_type, note, CLI_ADMIN)
    except Rejected as error:
        _refused(error)
    finally:
        services.close()
    out.print(f"{file.name} attached to {action_id} ({len(data):,} bytes)", highlight=False)


@series_app.command("export")
def series_export(
    series_id: SeriesArg,
    output: Annotated[Path, typer.Option("-o", "--output", help="The .xlsx to write.")],
    database_url: DatabaseOption = None,
) -> None:
    """Export a series' corrective actions as an .xlsx workbook."""
    from sitroom.conduct.run import Rejected

    services = services_for(database_url)
    service = services.series
    try:
        data = service.export_xlsx(series_id, CLI_ADMIN)
    except Rejected as error:
        _refused(error)
    finally:
        services.close()
    output.write_bytes(data)
    out.print(f"actions of {series_id} written to {output}", highlight=False)


@series_app.command("import")
def series_import(
    series_id: SeriesArg,
    workbook: Annotated[Path, typer.Argument(help="An .xlsx of actions (as exported).")],
    database_url: DatabaseOption = None,
) -> None:
    """Apply an .xlsx of actions: changed rows update their action, rows without an ID add
    one. Nothing is applied when a row is bad; every problem is listed with its row."""
    from sitroom.conduct.run import Rejected
    from sitroom.improvement.xlsx import UnreadableWorkbook

    try:
        data = workbook.read_bytes()
    except OSError as error:
        err.print(f"[red]{workbook}: {error.strerror or error}[/]", highlight=False)
        raise typer.Exit(EXIT_UNREADABLE) from None
    services = services_for(database_url)
    service = services.series
    try:
        result = service.import_xlsx(series_id, data, CLI_ADMIN)
    except Rejected as error:
        _refused(error)
    except UnreadableWorkbook as error:
        err.print(f"[red]{workbook}: {error}[/]", highlight=False)
        raise typer.Exit(EXIT_UNREADABLE) from None
    finally:
        services.close()
    for problem in result.problems:
        err.print(f"[red]{problem}[/]", highlight=False, soft_wrap=True)
    if result.problems:
        err.print(f"{len(result.problems)} problem(s); nothing was applied")
        raise typer.Exit(EXIT_PROBLEMS)
    out.print(
        f"{workbook}: {result.rows} row(s) applied, {result.events} change(s) recorded",
        highlight=False,
    )


@series_app.command("retest")
def series_retest(
    series_id: SeriesArg,
    package_path: Annotated[Path, typer.Argument(help="The next edition's package .yaml.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="The .yaml to write.")],
    edition: Annotated[
        str | None, typer.Option("--edition", help="Set exercise.series to this edition.")
    ] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Add an objective re-testing each open, in-progress or done action to a package."""
    from sitroom.conduct.run import Rejected
    from sitroom.package.dump import dump_yaml

    package = load_or_exit(package_path)
    services = services_for(database_url)
    service = services.series
    try:
        offered = service.retest_objectives(series_id, package, CLI_ADMIN, edition)
    except Rejected as error:
        _refused(error)
    finally:
        services.close()
    output.write_text(dump_yaml(offered), encoding="utf-8")
    added = offered.objectives[len(package.objectives) :]
    for objective in added:
        out.print(f"  {objective.id}: re-tests {', '.join(objective.retests)}", highlight=False)
    out.print(f"{len(added)} re-test objective(s) added; written to {output}", highlight=False)


@series_app.command("trends")
def series_trends(series_id: SeriesArg, database_url: DatabaseOption = None) -> None:
    """Trends across editions: capability ratings, recurring issues, time to close."""
    from sitroom.conduct.run import Rejected
    from sitroom.improvement.trends import trends

    services = services_for(database_url)
    service = services.series
    try:
        found = trends(service.state(series_id, CLI_ADMIN))
    except Rejected as error:
        _refused(error)
    finally:
        services.close()
    ratings = Table("core capability", *found.editions, title="Capability ratings (worst)")
    for row in found.capabilities:
        ratings.add_row(row.name, *(rating or "-" for _, rating in row.ratings))
    out.print(ratings)
    recurring = Table("action", "edition", "issue", "repeats", title="Recurring issues")
    for item in found.recurring:
        recurring.add_row(
            item.action,
            item.edition,
            item.issue,
            ", ".join(f"{i} ({e})" for i, e, _ in item.earlier),
        )
    out.print(recurring)
    close = Table("edition", "actions", "closed", "median days to close", title="Time to close")
    for times in found.close_times:
        median = "-" if times.median_days is None else f"{times.median_days:g}"
        close.add_row(times.edition or "(none)", str(times.opened), str(times.closed), median)
    out.print(close)
    overall = "-" if found.median_days is None else f"{found.median_days:g}"
    out.print(f"median days to close, all editions: {overall}", highlight=False)
