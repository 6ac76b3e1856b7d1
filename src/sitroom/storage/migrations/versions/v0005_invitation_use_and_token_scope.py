"""Single-use and device-bound invitations, and API tokens with a scope.

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-02

Invitations learn whether they sign in one person once (``single_use``), whether they are
bound to the first browser that used them (``bind_device``, with the SHA-256 of that
browser's device secret in ``device_hash``), and when they were first used (``used_at``).
``created_by`` gets an index, so revoking an invitation can revoke the ones it made.

API tokens get a ``scope``: read, write or admin. Tokens made before this revision could do
everything their account can, so they become ``admin``: an upgrade breaks no script, and
new tokens are made with the scope their owner asks for.
"""

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def _timestamp() -> sa.types.TypeEngine[datetime]:
    """Timestamps: timestamptz on PostgreSQL, fixed-width ISO 8601 UTC text on SQLite."""
    return sa.DateTime(timezone=True).with_variant(sa.Text(), "sqlite")


def upgrade() -> None:
    """Add the invitation use columns and the token scope."""
    with op.batch_alter_table("invitations") as table:
        table.add_column(
            sa.Column("single_use", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        table.add_column(
            sa.Column("bind_device", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        table.add_column(sa.Column("used_at", _timestamp(), nullable=True))
        table.add_column(sa.Column("device_hash", sa.Text(), nullable=True))
    op.create_index("invitations_created_by", "invitations", ["created_by"])
    with op.batch_alter_table("api_tokens") as table:
        table.add_column(sa.Column("scope", sa.Text(), nullable=False, server_default="admin"))
        table.create_check_constraint("api_tokens_scope", "scope IN ('read', 'write', 'admin')")


def downgrade() -> None:
    """Drop them again."""
    with op.batch_alter_table("api_tokens") as table:
        table.drop_constraint("api_tokens_scope", type_="check")
        table.drop_column("scope")
    op.drop_index("invitations_created_by", table_name="invitations")
    with op.batch_alter_table("invitations") as table:
        table.drop_column("device_hash")
        table.drop_column("used_at")
        table.drop_column("bind_device")
        table.drop_column("single_use")
