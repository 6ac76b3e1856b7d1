"""Where webhooks are kept: subscriptions, the delivery outbox and every attempt, in SQL.

The tables (revision 0006) live in the database of the event log and use the auth store's
two small adapters (SQLite under ``BEGIN IMMEDIATE``, PostgreSQL one transaction per call).
Two writes carry the guarantees:

- ``enqueue`` puts a batch of deliveries in the outbox and moves the subscription's cursor
  in one transaction, and only if the cursor is still where the caller read it: an event is
  never lost between the log and the outbox, and a stale leader queues nothing twice.
- ``claim`` lets one process at a time send a delivery: it stamps ``claimed_until`` only if
  no live claim is there. A process that dies mid-delivery leaves a claim that runs out, and
  the delivery is sent again, under the same id.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sitroom.auth.sqldatabase import Database, PostgresDatabase, Row, SqliteDatabase

_POSTGRES_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")
_SUB_COLUMNS = (
    "id, run_id, url, format, events, audience, language, label, created_by, created_ms,"
    " active, cursor, secret"
)
_DELIVERY_COLUMNS = (
    "d.id, d.subscription_id, d.run_id, d.seq, d.event_type, d.body, d.status, d.attempts,"
    " d.next_at, d.created_ms, d.finished_ms"
)


@dataclass(frozen=True, slots=True)
class Subscription:
    """A URL that receives a run's events of some types, as one audience sees them."""

    id: str
    run_id: str
    url: str
    format: str
    events: tuple[str, ...]
    audience: str
    language: str
    label: str
    created_by: str
    created_ms: int
    active: bool = True
    cursor: int = 0
    secret: str = field(default="", repr=False)

    def wants(self, event_type: str) -> bool:
        """Whether events of ``event_type`` are subscribed (``*``: every type)."""
        return "*" in self.events or event_type in self.events


@dataclass(frozen=True, slots=True)
class Attempt:
    """One try at a delivery: when, how long, and what came back (a status or an error)."""

    number: int
    at_ms: int
    status_code: int | None
    error: str | None
    duration_ms: int


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event for one subscription: the body to send and where it stands."""

    id: str
    subscription_id: str
    run_id: str
    seq: int
    event_type: str
    body: str
    status: str
    attempts: int
    next_at: int
    created_ms: int
    finished_ms: int | None = None
    tries: tuple[Attempt, ...] = ()


@dataclass(frozen=True, slots=True)
class Due:
    """A delivery ready to send, with what sending needs of its subscription."""

    delivery: Delivery
    url: str
    format: str
    secret: str = field(repr=False)


def _subscription(row: Row) -> Subscription:
    return Subscription(
        id=row[0],
        run_id=row[1],
        url=row[2],
        format=row[3],
        events=tuple(e for e in str(row[4]).split(",") if e),
        audience=row[5],
        language=row[6],
        label=row[7],
        created_by=row[8],
        created_ms=int(row[9]),
        active=bool(row[10]),
        cursor=int(row[11]),
        secret=row[12],
    )


def _delivery(row: Row, tries: tuple[Attempt, ...] = ()) -> Delivery:
    return Delivery(
        id=row[0],
        subscription_id=row[1],
        run_id=row[2],
        seq=int(row[3]),
        event_type=row[4],
        body=row[5],
        status=row[6],
        attempts=int(row[7]),
        next_at=int(row[8]),
        created_ms=int(row[9]),
        finished_ms=None if row[10] is None else int(row[10]),
        tries=tries,
    )


class HookStore:
    """Subscriptions, deliveries and attempts on one SQL database."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # -- subscriptions ----------------------------------------------------------------

    def add(self, sub: Subscription) -> None:
        """Record a new subscription (its cursor says where in the log it starts)."""
        with self._db.transaction(write=True) as cur:
            cur.count(
                "INSERT INTO webhook_subscriptions (id, run_id, url, format, events, audience,"
                " language, label, secret, created_by, created_ms, active, cursor) VALUES"
                " (:id, :run_id, :url, :format, :events, :audience, :language, :label,"
                " :secret, :created_by, :created_ms, :active, :cursor)",
                {
                    "id": sub.id,
                    "run_id": sub.run_id,
                    "url": sub.url,
                    "format": sub.format,
                    "events": ",".join(sub.events),
                    "audience": sub.audience,
                    "language": sub.language,
                    "label": sub.label,
                    "secret": sub.secret,
                    "created_by": sub.created_by,
                    "created_ms": sub.created_ms,
                    "active": sub.active,
                    "cursor": sub.cursor,
                },
            )

    def counts(self) -> dict[str, int]:
        """How many deliveries are in each status (every run): for the metrics."""
        with self._db.transaction(write=False) as cur:
            rows = cur.rows("SELECT status, count(*) FROM webhook_deliveries GROUP BY status", {})
        return {str(status): int(n) for status, n in rows}

    def subscriptions(self, run_id: str, *, active_only: bool = False) -> list[Subscription]:
        """The run's subscriptions, oldest first."""
        where = " AND active = :active" if active_only else ""
        with self._db.transaction(write=False) as cur:
            rows = cur.rows(
                f"SELECT {_SUB_COLUMNS} FROM webhook_subscriptions WHERE run_id = :run{where}"
                " ORDER BY created_ms, id",
                {"run": run_id, "active": True},
            )
        return [_subscription(r) for r in rows]

    def subscription(self, run_id: str, sub_id: str) -> Subscription | None:
        """One subscription of the run, or None."""
        with self._db.transaction(write=False) as cur:
            rows = cur.rows(
                f"SELECT {_SUB_COLUMNS} FROM webhook_subscriptions"
                " WHERE run_id = :run AND id = :id",
                {"run": run_id, "id": sub_id},
            )
        return _subscription(rows[0]) if rows else None

    def deactivate(self, run_id: str, sub_id: str) -> bool:
        """Stop a subscription: nothing more is queued or sent; its log stays."""
        with self._db.transaction(write=True) as cur:
            return (
                cur.count(
                    "UPDATE webhook_subscriptions SET active = :no"
                    " WHERE run_id = :run AND id = :id AND active = :yes",
                    {"run": run_id, "id": sub_id, "no": False, "yes": True},
                )
                == 1
            )

    # -- the outbox ---------------------------------------------------------------------

    def enqueue(
        self, sub_id: str, read_at: int, cursor: int, deliveries: Iterable[Delivery]
    ) -> bool:
        """Queue ``deliveries`` and move the cursor from ``read_at`` to ``cursor``, at once.

        False (and nothing written) when the cursor is no longer at ``read_at``: someone
        else queued these events already.
        """
        with self._db.transaction(write=True) as cur:
            moved = cur.count(
                "UPDATE webhook_subscriptions SET cursor = :cursor"
                " WHERE id = :id AND cursor = :read_at",
                {"id": sub_id, "cursor": cursor, "read_at": read_at},
            )
            if moved != 1:
                return False
            for d in deliveries:
                cur.count(
                    "INSERT INTO webhook_deliveries (id, subscription_id, run_id, seq,"
                    " event_type, body, status, attempts, next_at, claimed_until, created_ms)"
                    " VALUES (:id, :sub, :run, :seq, :type, :body, 'pending', 0, :next_at, 0,"
                    " :created) ON CONFLICT DO NOTHING",
                    {
                        "id": d.id,
                        "sub": d.subscription_id,
                        "run": d.run_id,
                        "seq": d.seq,
                        "type": d.event_type,
                        "body": d.body,
                        "next_at": d.next_at,
                        "created": d.created_ms,
                    },
                )
        return True

    def due(self, now_ms: int, limit: int = 200) -> list[Due]:
        """For each active subscription, its earliest delivery whose time has come and that
        no live claim holds: a subscription with a long backlog takes one place in the
        answer, like every other, so it never crowds the others out."""
        with self._db.transaction(write=False) as cur:
            rows = cur.rows(
                f"SELECT {_DELIVERY_COLUMNS}, s.url, s.format, s.secret FROM ("
                " SELECT w.*, ROW_NUMBER() OVER (PARTITION BY w.subscription_id"
                " ORDER BY w.next_at, w.seq) AS place FROM webhook_deliveries w"
                " WHERE w.status = 'pending' AND w.next_at <= :now AND w.claimed_until < :now"
                ") d JOIN webhook_subscriptions s ON s.id = d.subscription_id"
                " WHERE d.place = 1 AND s.active = :yes ORDER BY d.next_at, d.seq LIMIT :limit",
                {"now": now_ms, "yes": True, "limit": limit},
            )
        return [Due(_delivery(r[:11]), r[11], r[12], r[13]) for r in rows]

    def next_due(self) -> int | None:
        """When the earliest pending delivery of an active subscription is due (ms), or None."""
        with self._db.transaction(write=False) as cur:
            rows = cur.rows(
                "SELECT MIN(d.next_at) FROM webhook_deliveries d JOIN webhook_subscriptions s"
                " ON s.id = d.subscription_id WHERE d.status = 'pending' AND s.active = :yes",
                {"yes": True},
            )
        return None if not rows or rows[0][0] is None else int(rows[0][0])

    def claim(self, delivery_id: str, now_ms: int, until_ms: int) -> bool:
        """Take the delivery for sending until ``until_ms``, unless another process holds it."""
        with self._db.transaction(write=True) as cur:
            return (
                cur.count(
                    "UPDATE webhook_deliveries SET claimed_until = :until"
                    " WHERE id = :id AND status = 'pending' AND claimed_until < :now",
                    {"id": delivery_id, "now": now_ms, "until": until_ms},
                )
                == 1
            )

    def record(
        self,
        delivery_id: str,
        attempt: Attempt,
        *,
        status: str,
        next_at: int,
    ) -> None:
        """Record one attempt and where the delivery stands after it, in one transaction."""
        with self._db.transaction(write=True) as cur:
            rows = cur.rows(
                "SELECT COALESCE(MAX(number), 0) FROM webhook_attempts WHERE delivery_id = :id",
                {"id": delivery_id},
            )
            number = int(rows[0][0]) + 1
            cur.count(
                "INSERT INTO webhook_attempts (delivery_id, number, at_ms, status_code, error,"
                " duration_ms) VALUES (:id, :number, :at, :code, :error, :duration)",
                {
                    "id": delivery_id,
                    "number": number,
                    "at": attempt.at_ms,
                    "code": attempt.status_code,
                    "error": attempt.error,
                    "duration": attempt.duration_ms,
                },
            )
            cur.count(
                "UPDATE webhook_deliveries SET status = :status, attempts = attempts + 1,"
                " next_at = :next_at, claimed_until = 0, finished_ms = :finished WHERE id = :id",
                {
                    "id": delivery_id,
                    "status": status,
                    "next_at": next_at,
                    "finished": None if status == "pending" else attempt.at_ms,
                },
            )

    # -- the delivery log -----------------------------------------------------------------

    def deliveries(
        self, run_id: str, *, status: str | None = None, limit: int = 100
    ) -> list[Delivery]:
        """The run's deliveries, newest first, each with its attempts."""
        where = " AND d.status = :status" if status else ""
        with self._db.transaction(write=False) as cur:
            rows = cur.rows(
                f"SELECT {_DELIVERY_COLUMNS} FROM webhook_deliveries d"
                f" WHERE d.run_id = :run{where} ORDER BY d.created_ms DESC, d.seq DESC,"
                " d.id LIMIT :limit",
                {"run": run_id, "status": status, "limit": limit},
            )
            ids = [r[0] for r in rows]
            tries: dict[str, list[Attempt]] = {i: [] for i in ids}
            if ids:
                marks = ", ".join(f":i{n}" for n in range(len(ids)))
                for a in cur.rows(
                    "SELECT delivery_id, number, at_ms, status_code, error, duration_ms"
                    f" FROM webhook_attempts WHERE delivery_id IN ({marks})"
                    " ORDER BY delivery_id, number",
                    {f"i{n}": i for n, i in enumerate(ids)},
                ):
                    tries[a[0]].append(Attempt(int(a[1]), int(a[2]), a[3], a[4], int(a[5])))
        return [_delivery(r, tuple(tries[r[0]])) for r in rows]

    def redeliver(self, run_id: str, now_ms: int, delivery_id: str | None = None) -> int:
        """Send dead deliveries again (one, or all of the run's) with fresh attempts."""
        where = " AND id = :id" if delivery_id else ""
        with self._db.transaction(write=True) as cur:
            return cur.count(
                "UPDATE webhook_deliveries SET status = 'pending', attempts = 0,"
                " next_at = :now, claimed_until = 0, finished_ms = NULL"
                f" WHERE run_id = :run AND status = 'dead'{where}",
                {"run": run_id, "now": now_ms, "id": delivery_id},
            )

    def close(self) -> None:
        """Close the database connections."""
        self._db.close()


def open_hook_store(url: str) -> HookStore:
    """The webhook store on the database ``url`` names (the URLs `open_recorder` takes)."""
    if url.startswith(_POSTGRES_SCHEMES):
        conninfo = "postgresql://" + url.split("://", 1)[1]
        return HookStore(PostgresDatabase(conninfo, pool_size=4, pool_timeout=10.0))
    path = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else url
    if not path or path.startswith(":memory:") or "://" in path:
        raise ValueError(f"{url!r}: name a database file or a postgresql:// URL")
    return HookStore(SqliteDatabase(path, busy_timeout_ms=10_000, pool_size=4, pool_timeout=10.0))
