"""``sitroom follow NAME``: run one log follower in a process of its own."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from typing import TYPE_CHECKING, Annotated

import typer

from sitroom.cli.common import EXIT_PROBLEMS, DatabaseOption, err, services_for

if TYPE_CHECKING:
    from sitroom.realtime.broker import Broker
    from sitroom.services.followers import FollowerRunner

app = typer.Typer()


@app.command()
def follow(
    name: Annotated[str, typer.Argument(help="The follower to run, e.g. scheduler.")],
    run: Annotated[
        list[str] | None,
        typer.Option("--run", help="Follow only this run (repeat for several)."),
    ] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Run one log follower (e.g. the scheduler) until interrupted.

    It leads each run no other process leads, resumes from its stored cursor, and stops on
    Ctrl-C or SIGTERM. Set SITROOM_FOLLOWERS=none (or leave NAME out of it) on the servers.
    """
    from sitroom.services.followers import UnknownFollower

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        services = services_for(database_url)
    except ValueError as bad:  # a setting: SITROOM_FOLLOWER_IMPORTS, SITROOM_FOLLOWER_TICK, …
        err.print(f"[red]{bad}[/]")
        raise typer.Exit(EXIT_PROBLEMS) from None
    try:
        try:
            runner = services.follower_runner([name], runs=run or ())
        except UnknownFollower as unknown:
            err.print(f"[red]{unknown.args[0]}[/]")
            raise typer.Exit(EXIT_PROBLEMS) from None
        asyncio.run(_follow(services.broker, runner))
    finally:
        services.close()


async def _follow(broker: Broker, runner: FollowerRunner) -> None:
    """Start the broker (so the runner wakes on announcements), follow until a signal."""
    await broker.start()
    task = asyncio.create_task(runner.run())
    loop = asyncio.get_running_loop()
    for stop in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(stop, task.cancel)
    try:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    finally:
        await broker.close()
