"""Package drafts edited in the browser: every saved version in full, and their documents.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07

``drafts`` names a package being written and points at its newest version (``head``);
moving ``head`` only from the version a save started from is what refuses a second save
made from the same version without looking (optimistic concurrency).
``draft_versions`` keeps the YAML text of every version as the planner will download it,
who saved it, when (milliseconds since the epoch), the version it was made from, the paths
it changed (JSON), which documents it has (JSON: path → SHA-256) and what validation said of
it (``checks``, JSON: its problems and their places) with the typed package it makes
(``package``: its canonical JSON, zlib-compressed), so opening a version needs no parsing.
``draft_documents`` holds each document's bytes once, by their SHA-256, however many
versions and drafts use them.
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the three tables."""
    op.create_table(
        "drafts",
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("head", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.Text(), nullable=False),
        sa.Column("updated_ms", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "draft_versions",
        sa.Column(
            "draft_id", sa.Text(), sa.ForeignKey("drafts.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("base", sa.Integer(), nullable=True),
        sa.Column("author", sa.Text(), nullable=False),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False, server_default=""),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("changes", sa.Text(), nullable=False, server_default="[]"),
        sa.Column("documents", sa.Text(), nullable=False, server_default="{}"),
        sa.Column("checks", sa.Text(), nullable=True),
        sa.Column("package", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("draft_id", "version", name="draft_versions_pk"),
    )
    op.create_table(
        "draft_documents",
        sa.Column("digest", sa.Text(), primary_key=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
    )


def downgrade() -> None:
    """Drop them again."""
    op.drop_table("draft_documents")
    op.drop_table("draft_versions")
    op.drop_table("drafts")
