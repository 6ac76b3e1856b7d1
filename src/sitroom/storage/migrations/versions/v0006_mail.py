"""E-mail: addresses, the outbox of invitation and password-reset messages, reset tokens.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07

``mail_addresses`` holds the e-mail address of an invitation (``invite:<id>``) or an account
(``account:<id>``): personal data that only the mailer reads, kept apart from the records
that sign people in. ``mail_outbox`` is every message sitroom was asked to send outside a
run's log (invitations, password resets): its delivery state, the attempts made, the last
SMTP answer and when the next attempt is due. ``password_resets`` keeps the SHA-256 of each
reset token, never the token, with its expiry and the moment it was used.
"""

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def _timestamp() -> sa.types.TypeEngine[datetime]:
    """Timestamps: timestamptz on PostgreSQL, fixed-width ISO 8601 UTC text on SQLite."""
    return sa.DateTime(timezone=True).with_variant(sa.Text(), "sqlite")


def upgrade() -> None:
    """Create the three tables."""
    op.create_table(
        "mail_addresses",
        sa.Column("subject", sa.Text(), primary_key=True),
        sa.Column("address", sa.Text(), nullable=False),
    )
    op.create_table(
        "mail_outbox",
        sa.Column("key", sa.Text(), primary_key=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("run_id", sa.Text(), nullable=True),
        sa.Column("recipient", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("message_id", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.Column("updated_at", _timestamp(), nullable=False),
        sa.Column("next_at", _timestamp(), nullable=False),
        sa.CheckConstraint(
            "state IN ('queued', 'sending', 'sent', 'failed', 'bounced', 'dead')",
            name="mail_outbox_state",
        ),
    )
    op.create_index("mail_outbox_subject", "mail_outbox", ["subject"])
    op.create_index("mail_outbox_due", "mail_outbox", ["state", "next_at"])
    op.create_table(
        "password_resets",
        sa.Column("token_hash", sa.Text(), primary_key=True),
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.Column("expires_at", _timestamp(), nullable=False),
        sa.Column("used_at", _timestamp(), nullable=True),
    )
    op.create_index("password_resets_account", "password_resets", ["account_id"])


def downgrade() -> None:
    """Drop them again."""
    op.drop_index("password_resets_account", table_name="password_resets")
    op.drop_table("password_resets")
    op.drop_index("mail_outbox_due", table_name="mail_outbox")
    op.drop_index("mail_outbox_subject", table_name="mail_outbox")
    op.drop_table("mail_outbox")
    op.drop_table("mail_addresses")
