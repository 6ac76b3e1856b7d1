"""The triggers follower: meets each trigger of the package when its condition first holds.

It acts as ``system:triggers`` (a facilitator: conditions read control material such as the
MSEL and every team's decisions) and reads the run's state. After every batch of events and
on every tick (for "not answered within 30 minutes") it asks ``due_triggers`` which triggers
hold, and sends ``MeetTrigger`` for each under the key ``trigger:<id>``; so however many
rounds, leaders or restarts notice a condition, the trigger is met once. The run records the
moment the condition first became true (``TriggerMet.since_seq``/``since_at``), whatever
moment the follower noticed it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sitroom.conduct import commands as cmd
from sitroom.conduct.principal import Principal, Role
from sitroom.conduct.run import due_triggers
from sitroom.services.followers import Act, BaseFollower, FollowedRun

TRIGGERS = Principal(id="system:triggers", role=Role.FACILITATOR, name="triggers")
"""The principal of the triggers follower."""


class Triggers(BaseFollower):
    """Meets triggers whose conditions hold; the round calls ``on_tick`` after every batch."""

    name = "triggers"
    principal = TRIGGERS

    def on_tick(self, run: FollowedRun, now: datetime) -> Iterable[Act]:
        return [
            Act(cmd.MeetTrigger(trigger), key=f"trigger:{trigger}")
            for trigger in due_triggers(run.state(), now)
        ]
