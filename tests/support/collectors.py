"""Real receivers of audit events for tests: syslog over UDP, TCP and TLS, an HTTP collector.

Each listens on a free port of 127.0.0.1 in a thread of its own and keeps what it received;
`parse_rfc5424` takes a syslog message apart the way a SIEM's parser would.
"""

from __future__ import annotations

import json
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_HEADER = re.compile(
    r"<(?P<pri>\d{1,3})>(?P<version>\d) (?P<timestamp>\S+) (?P<hostname>\S+)"
    r" (?P<app>\S+) (?P<procid>\S+) (?P<msgid>\S+) "
)
_SD_PARAM = re.compile(r'(\S+?)="((?:[^"\\\]]|\\.)*)"')


@dataclass
class Syslog5424:
    pri: int
    version: int
    timestamp: str
    hostname: str
    app: str
    procid: str
    msgid: str
    sd_id: str
    params: dict[str, str]
    msg: str

    @property
    def event(self) -> dict[str, Any]:
        return dict(json.loads(self.msg))


def parse_rfc5424(raw: bytes) -> Syslog5424:
    """Parse one RFC 5424 message with one SD element; AssertionError if it is malformed."""
    text = raw.decode("utf-8")
    head = _HEADER.match(text)
    assert head, f"not an RFC 5424 header: {text[:120]!r}"
    rest = text[head.end() :]
    assert rest.startswith("["), f"no structured data: {rest[:80]!r}"
    depth_end, escaped = None, False
    for i, char in enumerate(rest):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "]":
            depth_end = i
            break
    assert depth_end is not None, "structured data not closed"
    element = rest[1:depth_end]
    sd_id, _, params_text = element.partition(" ")
    params = {k: re.sub(r"\\(.)", r"\1", v) for k, v in _SD_PARAM.findall(params_text)}
    msg = rest[depth_end + 1 :]
    assert msg.startswith(" \ufeff"), "the MSG is not marked UTF-8 with a BOM"
    return Syslog5424(
        int(head["pri"]),
        int(head["version"]),
        head["timestamp"],
        head["hostname"],
        head["app"],
        head["procid"],
        head["msgid"],
        sd_id,
        params,
        msg[2:],
    )


@dataclass
class Received:
    """What a receiver got, with a way to wait for something in it."""

    items: list[Any] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, item: Any) -> None:
        with self.lock:
            self.items.append(item)

    def snapshot(self) -> list[Any]:
        with self.lock:
            return list(self.items)

    def wait_for(self, test: Callable[[Any], bool], timeout: float = 20.0) -> Any:
        """The first item for which ``test`` is true, waiting for it to arrive."""
        deadline = time.monotonic() + timeout
        while True:
            for item in self.snapshot():
                if test(item):
                    return item
            if time.monotonic() > deadline:
                raise AssertionError(f"nothing matched after {timeout} s: {self.snapshot()!r}")
            time.sleep(0.02)


@contextmanager
def udp_syslog() -> Iterator[tuple[int, Received]]:
    """A UDP syslog server: one message per datagram."""
    received = Received()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                data, _ = sock.recvfrom(65535)
            except TimeoutError:
                continue
            received.add(parse_rfc5424(data))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1], received
    finally:
        stop.set()
        thread.join(5)
        sock.close()


def _read_framed(conn: socket.socket, received: Received) -> None:
    """Read octet-counted messages (``LEN SP MSG``, RFC 6587) until the peer closes."""
    with conn:
        _read_frames(conn, received)


def _read_frames(conn: socket.socket, received: Received) -> None:
    buffer = b""
    while True:
        try:
            chunk = conn.recv(65536)
        except (OSError, ssl.SSLError):
            return
        if not chunk:
            return
        buffer += chunk
        while b" " in buffer:
            length_text, _, rest = buffer.partition(b" ")
            assert length_text.isdigit(), f"not octet-counting framing: {buffer[:40]!r}"
            length = int(length_text)
            if len(rest) < length:
                break
            received.add(parse_rfc5424(rest[:length]))
            buffer = rest[length:]


@contextmanager
def tcp_syslog(tls: ssl.SSLContext | None = None) -> Iterator[tuple[int, Received]]:
    """A TCP (or, with ``tls``, TLS) syslog server with octet-counting framing."""
    received = Received()
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    stop = threading.Event()
    workers: list[threading.Thread] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            conn.settimeout(None)
            if tls is not None:
                try:
                    conn = tls.wrap_socket(conn, server_side=True)
                except (OSError, ssl.SSLError):
                    conn.close()
                    continue
            worker = threading.Thread(target=_read_framed, args=(conn, received), daemon=True)
            worker.start()
            workers.append(worker)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1], received
    finally:
        stop.set()
        thread.join(5)
        server.close()


@dataclass
class Collector:
    """An HTTP collector: what it received (one list per POST), and how it answers."""

    port: int
    batches: Received
    failures: list[int]
    """Statuses to answer the next POSTs with before answering 204 again (e.g. [500, 500])."""
    gate: threading.Event
    """Cleared: POSTs wait until it is set (a collector that has stalled)."""
    headers: list[dict[str, str]]

    def events(self) -> list[dict[str, Any]]:
        return [e for batch in self.batches.snapshot() for e in batch]

    def wait_for(self, test: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            for event in self.events():
                if test(event):
                    return event
            time.sleep(0.02)
        raise AssertionError(f"the collector got nothing that matched: {self.events()!r}")


@contextmanager
def http_collector() -> Iterator[Collector]:
    batches = Received()
    failures: list[int] = []
    gate = threading.Event()
    gate.set()
    headers: list[dict[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            gate.wait(30)
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers.append(dict(self.headers))
            if failures:
                self.send_response(failures.pop(0))
                self.end_headers()
                return
            batches.add(json.loads(body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Collector(server.server_address[1], batches, failures, gate, headers)
    finally:
        gate.set()
        server.shutdown()
        server.server_close()
        thread.join(5)
