"""Request bodies are bounded before anyone knows who sent them, on a real ``sitroom serve``.

A body is counted as it arrives and refused past its route's limit (413) before it is parsed;
routes that take files authenticate before they read. The proof that the server stopped early
is on the wire: the client gets its answer long before it has sent the body, so the server
cannot have held or spooled more than that; its peak memory (``VmHWM``) stays where it was.
"""

from __future__ import annotations

import json
import re
import select
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.packages import TWO_PARTIES
from tests.support.server import (
    create_admin,
    free_port,
    sign_in,
    start_process,
    wait_until_up,
)

PASSWORD = "limits-password"
MIB = 1024 * 1024
MAX_BODY = MIB  # the defaults: SITROOM_MAX_BODY_BYTES, SITROOM_MAX_UPLOAD_BYTES
MAX_UPLOAD = 32 * MIB
BOUNDARY = "sitroom-test-boundary"


@dataclass
class Server:
    base: str
    port: int
    pid: int
    admin: httpx.Client


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("limits")
    create_admin(data_dir, PASSWORD)
    port = free_port()
    process = start_process(data_dir, port)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base)
        admin = sign_in(base, "admin", PASSWORD)
        created = admin.post("/api/runs", json={"package_yaml": TWO_PARTIES, "run_id": "duo"})
        assert created.status_code == 201, created.text
        made = admin.post("/api/series", json={"id": "annual", "title": "Annual"})
        assert made.status_code == 201, made.text
        action = admin.post(
            "/api/series/annual/actions", json={"issue": "Slow calls", "action": "Drill"}
        )
        assert action.status_code == 201, action.text
        yield Server(base, port, process.pid, admin)
        admin.close()
    finally:
        process.terminate()
        process.wait(timeout=20)


def memory_kib(pid: int) -> dict[str, int]:
    """The process's resident memory now (VmRSS) and at its peak (VmHWM), in KiB."""
    status = Path(f"/proc/{pid}/status").read_text()
    values = {}
    for line in status.splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0])
    return values


@dataclass
class Answer:
    status: int
    head: str
    body: bytes
    sent: int
    """Body bytes the client had sent when the answer came (or the server hung up)."""


def send_chunked(
    port: int, path: str, total: int, headers: str = "", prefix: bytes = b""
) -> Answer:
    """POST ``prefix`` then zeros, ``total`` bytes in all, as a chunked body over a raw
    socket; stop sending as soon as an answer is readable."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    try:
        sock.sendall(
            (
                f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
                f"{headers}\r\n"
            ).encode()
        )
        sent = 0
        filler = bytes(64 * 1024)
        while sent < total:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break
            piece = (prefix if sent == 0 and prefix else filler)[: total - sent]
            try:
                sock.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n")
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(piece)
        else:
            sock.sendall(b"0\r\n\r\n")
        received = b""
        while True:
            head, found, body = received.partition(b"\r\n\r\n")
            if found:
                length = re.search(rb"(?im)^content-length: *(\d+)", head)
                if length is None or len(body) >= int(length[1]):
                    break
            try:
                data = sock.recv(65536)
            except ConnectionResetError:
                break
            if not data:
                break
            received += data
        head, _, body = received.partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/1.1 ") else 0
        return Answer(status, head.decode("latin-1"), body, sent)
    finally:
        sock.close()


def multipart_head(name: str = "file", filename: str = "big.bin") -> bytes:
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; '
        f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
    ).encode()


def test_an_anonymous_50_mb_chunked_body_to_a_run_route_is_refused_before_it_is_read(
    server: Server,
) -> None:
    before = memory_kib(server.pid)
    answer = send_chunked(
        server.port,
        "/api/runs/duo/start",
        50 * MIB,
        "Content-Type: application/json\r\n",
        prefix=b'{"compression": 1, "pad": "',
    )
    after = memory_kib(server.pid)
    assert answer.status == 413, answer.head
    assert answer.sent < 16 * MIB, f"the server read on to {answer.sent:,} bytes"
    error = json.loads(answer.body)
    assert "SITROOM_MAX_BODY_BYTES" in error["errors"][0]["message"]
    assert after["VmHWM"] - before["VmHWM"] < 16 * 1024, (before, after)
    assert after["VmRSS"] - before["VmRSS"] < 16 * 1024, (before, after)


def test_an_anonymous_50_mb_upload_is_turned_away_before_it_is_spooled(server: Server) -> None:
    before = memory_kib(server.pid)
    answer = send_chunked(
        server.port,
        "/api/series/annual/actions/CA-1/evidence",
        50 * MIB,
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n",
        prefix=multipart_head(),
    )
    after = memory_kib(server.pid)
    assert answer.status == 401, answer.head
    # The 401 came after a few socket buffers of the 50 MB: the form was never parsed, so
    # no temporary file took the rest.
    assert answer.sent < 16 * MIB, f"the server read on to {answer.sent:,} bytes"
    assert after["VmHWM"] - before["VmHWM"] < 16 * 1024, (before, after)


def test_a_signed_in_upload_past_the_upload_limit_stops_at_the_limit(server: Server) -> None:
    cookie = server.admin.cookies["sitroom_session"]
    csrf = server.admin.headers["X-CSRF-Token"]
    answer = send_chunked(
        server.port,
        "/api/series/annual/actions/CA-1/evidence",
        80 * MIB,
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
        f"Cookie: sitroom_session={cookie}\r\nX-CSRF-Token: {csrf}\r\n",
        prefix=multipart_head(),
    )
    assert answer.status == 413, answer.head
    assert MAX_UPLOAD < answer.sent < MAX_UPLOAD + 16 * MIB


def test_a_declared_length_over_the_limit_is_refused_without_reading(server: Server) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(
            b"POST /api/runs/duo/start HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1500000000\r\n\r\n"
        )
        head = sock.recv(65536)
    assert head.startswith(b"HTTP/1.1 413 "), head


def padded(body: dict[str, object], size: int) -> bytes:
    """``body`` as JSON, padded with whitespace (still valid JSON) to exactly ``size`` bytes."""
    text = json.dumps(body).encode()
    return text + b" " * (size - len(text))


def test_a_body_just_under_the_limit_still_works(server: Server) -> None:
    admin = server.admin
    json_type = {"Content-Type": "application/json"}
    exact = admin.post(
        "/api/runs/duo/start", content=padded({"compression": 1}, MAX_BODY), headers=json_type
    )
    assert exact.status_code == 200, exact.text
    over = admin.post("/api/runs/duo/pause", content=padded({}, MAX_BODY + 1), headers=json_type)
    assert over.status_code == 413, over.text
    assert "1,048,576" in over.json()["errors"][0]["message"]

    def pieces(size: int) -> Iterator[bytes]:  # no Content-Length: a chunked body
        data = padded({}, size)
        for start in range(0, size, 65536):
            yield data[start : start + 65536]

    chunked = admin.post("/api/runs/duo/pause", content=pieces(MAX_BODY), headers=json_type)
    assert chunked.status_code == 200, chunked.text


def test_a_package_just_under_the_upload_limit_makes_a_run(server: Server) -> None:
    body = padded({"package_yaml": TWO_PARTIES, "run_id": "big"}, MAX_UPLOAD)
    json_type = {"Content-Type": "application/json"}
    created = server.admin.post("/api/runs", content=body, headers=json_type, timeout=120)
    assert created.status_code == 201, created.text[:500]
    anonymous = httpx.post(f"{server.base}/api/runs", content=body, headers=json_type)
    assert anonymous.status_code == 401


def test_a_page_refuses_a_large_form_with_a_page_in_the_viewers_language(
    server: Server,
) -> None:
    form = b"username=a&password=" + b"x" * (2 * MIB)
    for lang, words in (("en", "larger than this server accepts"), ("ko", "크기보다 큽니다")):
        reply = httpx.post(
            f"{server.base}/signin",
            content=form,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            cookies={"sitroom_lang": lang},
        )
        assert reply.status_code == 413
        assert reply.headers["content-type"].startswith("text/html")
        assert words in reply.text
