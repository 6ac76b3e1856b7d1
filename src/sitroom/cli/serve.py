"""Commands that serve the web application, `serve` and `demo`: the only ones that import it."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from sitroom.cli.common import (
    EXIT_PROBLEMS,
    DatabaseOption,
    err,
    out,
    print_problems,
    settings_for,
)

app = typer.Typer()


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
    settings = settings_for(None)
    proxy_headers, allowed = forwarded_options(settings.trusted_proxies)
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
        proxy_headers=proxy_headers,
        forwarded_allow_ips=allowed,
        # Streams end as soon as the stop signal arrives (sitroom.web.stopping); this bounds
        # the wait for the other requests, so a stopping worker is gone within seconds.
        timeout_graceful_shutdown=settings.shutdown_grace,
    )


def forwarded_options(trusted: tuple[str, ...]) -> tuple[bool, str]:
    """uvicorn's proxy options: believe X-Forwarded-For only from the trusted proxies.

    uvicorn's own default believes 127.0.0.1, so anyone on the machine (or any local process
    in front of it) could pick their address and slip past the sign-in limits; with no
    trusted proxy the headers are ignored and the peer's address is the client's.
    """
    return bool(trusted), ",".join(trusted)


@app.command()
def demo(
    example: Annotated[str, typer.Option(help="Bundled example to run.")] = "allied-consultation",
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    single_use: Annotated[
        bool | None,
        typer.Option(
            "--single-use/--reusable",
            help="Links and codes sign in once (default: players' only) or any number of times.",
        ),
    ] = None,
    bind_device: Annotated[
        bool,
        typer.Option(help="Bind each invitation to the first browser that uses it."),
    ] = False,
) -> None:
    """Create a run of a bundled example with invitations, print the links, and serve."""
    import secrets

    import uvicorn

    from sitroom.bootstrap import build_services
    from sitroom.conduct.principal import Role
    from sitroom.config import load_settings
    from sitroom.package.examples import example_names, example_path
    from sitroom.package.load import load_package
    from sitroom.package.model import TeamKind, text_in
    from sitroom.web.app import create_app

    if example not in example_names():
        err.print(f"no bundled example '{example}'; bundled: {', '.join(example_names())}")
        raise typer.Exit(EXIT_PROBLEMS)
    env = dict(os.environ)
    env.setdefault("SITROOM_BASE_URL", f"http://{host}:{port}")
    settings = load_settings(env)
    result = load_package(example_path(example))
    if result.package is None or not result.ok:
        print_problems(list(result.problems))
        raise typer.Exit(EXIT_PROBLEMS)
    package = result.package
    url = settings.effective_database_url
    services = build_services(settings)
    engine, identity = services.engine, services.identity
    try:
        admin_password = None
        if not identity.has_accounts():
            admin_password = secrets.token_urlsafe(12)
            identity.create_account("admin", admin_password, "admin", "Administrator")
        record = engine.create_run(package)
        invites: list[tuple[str, dict[str, object]]] = []

        def invite(label: str, **kwargs: object) -> None:
            made = identity.invite(
                record.id,
                package,
                "account:demo",
                single_use=single_use,
                bind_device=bind_device,
                **kwargs,  # type: ignore[arg-type]
            )
            invites.append((label, made))

        # Invitations are named by role, team and party (``invitation_name``): the header
        # and the console show that name, so it must be one people read, not an id.
        invite("facilitator", name="", role=Role.FACILITATOR.value)
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
                    name="",
                    role=Role.PLAYER.value,
                    team=team.id,
                    language=lang,
                )
        invite("evaluator", name="", role=Role.EVALUATOR.value)
        invite("observer", name="", role=Role.OBSERVER.value)
        invite("display", name="", role=Role.DISPLAY.value)
    finally:
        services.close()
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
    out.print(
        "\n  Each link opens a page naming whom it signs in as: press Join there."
        f"\n  Or type the join code at {settings.base_url}/signin",
        highlight=False,
        soft_wrap=True,
    )
    if admin_password:
        out.print(f"\n  admin sign-in: admin / {admin_password}  (shown once)", highlight=False)
    out.print(f"\n  API documentation: {settings.base_url}/docs\n", highlight=False)
    proxy_headers, allowed = forwarded_options(settings.trusted_proxies)
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_level="info",
        proxy_headers=proxy_headers,
        forwarded_allow_ips=allowed,
        timeout_graceful_shutdown=settings.shutdown_grace,
    )
