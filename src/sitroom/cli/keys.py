"""The installation's signing key: ``sitroom keys`` prints what others need to trust it."""

from __future__ import annotations

import typer

from sitroom.cli.common import out, settings_for

app = typer.Typer()


@app.command()
def keys() -> None:
    """Print this installation's public signing key and its fingerprint (made on first use).

    Exports are signed with it; give the fingerprint to whoever imports them elsewhere
    ('sitroom import --trust FINGERPRINT'). The private key stays in DATA_DIR/signing.key.
    """
    from sitroom.services.signing import KEY_FILE, InstallationKey

    settings = settings_for(None)
    key = InstallationKey.load_or_create(settings.data_dir)
    out.print(f"public key   {key.public_key}", highlight=False, soft_wrap=True)
    out.print(f"fingerprint  {key.fingerprint}", highlight=False, soft_wrap=True)
    out.print(f"private key  {settings.data_dir / KEY_FILE} (keep it secret)", highlight=False)
