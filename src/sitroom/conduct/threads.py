"""What the log says of the SimCell inbox: threads between teams and simulated organisations.

``Inbox`` is immutable: ``advance_inbox`` returns a new one for a thread event (and the same
one for any other), so a ``RunState.snapshot`` that shares it stays as it was.

Reading is recorded per team (``ThreadRead``: the count of messages read), so the unread
count is the same for every member of a team and a page shared by the team's audience can
show it. A team never has unread messages it wrote itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from sitroom.conduct import events as ev

TEAM = "team"
ORGANISATION = "organisation"
INJECT_PREFIX = "inject:"
"""Thread id of an inject delivered as an e-mail from an organisation (one message)."""


@dataclass(frozen=True, slots=True)
class Message:
    id: str
    author: str
    side: str  # team | organisation
    body: str
    seq: int
    at: datetime
    classification: str | None = None
    tlp: str | None = None
    attachments: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Thread:
    id: str
    organisation: str
    team: str
    party: str | None
    author: str
    subject: str
    seq: int
    at: datetime
    messages: tuple[Message, ...] = ()
    teams: tuple[str, ...] = ()  # forwarded to these teams
    parties: tuple[str, ...] = ()  # ... and to these parties
    forwards: tuple[tuple[str, int, datetime], ...] = ()  # author, seq, at

    @property
    def first_answer(self) -> Message | None:
        """The organisation's first answer, if any."""
        return next((m for m in self.messages if m.side == ORGANISATION), None)

    @property
    def waiting_since(self) -> datetime | None:
        """When the team's latest message still waiting for an answer was written."""
        waiting: datetime | None = None
        for message in self.messages:
            if message.side == ORGANISATION:
                waiting = None
            elif waiting is None:
                waiting = message.at
        return waiting

    @property
    def last_at(self) -> datetime:
        return self.messages[-1].at if self.messages else self.at

    def unread(self, team: str, read: int) -> int:
        """Messages ``team`` has not read, past the ``read`` first (its own never count)."""
        return sum(
            1
            for message in self.messages[read:]
            if not (message.side == TEAM and team == self.team)
        )


@dataclass(frozen=True, slots=True)
class Inbox:
    threads: dict[str, Thread] = field(default_factory=dict)
    read: dict[tuple[str, str], int] = field(default_factory=dict)  # (thread, team) -> count

    def read_by(self, thread: str, team: str) -> int:
        return self.read.get((thread, team), 0)


def advance_inbox(inbox: Inbox, event: ev.Event, seq: int, at: datetime) -> Inbox:
    """``inbox`` after ``event`` (the same object when the event is not a thread event)."""
    match event:
        case ev.ThreadOpened():
            first = Message(event.id, event.author, TEAM, event.body, seq, at)
            thread = Thread(
                event.id,
                event.organisation,
                event.team,
                event.party,
                event.author,
                event.subject,
                seq,
                at,
                messages=(first,),
            )
            return replace(inbox, threads={**inbox.threads, event.id: thread})
        case ev.ThreadMessagePosted():
            earlier = inbox.threads.get(event.thread)
            if earlier is None:
                return inbox
            message = Message(
                event.id,
                event.author,
                event.side,
                event.body,
                seq,
                at,
                event.classification,
                event.tlp,
                tuple(event.attachments),
            )
            changed = replace(earlier, messages=(*earlier.messages, message))
            return replace(inbox, threads={**inbox.threads, event.thread: changed})
        case ev.ThreadForwarded():
            earlier = inbox.threads.get(event.thread)
            if earlier is None:
                return inbox
            changed = replace(
                earlier,
                teams=tuple(dict.fromkeys((*earlier.teams, *event.teams))),
                parties=tuple(dict.fromkeys((*earlier.parties, *event.parties))),
                forwards=(*earlier.forwards, (event.author, seq, at)),
            )
            return replace(inbox, threads={**inbox.threads, event.thread: changed})
        case ev.ThreadRead():
            key = (event.thread, event.team)
            if inbox.read.get(key, 0) >= event.upto:
                return inbox
            return replace(inbox, read={**inbox.read, key: event.upto})
    return inbox
