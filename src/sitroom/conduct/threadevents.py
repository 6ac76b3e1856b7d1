"""Events of the SimCell inbox: threads between a team and a simulated organisation.

A team writes to an organisation (``ThreadOpened``); the team replies and control staff answer
as the organisation (``ThreadMessagePosted``, ``side`` says which); control may forward a
thread to other teams or parties (``ThreadForwarded``); a team's reading is recorded
(``ThreadRead``) so every member of the team sees the same unread count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from sitroom.conduct.eventbase import Event


@dataclass(frozen=True, slots=True)
class ThreadOpened(Event):
    """A team's first message to a simulated organisation."""

    TYPE: ClassVar[str] = "thread-opened"
    id: str
    organisation: str
    team: str
    party: str | None
    author: str
    subject: str
    body: str


@dataclass(frozen=True, slots=True)
class ThreadMessagePosted(Event):
    """A message in a thread: the team's reply (``side`` "team") or the organisation's answer
    written by control staff (``side`` "organisation", possibly marked)."""

    TYPE: ClassVar[str] = "thread-message-posted"
    thread: str
    id: str
    author: str
    side: str  # team | organisation
    body: str
    classification: str | None = None
    tlp: str | None = None
    attachments: tuple[str, ...] = ()  # package document paths; older logs have none


@dataclass(frozen=True, slots=True)
class ThreadForwarded(Event):
    """Control shows a thread to more teams or parties (read-only for them)."""

    TYPE: ClassVar[str] = "thread-forwarded"
    thread: str
    author: str
    teams: tuple[str, ...] = ()
    parties: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True, slots=True)
class ThreadRead(Event):
    """A team member read a thread up to its ``upto``-th message (the team's unread count)."""

    TYPE: ClassVar[str] = "thread-read"
    thread: str
    team: str
    upto: int
    principal: str
