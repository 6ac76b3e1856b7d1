"""Who the people of a run are and what they are called: the names pages show beside what
each person did, and the console's roster of players the MSEL waits for.

Every player page, console and evaluator page names the people of its run, and a room of fifty
opening their pages at once asked the database fifty times for the same list (and, through the
full invitation listing, once more per invitation for whoever created it). `RunPeople` reads
the run's invitations once and holds what pages need of them for ``HOLD`` seconds; an
invitation made or revoked in this process drops what is held at once, one made by another
worker or the CLI shows within ``HOLD`` seconds. `AccountNames` does the same for the names
of accounts, dropped at once when this process adds or renames one. Names and rosters are no
access decision: sessions and invitations are checked at every request as before.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Generic, TypeVar

from sitroom.auth.store import Account, Invitation

HOLD = 2.0
"""Seconds what was read is held."""

T = TypeVar("T")


class Held(Generic[T]):
    """Values read by key and held for ``HOLD`` seconds, dropped at once on `changed` or when
    ``version`` (a count another part of this process moves) has moved since the read."""

    def __init__(
        self,
        read: Callable[[str], T],
        clock: Callable[[], float] = time.monotonic,
        version: Callable[[], int] = lambda: 0,
    ) -> None:
        self._read = read
        self._clock = clock
        self._version = version
        self._lock = threading.Lock()
        self._changes = 0
        self._held: dict[str, tuple[int, int, float, T]] = {}

    def changed(self) -> None:
        """What is read has changed in this process: read again next time."""
        with self._lock:
            self._changes += 1
            self._held.clear()

    def _fresh(self, key: str) -> tuple[T | None, int, int, float]:
        """What is held of ``key`` if fresh (else None), and the counts and time of this look."""
        now = self._clock()
        version = self._version()  # before a read: a change after it drops the value
        with self._lock:
            changes = self._changes
            held = self._held.get(key)
        if held is not None and held[:2] == (changes, version) and now - held[2] < HOLD:
            return held[3], changes, version, now
        return None, changes, version, now

    def peek(self, key: str) -> T | None:
        """The value of ``key`` if it is held and fresh, without reading (None: `of` reads)."""
        return self._fresh(key)[0]

    def of(self, key: str) -> T:
        """The value of ``key``: held if read less than ``HOLD`` seconds ago, else read now."""
        held, changes, version, now = self._fresh(key)
        if held is not None:
            return held
        value = self._read(key)
        with self._lock:
            if self._changes == changes:
                self._held[key] = (changes, version, now, value)
        return value


@dataclass(frozen=True, slots=True)
class People:
    """What pages need of a run's invitations."""

    names: Mapping[str, str]
    """``invite:<id>`` → display name, read-only."""
    roster: tuple[Mapping[str, Any], ...]
    """Each invitation's principal, name, role, team, party, expiry and revocation, in the
    shape of `Identity.describe` (without its e-mail and creator, which cost a read each)."""


def people_of(invitations: list[Invitation]) -> People:
    """The `People` of a run with these invitations."""
    names = MappingProxyType({f"invite:{i.id}": i.display_name for i in invitations})
    roster = tuple(
        MappingProxyType(
            {
                "id": i.id,
                "principal": f"invite:{i.id}",
                "name": i.display_name,
                "role": str(i.role),
                "team": i.team,
                "party": i.party,
                "expires_at": i.expires_at.isoformat(),
                "revoked_at": i.revoked_at.isoformat() if i.revoked_at else None,
            }
        )
        for i in invitations
    )
    return People(names, roster)


class RunPeople(Held[People]):
    """The `People` of each run, held briefly."""

    def __init__(
        self,
        list_invitations: Callable[[str], list[Invitation]],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(lambda run_id: people_of(list_invitations(run_id)), clock)


class AccountNames(Held[Mapping[str, str]]):
    """``account:<id>`` → the name an account goes by, held briefly; ``version`` is the auth
    store's count of account changes made in this process."""

    def __init__(
        self,
        list_accounts: Callable[[], list[Account]],
        version: Callable[[], int],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        def read(_: str) -> Mapping[str, str]:
            return MappingProxyType(
                {f"account:{a.id}": a.display_name or a.username for a in list_accounts()}
            )

        super().__init__(read, clock, version)

    def all(self) -> Mapping[str, str]:
        """Every account's name."""
        return self.of("")

    def held(self) -> Mapping[str, str] | None:
        """Every account's name if held and fresh, without reading (None: `all` reads)."""
        return self.peek("")


class PeopleViews:
    """What pages read of people, held briefly: the part of ``Identity`` (which holds
    ``people`` and ``accounts``) that pages call."""

    people: RunPeople
    accounts: AccountNames

    def names(self, run_id: str) -> Mapping[str, str]:
        """Principal id → display name of the run's invitations (held for a moment)."""
        return self.people.of(run_id).names

    def roster(self, run_id: str) -> tuple[Mapping[str, Any], ...]:
        """The run's invitations as pages list their people (held for a moment): principal,
        name, role, team, party, expiry and revocation, as `describe` gives them."""
        return self.people.of(run_id).roster

    def account_names(self) -> Mapping[str, str]:
        """``account:<id>`` → the name each account goes by (held for a moment)."""
        return self.accounts.all()

    def held_names(self, run_id: str) -> Mapping[str, str] | None:
        """The run's `names` if they are held now, without reading anything: an event loop
        may call this; None means a thread must call `names`."""
        people = self.people.peek(run_id)
        return None if people is None else people.names

    def held_account_names(self) -> Mapping[str, str] | None:
        """The `account_names` if they are held now, without reading anything (None: a thread
        must call `account_names`)."""
        return self.accounts.held()
