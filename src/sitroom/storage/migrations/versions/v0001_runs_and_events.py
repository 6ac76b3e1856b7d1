"""Runs and their append-only event log.

Revision ID: 0001
Revises:
Create Date: 2024-06-01
"""

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def _timestamp() -> sa.types.TypeEngine[datetime]:
    """Timestamps: timestamptz on PostgreSQL, fixed-width ISO 8601 UTC text on SQLite."""
    return sa.DateTime(timezone=True).with_variant(sa.Text(), "sqlite")


def upgrade() -> None:
    """Create the runs and events tables."""
    op.create_table(
        "runs",
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("package_json", sa.Text(), nullable=False),
        sa.Column("package_hash", sa.Text(), nullable=False),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False, server_default=sa.text("0")),
    )
    # Payloads are stored as their canonical JSON text, so the bytes that were hashed are the
    # bytes that come back (JSONB would reorder keys and normalise numbers).
    op.create_table(
        "events",
        sa.Column("run_id", sa.Text(), sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=True),
        sa.Column("recorded_at", _timestamp(), nullable=False),
        sa.Column("idempotency_key", sa.Text(), nullable=True),
        sa.Column("batch_size", sa.Integer(), nullable=False),
        sa.Column("prev_hash", sa.Text(), nullable=False),
        sa.Column("hash", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "seq", name="events_pkey"),
        sa.CheckConstraint("seq >= 1", name="events_seq_positive"),
        sa.CheckConstraint("batch_size >= 1", name="events_batch_size_positive"),
        sqlite_with_rowid=False,
    )
    op.create_index(
        "events_idempotency_key",
        "events",
        ["run_id", "idempotency_key"],
        unique=True,
        sqlite_where=sa.text("idempotency_key IS NOT NULL"),
        postgresql_where=sa.text("idempotency_key IS NOT NULL"),
    )


def downgrade() -> None:
    """Drop the runs and events tables."""
    op.drop_index("events_idempotency_key", table_name="events")
    op.drop_table("events")
    op.drop_table("runs")
