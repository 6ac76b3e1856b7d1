"""The ``sitroom`` command line: one module per command group, assembled here."""

from __future__ import annotations

import typer

from sitroom.cli import accounts, audit, follow, keys, package, rehearse, runs, serve
from sitroom.cli.series import series_app

app = typer.Typer(
    name="sitroom",
    help="Design, run and evaluate discussion-based exercises.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(package.app)
app.add_typer(serve.app)
app.add_typer(runs.app)
app.add_typer(accounts.app)
app.add_typer(keys.app)
app.add_typer(audit.app)
app.add_typer(follow.app)
app.add_typer(rehearse.app)
app.add_typer(series_app, name="series")


def main() -> None:
    """Entry point for ``python -m sitroom``."""
    app()
