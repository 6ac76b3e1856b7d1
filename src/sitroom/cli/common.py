"""What every command group shares: consoles, exit codes, options, and the way to services."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

if TYPE_CHECKING:
    from sitroom.bootstrap import Services
    from sitroom.config import Settings
    from sitroom.package.model import Package

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


def print_problems(problems: list[object], quiet_warnings: bool = False) -> None:
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


def load_or_exit(path: Path) -> Package:
    from sitroom.package.load import load_package

    result = load_package(path)
    if not result.ok:
        print_problems(list(result.problems), quiet_warnings=True)
        err.print(f"{path} is not a valid package; see 'sitroom validate {path}'")
        raise typer.Exit(EXIT_UNREADABLE if result.unreadable else EXIT_PROBLEMS)
    assert result.package is not None
    return result.package


def settings_for(database_url: str | None) -> Settings:
    from sitroom.config import load_settings

    env = dict(os.environ)
    if database_url:
        env["SITROOM_DATABASE_URL"] = database_url
    return load_settings(env)


def services_for(database_url: str | None) -> Services:
    """The application's services for one command (built by ``bootstrap``); close them after."""
    from sitroom.bootstrap import build_services

    return build_services(settings_for(database_url))


@contextmanager
def opened_services(database_url: str | None) -> Iterator[Services]:
    """The application's services for one command (built by ``bootstrap``), closed after it."""
    from sitroom.bootstrap import build_services

    services = build_services(settings_for(database_url))
    try:
        yield services
    finally:
        services.close()
