"""Realtime: tell the streams a run's log has grown, and stream it to each viewer over SSE.

The broker carries only "run R has events up to N"; every stream reads content from the log.
The Redis broker lives in ``sitroom.realtime.redisbroker`` and is imported only when used.
"""

from sitroom.realtime.broker import Broker
from sitroom.realtime.drain import Drain
from sitroom.realtime.factory import make_broker
from sitroom.realtime.memory import MemoryBroker
from sitroom.realtime.sse import (
    DRAIN_RETRY_MS,
    PING,
    RETRY_MS,
    Frame,
    InvalidCursor,
    Sequenced,
    draining_frame,
    event_stream,
    format_frame,
    parse_last_event_id,
    revoked_frame,
)

__all__ = [
    "DRAIN_RETRY_MS",
    "PING",
    "RETRY_MS",
    "Broker",
    "Drain",
    "Frame",
    "InvalidCursor",
    "MemoryBroker",
    "Sequenced",
    "draining_frame",
    "event_stream",
    "format_frame",
    "make_broker",
    "parse_last_event_id",
    "revoked_frame",
]
