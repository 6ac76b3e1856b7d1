"""Who the people of a run are called: the names pages show beside what each person did.

Every player page, console and evaluator page names the people of its run, and a room of fifty
opening their pages at once asked the database fifty times for the same list (and, through the
full invitation listing, once more per invitation for whoever created it). `RunNames` reads
the run's invitations once and holds the names for ``HOLD`` seconds; an invitation made or
revoked in this process drops what is held at once, one made by another worker or the CLI
shows within ``HOLD`` seconds. Names are no access decision: sessions and invitations are
checked at every request as before.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from types import MappingProxyType

from sitroom.auth.store import Invitation

HOLD = 2.0
"""Seconds a run's names are held."""


class RunNames:
    """Principal id → display name of each run's invitations, held briefly."""

    def __init__(
        self,
        list_invitations: Callable[[str], list[Invitation]],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._list = list_invitations
        self._clock = clock
        self._lock = threading.Lock()
        self._changes = 0
        self._held: dict[str, tuple[int, float, Mapping[str, str]]] = {}

    def changed(self) -> None:
        """An invitation was made or revoked in this process: read again next time."""
        with self._lock:
            self._changes += 1
            self._held.clear()

    def of(self, run_id: str) -> Mapping[str, str]:
        """The names of ``run_id``'s people (``invite:<id>`` → display name), read-only."""
        now = self._clock()
        with self._lock:
            changes = self._changes
            held = self._held.get(run_id)
        if held is not None and held[0] == changes and now - held[1] < HOLD:
            return held[2]
        names = MappingProxyType({f"invite:{i.id}": i.display_name for i in self._list(run_id)})
        with self._lock:
            if self._changes == changes:
                self._held[run_id] = (changes, now, names)
        return names
