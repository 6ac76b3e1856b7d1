"""The connection pool every store shares: reuse, health, bounds, fairness, closing."""

from __future__ import annotations

import threading
import time

import pytest

from sitroom.storage.pool import FairSlots, Pool, PoolClosed, PoolTimeout


class FakeConnection:
    """Stands in for a database connection: counts itself and can be made unhealthy."""

    opened = 0

    def __init__(self) -> None:
        FakeConnection.opened += 1
        self.number = FakeConnection.opened
        self.closed = False
        self.broken = False


def close(connection: FakeConnection) -> None:
    connection.closed = True


def make_pool(size: int = 2, *, timeout: float = 1.0, bounded: bool = True) -> Pool[FakeConnection]:
    return Pool(
        FakeConnection,
        close=close,
        healthy=lambda connection: not connection.broken,
        size=size,
        timeout=timeout,
        bounded=bounded,
    )


def test_a_returned_connection_is_lent_again() -> None:
    pool = make_pool()
    with pool.connection() as first:
        pass
    with pool.connection() as second:
        assert second is first
    assert not first.closed


def test_an_unhealthy_connection_is_closed_not_kept() -> None:
    pool = make_pool()
    with pool.connection() as first:
        first.broken = True
    assert first.closed
    with pool.connection() as second:
        assert second is not first


def test_a_bounded_pool_makes_the_next_caller_wait_then_gives_up() -> None:
    pool = make_pool(size=1, timeout=0.05)
    with pool.connection(), pytest.raises(PoolTimeout), pool.connection():
        pass


def test_an_unbounded_pool_lends_more_but_keeps_only_size_idle() -> None:
    pool = make_pool(size=1, bounded=False)
    with pool.connection() as one, pool.connection() as two:
        assert one is not two
    assert one.closed != two.closed  # one kept for reuse, the other closed


def test_closing_closes_idle_and_returning_connections_and_refuses_more() -> None:
    pool = Pool(
        FakeConnection,
        close=close,
        healthy=lambda connection: True,
        size=2,
        closed_error=lambda: RuntimeError("the store is closed"),
    )
    with pool.connection() as lent:
        with pool.connection() as idle:
            pass
        pool.close()
        assert idle.closed and not lent.closed
    assert lent.closed
    with pytest.raises(RuntimeError, match="the store is closed"), pool.connection():
        pass
    default = make_pool()
    default.close()
    with pytest.raises(PoolClosed), default.connection():
        pass


def test_a_pool_needs_a_connection() -> None:
    with pytest.raises(ValueError):
        make_pool(size=0)


def test_freed_slots_go_to_the_longest_waiter() -> None:
    slots = FairSlots(1)
    assert slots.acquire(timeout=0)
    order: list[int] = []
    waiting = threading.Barrier(2)

    def wait(index: int) -> None:
        if index == 1:
            waiting.wait()
        assert slots.acquire(timeout=5)
        order.append(index)
        slots.release()

    first = threading.Thread(target=wait, args=(0,))
    first.start()
    time.sleep(0.05)  # the first waiter queues before the second
    second = threading.Thread(target=wait, args=(1,))
    second.start()
    waiting.wait()
    time.sleep(0.05)
    slots.release()
    first.join()
    second.join()
    assert order == [0, 1]
