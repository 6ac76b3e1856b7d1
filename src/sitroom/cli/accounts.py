"""Commands on accounts of admins and facilitators, and their API tokens."""

from __future__ import annotations

from typing import Annotated

import typer

from sitroom.cli.common import (
    EXIT_PROBLEMS,
    DatabaseOption,
    err,
    out,
    services_for,
)

app = typer.Typer()
account_app = typer.Typer(help="Accounts of admins and facilitators.", no_args_is_help=True)
app.add_typer(account_app, name="account")


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
    services = services_for(database_url)
    identity = services.identity
    try:
        identity.create_account(username, password, role, name or username)
    except ValueError as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(EXIT_PROBLEMS) from None
    finally:
        services.close()
    out.print(f"account {username} ({role}) created")


@account_app.command("email")
def account_email(
    username: Annotated[str, typer.Argument(help="The account.")],
    address: Annotated[str, typer.Argument(help="Its e-mail address; '' removes it.")],
    database_url: DatabaseOption = None,
) -> None:
    """Give an account the e-mail address its password-reset links are sent to."""
    from sitroom.services.identity import AuthError

    services = services_for(database_url)
    try:
        services.identity.set_account_email(username, address or None)
    except AuthError as exc:
        err.print(f"[red]{exc.field}: {exc.message}[/]")
        raise typer.Exit(EXIT_PROBLEMS) from None
    finally:
        services.close()
    out.print(f"account {username}: " + (f"e-mail {address}" if address else "no e-mail"))


@account_app.command("token")
def account_token(
    username: Annotated[str, typer.Argument(help="The account the token acts as.")],
    name: Annotated[str, typer.Option(help="What the token is for, e.g. 'msel sync'.")],
    scope: Annotated[
        str,
        typer.Option(
            help="read (look only), write (act in runs) or admin (also manage invitations)."
        ),
    ] = "read",
    expires: Annotated[str, typer.Option(help="Lifetime: e.g. 30d, 12h, 2w, or never.")] = "90d",
    database_url: DatabaseOption = None,
) -> None:
    """Create an API token for scripts (Authorization: Bearer ...). It is shown only once."""
    from sitroom.auth import AuthError, parse_duration, token_scope

    try:
        chosen_scope = token_scope(scope)
        lifetime = parse_duration(expires)
    except AuthError as exc:
        err.print(f"[red]--{exc.field}: {exc.message}[/]")
        raise typer.Exit(EXIT_PROBLEMS) from None
    services = services_for(database_url)
    identity = services.identity
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
        record, raw = identity.auth.tokens.create_api_token(
            account.id, name, expires_in=lifetime, scope=chosen_scope
        )
    finally:
        services.close()
    until = (
        "never expires"
        if record.expires_at is None
        else f"expires {record.expires_at.strftime('%Y-%m-%d %H:%M UTC')}"
    )
    err.print(
        f"API token '{name}' for {username}, scope {record.scope}, {until}"
        " (shown once; keep it secret):"
    )
    typer.echo(raw)
