"""A PostgreSQL database made for one test and dropped after it (for server processes)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from psycopg import sql

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432"


@contextmanager
def fresh_database() -> Iterator[str]:
    """The URL of a new, empty database; fails (or skips with SITROOM_SKIP_POSTGRES=1)."""
    if os.environ.get("SITROOM_SKIP_POSTGRES") == "1":
        pytest.skip("SITROOM_SKIP_POSTGRES=1")
    base = os.environ.get("SITROOM_TEST_POSTGRES", DEFAULT_POSTGRES).rstrip("/")
    name = f"sitroom_test_{secrets.token_hex(6)}"
    try:
        with psycopg.connect(f"{base}/postgres", autocommit=True, connect_timeout=5) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.OperationalError as error:
        pytest.fail(f"PostgreSQL at {base} cannot be reached: {error}", pytrace=False)
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True, connect_timeout=5) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
