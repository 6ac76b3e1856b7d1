"""Sending one e-mail over SMTP (the standard library's ``smtplib``), and what an answer means.

sitroom sends few messages (an invitation, a reset link, the injects of a run) from threads
that may block (the outbox worker, a follower's round), so the standard library's blocking
client is enough and adds no dependency. Every message carries a ``Message-ID`` derived from
what it is about (`message_id`), so a message sent again after a crash or a retry is the
same message to the receiving servers.

`SmtpMailer.send` raises `MailError` for every failure: ``permanent`` when the server
refused with a 5xx answer (shown as *bounced*), otherwise a temporary failure (the server
is down, slow, or said 4xx). Both are tried again by the caller with backoff.
"""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from enum import StrEnum
from typing import Protocol


class Security(StrEnum):
    """How the connection to the SMTP server is protected."""

    NONE = "none"
    STARTTLS = "starttls"
    TLS = "tls"


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """Where and how to send; built from ``SITROOM_SMTP_*`` (``config.Settings``)."""

    host: str
    port: int = 587
    security: Security = Security.STARTTLS
    username: str = ""
    password: str = ""
    sender: str = ""
    timeout: float = 10.0
    ca_file: str = ""
    """A CA bundle to trust instead of the system's (a private mail relay's certificate)."""


@dataclass(frozen=True, slots=True)
class Letter:
    """One message to one recipient, as sitroom writes it (plain text)."""

    to: str
    subject: str
    body: str
    message_id: str
    language: str = "en"


class MailError(Exception):
    """The message was not accepted; ``permanent`` when the server said 5xx."""

    def __init__(self, text: str, *, permanent: bool = False) -> None:
        super().__init__(text)
        self.text = text
        self.permanent = permanent


class Mailer(Protocol):
    """Something that sends a letter or raises `MailError`."""

    def send(self, letter: Letter) -> None:
        """Hand the letter to the mail system."""
        ...


def message_id(key: str, sender: str) -> str:
    """A stable Message-ID for ``key``: the same key gives the same id, whoever sends it."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    address = parseaddr(sender)[1]
    domain = address.rsplit("@", 1)[-1] if "@" in address else "sitroom.invalid"
    return f"<{digest}.sitroom@{domain}>"


def compose(letter: Letter, sender: str) -> EmailMessage:
    """The letter as an RFC 5322 message from ``sender``."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = letter.to
    message["Subject"] = letter.subject
    message["Message-ID"] = letter.message_id
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(letter.body)
    message["Content-Language"] = letter.language  # after set_content, which drops Content-*
    return message


def _answer(code: int, text: bytes | str) -> str:
    said = text.decode(errors="replace") if isinstance(text, bytes) else text
    return f"{code} {said}".strip()


class SmtpMailer:
    """Sends each letter over a connection of its own, as the settings say."""

    def __init__(self, settings: SmtpSettings) -> None:
        if not settings.host:
            raise ValueError("SITROOM_SMTP_HOST: name the SMTP server to send e-mail through")
        if not settings.sender:
            raise ValueError("SITROOM_MAIL_FROM: give the address sitroom's e-mail comes from")
        self.settings = settings

    def _context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.settings.ca_file or None)

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.security == Security.TLS:
            return smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=self._context())
        client = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        if s.security == Security.STARTTLS:
            client.starttls(context=self._context())
        return client

    def send(self, letter: Letter) -> None:
        """Send one letter; raise `MailError` with the server's answer or the network error."""
        s = self.settings
        try:
            with self._connect() as client:
                if s.username:
                    client.login(s.username, s.password)
                refused = client.send_message(compose(letter, s.sender))
        except smtplib.SMTPRecipientsRefused as error:
            code, text = next(iter(error.recipients.values()))
            raise MailError(_answer(code, text), permanent=code >= 500) from None
        except smtplib.SMTPResponseException as error:
            code = error.smtp_code
            raise MailError(_answer(code, error.smtp_error), permanent=code >= 500) from None
        except (smtplib.SMTPException, OSError) as error:
            what = type(error).__name__
            raise MailError(f"{what}: {error}" if str(error) else what) from None
        if refused:
            code, text = next(iter(refused.values()))
            raise MailError(_answer(code, text), permanent=code >= 500)
