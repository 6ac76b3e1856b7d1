"""Audit events to a syslog server: RFC 5424 messages over UDP, TCP or TLS (RFC 5425).

Over TCP and TLS each message is framed by octet counting (RFC 6587: ``LENGTH SP MESSAGE``),
so a message may hold any character. A message looks like::

    <85>1 2026-03-04T09:15:02.120433Z host sitroom 4242 sign-in [sitroom@32473 seq="7"
    outcome="failure" actor="-" role="-" src="10.0.0.7" run="-"] \\ufeff{"time": …}

PRI is facility authpriv (10) × 8 + severity: notice (5) for a success, warning (4) for a
failure. The structured data's SD-ID uses 32473, the private enterprise number reserved for
documentation (RFC 5612); the MSG is the event's JSON line, marked UTF-8 by a BOM.
"""

from __future__ import annotations

import json
import os
import socket
import ssl
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from sitroom.audit.sinks import Forwarder

FACILITY_AUTHPRIV = 10
SEVERITY_WARNING, SEVERITY_NOTICE = 4, 5
SD_ID = "sitroom@32473"
APP_NAME = "sitroom"
SCHEMES = {"udp": 514, "tcp": 601, "tls": 6514}


def _header_token(text: str, limit: int) -> str:
    """A header field: printable US-ASCII without spaces, at most ``limit`` long, or '-'."""
    cleaned = "".join(c for c in text if 33 <= ord(c) <= 126)[:limit]
    return cleaned or "-"


def _param(value: Any) -> str:
    text = "-" if value is None else str(value)
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("]", "\\]")


def format_message(event: Mapping[str, Any], hostname: str) -> bytes:
    """One RFC 5424 message for an audit event."""
    failed = event.get("outcome") == "failure"
    pri = FACILITY_AUTHPRIV * 8 + (SEVERITY_WARNING if failed else SEVERITY_NOTICE)
    actor = event.get("actor") or {}
    params = {
        "seq": event.get("seq"),
        "outcome": event.get("outcome"),
        "actor": actor.get("id"),
        "role": actor.get("role"),
        "src": event.get("source"),
        "run": event.get("run_id"),
    }
    sd = "[" + SD_ID + "".join(f' {k}="{_param(v)}"' for k, v in params.items()) + "]"
    header = " ".join(
        (
            f"<{pri}>1",
            _header_token(str(event.get("time", "-")), 32),
            _header_token(hostname, 255),
            APP_NAME,
            _header_token(str(event.get("pid", os.getpid())), 128),
            _header_token(str(event.get("type", "-")), 32),
            sd,
        )
    )
    body = json.dumps(event, ensure_ascii=False, sort_keys=True)
    return header.encode("ascii") + b" \xef\xbb\xbf" + body.encode("utf-8")


def parse_target(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of ``udp://host:514``, ``tcp://host:601`` or ``tls://host:6514``."""
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise ValueError(
            f"{url!r}: give udp://HOST:PORT, tcp://HOST:PORT or tls://HOST:PORT"
            " (default ports 514, 601 and 6514)"
        )
    try:
        port = parts.port or SCHEMES[parts.scheme]
    except ValueError:
        raise ValueError(f"{url!r}: the port is not a number from 1 to 65535") from None
    return parts.scheme, parts.hostname, port


class SyslogForwarder(Forwarder):
    """Sends audit events to one syslog server; reconnects (TCP, TLS) when it must."""

    name = "syslog"

    def __init__(
        self,
        url: str,
        *,
        hostname: str | None = None,
        ca_file: str | None = None,
        capacity: int = 10_000,
        timeout: float = 5.0,
    ) -> None:
        self.scheme, self.host, self.port = parse_target(url)
        self.hostname = hostname or socket.gethostname()
        self.timeout = timeout
        self._tls: ssl.SSLContext | None = None
        if self.scheme == "tls":
            self._tls = ssl.create_default_context(cafile=ca_file or None)
        self._sock: socket.socket | None = None
        super().__init__(capacity=capacity)

    def _connect(self) -> socket.socket:
        if self._sock is not None:
            return self._sock
        if self.scheme == "udp":
            family = socket.getaddrinfo(self.host, self.port, type=socket.SOCK_DGRAM)[0][0]
            sock = socket.socket(family, socket.SOCK_DGRAM)
            sock.connect((self.host, self.port))
        else:
            sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
            if self._tls is not None:
                sock = self._tls.wrap_socket(sock, server_hostname=self.host)
        self._sock = sock
        return sock

    def deliver(self, events: list[Mapping[str, Any]]) -> None:
        try:
            sock = self._connect()
            for event in events:
                message = format_message(event, str(event.get("host") or self.hostname))
                if self.scheme == "udp":
                    sock.send(message)
                else:
                    sock.sendall(str(len(message)).encode("ascii") + b" " + message)
        except OSError:
            self.shutdown()  # connect again on the retry
            raise

    def shutdown(self) -> None:
        if self._sock is not None:
            try:
                self._sock.close()
            finally:
                self._sock = None
