"""A real SMTP server for the tests: aiosmtpd on a free port, with STARTTLS and AUTH.

The server runs in a thread of the test process (aiosmtpd's ``Controller``) and speaks real
SMTP over a real socket: sitroom's client connects, upgrades to TLS with a certificate the
test made (``make_certificate``), authenticates, and hands the message over. ``refuse``
makes the next messages fail with a 550 answer, as a server that bounces would.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import socket
import ssl
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

USER = "excon-relay"
PASSWORD = "correct horse battery staple"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (at the moment of asking)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost; return (cert, key) PEM paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sitroom test relay")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "relay.pem", folder / "relay.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


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
