"""Open the event-log recorder a database URL names."""

from __future__ import annotations

from sitroom.storage.recorder import Clock, Recorder, utc_now

_POSTGRES_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")
_MEMORY_SCHEME = "memory://"


def open_recorder(url: str, *, clock: Clock = utc_now) -> Recorder:
    """Open the recorder for ``url`` and upgrade its schema to the newest revision.

    ``sqlite:///relative/path``, ``sqlite:////absolute/path`` or a bare file path open SQLite;
    ``postgresql://…`` (or ``postgres://…``) opens PostgreSQL; ``memory://`` opens a new,
    empty log in this process's memory (unit tests, demos: nothing survives the process).
    ``clock`` stamps runs and events (timezone-aware); tests may pass a fake one.
    """
    if url.startswith(_MEMORY_SCHEME):
        if url != _MEMORY_SCHEME:
            raise ValueError(f"{url!r}: the in-memory log takes no name or path; use memory://")
        from sitroom.storage.memory import MemoryRecorder

        return MemoryRecorder(clock=clock)
    if url.startswith(_POSTGRES_SCHEMES):
        from sitroom.storage.postgres import PostgresRecorder

        conninfo = "postgresql://" + url.split("://", 1)[1]
        return PostgresRecorder(conninfo, clock=clock)
    if url.startswith("sqlite:"):
        path = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else ""
        if not path or path.startswith(":memory:"):
            raise ValueError(
                f"{url!r}: name a database file, e.g. sqlite:///var/sitroom.db "
                "(an in-memory database cannot be shared by the writer and the readers)"
            )
        return _open_sqlite(path, clock)
    if "://" in url:
        scheme = url.split("://", 1)[0]
        raise ValueError(
            f"{url!r}: unsupported database scheme {scheme!r}; use sqlite, postgresql or memory"
        )
    if not url:
        raise ValueError("no database URL given")
    return _open_sqlite(url, clock)


def _open_sqlite(path: str, clock: Clock) -> Recorder:
    from sitroom.storage.sqlite import SqliteRecorder

    return SqliteRecorder(path, clock=clock)
