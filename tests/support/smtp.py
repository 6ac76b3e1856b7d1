"""A real SMTP server for the tests: aiosmtpd on a free port, with STARTTLS and AUTH.

The server runs in a thread of the test process (aiosmtpd's ``Controller``) and speaks real
SMTP over a real socket: sitroom's client connects, upgrades to TLS with a certificate the
test made (``make_certificate``), authenticates, and hands the message over. ``refuse``
makes the next messages fail with a 550 answer, as a server that bounces would.
"""

from __future__ import annotations

import email
import email.policy
import socket
import ssl
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.support.certs import self_signed

USER = "excon-relay"
PASSWORD = "correct horse battery staple"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (at the moment of asking)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost; return (cert, key) PEM paths."""
    return self_signed(
        folder / "relay.pem",
        folder / "relay.key",
        common_name="sitroom test relay",
        dns_names=("localhost",),
        ca=True,
    )


@dataclass
class Inbox:
    """The aiosmtpd handler: keeps every accepted message; refuses while ``refusals`` > 0."""

    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    refusals: int = 0
    refused: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    arrived: threading.Condition = field(init=False)

    def __post_init__(self) -> None:
        self.arrived = threading.Condition(self.lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            if self.refusals > 0:
                self.refusals -= 1
                self.refused += 1
                return "550 5.1.1 Mailbox unavailable (test refusal)"
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            self.messages.append(message)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self.arrived.notify_all()
        return "250 2.0.0 Accepted"

    def to(self, address: str) -> list[EmailMessage]:
        """The messages delivered to ``address``."""
        with self.lock:
            return [
                m
                for m, (_f, rcpt) in zip(self.messages, self.envelopes, strict=True)
                if address in rcpt
            ]


def _authenticate(server: Any, session: Any, envelope: Any, mechanism: str, auth: Any) -> Any:
    ok = (
        isinstance(auth, LoginPassword)
        and auth.login.decode() == USER
        and auth.password.decode() == PASSWORD
    )
    return AuthResult(success=ok, handled=False)


class MailServer:
    """aiosmtpd on 127.0.0.1:``port`` requiring STARTTLS and AUTH; a context manager."""

    def __init__(self, cert: Path, key: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.inbox = Inbox()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        self._controller = Controller(
            self.inbox,
            hostname="127.0.0.1",
            port=self.port,
            tls_context=context,
            require_starttls=True,
            auth_required=True,
            auth_require_tls=True,
            authenticator=_authenticate,
        )

    def __enter__(self) -> MailServer:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()

    def env(self, cert: Path) -> dict[str, str]:
        """The sitroom settings that send through this server, trusting ``cert``."""
        return smtp_env(self.port, cert)


def smtp_env(port: int, cert: Path) -> dict[str, str]:
    """Settings for a relay at 127.0.0.1:``port`` (up or not) with STARTTLS and AUTH."""
    return {
        "SITROOM_SMTP_HOST": "127.0.0.1",
        "SITROOM_SMTP_PORT": str(port),
        "SITROOM_SMTP_SECURITY": "starttls",
        "SITROOM_SMTP_USER": USER,
        "SITROOM_SMTP_PASSWORD": PASSWORD,
        "SITROOM_SMTP_CA_FILE": str(cert),
        "SITROOM_SMTP_TIMEOUT": "5",
        "SITROOM_MAIL_FROM": "Aldoria EXCON <excon@aldoria.example>",
    }
