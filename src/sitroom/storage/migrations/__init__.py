"""The database schema, as Alembic revisions shipped inside the package.

`upgrade_sqlite` and `upgrade_postgres` bring a database to the newest revision (or, for tests
of a revision, to the one named). Both are
safe when several processes open the same database at once: SQLite takes the write lock
before reading the schema version, PostgreSQL takes an advisory lock.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.engine import Connection

HERE = Path(__file__).resolve().parent

# Any fixed number will do; it only has to be the same for every sitroom process.
_ADVISORY_LOCK_ID = 0x5174_0001


def alembic_config() -> Config:
    """Return an Alembic configuration pointing at this folder (no alembic.ini needed)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.set_main_option("file_template", "v%%(rev)s_%%(slug)s")
    return config


def _upgrade(connection: Connection, revision: str) -> None:
    from alembic import command

    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def upgrade_sqlite(path: str, busy_timeout_ms: int = 5000, revision: str = "head") -> None:
    """Bring the SQLite database at ``path`` to the newest revision, in one transaction."""
    from sqlalchemy import create_engine, event
    from sqlalchemy.pool import NullPool

    from sitroom.storage.pool import create_private

    create_private(path)

    def connect() -> sqlite3.Connection:
        connection = sqlite3.connect(path, timeout=busy_timeout_ms / 1000, isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=FULL")
        return connection

    engine = create_engine("sqlite://", creator=connect, poolclass=NullPool)

    # The stdlib driver would start transactions lazily; take the write lock up front so
    # schema changes are atomic and two processes never migrate at the same time.
    def begin_immediate(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    event.listen(engine, "begin", begin_immediate)
    try:
        with engine.begin() as connection:
            _upgrade(connection, revision)
    finally:
        engine.dispose()


def upgrade_postgres(conninfo: str, revision: str = "head") -> None:
    """Bring the PostgreSQL database at ``conninfo`` to the newest revision.

    Add ``connect_timeout`` to ``conninfo`` to bound the wait for an unreachable server.
    """
    import psycopg
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    def connect() -> Any:
        return psycopg.connect(conninfo)

    engine = create_engine("postgresql+psycopg://", creator=connect, poolclass=NullPool)
    try:
        with engine.begin() as connection:
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _ADVISORY_LOCK_ID})
            _upgrade(connection, revision)
    finally:
        engine.dispose()
