"""Handing a command of the JSON API to the engine, and what the reply says of the outcome."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool

from sitroom.bootstrap import Services
from sitroom.conduct import commands as cmd
from sitroom.conduct.run import Rejected
from sitroom.services.idempotency import KEY_FIELD
from sitroom.services.runs import Outcome
from sitroom.web.deps import KEY_HEADER, Viewer


def outcome_data(outcome: Outcome) -> dict[str, Any]:
    """What a write answers: the events recorded, whether it was a retry, the last seq."""
    return {
        "recorded": [{"seq": e.seq, "type": e.type} for e in outcome.events],
        "duplicate": outcome.duplicate,
        "last_seq": outcome.last_seq,
    }


async def handle(
    svc: Services, run_id: str, who: Viewer, command: cmd.Command, key: str | None
) -> dict[str, Any]:
    """Decide and record ``command`` (in a worker thread); its outcome as JSON data."""
    try:
        outcome = await run_in_threadpool(svc.engine.handle, run_id, command, who.principal, key)
    except Rejected as refused:
        if refused.field != KEY_FIELD:
            raise
        # The key came in a header: name it as the header's own validation errors do.
        raise Rejected(refused.message, field=KEY_HEADER, status=refused.status) from None
    return outcome_data(outcome)
