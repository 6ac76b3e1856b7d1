"""A follower killed with SIGKILL mid-stream and restarted answers every event exactly once.

``sitroom follow recorder`` runs in a process of its own on a SQLite database while this
process appends updates to the run. The recording follower answers each event it sees with
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


def _follow(data_dir: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SITROOM_DATA_DIR": str(data_dir),
        "SITROOM_FOLLOWER_IMPORTS": "tests.support.followers:Recording",
        "SITROOM_FOLLOWER_TICK": "0.05",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
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

    def append() -> None:
        for i in range(UPDATES):
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
            while sum(reactions(engine.read("duo")).values()) < before + 3:  # mid-stream
                assert time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(0.02)
            time.sleep(rng.uniform(0.0, 0.3))
            follower.send_signal(signal.SIGKILL)
            follower.wait(timeout=10)
            kills += 1
            # Killed after recording an answer but before storing the cursor: the restart
            # meets that event again, and its answer must come back as a duplicate.
            torn += max(reactions(engine.read("duo"))) > _cursor(database)
            follower = _follow(tmp_path, log)
        writer.join(timeout=30)
        sources = [e.seq for e in engine.read("duo") if e.actor != RECORDER.id]
        deadline = time.monotonic() + 20
        while set(reactions(engine.read("duo"))) != set(sources):
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
