"""Idempotency keys belong to the actor who sent them; the first event keeps a command hash.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02

Until now a key was unique per run, so one participant's key could shadow another's (or the
scheduler's ``scheduled:<inject>``): the second submission was answered with the first one's
events and never recorded. Keys are now unique per run and actor. Events without an actor
share one scope: the index takes ``coalesce(actor, '')``, because a NULL would make every such
row distinct. The key comes before the actor in the index so a look-up by run and key uses it
on both backends whatever the actor expression looks like.

``command_hash`` (nullable: rows written before this revision have none) lets a retry be
told from a different submission that reuses a key.

Every database that satisfied the old index satisfies the new one, so the upgrade cannot
fail on existing rows. A downgrade fails if two actors have since used the same key in a run.
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

_KEYED = "idempotency_key IS NOT NULL"


def upgrade() -> None:
    """Scope the idempotency index to (run, key, actor) and add ``events.command_hash``."""
    op.add_column("events", sa.Column("command_hash", sa.Text(), nullable=True))
    op.drop_index("events_idempotency_key", table_name="events")
    op.create_index(
        "events_idempotency_key_per_actor",
        "events",
        ["run_id", "idempotency_key", sa.text("coalesce(actor, '')")],
        unique=True,
        sqlite_where=sa.text(_KEYED),
        postgresql_where=sa.text(_KEYED),
    )


def downgrade() -> None:
    """Go back to one key per run and drop ``events.command_hash``."""
    op.drop_index("events_idempotency_key_per_actor", table_name="events")
    op.create_index(
        "events_idempotency_key",
        "events",
        ["run_id", "idempotency_key"],
        unique=True,
        sqlite_where=sa.text(_KEYED),
        postgresql_where=sa.text(_KEYED),
    )
    op.drop_column("events", "command_hash")
