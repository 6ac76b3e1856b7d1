"""Every cursor store keeps the same promises: per follower and run, durable, only forward."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from sitroom.storage.cursors import CursorStore, MemoryCursorStore, open_cursor_store


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def opener(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[object]:
    """A function that opens another store on the same database."""
    opened: list[CursorStore] = []
    if request.param == "memory":
        shared = MemoryCursorStore()

        def open_store() -> CursorStore:
            return shared
    else:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path / 'log.db'}"
        else:
            url = request.getfixturevalue("postgres_url")
            open_cursor_store(url).close()  # creates the table
            with psycopg.connect(url, autocommit=True) as connection:
                connection.execute("TRUNCATE follower_cursors")

        def open_store() -> CursorStore:
            store = open_cursor_store(url)
            opened.append(store)
            return store

    yield open_store
    for store in opened:
        store.close()


def test_a_new_follower_starts_at_zero(opener: object) -> None:
    assert callable(opener)
    assert opener().get("scheduler", "duo") == 0


def test_cursors_are_kept_per_follower_and_run_and_outlive_the_store(opener: object) -> None:
    assert callable(opener)
    store = opener()
    store.put("scheduler", "duo", 7)
    store.put("scheduler", "trio", 2)
    store.put("mailer", "duo", 3)
    again = opener()
    assert again.get("scheduler", "duo") == 7
    assert again.get("scheduler", "trio") == 2
    assert again.get("mailer", "duo") == 3
    store.put("scheduler", "duo", 9)
    assert opener().get("scheduler", "duo") == 9


def test_a_cursor_never_moves_back(opener: object) -> None:
    assert callable(opener)
    store = opener()
    store.put("scheduler", "duo", 12)
    store.put("scheduler", "duo", 5)  # a late write from a leader that lost its lease
    assert opener().get("scheduler", "duo") == 12


def test_bad_cursors_are_refused(opener: object) -> None:
    assert callable(opener)
    store = opener()
    with pytest.raises(ValueError, match="negative"):
        store.put("scheduler", "duo", -1)
    with pytest.raises(ValueError, match="follower name and a run id"):
        store.put("", "duo", 1)
