"""Real HTTP receivers for webhook tests: a threaded server on a real socket of 127.0.0.1.

A receiver records every request (headers and raw body), answers with the status its
``answer`` function chooses (after ``delay`` seconds, for a slow one), and can be stopped and
started again on the same port (a receiver that goes away: connection refused meanwhile).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.support.server import free_port


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def id(self) -> str:
        return self.headers["webhook-id"]


class Receiver:
    """One receiver. ``answer(n)`` gives the status of the n-th request (from 1)."""

    def __init__(self, answer: Callable[[int], int] = lambda n: 200, delay: float = 0.0) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.answer = answer
        self.delay = delay
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                with receiver._lock:
                    receiver.received.append(
                        Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                    )
                    n = len(receiver.received)
                if receiver.delay:
                    time.sleep(receiver.delay)
                status = receiver.answer(n)
                try:
                    self.send_response(status)
                    self.send_header("content-length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:
                    pass  # the sender gave up waiting

            def log_message(self, format: str, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        # stop() waits for every handler, so no request's socket is left for the collector
        # (a held request must be released before stopping).
        server.daemon_threads = False
        server.block_on_close = True
        server.allow_reuse_address = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def ids(self) -> list[str]:
        with self._lock:
            return [r.id for r in self.received]

    def unique(self) -> dict[str, Received]:
        """The requests deduplicated by webhook-id, as a receiver would keep them."""
        with self._lock:
            return {r.id: r for r in self.received}


def wait_for(check: Callable[[], bool], timeout: float = 60.0, what: str = "") -> None:
    """Wait until ``check()`` holds; fail after ``timeout`` seconds (a bound, not a timing)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"gave up waiting: {what or check}")
