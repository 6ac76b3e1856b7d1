"""The stop signal, heard by the application before the server begins to wait for it.

uvicorn stops gracefully on SIGTERM (and SIGINT): it closes its listening socket and waits for
open responses to finish, and only then tells the application (the lifespan's shutdown). An
event stream never finishes by itself, so the application must hear the signal first, to end
its streams and give up its follower leases. This hook sits in front of the server's own
handler (it works the same under ``sitroom serve``, ``--workers N`` and a bare ``uvicorn``).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def on_stop_signal(callback: Callable[[], object]) -> Callable[[], None]:
    """Run ``callback`` on the running loop when a stop signal arrives; return an undo.

    The server's handler still runs after it (it starts the server's own shutdown). Signal
    handlers belong to the main thread: elsewhere (a server in a test thread) nothing is
    installed and the undo does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    loop = asyncio.get_running_loop()
    previous: dict[int, Any] = {}

    def handler(signum: int, frame: FrameType | None) -> None:
        # A signal handler may interrupt the loop anywhere: hand the callback over safely.
        with contextlib.suppress(RuntimeError):  # the loop has closed: nothing left to drain
            loop.call_soon_threadsafe(callback)
        before = previous.get(signum)
        if callable(before):
            before(signum, frame)
        elif before == signal.SIG_DFL:
            signal.signal(signum, signal.SIG_DFL)
            signal.raise_signal(signum)

    for signum in STOP_SIGNALS:
        previous[signum] = signal.getsignal(signum)
        signal.signal(signum, handler)

    def undo() -> None:
        for signum, before in previous.items():
            if signal.getsignal(signum) is handler:
                signal.signal(signum, before)

    return undo
