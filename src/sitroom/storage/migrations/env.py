"""Alembic environment for sitroom's schema.

Migrations run through `sitroom.storage.migrations.upgrade_sqlite` or `upgrade_postgres`,
which hand over an open SQLAlchemy connection inside a transaction; no alembic.ini is needed.
"""

from alembic import context
from sqlalchemy.engine import Connection


def run_migrations() -> None:
    """Run the pending revisions on the connection the caller handed over."""
    config = context.config
    if context.is_offline_mode():
        context.configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError(
            "run migrations through sitroom.storage.migrations (upgrade_sqlite/upgrade_postgres)"
        )
    context.configure(
        connection=connection,
        target_metadata=None,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
