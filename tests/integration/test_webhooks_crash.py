"""Kill the server mid-delivery (SIGKILL of a real ``sitroom serve``) and start it again:
every event reaches the receiver at least once, each time under its one webhook-id, none is
lost, and a receiver that keeps the ids it has seen handles each event once."""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path

import pytest

from tests.support.packages import TWO_PARTIES
from tests.support.receivers import Receiver, wait_for
from tests.support.server import create_admin, free_port, sign_in, start_process, wait_until_up

PASSWORD = "hooks-crash-password"
RUN = "crash"
ENV = {
    "SITROOM_FOLLOWERS": "scheduler,webhooks",
    "SITROOM_FOLLOWER_TICK": "0.1",
    "SITROOM_WEBHOOK_ALLOW": "127.0.0.1",
    "SITROOM_WEBHOOK_BACKOFF": "0.1",
    "SITROOM_WEBHOOK_TIMEOUT": "1",
}


@pytest.mark.slow
def test_deliveries_survive_sigkill_mid_delivery(tmp_path: Path) -> None:
    create_admin(tmp_path, PASSWORD, "admin")
    release = threading.Event()
    # The first request is held until the server is dead: the kill lands mid-delivery.
    receiver = Receiver(answer=lambda n: 200 if n > 1 or release.wait(30) else 503).start()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_process(tmp_path, port, **ENV)
    try:
        wait_until_up(base)
        admin = sign_in(base, "admin", PASSWORD)
        assert admin.post("/api/runs", json={"package_yaml": TWO_PARTIES, "run_id": RUN}).is_success
        sub = admin.post(
            f"/api/runs/{RUN}/webhooks",
            json={"url": receiver.url, "events": ["*"], "audience": "control"},
        )
        assert sub.status_code == 201, sub.text
        for path in ("/start", "/injects/1/release", "/injects/2/release"):
            assert admin.post(f"/api/runs/{RUN}{path}", json={}).status_code == 200
        wait_for(lambda: len(receiver.received) >= 1, what="the first delivery is in flight")
        held = receiver.received[0].id
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=30)
        admin.close()
        release.set()  # the killed server never reads this answer

        server = start_process(tmp_path, port, **ENV)
        wait_until_up(base)
        admin = sign_in(base, "admin", PASSWORD)
        assert admin.post(f"/api/runs/{RUN}/updates", json={"text": {"en": "after"}}).is_success
        last = int(admin.get(f"/api/runs/{RUN}").json()["seq"])  # the log holds every event
        prefix = f"msg_{sub.json()['id']}_"
        expected = {f"{prefix}{seq}" for seq in range(1, last + 1)}

        def all_delivered() -> bool:
            log = admin.get(f"/api/runs/{RUN}/webhooks/deliveries?limit=1000").json()
            return len(log) == last and all(d["status"] == "delivered" for d in log)

        try:
            wait_for(all_delivered, what="the log says every delivery was delivered")
        except AssertionError:
            log = admin.get(f"/api/runs/{RUN}/webhooks/deliveries?limit=1000").json()
            raise AssertionError((log, receiver.ids())) from None
        assert set(receiver.unique()) == expected
        assert receiver.ids().count(held) >= 2, "the interrupted delivery was sent again"
        admin.close()
    finally:
        release.set()
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        receiver.stop()


def test_a_run_that_ended_while_no_server_sent_is_delivered_after_the_restart(
    tmp_path: Path,
) -> None:
    """The run ends on a server that runs no webhook follower (as a crash between the end and
    the next round would leave it): the next server with the follower still queues and sends
    every event up to the end, although the run is over."""
    from tests.support.server import running_server

    create_admin(tmp_path, PASSWORD, "admin")
    receiver = Receiver().start()
    try:
        with running_server(tmp_path, SITROOM_FOLLOWERS="none", **_without_followers()) as base:
            admin = sign_in(base, "admin", PASSWORD)
            made = admin.post("/api/runs", json={"package_yaml": TWO_PARTIES, "run_id": RUN})
            assert made.is_success
            sub = admin.post(
                f"/api/runs/{RUN}/webhooks",
                json={"url": receiver.url, "events": ["*"], "audience": "party:brn"},
            ).json()
            for path in ("/start", "/injects/1/release", "/end"):
                assert admin.post(f"/api/runs/{RUN}{path}", json={}).status_code == 200
            last = int(admin.get(f"/api/runs/{RUN}").json()["seq"])
            admin.close()
        assert receiver.received == []
        with running_server(tmp_path, **ENV) as base:
            wait_for(
                lambda: f"msg_{sub['id']}_{last}" in receiver.unique(),
                what="the run-ended event, after the restart",
            )
        types = {json.loads(r.body)["type"] for r in receiver.received}
        assert {"run-started", "inject-released", "run-ended"} <= types
    finally:
        receiver.stop()


def _without_followers() -> dict[str, str]:
    return {k: v for k, v in ENV.items() if k != "SITROOM_FOLLOWERS"}
