"""Accounts, invitations, sessions and API tokens: who is who.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

Secrets are never stored: sessions and API tokens keep the SHA-256 of their random token,
join codes an HMAC of the code under the server secret, passwords an argon2id hash.
Invitations name their run by id without a foreign key, so the event log's tables stay
independent of these.
"""

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def _timestamp() -> sa.types.TypeEngine[datetime]:
    """Timestamps: timestamptz on PostgreSQL, fixed-width ISO 8601 UTC text on SQLite."""
    return sa.DateTime(timezone=True).with_variant(sa.Text(), "sqlite")


def upgrade() -> None:
    """Create the accounts, invitations, sessions and api_tokens tables."""
    op.create_table(
        "accounts",
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("username", sa.Text(), nullable=False),
        # The case-folded username: uniqueness ignores case the same way on both backends.
        sa.Column("username_key", sa.Text(), nullable=False),
        sa.Column("display_name", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("language", sa.Text(), nullable=False, server_default="en"),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.CheckConstraint("role IN ('admin', 'facilitator')", name="accounts_role"),
    )
    op.create_index("accounts_username_key", "accounts", ["username_key"], unique=True)

    op.create_table(
        "invitations",
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("run_id", sa.Text(), nullable=False),
        sa.Column("display_name", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("team", sa.Text(), nullable=True),
        sa.Column("party", sa.Text(), nullable=True),
        sa.Column("language", sa.Text(), nullable=False),
        sa.Column("code_hash", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=True),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.Column("expires_at", _timestamp(), nullable=False),
        sa.Column("revoked_at", _timestamp(), nullable=True),
        sa.CheckConstraint(
            "role IN ('facilitator', 'player', 'evaluator', 'observer', 'display')",
            name="invitations_role",
        ),
    )
    op.create_index("invitations_code_hash", "invitations", ["code_hash"], unique=True)
    op.create_index("invitations_run", "invitations", ["run_id", "created_at"])

    op.create_table(
        "sessions",
        sa.Column("token_hash", sa.Text(), primary_key=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("subject_id", sa.Text(), nullable=False),
        sa.Column("run_id", sa.Text(), nullable=True),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.Column("last_seen", _timestamp(), nullable=False),
        sa.Column("expires_at", _timestamp(), nullable=False),
        sa.CheckConstraint("kind IN ('account', 'invitation')", name="sessions_kind"),
        sa.CheckConstraint(
            "kind = 'account' OR run_id IS NOT NULL", name="sessions_invitation_has_run"
        ),
    )
    op.create_index("sessions_subject", "sessions", ["kind", "subject_id"])
    op.create_index("sessions_expires_at", "sessions", ["expires_at"])

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("account_id", sa.Text(), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("token_hash", sa.Text(), nullable=False),
        sa.Column("hint", sa.Text(), nullable=False),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.Column("last_used_at", _timestamp(), nullable=True),
        sa.Column("expires_at", _timestamp(), nullable=True),
        sa.Column("revoked_at", _timestamp(), nullable=True),
    )
    op.create_index("api_tokens_token_hash", "api_tokens", ["token_hash"], unique=True)
    op.create_index("api_tokens_account", "api_tokens", ["account_id"])


def downgrade() -> None:
    """Drop the accounts, invitations, sessions and api_tokens tables."""
    op.drop_index("api_tokens_account", table_name="api_tokens")
    op.drop_index("api_tokens_token_hash", table_name="api_tokens")
    op.drop_table("api_tokens")
    op.drop_index("sessions_expires_at", table_name="sessions")
    op.drop_index("sessions_subject", table_name="sessions")
    op.drop_table("sessions")
    op.drop_index("invitations_run", table_name="invitations")
    op.drop_index("invitations_code_hash", table_name="invitations")
    op.drop_table("invitations")
    op.drop_index("accounts_username_key", table_name="accounts")
    op.drop_table("accounts")
