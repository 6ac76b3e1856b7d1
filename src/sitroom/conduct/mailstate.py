"""Where each inject e-mail stands, folded from ``inject-mailed`` and ``mail-failed`` events.

One record per (inject, recipient): the attempts made, the last outcome and, for a failure,
the SMTP answer. The ``mail`` follower reads it to know what to send again and when; the
console shows it beside the screen receipts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sitroom.conduct import events as ev

SENT = "sent"
FAILED = "failed"
BOUNCED = "bounced"
DEAD = "dead"


@dataclass(frozen=True, slots=True)
class MailRecord:
    """The e-mail of one inject to one recipient, as the log tells it so far."""

    number: str
    recipient: str
    message_id: str
    state: str
    """sent, failed, bounced (refused with 5xx) or dead (given up)."""
    attempts: int
    at: datetime
    error: str = ""


def mail_key(number: str, recipient: str) -> str:
    """The key of a record in ``RunState.mail``."""
    return f"{number}\x1f{recipient}"


def apply_mail(
    mail: dict[str, MailRecord], event: ev.InjectMailed | ev.MailFailed, at: datetime
) -> None:
    """Fold one delivery event into ``mail`` (a record is replaced, never changed)."""
    key = mail_key(event.number, event.recipient)
    earlier = mail.get(key)
    if earlier is not None and earlier.state == SENT:
        return  # sent is final: a late failure of an older attempt changes nothing
    attempts = max(event.attempt, earlier.attempts if earlier else 0)
    if isinstance(event, ev.InjectMailed):
        state, error = SENT, ""
    else:
        state = DEAD if event.final else BOUNCED if event.bounced else FAILED
        error = event.error
    mail[key] = MailRecord(
        event.number, event.recipient, event.message_id, state, attempts, at, error
    )
