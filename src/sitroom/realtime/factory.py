"""Make the broker a configuration names: in-process by default, Redis to scale out."""

from __future__ import annotations

from sitroom.realtime.broker import Broker

_REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


def make_broker(redis_url: str | None, prefix: str = "sitroom:") -> Broker:
    """The broker for ``redis_url``: ``None`` or empty gives the in-process broker.

    ``redis://``, ``rediss://`` and ``unix://`` URLs give a Redis broker whose channels start
    with ``prefix``. Nothing connects until the broker's ``start``.
    """
    if not redis_url:
        from sitroom.realtime.memory import MemoryBroker

        return MemoryBroker()
    if not redis_url.startswith(_REDIS_SCHEMES):
        raise ValueError(
            f"{redis_url!r}: not a Redis URL; use redis://host:6379/0, rediss://… or unix://…"
        )
    if not prefix:
        raise ValueError("the Redis channel prefix cannot be empty (e.g. 'sitroom:')")
    from sitroom.realtime.redisbroker import RedisBroker

    return RedisBroker(redis_url, prefix)
