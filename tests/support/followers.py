"""A follower for tests that answers every event it sees, so the log shows what it saw.

For each visible event it records an observation "saw <seq> <type>" under the key derived
from the event. Register it with ``SITROOM_FOLLOWER_IMPORTS=tests.support.followers:Recording``
and run it with ``sitroom follow recorder``. ``SITROOM_TEST_RECORDER_DELAY`` (seconds) makes
it slow, so a test can kill it while it is in the middle of a stream.
"""

from __future__ import annotations

import os
import re
import time
from collections import Counter
from collections.abc import Iterable

from sitroom.conduct import commands as cmd
from sitroom.conduct.principal import Principal, Role
from sitroom.services.followers import Act, BaseFollower, FollowedRun, Seen
from sitroom.storage.recorder import StoredEvent

RECORDER = Principal(id="system:recorder", role=Role.EVALUATOR, name="recorder")
_SAW = re.compile(r"saw (\d+) ")


class Recording(BaseFollower):
    """Answers every event with an observation naming it."""

    name = "recorder"
    principal = RECORDER

    def __init__(self) -> None:
        self.delay = float(os.environ.get("SITROOM_TEST_RECORDER_DELAY", "0") or 0)

    def on_event(self, run: FollowedRun, seen: Seen) -> Iterable[Act]:
        if self.delay:
            time.sleep(self.delay)
        return [Act(cmd.RecordObservation(f"saw {seen.seq} {seen.type}"), key=seen.key())]


def reactions(events: Iterable[StoredEvent]) -> Counter[int]:
    """How many times the recorder answered each seq, read from the log."""
    found: Counter[int] = Counter()
    for event in events:
        if event.actor == RECORDER.id and event.type == "observation-recorded":
            match = _SAW.match(event.payload["text"])
            assert match, event.payload
            found[int(match.group(1))] += 1
    return found
