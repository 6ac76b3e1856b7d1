"""``sitroom follow triggers`` killed with SIGKILL and restarted while the run goes on: every
trigger is met exactly once — none missed, none repeated — and each records the event that
made its condition true.

The package has one milestone per trigger and one inject that each milestone's trigger
releases (``fires``); this process marks the milestones one by one while the follower is
killed at random moments and started again.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from sitroom.conduct import commands as cmd
from sitroom.conduct.principal import Principal, Role
from sitroom.package.dump import _Dumper, to_data
from sitroom.package.load import load_text
from sitroom.package.model import Package
from sitroom.services.runs import Engine
from sitroom.storage.factory import open_recorder
from tests.support.packages import two_parties

ROOT = Path(__file__).resolve().parents[2]
FACILITATOR = Principal("account:fac", Role.FACILITATOR, "Fac")
TRIGGERS = 60


def _package() -> Package:
    import yaml

    data = to_data(two_parties())
    data["milestones"] = [{"id": f"ms{i}", "name": f"Milestone {i}"} for i in range(TRIGGERS)]
    data["modules"][0]["injects"] += [
        {
            "number": f"T{i}",
            "title": f"Branch {i}",
            "content": f"Branch {i} follows.",
            "trigger": {"when": f"milestone(ms{i})", "mode": "fires"},
        }
        for i in range(TRIGGERS)
    ]
    text = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False)
    result = load_text(text, "crash.yaml")
    assert result.package is not None, [str(p) for p in result.problems]
    return result.package


def _follow(data_dir: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SITROOM_DATA_DIR": str(data_dir),
        "SITROOM_FOLLOWER_TICK": "0.05",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
    }
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "sitroom", "follow", "triggers", "--run", "crash"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=out,
        )


def _met(engine: Engine) -> Counter[str]:
    return Counter(e.payload["trigger"] for e in engine.read("crash") if e.type == "trigger-met")


@pytest.mark.slow
def test_a_killed_triggers_follower_neither_misses_nor_repeats_a_firing(tmp_path: Path) -> None:
    database = tmp_path / "sitroom.db"
    recorder = open_recorder(f"sqlite:///{database}")
    engine = Engine(recorder)
    engine.create_run(_package(), run_id="crash")
    engine.handle("crash", cmd.StartRun(), FACILITATOR)

    three_kills = threading.Event()

    def mark() -> None:
        for i in range(TRIGGERS):
            if i == TRIGGERS - 10:  # on a busy machine: keep some back for the later kills
                three_kills.wait(timeout=120)
            engine.handle("crash", cmd.ReachMilestone(f"ms{i}"), FACILITATOR)
            time.sleep(0.15)

    writer = threading.Thread(target=mark)
    log = tmp_path / "follow.log"
    rng = random.Random(11)
    kills = 0
    follower, started = _follow(tmp_path, log), 1
    writer.start()
    try:
        while writer.is_alive() and kills < 10:
            before = sum(_met(engine).values())
            deadline = time.monotonic() + 15
            while writer.is_alive() and sum(_met(engine).values()) < before + 2:
                assert time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(0.02)
            if not writer.is_alive():
                break
            time.sleep(rng.uniform(0.0, 0.2))
            follower.send_signal(signal.SIGKILL)
            follower.wait(timeout=10)
            kills += 1
            if kills >= 3:
                three_kills.set()
            follower, started = _follow(tmp_path, log), started + 1
        writer.join(timeout=60)
        deadline = time.monotonic() + 30
        while len(_met(engine)) < TRIGGERS:
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.05)
        # The last follower may have been started a moment ago, still importing, before it
        # set its SIGTERM handler: the signal's default action would end it (-15) and the
        # test would prove nothing about a clean stop. Wait until it follows.
        while log.read_text().count("following with") < started:
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.05)
        follower.send_signal(signal.SIGTERM)
        assert follower.wait(timeout=10) == 0, log.read_text()[-3000:]
    finally:
        three_kills.set()
        if follower.poll() is None:
            follower.kill()
            follower.wait()
        writer.join(timeout=60)
        recorder.close()
    events = open_recorder(f"sqlite:///{database}").read("crash")
    met = Counter(e.payload["trigger"] for e in events if e.type == "trigger-met")
    assert met == Counter({f"inject:T{i}": 1 for i in range(TRIGGERS)})
    released = Counter(e.payload["number"] for e in events if e.type == "inject-released")
    assert released == Counter({f"T{i}": 1 for i in range(TRIGGERS)})
    reached = {e.payload["milestone"]: e.seq for e in events if e.type == "milestone-reached"}
    for event in events:
        if event.type == "trigger-met":
            milestone = "ms" + event.payload["trigger"].removeprefix("inject:T")
            assert event.payload["since_seq"] == reached[milestone]
    assert kills >= 3, "the run ended before the follower was killed three times"
    print(f"kills={kills}")
