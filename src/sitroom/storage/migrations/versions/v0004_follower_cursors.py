"""Follower cursors: how far each log follower has acted on each run.

Revision ID: 0004
Revises: 0002
Create Date: 2026-12-02

A follower (the scheduler, a simulated cell, a webhook) stores the sequence number of the
last event it has handled, per run, in a transaction of its own. The table names runs by id
without a foreign key, like the invitations: the event log's tables stay independent of it.
"""

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def _timestamp() -> sa.types.TypeEngine[datetime]:
    """Timestamps: timestamptz on PostgreSQL, fixed-width ISO 8601 UTC text on SQLite."""
    return sa.DateTime(timezone=True).with_variant(sa.Text(), "sqlite")


def upgrade() -> None:
    """Create the follower_cursors table."""
    op.create_table(
        "follower_cursors",
        sa.Column("follower", sa.Text(), nullable=False),
        sa.Column("run_id", sa.Text(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", _timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("follower", "run_id", name="follower_cursors_pkey"),
        sa.CheckConstraint("seq >= 0", name="follower_cursors_seq"),
    )


def downgrade() -> None:
    """Drop the follower_cursors table."""
    op.drop_table("follower_cursors")
