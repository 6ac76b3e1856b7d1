"""Webhooks against real receivers: a sitroom server (uvicorn on a real socket) posts a run's
events to HTTP servers started here — one that answers at once, one held mid-request (slow),
one that answers 500 before 200, one that is away (connection refused) and comes back — and
each receiver checks the Standard Webhooks signature and dedupes by webhook-id."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.packages import TWO_PARTIES
from tests.support.receivers import Received, Receiver, wait_for
from tests.support.server import create_admin, join, running_server, sign_in

PASSWORD = "hooks-test-password"
RUN = "hooks"
PARTY_SECRETS = (
    "ZZALD-DECISION",
    "ZZOBSERVATION",
    "ZZEXPECTED-ACTION",
    "ZZCONTROLLER-NAME",
    "ZZINJECT-NOTES",
    "ZZFACILITATOR",
    "ZZALD-ONLY-TEXT",
    "ZZALD-BROADCAST",
    "ZZALD-NOTE",
    "ZZALD-RESPONSE",
)


def verify(secret: str, received: Received) -> bool:
    """The receiver's check, written from the spec: HMAC-SHA256 of id.timestamp.body."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    msg_id = received.headers["webhook-id"]
    stamp = received.headers["webhook-timestamp"]
    expected = base64.b64encode(
        hmac.new(key, f"{msg_id}.{stamp}.".encode() + received.body, hashlib.sha256).digest()
    ).decode()
    offered = [s.split(",", 1)[1] for s in received.headers["webhook-signature"].split()]
    return any(hmac.compare_digest(expected, s) for s in offered)


@dataclass
class World:
    base: str
    admin: httpx.Client
    receivers: dict[str, Receiver]
    subs: dict[str, dict[str, object]]
    held: threading.Event


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    data_dir = tmp_path_factory.mktemp("hooks")
    create_admin(data_dir, PASSWORD, "admin")
    held = threading.Event()
    receivers = {
        "fast": Receiver(),
        "slow": Receiver(answer=lambda n: 200 if held.wait(60) else 503),
        "flaky": Receiver(answer=lambda n: 500 if n <= 2 else 200),
        "gone": Receiver(),  # not started: connection refused
        "party": Receiver(),
        "team": Receiver(),
        "slack": Receiver(),
        "teams": Receiver(),
        "mattermost": Receiver(),
    }
    for name, receiver in receivers.items():
        if name != "gone":
            receiver.start()
    env = {
        "SITROOM_FOLLOWERS": "scheduler,webhooks",
        "SITROOM_FOLLOWER_TICK": "0.1",
        "SITROOM_WEBHOOK_ALLOW": "127.0.0.1",
        "SITROOM_WEBHOOK_BACKOFF": "0.1",
        "SITROOM_WEBHOOK_ATTEMPTS": "3",
        "SITROOM_WEBHOOK_TIMEOUT": "30",
    }
    with running_server(data_dir, **env) as base:
        admin = sign_in(base, "admin", PASSWORD)
        created = admin.post("/api/runs", json={"package_yaml": TWO_PARTIES, "run_id": RUN})
        assert created.status_code == 201, created.text
        subs = {}
        for name, receiver in receivers.items():
            fmt = name if name in ("slack", "teams", "mattermost") else "standard"
            audience = {"party": "party:brn", "team": "team:brn-nsc"}.get(name, "control")
            reply = admin.post(
                f"/api/runs/{RUN}/webhooks",
                json={
                    "url": receiver.url,
                    "format": fmt,
                    "events": ["*"],
                    "audience": audience,
                    "label": name,
                },
            )
            assert reply.status_code == 201, reply.text
            subs[name] = reply.json()
        people = {}
        for role, team in (("player", "ald-nsc"), ("evaluator", None)):
            invite = admin.post(
                f"/api/runs/{RUN}/invitations", json={"name": role, "role": role, "team": team}
            )
            assert invite.status_code == 201, invite.text
            people[role] = join(base, invite.json()["code"])
        for path, body in (
            ("/start", {}),
            ("/injects/1/release", {}),
            ("/injects/2/release", {}),
            ("/updates", {"text": {"en": "ZZALD-BROADCAST"}, "parties": ["ald"]}),
            ("/updates", {"text": {"en": "ZZBRN-BROADCAST"}, "parties": ["brn"]}),
        ):
            reply = admin.post(f"/api/runs/{RUN}{path}", json=body)
            assert reply.status_code == 200, reply.text
        for who, path, body in (
            ("player", "/responses", {"target": "inject", "ref": "2", "text": "ZZALD-RESPONSE"}),
            ("player", "/notes", {"text": "ZZALD-NOTE"}),
            ("player", "/decisions", {"title": "ZZALD-DECISION", "text": "national"}),
            ("evaluator", "/observations", {"text": "ZZOBSERVATION", "rating": "S"}),
        ):
            reply = people[who].post(f"/api/runs/{RUN}{path}", json=body)
            assert reply.status_code == 200, reply.text
        for client in people.values():
            client.close()
        try:
            yield World(base, admin, receivers, subs, held)
        finally:
            held.set()
            admin.close()
    for receiver in receivers.values():
        receiver.stop()


def _expected(world: World) -> int:
    return int(world.admin.get(f"/api/runs/{RUN}").json()["seq"])


def test_a_held_receiver_does_not_hold_the_others(world: World) -> None:
    seq = _expected(world)
    wait_for(lambda: len(world.receivers["slow"].received) >= 1, what="slow got its first")
    # The slow receiver still holds its first request: the fast one gets everything anyway.
    wait_for(lambda: len(world.receivers["fast"].unique()) == seq, what="fast got every event")
    assert len(world.receivers["slow"].received) == 1
    world.held.set()
    wait_for(lambda: len(world.receivers["slow"].unique()) == seq, what="slow caught up")


def test_every_delivery_is_signed_per_standard_webhooks(world: World) -> None:
    from standardwebhooks.webhooks import Webhook

    wait_for(lambda: len(world.receivers["fast"].received) >= 3)
    secret = str(world.subs["fast"]["secret"])
    for received in world.receivers["fast"].received:
        assert verify(secret, received)
        Webhook(secret).verify(received.body, received.headers)  # the reference library
        tampered = Received(received.path, received.headers, received.body + b" ")
        assert not verify(secret, tampered)
        assert not verify(str(world.subs["slack"]["secret"]), received)
        assert received.id.startswith("msg_")
        body = json.loads(received.body)
        assert body["data"]["banner"].startswith("EXERCISE EXERCISE EXERCISE")


def test_a_500_is_retried_with_the_same_id_until_200(world: World) -> None:
    flaky = world.receivers["flaky"]
    seq = _expected(world)

    def mine() -> list[dict[str, Any]]:
        log = world.admin.get(f"/api/runs/{RUN}/webhooks/deliveries?limit=1000").json()
        return [d for d in log if d["subscription"] == world.subs["flaky"]["id"]]

    def settled() -> bool:
        found = mine()
        return len(found) == seq and all(d["status"] == "delivered" for d in found)

    wait_for(settled, what="flaky's deliveries all delivered")
    assert len(flaky.unique()) == seq
    mine = mine()
    retried = [d for d in mine if any(t["status_code"] == 500 for t in d["tries"])]
    assert retried, "the first two requests were answered 500"
    for delivery in retried:
        codes = [t["status_code"] for t in delivery["tries"]]
        assert codes[-1] == 200 and set(codes[:-1]) == {500}
        # every attempt of the event carried the one id
        assert flaky.ids().count(delivery["id"]) == len(codes)
        assert delivery["status"] == "delivered"
        assert all(t["duration_ms"] >= 0 for t in delivery["tries"])
    assert sum(len(d["tries"]) for d in mine) == len(flaky.received) == seq + 2


def test_a_receiver_that_went_away_gets_dead_letters_then_redelivery(world: World) -> None:
    gone = world.receivers["gone"]
    sub = world.subs["gone"]["id"]
    seq = _expected(world)

    def dead() -> list[dict[str, object]]:
        found = world.admin.get(f"/api/runs/{RUN}/webhooks/deliveries?status=dead&limit=1000")
        return [d for d in found.json() if d["subscription"] == sub]

    wait_for(lambda: len(dead()) == seq, what="every delivery to the absent receiver is dead")
    # The scrape counts them too (read from the database, so every worker says the same).
    scraped = httpx.get(f"{world.base}/metrics", timeout=30).text
    counted = re.search(r'sitroom_deliveries\{channel="webhook",state="dead"\} ([0-9.]+)', scraped)
    assert counted and float(counted.group(1)) >= seq, scraped[-2000:]
    tries = dead()[0]["tries"]
    assert len(tries) == 3 and all(t["status_code"] is None and t["error"] for t in tries)
    gone.start()
    one = dead()[0]["id"]
    again = world.admin.post(f"/api/runs/{RUN}/webhooks/deliveries/{one}/redeliver")
    assert again.status_code == 200 and again.json() == {"redelivered": 1}
    wait_for(lambda: gone.ids() == [one], what="the one redelivered")
    everything = world.admin.post(f"/api/runs/{RUN}/webhooks/redeliver")
    assert everything.json() == {"redelivered": seq - 1}
    wait_for(lambda: len(gone.unique()) == seq, what="all redelivered")
    assert not dead()
    missing = world.admin.post(f"/api/runs/{RUN}/webhooks/deliveries/{one}/redeliver")
    assert missing.status_code == 404 and missing.json()["errors"][0]["field"] == "delivery_id"


def test_a_party_view_never_receives_control_or_the_other_partys_material(world: World) -> None:
    control = world.receivers["fast"]
    wait_for(lambda: len(control.unique()) == _expected(world), what="control got everything")
    seen = b"".join(r.body for r in control.received).decode()
    for marker in PARTY_SECRETS:  # the markers are in the log: the check below can fail
        assert marker in seen, marker
    for name in ("party", "team"):
        receiver = world.receivers[name]
        wait_for(lambda r=receiver: any(b"ZZBRN-BROADCAST" in x.body for x in r.received))
        wait_for(lambda n=name: _settled(world, n), what=f"{name}'s outbox settled")
        everything = b"".join(r.body for r in receiver.received).decode()
        for marker in PARTY_SECRETS:
            assert marker not in everything, (name, marker)
        types = [json.loads(r.body)["type"] for r in receiver.received]
        assert "inject-released" in types and "update-broadcast" in types


def _settled(world: World, name: str) -> bool:
    sub = world.subs[name]["id"]
    log = world.admin.get(f"/api/runs/{RUN}/webhooks/deliveries?limit=1000").json()
    mine = [d for d in log if d["subscription"] == sub]
    return bool(mine) and all(d["status"] == "delivered" for d in mine)


def test_chat_formats_carry_the_marking_banner(world: World) -> None:
    for name in ("slack", "teams", "mattermost"):
        wait_for(
            lambda n=name: any(
                b"Announcement" in r.body  # type: ignore[misc]
                for r in world.receivers[n].received
            )
        )
    slack = next(
        json.loads(r.body) for r in world.receivers["slack"].received if b"Announcement" in r.body
    )
    assert slack["blocks"][0]["elements"][0]["text"].startswith("EXERCISE EXERCISE EXERCISE")
    assert "Inject 1: Announcement" in slack["text"]
    teams = next(
        json.loads(r.body) for r in world.receivers["teams"].received if b"Announcement" in r.body
    )
    card = teams["attachments"][0]["content"]
    assert card["type"] == "AdaptiveCard" and "EXERCISE" in card["body"][0]["text"]
    mm = next(
        json.loads(r.body)
        for r in world.receivers["mattermost"].received
        if b"Announcement" in r.body
    )
    lines = mm["text"].splitlines()
    assert "UNCLASSIFIED" in lines[0] and lines[0] == lines[-1]


def test_the_list_never_shows_secrets_or_whole_urls(world: World) -> None:
    listed = world.admin.get(f"/api/runs/{RUN}/webhooks").json()
    text = json.dumps(listed)
    for sub in world.subs.values():
        assert str(sub["secret"]) not in text
    assert "/hook" not in text and "party:brn" in text


def test_bad_subscriptions_are_refused_naming_the_field(world: World) -> None:
    cases = [
        ({"url": "http://169.254.169.254/latest", "audience": "control"}, "url"),
        ({"url": "ftp://example.org/x", "audience": "control"}, "url"),
        ({"url": world.receivers["fast"].url, "audience": "party:zzz"}, "audience"),
        ({"url": world.receivers["fast"].url, "audience": "control", "events": ["nope"]}, "events"),
    ]
    for body, field in cases:
        reply = world.admin.post(f"/api/runs/{RUN}/webhooks", json=body)
        assert reply.status_code == 422, reply.text
        assert reply.json()["errors"][0]["field"] == field


def test_the_console_page_lists_and_subscribes(world: World) -> None:
    page = world.admin.get(f"/runs/{RUN}/console/webhooks")
    assert page.status_code == 200 and "Dead letters" in page.text
    assert str(world.subs["fast"]["secret"]) not in page.text
    world.admin.get("/language/ko?next=/")
    korean = world.admin.get(f"/runs/{RUN}/console/webhooks")
    world.admin.get("/language/en?next=/")
    assert korean.status_code == 200 and "전송 실패 목록" in korean.text
    csrf = world.admin.headers["X-CSRF-Token"]
    made = world.admin.post(
        f"/runs/{RUN}/console/webhooks",
        data={
            "csrf_token": csrf,
            "url": world.receivers["fast"].url,
            "audience": "team:brn-nsc",
            "format": "slack",
            "events": "inject-released",
            "language": "ko",
            "label": "BRN",
        },
    )
    assert made.status_code == 200 and "whsec_" in made.text
    again = world.admin.get(f"/runs/{RUN}/console/webhooks")
    assert "whsec_" not in again.text and "team:brn-nsc" in again.text
    refused = world.admin.post(
        f"/runs/{RUN}/console/webhooks",
        data={
            "csrf_token": csrf,
            "url": "http://169.254.169.254/",
            "audience": "control",
            "events": "*",
        },
    )
    assert refused.status_code == 422 and "169.254.169.254" in refused.text


def test_a_receiver_slower_than_the_timeout_is_retried(tmp_path: Path) -> None:
    create_admin(tmp_path, PASSWORD, "admin")
    late = threading.Event()

    def answer(n: int) -> int:
        if n == 1:
            late.wait(5)  # longer than the timeout: the sender gives up and tries again
        return 200

    receiver = Receiver(answer=answer).start()
    env = {
        "SITROOM_FOLLOWERS": "webhooks",
        "SITROOM_FOLLOWER_TICK": "0.1",
        "SITROOM_WEBHOOK_ALLOW": "127.0.0.1",
        "SITROOM_WEBHOOK_BACKOFF": "0.1",
        "SITROOM_WEBHOOK_TIMEOUT": "1",
    }
    try:
        with running_server(tmp_path, **env) as base:
            admin = sign_in(base, "admin", PASSWORD)
            assert admin.post("/api/runs", json={"package_yaml": TWO_PARTIES, "run_id": RUN})
            made = admin.post(
                f"/api/runs/{RUN}/webhooks",
                json={"url": receiver.url, "events": ["run-started"], "audience": "observer"},
            )
            assert made.status_code == 201
            assert admin.post(f"/api/runs/{RUN}/start", json={}).status_code == 200

            def done() -> list[dict[str, Any]]:
                log = admin.get(f"/api/runs/{RUN}/webhooks/deliveries").json()
                return [d for d in log if d["status"] == "delivered"]

            wait_for(lambda: bool(done()), what="delivered after the timeout")
            [delivery] = done()
            first, *rest = delivery["tries"]
            assert first["status_code"] is None and "timed out" in first["error"]
            assert rest[-1]["status_code"] == 200
            assert receiver.ids() == [delivery["id"]] * len(delivery["tries"])
            admin.close()
    finally:
        late.set()
        receiver.stop()


def test_only_control_staff_reach_webhooks(world: World) -> None:
    for role, team in (("player", "brn-nsc"), ("evaluator", None), ("observer", None)):
        invite = world.admin.post(
            f"/api/runs/{RUN}/invitations", json={"name": role, "role": role, "team": team}
        )
        client = join(world.base, invite.json()["code"])
        try:
            for path in ("/webhooks", "/webhooks/deliveries?status=dead"):
                reply = client.get(f"/api/runs/{RUN}{path}")
                assert reply.status_code == 403, (role, path, reply.text)
            made = client.post(
                f"/api/runs/{RUN}/webhooks",
                json={"url": world.receivers["fast"].url, "audience": "control"},
            )
            assert made.status_code == 403
            assert client.post(f"/api/runs/{RUN}/webhooks/redeliver").status_code == 403
            page = client.get(f"/runs/{RUN}/console/webhooks")
            assert page.status_code == 403 and "whsec_" not in page.text
        finally:
            client.close()
