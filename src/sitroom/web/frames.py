"""SSE frames for a viewer, shared between viewers who see an event the same way.

A released inject looks the same to every player of a team, so its view is rendered and
serialised once per (role, team, party) instead of once per connection. Events whose view
depends on who is looking (receipts, votes, observations) are never shared.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from threading import Lock

from sitroom.conduct.principal import Principal
from sitroom.realtime.sse import Frame
from sitroom.services.runs import Engine, StoredEvent

SHAREABLE = frozenset(
    {
        "run-started",
        "run-paused",
        "run-resumed",
        "run-ended",
        "module-opened",
        "inject-released",
        "inject-corrected",
        "inject-retracted",
        "update-broadcast",
        "poll-opened",
        "poll-closed",
    }
)
"""Event types whose view depends only on the viewer's role, team and party."""


class FrameCache:
    """Rendered frames by (run, seq, role, team, party), least recently used dropped first."""

    def __init__(self, engine: Engine, size: int = 20_000) -> None:
        self.engine = engine
        self.size = size
        self._frames: OrderedDict[tuple[str, int, str, str | None, str | None], Frame | None]
        self._frames = OrderedDict()
        self._lock = Lock()

    def frame(self, principal: Principal, run_id: str, stored: StoredEvent) -> Frame | None:
        """The frame ``principal`` may see for ``stored``, or None (the visibility gate)."""
        if stored.type not in SHAREABLE or principal.sees_control_material:
            return self._render(principal, run_id, stored)
        key = (run_id, stored.seq, str(principal.role), principal.team, principal.party)
        with self._lock:
            if key in self._frames:
                self._frames.move_to_end(key)
                return self._frames[key]
        frame = self._render(principal, run_id, stored)
        with self._lock:
            self._frames[key] = frame
            while len(self._frames) > self.size:
                self._frames.popitem(last=False)
        return frame

    def _render(self, principal: Principal, run_id: str, stored: StoredEvent) -> Frame | None:
        view = self.engine.view(principal, run_id, stored)
        if view is None:
            return None
        return Frame(id=stored.seq, event=stored.type, data=json.dumps(view, ensure_ascii=False))
