"""The webhook outbox keeps its promises on SQLite and PostgreSQL: an event is queued once
per subscription (a stale enqueue writes nothing), one process at a time holds a delivery,
attempts are kept in order, and dead letters come back with fresh attempts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sitroom.conduct import commands as cmd
from sitroom.conduct.principal import Principal, Role
from sitroom.services.hooks.addresses import AddressPolicy
from sitroom.services.hooks.service import Hooks
from sitroom.services.hooks.store import Attempt, HookStore, open_hook_store
from sitroom.services.runs import Engine
from tests.contract.conftest import Backend
from tests.support.packages import two_parties

FACILITATOR = Principal(id="fac", role=Role.FACILITATOR, name="F")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def hooks(request: pytest.FixtureRequest) -> Iterator[Hooks]:
    backend: Backend = request.getfixturevalue(f"{request.param}_backend")
    assert backend.primary is not None
    engine = Engine(backend.primary)
    engine.create_run(two_parties(), "r1")
    store = open_hook_store(backend.url)
    policy = AddressPolicy(["127.0.0.1"], resolver=lambda host, port: ["127.0.0.1"])
    try:
        yield Hooks(store, engine, policy)
    finally:
        store.close()


def _play(hooks: Hooks) -> None:
    for command in (cmd.StartRun(), cmd.ReleaseInject("1"), cmd.ReleaseInject("2")):
        hooks.engine.handle("r1", command, FACILITATOR)


def test_each_visible_event_is_queued_once(hooks: Hooks) -> None:
    brn, secret = hooks.subscribe(
        "r1",
        url="http://127.0.0.1:9/x",
        fmt="standard",
        events=["*"],
        audience="party:brn",
        by="fac",
    )
    ald, _ = hooks.subscribe(
        "r1",
        url="http://127.0.0.1:9/y",
        fmt="slack",
        events=["inject-released"],
        audience="party:ald",
        by="fac",
    )
    assert secret.startswith("whsec_") and brn.cursor == 0
    _play(hooks)
    assert hooks.enqueue("r1") > 0
    assert hooks.enqueue("r1") == 0  # nothing twice
    store: HookStore = hooks.store
    assert not store.enqueue(brn.id, 0, 3, [])  # a stale leader queues nothing
    mine = {d.seq: d for d in hooks.deliveries("r1") if d.subscription_id == brn.id}
    theirs = {d.seq for d in hooks.deliveries("r1") if d.subscription_id == ald.id}
    # Inject 2 is Aldoria's alone: Brenland's view never holds it.
    assert all("ZZALD-ONLY-TEXT" not in d.body for d in mine.values())
    assert theirs == {3, 4} and set(mine) == {1, 2, 3}  # started, module, inject 1
    assert {d.id for d in mine.values()} == {f"msg_{brn.id}_{n}" for n in (1, 2, 3)}


def test_a_delivery_is_held_by_one_claim_and_attempts_are_kept(hooks: Hooks) -> None:
    sub, _ = hooks.subscribe(
        "r1",
        url="http://127.0.0.1:9/x",
        fmt="standard",
        events=["*"],
        audience="control",
        by="fac",
    )
    _play(hooks)
    hooks.enqueue("r1")
    store = hooks.store
    now = hooks.clock_ms() + 10
    due = store.due(now)
    # One place per subscription, its earliest delivery first.
    assert [d.delivery.seq for d in due] == [1] and due[0].secret.startswith("whsec_")
    first = due[0].delivery.id
    assert store.claim(first, now, now + 1000)
    assert not store.claim(first, now + 1, now + 2000)  # held by the first claim
    assert [d.delivery.seq for d in store.due(now + 1)] == [2]  # the next one, not the held
    assert store.claim(first, now + 1001, now + 3000)  # the claim ran out: another may send
    store.record(first, Attempt(0, now, 500, None, 12), status="pending", next_at=now + 50)
    store.record(first, Attempt(0, now + 60, None, "refused", 1), status="dead", next_at=0)
    [dead] = hooks.deliveries("r1", "dead")
    assert [(a.number, a.status_code, a.error) for a in dead.tries] == [
        (1, 500, None),
        (2, None, "refused"),
    ]
    assert dead.attempts == 2 and dead.finished_ms == now + 60
    assert hooks.redeliver("r1", first) == 1 and hooks.redeliver("r1", first) == 0
    again = next(d for d in hooks.deliveries("r1") if d.id == first)
    assert again.status == "pending" and again.attempts == 0 and len(again.tries) == 2
    assert hooks.unsubscribe("r1", sub.id) and not hooks.unsubscribe("r1", sub.id)
    assert store.due(now + 10_000) == []  # a stopped subscription sends nothing


def test_a_long_backlog_does_not_crowd_other_subscriptions_out(hooks: Hooks) -> None:
    busy, _ = hooks.subscribe(
        "r1",
        url="http://127.0.0.1:9/a",
        fmt="standard",
        events=["*"],
        audience="control",
        by="fac",
    )
    quiet, _ = hooks.subscribe(
        "r1",
        url="http://127.0.0.1:9/b",
        fmt="standard",
        events=["run-ended"],
        audience="control",
        by="fac",
    )
    hooks.engine.handle("r1", cmd.StartRun(), FACILITATOR)
    for n in range(30):
        hooks.engine.handle("r1", cmd.BroadcastUpdate(text={"en": f"u{n}"}), FACILITATOR)
    hooks.engine.handle("r1", cmd.EndRun(), FACILITATOR)
    hooks.enqueue("r1")
    due = hooks.store.due(hooks.clock_ms() + 10, limit=2)
    assert {d.delivery.subscription_id for d in due} == {busy.id, quiet.id}
