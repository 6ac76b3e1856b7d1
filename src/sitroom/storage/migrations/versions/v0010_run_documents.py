"""The documents of runs made of a draft's version.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07

``run_documents`` keeps, for a run made of a draft's version, which documents that version
has (JSON: path → SHA-256); their bytes stay in ``draft_documents`` (kept once by digest and
never removed), so every worker on the database serves them and they survive restarts, and
later saves of the draft do not change what the run's players get.
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the table."""
    op.create_table(
        "run_documents",
        sa.Column("run_id", sa.Text(), primary_key=True),
        sa.Column("draft_id", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("documents", sa.Text(), nullable=False, server_default="{}"),
    )


def downgrade() -> None:
    """Drop it again."""
    op.drop_table("run_documents")
