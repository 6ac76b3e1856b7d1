"""The webhook follower: fills the outbox from the log, and runs the sender beside it.

It follows every run like the scheduler does (one leader per run, ``services.leader``), and
on every round puts each subscription's new visible events into the outbox
(``Hooks.enqueue``). It sends no command and reads the log through the gate for each
subscription's own principal, not its own: its principal (a facilitator) is only what the
runner needs to hand it a run. The sender (``serve``) runs in every process that runs the
follower; the outbox's claims keep two of them from sending one delivery at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sitroom.conduct.principal import Principal, Role
from sitroom.services.followers import Act, BaseFollower, FollowedRun
from sitroom.services.hooks.sender import Sender
from sitroom.services.hooks.service import Hooks

WEBHOOKS = Principal(id="system:webhooks", role=Role.FACILITATOR, name="Webhooks")


class WebhookFollower(BaseFollower):
    """Queues deliveries on every round; ``serve`` sends them."""

    name = "webhooks"
    principal = WEBHOOKS

    def __init__(self, hooks: Hooks, sender: Sender) -> None:
        self.hooks = hooks
        self.sender = sender

    def on_tick(self, run: FollowedRun, now: datetime) -> Iterable[Act]:
        if self.hooks.enqueue(run.run_id):
            self.sender.wake()
        return ()

    def behind(self, run_id: str, last_seq: int) -> bool:
        """Whether a subscription of the ended run has not queued its last events yet (the
        server stopped between the run's end and the round that would have queued it)."""
        return any(
            s.cursor < last_seq for s in self.hooks.store.subscriptions(run_id, active_only=True)
        )

    async def serve(self) -> None:
        """Send deliveries until cancelled."""
        await self.sender.run()
