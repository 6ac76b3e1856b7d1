"""The scheduler: the follower that releases scheduled injects when their time comes.

It acts as ``system:scheduler`` (a facilitator), reads the run's state (the planned offsets
are control material) and, on every tick, releases each standard inject of the open module
whose offset has passed in exercise time (pauses excluded). The key of each release names
the inject (``follower:scheduler:inject:<number>``), so however many rounds, leaders or
restarts notice that an inject is due, it is released once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sitroom.conduct import commands as cmd
from sitroom.conduct.run import due_injects
from sitroom.services.followers import Act, BaseFollower, FollowedRun
from sitroom.services.runs import SCHEDULER


class Scheduler(BaseFollower):
    """Releases due injects; events need nothing from it, the clock does."""

    name = "scheduler"
    principal = SCHEDULER

    def on_tick(self, run: FollowedRun, now: datetime) -> Iterable[Act]:
        return [
            Act(cmd.ReleaseInject(number, how="scheduled"), key=f"inject:{number}")
            for number in due_injects(run.state(), now)
        ]
