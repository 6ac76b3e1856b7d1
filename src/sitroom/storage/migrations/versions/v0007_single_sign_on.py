"""Single sign-on (OpenID Connect): linked identities, sign-ins under way, bound invitations.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07

``oidc_identities`` links an identity at a provider (issuer and subject, the pair OpenID
Connect promises never to reuse) to an account. ``oidc_logins`` holds a sign-in between the
redirect to the provider and its return: the hash of its ``state``, the nonce, the PKCE code
verifier, and the invitation it is for; the callback deletes the row as it reads it, so a
state is good once. Invitations may be bound to an identity at the provider (``idp_email``
or ``idp_subject``): then only that person, signed in there, can use the link. A session
opened by a single sign-on keeps the ID token (``id_token``), which the provider's logout
needs as a hint.
"""

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def _timestamp() -> sa.types.TypeEngine[datetime]:
    """Timestamps: timestamptz on PostgreSQL, fixed-width ISO 8601 UTC text on SQLite."""
    return sa.DateTime(timezone=True).with_variant(sa.Text(), "sqlite")


def upgrade() -> None:
    """Create the identity and sign-in tables; bind invitations; keep ID tokens."""
    op.create_table(
        "oidc_identities",
        sa.Column("issuer", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Text(), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("linked_at", _timestamp(), nullable=False),
        sa.Column("last_sign_in", _timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("issuer", "subject", name="oidc_identities_pkey"),
    )
    op.create_index("oidc_identities_account", "oidc_identities", ["account_id"])
    op.create_table(
        "oidc_logins",
        sa.Column("state_hash", sa.Text(), primary_key=True),
        sa.Column("nonce", sa.Text(), nullable=False),
        sa.Column("code_verifier", sa.Text(), nullable=False),
        sa.Column("invitation_id", sa.Text(), nullable=True),
        sa.Column("created_at", _timestamp(), nullable=False),
    )
    op.create_index("oidc_logins_created_at", "oidc_logins", ["created_at"])
    with op.batch_alter_table("invitations") as table:
        table.add_column(sa.Column("idp_email", sa.Text(), nullable=True))
        table.add_column(sa.Column("idp_subject", sa.Text(), nullable=True))
    with op.batch_alter_table("sessions") as table:
        table.add_column(sa.Column("id_token", sa.Text(), nullable=True))


def downgrade() -> None:
    """Drop them again."""
    with op.batch_alter_table("sessions") as table:
        table.drop_column("id_token")
    with op.batch_alter_table("invitations") as table:
        table.drop_column("idp_subject")
        table.drop_column("idp_email")
    op.drop_index("oidc_logins_created_at", table_name="oidc_logins")
    op.drop_table("oidc_logins")
    op.drop_index("oidc_identities_account", table_name="oidc_identities")
    op.drop_table("oidc_identities")
