"""Two ``sitroom serve`` processes on one PostgreSQL database both run the webhook sender:
the outbox's claims let one of them send each delivery, so a receiver that always answers
gets every event exactly once; when one worker is killed, the other sends the rest."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest

from tests.support.packages import TWO_PARTIES
from tests.support.postgres import fresh_database
from tests.support.receivers import Receiver, wait_for
from tests.support.server import create_admin, free_port, sign_in, start_process, wait_until_up

PASSWORD = "hooks-workers-password"
RUN = "pair"


@pytest.mark.postgres
@pytest.mark.slow
def test_two_workers_send_each_delivery_once(tmp_path: Path) -> None:
    receiver = Receiver().start()
    with fresh_database() as url:
        create_admin(tmp_path, PASSWORD, "admin", database_url=url)
        env = {
            "SITROOM_DATABASE_URL": url,
            "SITROOM_FOLLOWERS": "scheduler,webhooks",
            "SITROOM_FOLLOWER_TICK": "0.1",
            "SITROOM_WEBHOOK_ALLOW": "127.0.0.1",
            "SITROOM_WEBHOOK_BACKOFF": "0.1",
            "SITROOM_WEBHOOK_TIMEOUT": "2",
        }
        ports = [free_port(), free_port()]
        workers = [start_process(tmp_path, port, **env) for port in ports]
        try:
            bases = [f"http://127.0.0.1:{port}" for port in ports]
            for base in bases:
                wait_until_up(base)
            admin = sign_in(bases[0], "admin", PASSWORD)
            made = admin.post("/api/runs", json={"package_yaml": TWO_PARTIES, "run_id": RUN})
            assert made.is_success, made.text
            sub = admin.post(
                f"/api/runs/{RUN}/webhooks",
                json={"url": receiver.url, "events": ["*"], "audience": "control"},
            ).json()
            assert admin.post(f"/api/runs/{RUN}/start", json={}).status_code == 200
            for n in range(20):
                reply = admin.post(f"/api/runs/{RUN}/updates", json={"text": {"en": f"u{n}"}})
                assert reply.status_code == 200, reply.text

            def last() -> int:
                return int(admin.get(f"/api/runs/{RUN}").json()["seq"])

            def delivered() -> bool:
                log = admin.get(f"/api/runs/{RUN}/webhooks/deliveries?limit=1000").json()
                return len(log) == last() and all(d["status"] == "delivered" for d in log)

            wait_for(delivered, what="every delivery delivered")
            ids = receiver.ids()
            assert len(ids) == len(set(ids)) == last(), "each delivery was sent once"

            workers[0].send_signal(signal.SIGKILL)
            workers[0].wait(timeout=30)
            admin.close()
            admin = sign_in(bases[1], "admin", PASSWORD)
            for n in range(5):
                reply = admin.post(f"/api/runs/{RUN}/updates", json={"text": {"en": f"v{n}"}})
                assert reply.status_code == 200, reply.text
            wait_for(delivered, what="the surviving worker sends the rest")
            expected = {f"msg_{sub['id']}_{seq}" for seq in range(1, last() + 1)}
            assert set(receiver.ids()) == expected
            admin.close()
        finally:
            for worker in workers:
                if worker.poll() is None:
                    worker.terminate()
                    try:
                        worker.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        worker.kill()
                        worker.wait()
            receiver.stop()
