"""The ``mail`` follower: every released inject, e-mailed to each addressed participant.

It follows a run as control's mailer (``system:mailer``), but what it mails to a person is
what the gate shows *that person's* principal (`FollowedRun.view_as`): an inject a player may
not see is never mailed to them, and a player's copy never carries control's notes or
expected actions. Subject and body carry the inject's marking banner at the top and bottom.

Each attempt is recorded in the run's log by a command (``inject-mailed`` or
``mail-failed``, shown to control only), keyed by the inject, the recipient and the attempt
number. A failed delivery is tried again on later ticks with a doubling wait, and after
``tries`` attempts recorded as given up (a dead letter on the console). The Message-ID comes
from the run, the inject's release and the recipient, so a restart between sending and
recording sends the same message again at worst (at least once, never a different one).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sitroom.conduct import commands as cmd
from sitroom.conduct.mailstate import BOUNCED, FAILED, mail_key
from sitroom.conduct.principal import Principal, Role
from sitroom.conduct.state import InjectStatus
from sitroom.package.model import text_in
from sitroom.services.followers import Act, BaseFollower, FollowedRun, Seen
from sitroom.services.mailer import Letter, Mailer, MailError, message_id
from sitroom.services.mailtext import inject_letter
from sitroom.services.outbox import backoff

log = logging.getLogger("sitroom.mail")

MAILER = Principal(id="system:mailer", role=Role.FACILITATOR, name="mailer")
"""The principal of the ``mail`` follower: it records deliveries, which is control's part."""


@dataclass(frozen=True, slots=True)
class Recipient:
    """A participant with an e-mail address: their principal in the run and their language."""

    principal: Principal
    address: str
    language: str | None = None


Recipients = Callable[[str], list[Recipient]]
"""The participants of a run who have an address (active invitations only)."""


class InjectMail(BaseFollower):
    """Mails released injects to the participants who may see them."""

    name = "mail"
    principal = MAILER

    def __init__(
        self,
        recipients: Recipients,
        mailer: Mailer,
        *,
        sender: str,
        base_url: str,
        tries: int = 6,
        retry: float = 30.0,
    ) -> None:
        self.recipients = recipients
        self.mailer = mailer
        self.sender = sender
        self.base_url = base_url.rstrip("/")
        self.tries = tries
        self.retry = retry

    def on_event(self, run: FollowedRun, seen: Seen) -> Iterable[Act]:
        if seen.type != "inject-released":
            return []
        number = str(seen.data["number"])
        state = run.state()
        acts = []
        for recipient in self.recipients(run.run_id):
            if mail_key(number, recipient.principal.id) in state.mail:
                continue  # attempted already: retries are the tick's business
            mid = message_id(f"{run.run_id}:{seen.seq}:{recipient.principal.id}", self.sender)
            act = self._attempt(run, seen.seq, number, recipient, mid, 1)
            if act is not None:
                acts.append(act)
        return acts

    def on_tick(self, run: FollowedRun, now: datetime) -> Iterable[Act]:
        state = run.state()
        waiting = [
            r
            for r in state.mail.values()
            if r.state in (FAILED, BOUNCED) and r.at + backoff(self.retry, r.attempts) <= now
        ]
        if not waiting:
            return []
        people = {r.principal.id: r for r in self.recipients(run.run_id)}
        acts = []
        for record in waiting:
            inject = state.injects[record.number]
            seq = inject.released_seq
            recipient = people.get(record.recipient)
            attempt = record.attempts + 1
            if inject.status == InjectStatus.RETRACTED:
                why = "the inject was retracted"
                acts.append(
                    self._given_up(record.number, record.recipient, record.message_id, attempt, why)
                )
                continue
            if recipient is None or seq is None:
                acts.append(
                    self._given_up(
                        record.number,
                        record.recipient,
                        record.message_id,
                        attempt,
                        "the invitation was withdrawn or lost its address",
                    )
                )
                continue
            act = self._attempt(run, seq, record.number, recipient, record.message_id, attempt)
            if act is not None:
                acts.append(act)
        return acts

    def _attempt(
        self,
        run: FollowedRun,
        seq: int,
        number: str,
        recipient: Recipient,
        mid: str,
        attempt: int,
    ) -> Act | None:
        view = run.view_as(recipient.principal, seq)
        if view is None or "inject" not in view["data"]:
            return None  # not theirs to see: nothing is mailed
        package = run.state().package
        languages = package.exercise.languages
        lang = recipient.language if recipient.language in languages else languages[0]
        exercise = text_in(package.exercise.title, lang, languages)
        subject, body = inject_letter(
            lang,
            view["data"]["inject"],
            exercise=exercise,
            fallbacks=languages,
            link=f"{self.base_url}/runs/{run.run_id}/play",
        )
        letter = Letter(recipient.address, subject, body, mid, lang)
        who = recipient.principal.id
        key = f"mail:{number}:{who}:{attempt}"
        try:
            self.mailer.send(letter)
        except MailError as error:
            final = attempt >= self.tries
            log.warning("inject %s to %s (attempt %d): %s", number, who, attempt, error)
            command = cmd.RecordMailDelivery(
                number, who, mid, attempt, error.text, error.permanent, final
            )
            return Act(command, key=key)
        return Act(cmd.RecordMailDelivery(number, who, mid, attempt), key=key)

    def _given_up(self, number: str, who: str, mid: str, attempt: int, why: str) -> Act:
        command = cmd.RecordMailDelivery(number, who, mid, attempt, why, False, True)
        return Act(command, key=f"mail:{number}:{who}:{attempt}")
