"""Crash test: concurrent submissions while the server is killed with SIGKILL, again and again.

Every submission that got a 2xx must be in the log exactly once, and ``sitroom verify`` must
pass. Run: ``python scripts/crash_test.py [--kills 5] [--clients 8] [--seconds 12]``.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.server import free_port, join, sign_in, start_process, wait_until_up  # noqa: E402

EXAMPLE = ROOT / "src" / "sitroom" / "package" / "examples" / "allied-consultation"
PASSWORD = "crash-test-password-1"


@dataclass
class Tally:
    accepted: list[str] = field(default_factory=list)
    failures: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _cli(data_dir: Path, *args: str) -> str:
    env = {**os.environ, "SITROOM_DATA_DIR": str(data_dir), "SITROOM_PASSWORD": PASSWORD}
    done = subprocess.run(
        [sys.executable, "-m", "sitroom", *args],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


def _client(
    base: str,
    session: tuple[dict[str, str], dict[str, str]],
    run_id: str,
    question: str,
    stop: threading.Event,
    tally: Tally,
    seed: int,
) -> None:
    rng = random.Random(seed)
    cookies, headers = session
    with httpx.Client(base_url=base, cookies=cookies, headers=headers, timeout=5.0) as http:
        while not stop.is_set():
            key = uuid.uuid4().hex
            body = {"target": "question", "ref": question, "text": f"response {key}"}
            for _attempt in range(200):  # retry the same key until the server answers
                if stop.is_set():
                    break
                try:
                    reply = http.post(
                        f"/api/runs/{run_id}/responses", json=body, headers={"Idempotency-Key": key}
                    )
                except httpx.HTTPError:
                    with tally.lock:
                        tally.failures += 1
                    time.sleep(0.05 + rng.random() * 0.1)
                    continue
                if 200 <= reply.status_code < 300:
                    with tally.lock:
                        tally.accepted.append(key)
                    break
                time.sleep(0.05)


def crash_test(
    kills: int = 5, clients: int = 8, seconds: float = 12.0, seed: int = 7
) -> dict[str, object]:
    """Run the crash test; return a summary. Raises AssertionError when a check fails."""
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder)
        _cli(data_dir, "account", "create", "admin", "--role", "admin")
        _cli(data_dir, "run", "create", str(EXAMPLE), "--id", "crash")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_process(data_dir, port)
        try:
            wait_until_up(base)
            admin = sign_in(base, "admin", PASSWORD)
            run = admin.get("/api/runs/crash").json()
            player_teams = [t for t in run["teams"] if t["kind"] == "players"]
            admin.post("/api/runs/crash/start", json={}).raise_for_status()
            jars: list[tuple[tuple[dict[str, str], dict[str, str]], str]] = []
            for i in range(clients):
                team = player_teams[i % len(player_teams)]
                invite = admin.post(
                    "/api/runs/crash/invitations",
                    json={"name": f"Player {i}", "role": "player", "team": team["id"]},
                ).json()
                joiner = join(base, invite["code"])
                try:
                    session = (
                        dict(joiner.cookies),
                        {"X-CSRF-Token": joiner.headers["X-CSRF-Token"]},
                    )
                    questions = joiner.get("/api/runs/crash").json()["module"]["questions"]
                finally:
                    joiner.close()
                jars.append((session, questions[0]["id"]))
            admin.close()
            tally, stop = Tally(), threading.Event()
            threads = [
                threading.Thread(
                    target=_client, args=(base, session, "crash", question, stop, tally, i)
                )
                for i, (session, question) in enumerate(jars)
            ]
            for thread in threads:
                thread.start()
            for _ in range(kills):
                time.sleep(seconds / (kills + 1) * (0.5 + rng.random()))
                server.send_signal(signal.SIGKILL)
                server.wait()
                server = start_process(data_dir, port)
                wait_until_up(base)
            time.sleep(seconds / (kills + 1))
            stop.set()
            for thread in threads:
                thread.join()
        finally:
            server.send_signal(signal.SIGKILL)
            server.wait()
        from sitroom.services.runs import Engine
        from sitroom.storage.factory import open_recorder

        recorder = open_recorder(f"sqlite:///{data_dir / 'sitroom.db'}")
        try:
            stored = Engine(recorder).read("crash")
        finally:
            recorder.close()
        keys = Counter(e.idempotency_key for e in stored if e.type == "response-submitted")
        missing = [k for k in tally.accepted if keys[k] == 0]
        doubled = [k for k, n in keys.items() if n > 1]
        verify = subprocess.run(
            [sys.executable, "-m", "sitroom", "verify", "crash"],
            capture_output=True,
            text=True,
            env={**os.environ, "SITROOM_DATA_DIR": str(data_dir)},
        )
        summary = {
            "accepted": len(tally.accepted),
            "recorded": sum(keys.values()),
            "connection_failures": tally.failures,
            "kills": kills,
            "missing": len(missing),
            "doubled": len(doubled),
            "verify_exit": verify.returncode,
        }
        assert not missing, f"accepted but not in the log: {missing[:5]}"
        assert not doubled, f"recorded twice: {doubled[:5]}"
        assert len(set(tally.accepted)) == len(tally.accepted)
        assert verify.returncode == 0, verify.stdout + verify.stderr
        return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=12.0)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    summary = crash_test(args.kills, args.clients, args.seconds, args.seed)
    for key, value in summary.items():
        print(f"{key:>22}: {value}")


if __name__ == "__main__":
    main()
