"""E-mail deliveries of injects, recorded by control's mailer (the ``mail`` follower)."""

from __future__ import annotations

from sitroom.conduct import commands as cmd
from sitroom.conduct import events as ev
from sitroom.conduct.handlers.checks import Context, Rejected, check_control
from sitroom.conduct.principal import Principal
from sitroom.conduct.state import InjectStatus, RunState

MAX_ERROR = 1000
"""An SMTP answer is kept up to this many characters."""


def record_mail_delivery(
    state: RunState, command: cmd.RecordMailDelivery, principal: Principal, ctx: Context
) -> list[ev.Event]:
    """Record one attempt at e-mailing a released inject: accepted, or why not."""
    check_control(principal)
    number = command.number
    if state.package.inject(number) is None:
        raise Rejected(f"no inject number '{number}' in the MSEL", field="number")
    if state.injects[number].status == InjectStatus.PLANNED:
        raise Rejected(f"inject {number} has not been released", status=409)
    if not command.recipient or not command.message_id:
        raise Rejected("a delivery names its recipient and its Message-ID", field="recipient")
    if command.attempt < 1:
        raise Rejected("attempt counts from 1", field="attempt")
    if not command.error:
        return [ev.InjectMailed(number, command.recipient, command.message_id, command.attempt)]
    return [
        ev.MailFailed(
            number,
            command.recipient,
            command.message_id,
            command.attempt,
            command.error[:MAX_ERROR],
            command.bounced,
            command.final,
        )
    ]
