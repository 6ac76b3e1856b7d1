"""``sitroom follow`` in a process of its own: killed with SIGKILL mid-stream and restarted, it
answers every event exactly once; with Redis it wakes on a server's announcement at once.

``sitroom follow recorder`` runs on a SQLite database while this process appends updates to
the run. The recording follower answers each event it sees with
an observation under a key derived from the event, so the log itself shows what it saw.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from sitroom.conduct import commands as cmd
from sitroom.conduct.principal import Principal, Role
from sitroom.services.runs import Engine
from sitroom.storage.factory import open_recorder
from tests.support.followers import RECORDER, reactions
from tests.support.packages import two_parties

ROOT = Path(__file__).resolve().parents[2]
FACILITATOR = Principal("account:fac", Role.FACILITATOR, "Fac")
UPDATES = 250


def _follow(data_dir: Path, log: Path, **extra: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SITROOM_DATA_DIR": str(data_dir),
        "SITROOM_FOLLOWER_IMPORTS": "tests.support.followers:Recording",
        "SITROOM_FOLLOWER_TICK": "0.05",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        **extra,
    }
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "sitroom", "follow", "recorder", "--run", "duo"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=out,
        )


def _cursor(database: Path) -> int:
    with sqlite3.connect(database) as connection:
        row = connection.execute(
            "SELECT seq FROM follower_cursors WHERE follower = 'recorder' AND run_id = 'duo'"
        ).fetchone()
    return 0 if row is None else int(row[0])


@pytest.mark.slow
def test_a_follower_killed_mid_stream_answers_each_event_exactly_once(tmp_path: Path) -> None:
    database = tmp_path / "sitroom.db"
    recorder = open_recorder(f"sqlite:///{database}")
    engine = Engine(recorder)
    engine.create_run(two_parties(), run_id="duo")
    engine.handle("duo", cmd.StartRun(), FACILITATOR)

    # The writer keeps a quarter of the stream for after each of the first three kills: on a
    # busy machine a follower restarts slower than the writer writes, and the stream would
    # end before it was killed three times. While it waits for a kill it says so.
    paced = {"kills": 0, "waiting": False}

    def append() -> None:
        for i in range(UPDATES):
            deadline = time.monotonic() + 120
            while paced["kills"] < min(i * 4 // UPDATES, 3) and time.monotonic() < deadline:
                paced["waiting"] = True
                time.sleep(0.02)
            paced["waiting"] = False
            engine.handle("duo", cmd.BroadcastUpdate({"en": f"update {i}"}), FACILITATOR)
            time.sleep(0.02)

    writer = threading.Thread(target=append)
    log = tmp_path / "follow.log"
    rng = random.Random(7)
    kills = torn = 0
    follower = _follow(tmp_path, log)
    writer.start()
    try:
        while writer.is_alive() and kills < 12 and (kills < 3 or torn == 0):
            before = sum(reactions(engine.read("duo")).values())
            deadline = time.monotonic() + 15
            while (
                writer.is_alive()
                and not paced["waiting"]
                and sum(reactions(engine.read("duo")).values()) < before + 3
            ):
                assert time.monotonic() < deadline, log.read_text()[-3000:]  # mid-stream
                time.sleep(0.02)
            if not writer.is_alive():
                break  # the stream ended while we waited (maybe fewer than 3 events left)
            time.sleep(rng.uniform(0.0, 0.3))
            follower.send_signal(signal.SIGKILL)
            follower.wait(timeout=10)
            kills += 1
            paced["kills"], paced["waiting"] = kills, False
            # Killed after recording an answer but before storing the cursor: the restart
            # meets that event again, and its answer must come back as a duplicate.
            torn += max(reactions(engine.read("duo")), default=0) > _cursor(database)
            follower = _follow(tmp_path, log)
        writer.join(timeout=30)
        sources = [e.seq for e in engine.read("duo") if e.actor != RECORDER.id]
        deadline = time.monotonic() + 20
        while set(reactions(engine.read("duo"))) != set(sources):
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.05)
        # The last one may have found nothing left to do: let it start before stopping it
        # (on a busy machine a restart waits for the killed leader's lease to lapse).
        # (A follower killed before it led never logged "leads": look at the last one only.)
        deadline = time.monotonic() + 60
        while "recorder leads duo" not in log.read_text().rsplit("following with recorder", 1)[-1]:
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.05)
        follower.send_signal(signal.SIGTERM)
        assert follower.wait(timeout=10) == 0, log.read_text()[-3000:]
    finally:
        if follower.poll() is None:
            follower.kill()
            follower.wait()
        writer.join(timeout=30)
        recorder.close()
    answered = reactions(open_recorder(f"sqlite:///{database}").read("duo"))
    doubled = {seq: n for seq, n in answered.items() if n != 1}
    assert not doubled, f"answered more than once: {doubled}"
    assert sorted(answered) == sources
    assert len(sources) == UPDATES + 2
    assert kills >= 3, "the stream ended before the follower was killed three times"
    print(f"kills={kills} torn={torn}")


def test_follow_names_what_it_cannot_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from sitroom.cli.main import app

    monkeypatch.setenv("SITROOM_DATA_DIR", str(tmp_path))
    runner = CliRunner()
    unknown = runner.invoke(app, ["follow", "mailer"])
    assert unknown.exit_code == 1
    assert "no follower named 'mailer'; registered: scheduler" in unknown.output
    monkeypatch.setenv("SITROOM_FOLLOWER_IMPORTS", "tests.support.nowhere:Cell")
    broken = runner.invoke(app, ["follow", "scheduler"])
    assert broken.exit_code == 1
    assert "'tests.support.nowhere:Cell': cannot import" in broken.output


@pytest.mark.slow
@pytest.mark.redis
def test_a_follower_process_wakes_on_the_servers_announcement(tmp_path: Path) -> None:
    """With Redis the follower acts at once on a server's event, not at its (long) tick."""
    import secrets

    import redis

    from tests.support.server import create_admin, free_port, sign_in, start_process, wait_until_up

    url = "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis at {url} is unreachable ({exc})")
    create_admin(tmp_path, "wake-up-password")
    recorder = open_recorder(f"sqlite:///{tmp_path / 'sitroom.db'}")
    engine = Engine(recorder)
    engine.create_run(two_parties(), run_id="duo")
    engine.handle("duo", cmd.StartRun(), FACILITATOR)
    env = {"SITROOM_REDIS_URL": url, "SITROOM_REDIS_PREFIX": f"t{secrets.token_hex(4)}:"}
    port = free_port()
    server = start_process(tmp_path, port, SITROOM_FOLLOWERS="none", **env)
    follower = _follow(tmp_path, tmp_path / "follow.log", SITROOM_FOLLOWER_TICK="30", **env)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(base)
        deadline = time.monotonic() + 20
        while len(reactions(engine.read("duo"))) < 2:  # its first round answers what was there
            assert time.monotonic() < deadline, (tmp_path / "follow.log").read_text()
            time.sleep(0.05)
        time.sleep(1.0)  # the follower now waits for an announcement (or its 30 s tick)
        admin = sign_in(base, "admin", "wake-up-password")
        try:
            sent = time.monotonic()
            reply = admin.post("/api/runs/duo/updates", json={"text": {"en": "Wake up"}})
        finally:
            admin.close()
        assert reply.status_code == 200, reply.text
        seq = reply.json()["last_seq"]
        while seq not in reactions(engine.read("duo")):
            assert time.monotonic() - sent < 5, "the follower did not wake on the announcement"
            time.sleep(0.02)
    finally:
        for process in (follower, server):
            process.terminate()
            process.wait(timeout=10)
        recorder.close()
