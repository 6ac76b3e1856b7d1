"""``sitroom audit-verify``: check an audit trail file for missing or edited lines."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sitroom.cli.common import EXIT_PROBLEMS, EXIT_UNREADABLE, err, out, settings_for

app = typer.Typer()


@app.command("audit-verify")
def audit_verify(
    file: Annotated[
        Path | None,
        typer.Argument(help="The audit file (default: SITROOM_AUDIT_FILE, DATA_DIR/audit.jsonl)."),
    ] = None,
) -> None:
    """Check an audit trail: every stream's lines numbered without gaps and hash-chained."""
    from sitroom.audit.trail import verify_lines

    path = file or settings_for(None).audit_file
    if path is None:
        err.print("[red]no audit file: SITROOM_AUDIT_FILE is 'none'; name the file[/]")
        raise typer.Exit(EXIT_UNREADABLE)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        err.print(f"[red]{path}: {exc.strerror}[/]")
        raise typer.Exit(EXIT_UNREADABLE) from None
    problems = verify_lines(lines)
    for problem in problems[:50]:
        err.print(f"{path}: {problem}", highlight=False, markup=False)
    if problems:
        raise typer.Exit(EXIT_PROBLEMS)
    out.print(f"{path}: {len(lines)} line(s), every stream whole", highlight=False)
