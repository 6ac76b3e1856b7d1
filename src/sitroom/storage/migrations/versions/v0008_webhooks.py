"""Outbound webhooks: subscriptions, the delivery outbox and every attempt.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07

``webhook_subscriptions`` holds what control subscribed (a URL, a format, event types and
the audience whose view is sent), its signing secret and its ``cursor``: the last event of
the run already put in the outbox. ``webhook_deliveries`` is the outbox: one row per
(subscription, event), written in the same transaction that moves the cursor, so an event is
never lost and never queued twice (the pair is unique). A delivery is ``pending`` until a
receiver answers 2xx (``delivered``) or its attempts run out (``dead``); ``claimed_until``
lets one process at a time send it. ``webhook_attempts`` records each try.

The secrets live here and not in the event log, so no export or archive carries them.
Times that the sender compares (``next_at``, ``claimed_until``) are milliseconds since the
epoch, the same comparison on both backends.
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the three tables."""
    op.create_table(
        "webhook_subscriptions",
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("run_id", sa.Text(), sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("format", sa.Text(), nullable=False),
        sa.Column("events", sa.Text(), nullable=False),
        sa.Column("audience", sa.Text(), nullable=False),
        sa.Column("language", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("cursor", sa.BigInteger(), nullable=False, server_default="0"),
        sa.CheckConstraint(
            "format IN ('standard', 'slack', 'mattermost', 'teams')", name="webhook_format"
        ),
    )
    op.create_index("webhook_subscriptions_run", "webhook_subscriptions", ["run_id"])
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column(
            "subscription_id",
            sa.Text(),
            sa.ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("run_id", sa.Text(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_at", sa.BigInteger(), nullable=False),
        sa.Column("claimed_until", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("finished_ms", sa.BigInteger(), nullable=True),
        sa.UniqueConstraint("subscription_id", "seq", name="webhook_deliveries_once"),
        sa.CheckConstraint(
            "status IN ('pending', 'delivered', 'dead')", name="webhook_delivery_status"
        ),
    )
    op.create_index("webhook_deliveries_due", "webhook_deliveries", ["status", "next_at"])
    op.create_index("webhook_deliveries_run", "webhook_deliveries", ["run_id", "status"])
    op.create_table(
        "webhook_attempts",
        sa.Column(
            "delivery_id",
            sa.Text(),
            sa.ForeignKey("webhook_deliveries.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("delivery_id", "number", name="webhook_attempts_pk"),
    )


def downgrade() -> None:
    """Drop them again."""
    op.drop_table("webhook_attempts")
    op.drop_index("webhook_deliveries_run", table_name="webhook_deliveries")
    op.drop_index("webhook_deliveries_due", table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
    op.drop_index("webhook_subscriptions_run", table_name="webhook_subscriptions")
    op.drop_table("webhook_subscriptions")
